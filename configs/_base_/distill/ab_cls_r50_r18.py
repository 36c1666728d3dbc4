# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): ResNet-50 -> ResNet-18.
# L = 1/N sum( 1[t > 0] relu(m - r(s))^2 + 1[t <= 0] relu(m + r(s))^2 ), margin m = 1: the student's
# pre-activations must fall on the teacher's side of each activation boundary.
# Positions: the pre-ReLU outputs of backbone stages 1-4 (the input of the last call of each stage's last
# block `relu`), a 1x1 conv + BN connector to the teacher channels (mmkd.ConvBNConnector), as the paper.
# Weights 1 / 2^(K-1-k) over the K distilled stages, halving toward shallow stages, times 3e-3: the authors'
# CIFAR constant (AB_distillation: sum / batch / 1000 * 3).
# Stages: 'ab' (the first ~15% of the schedule: the twins set the end): the AB loss alone as the
# initialisation (task loss weight 0), then 'kd': Hinton KD (tau 4, weight 0.9) plus the student's
# cross-entropy (weight 0.1), as configs/kd/ (the paper's CIFAR experiments train the initialised student with
# KD).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ab/ab_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='ab', **end, task_loss_weight=0.0,
             points=dict(stage1=1.0, stage2=1.0, stage3=1.0, stage4=1.0)),
        dict(name='kd', points=dict(kd=1.0))]


ab_points = dict(
    stage1=dict(
        student=dict(source='backbone.layer1.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer1.2.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-3 / 8)),
    stage2=dict(
        student=dict(source='backbone.layer2.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer2.3.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-3 / 4)),
    stage3=dict(
        student=dict(source='backbone.layer3.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer3.5.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-3 / 2)),
    stage4=dict(
        student=dict(source='backbone.layer4.1.relu', io='input', call=-1),
        teacher=dict(source='backbone.layer4.2.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-3 / 1)),
    kd=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=4.0, loss_weight=0.9)))
ab_stages = dict(toy=stage_list(end_iter=30), cifar100=stage_list(end_epoch=30))
