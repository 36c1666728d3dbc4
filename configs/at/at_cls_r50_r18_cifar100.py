# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): ResNet-50 ->
# ResNet-18 on CIFAR-100.
# Points: _base_/distill/at_cls_r50_r18.py, shared with the toy twin.
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/at_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.at_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
