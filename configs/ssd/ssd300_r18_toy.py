# Toy twin of ssd300_r18_voc0712.py (student): the same SSD300-ResNet-18 on the toy shapes (6 classes),
# from random weights, 200 iterations of batch 8 on the CPU.
_base_ = [
    '../_base_/models/ssd300_r18.py', '../_base_/datasets/toy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    # from scratch, as ssd300_r50_toy.py
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    bbox_head=dict(num_classes=6, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
