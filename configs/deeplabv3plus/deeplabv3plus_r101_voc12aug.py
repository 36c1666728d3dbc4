# DeepLabV3+ ResNet-101-D8 on PASCAL VOC 2012 + SBD (aug), 512x512 crops, 40k iterations on 4 GPUs x 4
# images (the segmentation teacher): mmseg's own zoo config, unchanged (ImageNet-pretrained
# open-mmlab://resnet101_v1c is downloaded on first use). The distillation configs take mmseg's published
# checkpoint of this config as their teacher (_base_/distillers/deeplabv3plus_r101_*_voc12aug.py).
_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py'
