# OFD (Heo et al., ICCV 2019) from DeepLabV3+ ResNet-101 to ResNet-18 on the easy toy set, where both
# start from toy-pretrained backbones (configs/deeplabv3plus/*_toy_easy.py). Same distillation points as
# overhaul_deeplabv3plus_r101_r18.py: the four backbone stages, the ASPP bottleneck and the decoder, before
# their ReLUs, teacher BN in train mode. Weights: the recipe's per position (`ofd_points_toy_easy`: 1e-5 /
# divider x (H W at 512 px, output stride 8) / (H W here), x16, 16, 64, 64, 64, 16).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py',
    '../_base_/distill/ofd_deeplabv3plus_r101_r18.py'
]

model = dict(teacher_bn='train', distill_points={{_base_.ofd_points_toy_easy}})
