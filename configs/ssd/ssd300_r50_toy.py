# Toy twin of ssd300_r50_voc0712.py (teacher): the same SSD300-ResNet-50 on the toy shapes (6 classes),
# from random weights, 200 iterations of batch 8 on the CPU.
_base_ = [
    '../_base_/models/ssd300_r50.py', '../_base_/datasets/toy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    # From scratch: nothing to download, every stage trains, and BN keeps updating its statistics
    # (frozen stages and eval-mode BN only make sense on top of pretrained weights).
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    bbox_head=dict(num_classes=6, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
