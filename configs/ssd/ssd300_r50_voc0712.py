# SSD300 with a ResNet-50 backbone on PASCAL VOC 07+12 (the detection teacher). Everything but the
# backbone, the neck/head input widths and the input std is SSD300-VGG16's VOC config
# (ssd300_vgg16_voc0712.py). ImageNet-pretrained ResNet-50 from torchvision, downloaded on first use.
_base_ = [
    '../_base_/models/ssd300_r50.py', '../_base_/datasets/voc0712_det.py',
    '../_base_/schedules/ssd300_voc0712_24e.py', '../_base_/default_runtime_det.py'
]

# 20 VOC classes; VOC's smaller anchor range (0.2-0.9 of the image instead of COCO's 0.15-0.9), as
# mmdet's SSD300 VOC config
model = dict(bbox_head=dict(num_classes=20, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
