# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): SSD300
# ResNet-50 -> SSDLite MobileNetV2 on the toy VOC detection data (300x300).
# Points: _base_/distill/at_ssd_r50_mbv2.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_mbv2_toy.py', '../_base_/distill/at_ssd_r50_mbv2.py']

model = dict(
    distill_points={{_base_.at_points}})
