# OFD (Heo et al., ICCV 2019) from SSD160 ResNet-50 to ResNet-18 on the easy toy set, where both start
# from toy-pretrained backbones (configs/ssd/*_toy_easy.py). Same points as overhaul_ssd_r50_r18.py: the
# three backbone stages before their last ReLU, teacher BN in train mode. Weights: the recipe's per position
# (`ofd_points_toy_easy`: 1e-4 / (4, 2, 1) x (H W at 300 px) / (H W at 160 px), x3.52, 3.61, 3.61).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/ofd_ssd_r50_r18.py']

model = dict(teacher_bn='train', distill_points={{_base_.ofd_points_toy_easy}})
