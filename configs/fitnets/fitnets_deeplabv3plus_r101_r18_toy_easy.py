# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: DeepLabV3+
# ResNet-101 -> ResNet-18 on the easy toy set (128x128 crops, both from backbones pretrained on the easy toy
# images; the toy twin's crop and output stride 16, so its feature sizes). Stage 'hint' until end_iter=30 (15%
# of the easy student's 200-iteration schedule; --iters 600 of tools/misc/cached_train.py and
# tools/analysis/seed_table.py rescales it with the schedule, to 90). Points and stages:
# _base_/distill/fitnets_deeplabv3plus_r101_r18.py, shared with the toy and real-dataset twins.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py', '../_base_/distill/fitnets_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.toy}})

find_unused_parameters = True
