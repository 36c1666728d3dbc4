# OFD (Heo et al., ICCV 2019) from SSD160 VGG16 to SSD160 ResNet-18 on the easy toy set, where both start
# from toy-pretrained backbones (configs/ssd/ssd160_{vgg16,r18}_toy_easy.py). Same points as
# overhaul_ssd_vgg16_r18.py: the two backbone maps SSD predicts from, conv4_3 and fc7 before their ReLUs
# (margins estimated from the teacher's responses, VGG16 has no BN), against the ResNet-18's stages 2 and 3.
# Weights: the recipe's per position (`ofd_points_toy_easy`: 1e-4 / (2, 1) x (H W at 300 px) / (H W at
# 160 px), x3.61, 3.61).
_base_ = ['../_base_/distillers/ssd_vgg16_r18_toy_easy.py', '../_base_/distill/ofd_ssd_vgg16_r18.py']

model = dict(distill_points={{_base_.ofd_points_toy_easy}})
