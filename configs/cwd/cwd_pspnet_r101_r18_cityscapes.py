# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021):
# PSPNet ResNet-101-D8 -> ResNet-18-D8 on Cityscapes (mmseg's 80k schedule of the student, 512x1024 crops).
# Points: _base_/distill/cwd_pspnet_r101_r18.py, shared with the toy twin.
# Teacher: mmseg's published PSPNet R-101-D8 80k Cityscapes model, downloaded on first use; nothing to train
# first.
# Data: data/cityscapes with leftImg8bit/ and gtFine/ *_labelTrainIds.png (docs/data_preparation.md).
_base_ = ['../_base_/distillers/pspnet_r101_r18_cityscapes.py', '../_base_/distill/cwd_pspnet_r101_r18.py']

model = dict(
    distill_points={{_base_.cwd_points}})
