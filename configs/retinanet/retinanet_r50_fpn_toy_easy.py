# RetinaNet ResNet-50 FPN on the easy toy set in the COCO layout (configs/_base_/datasets/toy_easy_coco_det.py:
# 128-160 px images of 1-3 large shapes, resized to fit 267x160), starting from a backbone pretrained on
# the easy toy classification images as the real recipe starts from ImageNet (torchvision://resnet50).
# The backbone has ResNetV1c's deep stem, so it loads the same pretraining as the SSD and DeepLabV3+
# configs of the easy set; every stage and BN trains (the pretrained statistics come from 64x64 images).
# Anchors, FPN levels (strides 8-128) and losses are mmdet's retinanet_r50_fpn_1x_coco.py.
# Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy --formats coco
#   python tools/misc/cached_train.py configs/pretrain/resnet50_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet50_v1c.pth
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py', '../_base_/datasets/toy_easy_coco_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    backbone=dict(
        deep_stem=True,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='data/toy_easy/pretrained/resnet50_v1c.pth', prefix='backbone.')),
    bbox_head=dict(num_classes=6))
