# Toy twin of overhaul_deeplabv3plus_r101_r18.py: the same distillation on the toy VOC shapes (128x128
# crops), with the toy student schedule (deeplabv3plus/deeplabv3plus_r18_toy.py) and the toy teacher
# trained first by
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r101_toy.py
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/ofd_deeplabv3plus_r101_r18.py'
]

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
