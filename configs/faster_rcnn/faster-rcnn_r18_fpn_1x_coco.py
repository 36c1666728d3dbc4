# Faster R-CNN ResNet-18 FPN on COCO 2017 (student): mmdet's faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py with an
# ImageNet-initialised ResNet-18, derived as mmdet derives retinanet_r18_fpn_1x_coco.py from its ResNet-50
# model (mmdet publishes no Faster R-CNN ResNet-18). mmdet's 1x schedule.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
