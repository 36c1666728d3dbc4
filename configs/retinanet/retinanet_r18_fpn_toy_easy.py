# RetinaNet ResNet-18 FPN on the easy toy set: retinanet_r50_fpn_toy_easy.py with the ResNet-18 backbone
# (its four stages' 64-512 channels into the FPN), pretrained on the easy toy classification images.
# Make the weights first:
#   python tools/misc/cached_train.py configs/pretrain/resnet18_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet18_v1c.pth
_base_ = './retinanet_r50_fpn_toy_easy.py'

model = dict(
    backbone=dict(depth=18, init_cfg=dict(checkpoint='data/toy_easy/pretrained/resnet18_v1c.pth')),
    neck=dict(in_channels=[64, 128, 256, 512]))
