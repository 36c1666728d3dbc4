# Overhaul feature distillation (OFD; Heo et al., ICCV 2019): DeepLabV3+ ResNet-101-D8 teacher ->
# DeepLabV3+ MobileNetV2-D8 student on PASCAL VOC 2012 aug, 512x512 crops. Data, schedule and runtime are
# the student's (deeplabv3plus/deeplabv3plus_mbv2_voc12aug.py); the six OFD points (four backbone stages,
# ASPP, decoder) are in _base_/distill/ofd_deeplabv3plus_r101_mbv2.py.
_base_ = [
    './_base_/distillers/deeplabv3plus_r101_mbv2_voc12aug.py', './_base_/distill/ofd_deeplabv3plus_r101_mbv2.py'
]

# the teacher is the distiller base's (its own config and the checkpoint tools/train.py wrote for it).
# mmseg's zoo model can be the teacher as well, unmodified (deeplabv3plus_r101_voc12aug.py is that config):
#   teacher=dict(
#       config='mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py',
#       checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/'
#       'deeplabv3plus_r101-d8_512x512_40k_voc12aug/'
#       'deeplabv3plus_r101-d8_512x512_40k_voc12aug_20200613_205333-faf03387.pth',
#       cfg_options={'model.pretrained': None}),  # weights come from the checkpoint alone
# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
