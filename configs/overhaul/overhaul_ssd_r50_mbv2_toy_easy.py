# OFD (Heo et al., ICCV 2019) from SSD160 ResNet-50 to SSDLite MobileNetV2 on the easy toy set, where both
# start from toy-pretrained backbones (configs/ssd/ssd160_r50_toy_easy.py, ssdlite_mbv2_toy_easy.py). Same
# points as overhaul_ssd_r50_mbv2.py: the teacher's three stages before their last ReLU, the student's
# expansion conv + BN before its ReLU6 in the first block of layers 3, 4 and 6, teacher BN in train mode.
# Weights: the recipe's per position (`ofd_points_toy_easy`: 1e-4 / (4, 2, 1) x (H W at 300 px) / (H W at
# 160 px), x3.52, 3.61, 3.61).
_base_ = ['../_base_/distillers/ssd_r50_mbv2_toy_easy.py', '../_base_/distill/ofd_ssd_r50_mbv2.py']

model = dict(teacher_bn='train', distill_points={{_base_.ofd_points_toy_easy}})
