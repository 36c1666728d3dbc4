# PKT (Passalis & Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", ECCV 2018):
# ResNet-50 -> ResNet-18 on the toy classification data (10 classes, 32x32).
# loss_weight = 3e4 / N with the batch size N = 32.
# Points: _base_/distill/pkt_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/pkt_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.pkt_points.toy}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
