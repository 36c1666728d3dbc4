# Toy twin of overhaul_ssd_vgg16_mbv2.py, with the toy teacher trained first by
#   python tools/train.py configs/ssd/ssd300_vgg16_toy.py
_base_ = ['../_base_/distillers/ssd_vgg16_mbv2_toy.py', '../_base_/distill/ofd_ssd_vgg16_mbv2.py']

# VGG16 has no BN: the distiller base's teacher_bn='eval' and 'train' coincide for the teacher
model = dict(distill_points={{_base_.ofd_points}})
