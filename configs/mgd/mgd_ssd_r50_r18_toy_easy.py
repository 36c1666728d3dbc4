# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD160 ResNet-50 -> ResNet-18 on the easy
# toy set (160x160 inputs, SSD160: backbone maps 40, 20, 10 px, neck levels 20, 10, 5, 3, 1 px; both from
# backbones pretrained on the easy toy images). Points: _base_/distill/mgd_ssd_r50_r18.py
# (`mgd_points_toy_easy`: SSD160's five levels, alpha per position as the recipe's).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/mgd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.mgd_points_toy_easy}})
