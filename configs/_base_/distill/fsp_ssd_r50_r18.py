# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): SSD300 ResNet-50 -> ResNet-18.
# Pairs and their loss: _base_/distill/fsp_resnet.py; here backbone stages 2 and 3 of the three the SSD ResNets
# have. Stage 1 (backbone.layer1) is left out: the real student freezes its stem and layer1 (mmdet's
# frozen_stages=1 for the ImageNet-initialised backbone), so a loss there would train nothing.
# Two stages as in the paper: 'fsp' (the first ~15% of the schedule: the twins set the end): the FSP loss
# alone (task loss weight 0), then 'task': the student's own losses alone (no point is active, so the teacher
# forward is skipped).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/fsp/fsp_ssd_r50_r18_{toy,voc0712}.py; what differs
# between them (data, stage ends) is said in their headers.
_base_ = ['./fsp_resnet.py']


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='fsp', **end, task_loss_weight=0.0,
             points=dict(pair2=1.0, pair3=1.0)),
        dict(name='task', points=dict())]


fsp_points = dict(_delete_=True, pair2=_base_.fsp_points.pair2, pair3=_base_.fsp_points.pair3)
fsp_stages = dict(toy=stage_list(end_iter=30), voc0712=stage_list(end_epoch=4))
