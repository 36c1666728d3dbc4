# Toy twin of deeplabv3plus_r101_voc12aug.py (teacher): the same DeepLabV3+ model on the toy shapes
# (7 classes incl. background), 128x128 crops, batch 4, 200 iterations on the CPU, from random weights.
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py', '../_base_/datasets/toy_voc_seg.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/toy_seg_200it.py'
]

# plain BN instead of SyncBN: one process, no process group (a config choice; SyncBN would need
# a distributed launch)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,  # no download: random initialisation
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(num_classes=7, norm_cfg=norm_cfg),
    auxiliary_head=dict(num_classes=7, norm_cfg=norm_cfg))
