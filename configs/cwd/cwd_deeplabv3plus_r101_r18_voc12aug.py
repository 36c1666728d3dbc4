# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on PASCAL VOC 2012 aug (512x512 crops).
# Points: _base_/distill/cwd_deeplabv3plus_r101_r18.py, shared with the toy twin.
# Teacher: mmseg's published DeepLabV3+ R101-D8 VOC12 aug model, downloaded on first use (nothing to train).
# Data: data/VOCdevkit/VOC2012 with SBD's SegmentationClassAug (docs/data_preparation.md).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_voc12aug.py', '../_base_/distill/cwd_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.cwd_points}})
