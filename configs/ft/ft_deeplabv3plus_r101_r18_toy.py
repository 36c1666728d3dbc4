# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Stage 'paraphraser' until end_iter=30 (15% of the 200-iteration toy schedule); transfer weight
# 500 / (256 x 8 x 8) (toy output stride 16).
# Points and stages: _base_/distill/ft_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/ft_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.ft_points}},
    stages={{_base_.ft_stages.toy}})

find_unused_parameters = True
