# SSD300 with a ResNet-18 backbone: the ResNet-50 variant with basic blocks, i.e. stage widths 128/256
# instead of 512/1024 for the two maps the neck receives; the four extra levels are unchanged, so a
# ResNet-50 teacher and this student differ only in the backbone (and the first two levels' width).
_base_ = './ssd300_r50.py'

model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=(128, 256), out_channels=(128, 256, 512, 256, 256, 256)),
    bbox_head=dict(in_channels=(128, 256, 512, 256, 256, 256)))
