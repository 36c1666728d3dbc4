# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): ResNet-50 -> ResNet-18 on CIFAR-100.
# Stage 'paraphraser' until end_epoch=30 (15% of the 200-epoch CIFAR-100 schedule).
# Points and stages: _base_/distill/ft_cls_r50_r18.py, shared with the toy twin.
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/ft_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.ft_points}},
    stages={{_base_.ft_stages.cifar100}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
