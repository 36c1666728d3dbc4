# Toy twin of ssd300_vgg16_voc0712.py: SSD300-VGG16 on the toy shapes (6 classes), from random weights,
# 200 iterations. VGG16 at 300 px is heavy for a CPU (several seconds an iteration on 2 cores); the
# ResNet twins are the quick ones.
_base_ = [
    'mmdet::_base_/models/ssd300.py', '../_base_/datasets/toy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    backbone=dict(init_cfg=None),  # no download: random (Kaiming) initialisation
    bbox_head=dict(num_classes=6, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
