# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 1 of 2 on the toy classification data (10 classes, 32x32): train the auxiliary
# teacher, a 2x wider ResNet-18 (configs/hkd/cls_r18w2_toy.py), from the ResNet-50 teacher. Then step 2,
# configs/hkd/hkd_cls_r50_r18_toy.py, distils the student from this run's student checkpoint.
#   python tools/train.py configs/hkd/hkd_aux_cls_r50_r18w2_toy.py
# Point: _base_/distill/hkd_aux_cls_r50_r18w2.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/hkd_aux_cls_r50_r18w2.py']

model = dict(
    student=dict(backbone=dict(base_channels=128), head=dict(in_channels=1024)),
    distill_points={{_base_.hkd_aux_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
