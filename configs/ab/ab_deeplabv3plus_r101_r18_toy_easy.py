# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): DeepLabV3+ ResNet-101 -> ResNet-18 on the easy toy set (128x128 crops, both from backbones
# pretrained on the easy toy images; the toy twin's crop and output stride 16, so its feature sizes). Stage
# 'ab' until end_iter=30 (15% of the easy student's 200-iteration schedule; --iters 600 of
# tools/misc/cached_train.py and tools/analysis/seed_table.py rescales it with the schedule, to 90). Points
# and stages: _base_/distill/ab_deeplabv3plus_r101_r18.py, shared with the toy and real-dataset twins; weights
# per position as the recipe's (`ab_points_toy_easy`: x16, 16, 64, 64 for the 32, 16, 8, 8 px maps).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py', '../_base_/distill/ab_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.ab_points_toy_easy}},
    stages={{_base_.ab_stages.toy}})

find_unused_parameters = True
