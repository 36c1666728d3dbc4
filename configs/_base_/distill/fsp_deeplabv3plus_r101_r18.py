# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# Pairs and their loss: _base_/distill/fsp_resnet.py.
# Two stages as in the paper: 'fsp' (the first ~15% of the schedule: the twins set the end): the FSP loss
# alone (task loss weight 0), then 'task': the student's own losses alone (no point is active, so the teacher
# forward is skipped).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/fsp/fsp_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data, stage ends) is said in their headers.
_base_ = ['./fsp_resnet.py']


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='fsp', **end, task_loss_weight=0.0,
             points=dict(pair1=1.0, pair2=1.0, pair3=1.0, pair4=1.0)),
        dict(name='task', points=dict())]


fsp_stages = dict(toy=stage_list(end_iter=30), voc12aug=stage_list(end_iter=6000))
