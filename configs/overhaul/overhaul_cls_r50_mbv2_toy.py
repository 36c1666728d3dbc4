# Toy twin of overhaul_cls_r50_mbv2.py: the same distillation on the 10-class toy CIFAR data, with the
# toy student schedule (cls/cls_mbv2_toy.py: 200 iterations of batch 32) and the toy teacher trained
# first by
#   python tools/train.py configs/cls/cls_r50_toy.py
_base_ = ['../_base_/distillers/cls_r50_mbv2_toy.py', '../_base_/distill/ofd_cls_r50_mbv2.py']

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
