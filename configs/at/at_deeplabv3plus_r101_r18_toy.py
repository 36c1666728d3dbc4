# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Sizes 32x32, 16x16, 8x8, 8x8 at the 128x128 crops (toy output stride 16): loss_weight = 1000 / (H W).
# Points: _base_/distill/at_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/at_deeplabv3plus_r101_r18.py'
]

model = dict(distill_points={{_base_.at_points.toy}})
