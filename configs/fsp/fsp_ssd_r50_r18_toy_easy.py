# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): SSD160 ResNet-50 -> ResNet-18 on the easy toy set (160x160 inputs, SSD160: backbone
# maps 40, 20, 10 px, neck levels 20, 10, 5, 3, 1 px; both from backbones pretrained on the easy toy images).
# Stage 'fsp' until end_iter=30 (15% of the easy student's 200-iteration schedule; --iters 600 of
# tools/misc/cached_train.py and tools/analysis/seed_table.py rescales it with the schedule, to 90). Points
# and stages: _base_/distill/fsp_ssd_r50_r18.py (the toy twin's).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/fsp_ssd_r50_r18.py']

model = dict(
    distill_points={{_base_.fsp_points}},
    stages={{_base_.fsp_stages.toy}})

find_unused_parameters = True
