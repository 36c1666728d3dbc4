# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): ResNet-50 -> ResNet-18 on the toy classification data (10 classes, 32x32).
# Stage 'paraphraser' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/ft_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/ft_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.ft_points}},
    stages={{_base_.ft_stages.toy}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
