# Toy twin of deeplabv3plus_r18_voc12aug.py (student): the same DeepLabV3+ model on the toy shapes
# (7 classes incl. background), 128x128 crops, batch 4, 200 iterations on the CPU, from random weights,
# at output stride 16 (DeepLabV3+'s other setting, Chen et al. ECCV 2018: ASPP rates 6/12/18) instead of
# the real config's 8, 2.2x cheaper per CPU iteration (1.3 -> 0.6 s, measured),
# and with the background class weighed down in the cross-entropy (`class_weight` of the toy dataset base).
_base_ = [
    '../_base_/models/deeplabv3plus_r18.py', '../_base_/datasets/toy_voc_seg.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/toy_seg_200it.py'
]

# plain BN instead of SyncBN: one process, no process group (a config choice; SyncBN would need
# a distributed launch)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,  # no download: random initialisation
    backbone=dict(norm_cfg=norm_cfg, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
    decode_head=dict(
        num_classes=7,
        norm_cfg=norm_cfg,
        dilations=(1, 6, 12, 18),
        loss_decode=dict(class_weight={{_base_.class_weight}})),
    auxiliary_head=dict(
        num_classes=7, norm_cfg=norm_cfg, loss_decode=dict(class_weight={{_base_.class_weight}})))
