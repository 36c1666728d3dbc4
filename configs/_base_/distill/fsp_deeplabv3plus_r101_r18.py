# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# G[i, j] = sum_{h,w} F1[i, h, w] F2[j, h, w] / (h w) between the first and last feature of a stage; L = sum_k
# lambda_k 1/N sum_x ||G_s^k(x) - G_t^k(x)||_2^2.
# Pairs: for backbone stages 1-4, the output of the first block and of the stage (backbone.layerK.0,
# backbone.layerK: the same resolution, the first and last layers of a section as in the paper), one point per
# pair with a list of two positions. The student maps reach the teacher's channels through a 1x1 conv + BN per
# position (mmkd.ConvBNConnector), since the paper's student and teacher had equal widths and G_s, G_t must
# have the same shape. lambda equal for all pairs, as in the paper, on the mean over the C x C entries of each
# G (loss_weight = 1 / C_teacher^2, the per-entry mean of the benchmark implementation of Tian et al., ICLR
# 2020), so wide stages do not dominate.
# Two stages as in the paper: 'fsp' (the first ~15% of the schedule: the twins set the end): the FSP loss
# alone (task loss weight 0), then 'task': the student's own losses alone (no point is active, so the teacher
# forward is skipped).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/fsp/fsp_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='fsp', **end, task_loss_weight=0.0,
             points=dict(pair1=1.0, pair2=1.0, pair3=1.0, pair4=1.0)),
        dict(name='task', points=dict())]


fsp_points = dict(
    pair1=dict(student=['backbone.layer1.0', 'backbone.layer1'],
               teacher=['backbone.layer1.0', 'backbone.layer1'],
               connector=dict(type='mmkd.ConvBNConnector'),
               loss=dict(type='mmkd.FSPLoss', loss_weight=1 / (256 * 256))),
    pair2=dict(student=['backbone.layer2.0', 'backbone.layer2'],
               teacher=['backbone.layer2.0', 'backbone.layer2'],
               connector=dict(type='mmkd.ConvBNConnector'),
               loss=dict(type='mmkd.FSPLoss', loss_weight=1 / (512 * 512))),
    pair3=dict(student=['backbone.layer3.0', 'backbone.layer3'],
               teacher=['backbone.layer3.0', 'backbone.layer3'],
               connector=dict(type='mmkd.ConvBNConnector'),
               loss=dict(type='mmkd.FSPLoss', loss_weight=1 / (1024 * 1024))),
    pair4=dict(student=['backbone.layer4.0', 'backbone.layer4'],
               teacher=['backbone.layer4.0', 'backbone.layer4'],
               connector=dict(type='mmkd.ConvBNConnector'),
               loss=dict(type='mmkd.FSPLoss', loss_weight=1 / (2048 * 2048))))
fsp_stages = dict(toy=stage_list(end_iter=30), voc12aug=stage_list(end_iter=6000))
