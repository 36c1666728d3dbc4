# OFD (Heo et al., ICCV 2019) from DeepLabV3+ ResNet-101 to MobileNetV2 on the easy toy set, where both
# start from toy-pretrained backbones (configs/deeplabv3plus/*_toy_easy.py). Same distillation points as
# overhaul_deeplabv3plus_r101_mbv2.py: three pre-ReLU6 expansion features and the linear last layer of the
# student against the teacher's four stages before their last ReLU, the ASPP bottleneck and the decoder
# before their ReLUs, teacher BN in train mode. Weights: the recipe's per position (`ofd_points_toy_easy`:
# 1e-5 / divider x (H W at 512 px, output stride 8) / (H W here), x16, 16, 64, 64, 64, 16).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_mbv2_toy_easy.py',
    '../_base_/distill/ofd_deeplabv3plus_r101_mbv2.py'
]

model = dict(teacher_bn='train', distill_points={{_base_.ofd_points_toy_easy}})
