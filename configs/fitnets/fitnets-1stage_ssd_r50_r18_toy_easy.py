# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), single stage: SSD160 ResNet-50 ->
# ResNet-18 on the easy toy set (160x160 inputs, SSD160: backbone maps 40, 20, 10 px, neck levels 20, 10, 5,
# 3, 1 px; both from backbones pretrained on the easy toy images). Points:
# _base_/distill/fitnets-1stage_ssd_r50_r18.py (the toy twin's).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/fitnets-1stage_ssd_r50_r18.py']

model = dict(distill_points={{_base_.fitnets_1stage_points}})
