# SSD300 with its original VGG16 backbone on PASCAL VOC 07+12: mmdet's own zoo config, unchanged
# (ImageNet-pretrained VGG16 caffe weights are downloaded on first use). The ResNet variants here share
# its data pipeline, schedule and runtime.
_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'
