# OFD (Heo et al., ICCV 2019): mmdet's SSD300 VGG16 teacher -> SSDLite MobileNetV2 student (300x300) on PASCAL
# VOC 07+12. The teacher normalises inputs with std 1 (caffe VGG), the student with the ImageNet std: the
# distiller re-normalises the shared batch for the teacher.
# Teacher: mmdet's published SSD300 VGG16 VOC 07+12 model, downloaded on first use (nothing to train).
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_vgg16_mbv2_voc0712.py', '../_base_/distill/ofd_ssd_vgg16_mbv2.py']

# VGG16 has no BN: the distiller base's teacher_bn='eval' and 'train' coincide for the teacher
model = dict(distill_points={{_base_.ofd_points}})
