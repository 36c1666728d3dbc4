# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): DeepLabV3+
# ResNet-101 -> ResNet-18 on the easy toy set (128x128 crops, both from backbones pretrained on the easy toy
# images; the toy twin's crop and output stride 16, so its feature sizes). Sizes 32x32, 16x16, 8x8, 8x8 at the
# 128x128 crops (output stride 16, as the toy twin): loss_weight = 1000 / (H W). Points:
# _base_/distill/at_deeplabv3plus_r101_r18.py, shared with the toy and real-dataset twins.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py', '../_base_/distill/at_deeplabv3plus_r101_r18.py'
]

model = dict(distill_points={{_base_.at_points.toy}})
