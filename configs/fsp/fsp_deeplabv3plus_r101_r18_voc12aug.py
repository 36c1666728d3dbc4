# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8 on PASCAL VOC 2012 aug (512x512 crops).
# Stage 'fsp' until end_iter=6000 (15% of the 40k-iteration schedule).
# Points and stages: _base_/distill/fsp_deeplabv3plus_r101_r18.py, shared with the toy twin.
# Teacher: mmseg's published DeepLabV3+ R101-D8 VOC12 aug model, downloaded on first use (nothing to train).
# Data: data/VOCdevkit/VOC2012 with SBD's SegmentationClassAug (docs/data_preparation.md).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_voc12aug.py', '../_base_/distill/fsp_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.fsp_points}},
    stages={{_base_.fsp_stages.voc12aug}})

find_unused_parameters = True
