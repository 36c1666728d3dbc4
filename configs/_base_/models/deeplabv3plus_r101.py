# DeepLabV3+ (Chen et al., ECCV 2018) with a dilated ResNet-101-V1c (output stride 8), as mmseg's
# deeplabv3plus_r101-d8 configs: mmseg's r50-d8 model with depth 101. 19 classes and SyncBN until a leaf
# overrides them. ImageNet-pretrained weights (open-mmlab://resnet101_v1c) are downloaded on first use.
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'

model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
