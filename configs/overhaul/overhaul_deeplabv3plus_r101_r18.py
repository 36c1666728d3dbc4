# Overhaul feature distillation (OFD; Heo et al., ICCV 2019): DeepLabV3+ ResNet-101-D8 teacher ->
# DeepLabV3+ ResNet-18-D8 student on PASCAL VOC 2012 aug, 512x512 crops. Data, schedule and runtime are
# the student's (deeplabv3plus/deeplabv3plus_r18_voc12aug.py); the six OFD points (four backbone stages,
# ASPP, decoder) are in _base_/distill/ofd_deeplabv3plus_r101_r18.py.
# Teacher: mmseg's published DeepLabV3+ R101-D8 VOC12 aug model, downloaded on first use (nothing to train).
# Data: data/VOCdevkit/VOC2012 with SBD's SegmentationClassAug (docs/data_preparation.md).
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_voc12aug.py', '../_base_/distill/ofd_deeplabv3plus_r101_r18.py'
]

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
