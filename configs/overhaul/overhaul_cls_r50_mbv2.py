# Overhaul feature distillation (OFD; Heo et al., ICCV 2019): ResNet-50 teacher -> MobileNetV2 student
# on CIFAR-100 (32x32 models of configs/cls). Data, schedule and runtime are the student's
# (cls/cls_mbv2_cifar100.py: 200 epochs, batch 128); the OFD points are in
# _base_/distill/ofd_cls_r50_mbv2.py: the pre-ReLU output of the four ResNet-50 stages against the
# linear-bottleneck outputs of MobileNetV2 layers 4-7 (same 8, 8, 4, 4 px maps), 1x1 conv + BN
# connectors, margin ReLU on the teacher, partial L2 / batch size x 1e-3 / 2^(3-k) (the CIFAR recipe).
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_mbv2_cifar100.py', '../_base_/distill/ofd_cls_r50_mbv2.py']

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
