# DeepLabV3+ ResNet-18-D8 on PASCAL VOC 2012 aug (a segmentation student): the data, schedule and
# runtime of the ResNet-101 zoo config (deeplabv3plus_r101_voc12aug.py), with mmseg's ResNet-18 model.
# ImageNet-pretrained open-mmlab://resnet18_v1c is downloaded on first use.
_base_ = [
    '../_base_/models/deeplabv3plus_r18.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]

# 21 classes (background + 20); the preprocessor pads each training batch to the 512x512 crop
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
