# Toy twin of mmdet's retinanet/retinanet_r18_fpn_1x_coco.py (student): the same RetinaNet ResNet-18 FPN on
# the toy shapes in the COCO layout (6 classes, images resized to fit 533x320), from random weights,
# 200 iterations of batch 4 on the CPU.
_base_ = './retinanet_r50_fpn_toy.py'

# retinanet_r50_fpn_toy.py with a ResNet-18: mmdet's ResNet-18 FPN reads the four stages' 64-512 channels
model = dict(backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
