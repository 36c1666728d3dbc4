# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# L = 1/N sum( 1[t > 0] relu(m - r(s))^2 + 1[t <= 0] relu(m + r(s))^2 ), margin m = 1: the student's
# pre-activations must fall on the teacher's side of each activation boundary.
# Positions: the pre-ReLU outputs of backbone stages 1-4 (the input of the last call of each stage's last
# block `relu`), a 1x1 conv + BN connector to the teacher channels (mmkd.ConvBNConnector), as the paper.
# Weights 1 / 2^(K-1-k) over the K distilled stages, halving toward shallow stages, times 3e-5: the authors'
# CIFAR constant 3e-3 scaled as their OFD recipes (the same summed, batch-divided loss) scale theirs from
# CIFAR: 1/100 for 512 px segmentation. The loss is summed over the feature, so at other map sizes a point's
# weight is scaled by (H W at the 512x512 crops, output stride 8) / (H W) (docs/method_zoo.md, "Loss weights at
# other feature sizes"): `ab_points` has the recipe's weights (the real and toy twins), `ab_points_toy_easy`
# those of the easy toy twin's 128x128 crops at output stride 16 (sides 32, 16, 8, 8: x16, 16, 64, 64).
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


def ab_points_at(sides):
    """The four AB points (the last block of each stage: ResNet-18 blocks 1, 1, 1, 1 against ResNet-101's 2, 3,
    22, 2), weight 3e-5 / (8, 4, 2, 1) x (recipe side / side)^2 for the map sides `sides`."""
    blocks = (('1', '2'), ('1', '3'), ('1', '22'), ('1', '2'))
    return {
        f'stage{k}': dict(
            student=dict(source=f'backbone.layer{k}.{s}.relu', io='input', call=-1),
            teacher=dict(source=f'backbone.layer{k}.{t}.relu', io='input', call=-1),
            connector=dict(type='mmkd.ConvBNConnector'),
            loss=dict(type='mmkd.ABLoss', margin=1.0,
                      loss_weight=3e-5 / 2 ** (4 - k) * (recipe / side) ** 2))
        for k, (s, t), recipe, side in zip((1, 2, 3, 4), blocks, (128, 64, 64, 64), sides)}


ab_points = ab_points_at((128, 64, 64, 64))
ab_points_toy_easy = ab_points_at((32, 16, 8, 8))
ab_stages = dict(toy=stage_list(end_iter=30), voc12aug=stage_list(end_iter=6000))
