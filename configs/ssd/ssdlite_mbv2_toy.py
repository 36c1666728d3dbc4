# Toy twin of ssdlite_mbv2_voc0712.py (student): the same SSDLite-MobileNetV2 at 300x300 on the toy shapes
# (6 classes), from random weights (mmdet's SSDLite initialisation), 200 iterations of batch 8 on the CPU,
# as ssd300_r18_toy.py.
_base_ = [
    '../_base_/models/ssdlite_mbv2.py', '../_base_/datasets/toy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(bbox_head=dict(num_classes=6))
