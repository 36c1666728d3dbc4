# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): DeepLabV3+ ResNet-101 -> ResNet-18 on the
# easy toy set (128x128 crops, both from backbones pretrained on the easy toy images; the toy twin's crop and
# output stride 16, so its feature sizes). Points: _base_/distill/mgd_deeplabv3plus_r101_r18.py, the toy
# twin's; alpha per position as the recipe's (`mgd_points_toy_easy`: x64 for the 8x8 map).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py', '../_base_/distill/mgd_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.mgd_points_toy_easy}})
