# Toy twin of overhaul_ssd_r50_r18.py: the same distillation on the toy VOC shapes, with the toy
# student schedule (ssd/ssd300_r18_toy.py) and the toy teacher trained first by
#   python tools/train.py configs/ssd/ssd300_r50_toy.py
_base_ = ['../_base_/distillers/ssd_r50_r18_toy.py', '../_base_/distill/ofd_ssd_r50_r18.py']

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
