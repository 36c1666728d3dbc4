# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017) between a ResNet-50/101 teacher (Bottleneck stages of 256, 512, 1024, 2048 channels)
# and a ResNet-18 student, shared by the classification, segmentation and detection pairs
# (_base_/distill/fsp_<task>_<teacher>_r18.py).
# G[i, j] = sum_{h,w} F1[i, h, w] F2[j, h, w] / (h w) between the first and last feature of a stage; L = sum_k
# lambda_k 1/N sum_x ||G_s^k(x) - G_t^k(x)||_2^2.
# Pairs: for backbone stage K, the output of the first block and of the stage (backbone.layerK.0,
# backbone.layerK: the same resolution, the first and last layers of a section as in the paper), one point per
# pair with a list of two positions. The student maps reach the teacher's channels through a 1x1 conv + BN per
# position (mmkd.ConvBNConnector), since the paper's student and teacher had equal widths and G_s, G_t must
# have the same shape. lambda equal for all pairs, as in the paper, on the mean over the C x C entries of each
# G (loss_weight = 1 / C_teacher^2, the per-entry mean of the benchmark implementation of Tian et al., ICLR
# 2020), so wide stages do not dominate.


def pair(stage, channels):
    """The FSP point of backbone stage `stage`, whose teacher maps have `channels` channels."""
    positions = [f'backbone.layer{stage}.0', f'backbone.layer{stage}']
    return dict(student=positions, teacher=list(positions), connector=dict(type='mmkd.ConvBNConnector'),
                loss=dict(type='mmkd.FSPLoss', loss_weight=1 / (channels * channels)))


fsp_points = dict(pair1=pair(1, 256), pair2=pair(2, 512), pair3=pair(3, 1024), pair4=pair(4, 2048))
