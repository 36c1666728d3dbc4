# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# L = 1/N sum( 1[t > 0] relu(m - r(s))^2 + 1[t <= 0] relu(m + r(s))^2 ), margin m = 1: the student's
# pre-activations must fall on the teacher's side of each activation boundary.
# Positions: the pre-ReLU outputs of backbone stages 1-4 (the input of the last call of each stage's last
# block `relu`), a 1x1 conv + BN connector to the teacher channels (mmkd.ConvBNConnector), as the paper.
# Weights 1 / 2^(K-1-k) over the K distilled stages, halving toward shallow stages, times 3e-5: the authors'
# CIFAR constant 3e-3 scaled as their OFD recipes (the same summed, batch-divided loss) scale theirs from
# CIFAR: 1/100 for 512 px segmentation.
# Stages: 'ab' (the first ~15% of the schedule: the twins set the end): the AB loss alone as the
# initialisation (task loss weight 0), then 'task': the student's own losses alone (the KD of the paper's
# CIFAR stage 2 is for classifiers).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ab/ab_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='ab', **end, task_loss_weight=0.0,
             points=dict(stage1=1.0, stage2=1.0, stage3=1.0, stage4=1.0)),
        dict(name='task', points=dict())]


ab_points = dict(
    stage1=dict(
        student=dict(source='backbone.layer1.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer1.2.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-5 / 8)),
    stage2=dict(
        student=dict(source='backbone.layer2.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer2.3.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-5 / 4)),
    stage3=dict(
        student=dict(source='backbone.layer3.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer3.22.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-5 / 2)),
    stage4=dict(
        student=dict(source='backbone.layer4.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer4.2.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-5 / 1)))
ab_stages = dict(toy=stage_list(end_iter=30), voc12aug=stage_list(end_iter=6000))
