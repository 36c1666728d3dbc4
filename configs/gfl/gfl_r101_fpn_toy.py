# Toy twin of mmdet's gfl/gfl_r101_fpn_ms-2x_coco.py (teacher): the same GFL ResNet-101 FPN on the toy shapes in
# the COCO layout (6 classes, images resized to fit 533x320, without the multi-scale resize), from random
# weights, 200 iterations of batch 4 on the CPU.
_base_ = './gfl_r50_fpn_toy.py'

model = dict(backbone=dict(depth=101))
