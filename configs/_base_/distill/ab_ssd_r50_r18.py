# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): SSD300 ResNet-50 -> ResNet-18.
# L = 1/N sum( 1[t > 0] relu(m - r(s))^2 + 1[t <= 0] relu(m + r(s))^2 ), margin m = 1: the student's
# pre-activations must fall on the teacher's side of each activation boundary.
# Positions: the pre-ReLU outputs of backbone stages 2-3 (the input of the last call of each stage's last
# block `relu`), a 1x1 conv + BN connector to the teacher channels (mmkd.ConvBNConnector), as the paper.
# Weights 1 / 2^(K-1-k) over the K distilled stages, halving toward shallow stages, times 3e-4: the authors'
# CIFAR constant 3e-3 scaled as their OFD recipes (the same summed, batch-divided loss) scale theirs from
# CIFAR: 1/10 for ImageNet-sized inputs. Stage 1 (backbone.layer1) is left out: the real student freezes its
# stem and layer1 (mmdet's frozen_stages=1 for the ImageNet-initialised backbone), so a loss there would train
# nothing.
# The loss is summed over the feature, so at other map sizes a point's weight is scaled by (H W at 300 px) /
# (H W) (docs/method_zoo.md, "Loss weights at other feature sizes"): `ab_points` has the recipe's weights (the
# real and toy twins), `ab_points_toy_easy` those of the easy toy twin's SSD160 maps (20, 10 px: x3.61, 3.61).
# Stages: 'ab' (the first ~15% of the schedule: the twins set the end): the AB loss alone as the
# initialisation (task loss weight 0), then 'task': the student's own losses alone (the KD of the paper's
# CIFAR stage 2 is for classifiers).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ab/ab_ssd_r50_r18_{toy,voc0712}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='ab', **end, task_loss_weight=0.0,
             points=dict(stage2=1.0, stage3=1.0)),
        dict(name='task', points=dict())]


def ab_points_at(sides):
    """The AB points of stages 2-3 (ResNet-18 block 1 against ResNet-50's 3 and 5), weight 3e-4 / (2, 1) x
    (side at 300 px / side)^2 for the map sides `sides`."""
    return {
        f'stage{k}': dict(
            student=dict(source=f'backbone.layer{k}.1.relu', io='input', call=-1),
            teacher=dict(source=f'backbone.layer{k}.{t}.relu', io='input', call=-1),
            connector=dict(type='mmkd.ConvBNConnector'),
            loss=dict(type='mmkd.ABLoss', margin=1.0, loss_weight=3e-4 / 2 ** (3 - k) * (recipe / side) ** 2))
        for k, t, recipe, side in zip((2, 3), (3, 5), (38, 19), sides)}


ab_points = ab_points_at((38, 19))
ab_points_toy_easy = ab_points_at((20, 10))
ab_stages = dict(toy=stage_list(end_iter=30), voc0712=stage_list(end_epoch=4))
