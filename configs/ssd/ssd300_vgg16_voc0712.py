# SSD300 with its original VGG16 backbone on PASCAL VOC 07+12: mmdet's own zoo config, unchanged
# (ImageNet-pretrained VGG16 caffe weights are downloaded on first use). The ResNet variants here share
# its data pipeline, schedule and runtime. The distillation configs take mmdet's published checkpoint of this
# config as their teacher (_base_/distillers/ssd_vgg16_r18_voc0712.py).
_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'
