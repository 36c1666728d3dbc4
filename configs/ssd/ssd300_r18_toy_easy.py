# SSD300 ResNet-18 on the easy toy set (configs/_base_/datasets/toy_easy_voc_det.py), starting from a
# backbone pretrained on the easy toy classification images, as the real recipe starts from ImageNet
# (torchvision://resnet18). BN keeps training: the pretrained statistics come from 64x64 images.
# Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet18_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet18.pth
_base_ = [
    '../_base_/models/ssd300_r18.py', '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='data/toy_easy/pretrained/resnet18.pth', prefix='backbone.')),
    bbox_head=dict(num_classes=6, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
