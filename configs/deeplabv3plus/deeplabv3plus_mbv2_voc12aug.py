# DeepLabV3+ MobileNetV2-D8 on PASCAL VOC 2012 aug (a segmentation student): the data, schedule and
# runtime of the ResNet-101 zoo config (deeplabv3plus_r101_voc12aug.py), with mmseg's MobileNetV2
# DeepLabV3+ model. ImageNet-pretrained mmcls://mobilenet_v2 is downloaded on first use.
_base_ = [
    '../_base_/models/deeplabv3plus_mbv2.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]

data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
