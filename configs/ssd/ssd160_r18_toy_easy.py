# SSD ResNet-18 at 160x160 on the easy toy set: ssd160_r50_toy_easy.py with the ResNet-18 backbone, whose
# two maps have 128 and 256 channels (see configs/_base_/models/ssd300_r18.py); the extra levels, anchors
# and head are the ResNet-50 model's. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet18_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet18_v1c.pth
_base_ = './ssd160_r50_toy_easy.py'

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(checkpoint='data/toy_easy/pretrained/resnet18_v1c.pth')),
    neck=dict(in_channels=(128, 256), out_channels=(128, 256, 512, 256, 256)),
    bbox_head=dict(in_channels=(128, 256, 512, 256, 256)))
