# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between mmdet ResNet-50 (teacher) and ResNet-18 (student) SSD300 backbones.
# The constants hold for SSD300's maps (75, 38, 19 px). The loss is summed over the feature, so at other map
# sizes a point's weight is scaled by (H W at 300 px) / (H W): the loss per position, and so its balance with
# the detector's losses, stays the recipe's (docs/method_zoo.md, "Loss weights at other feature sizes").
# `ofd_points` (the real config and the toy twin) has the recipe's constants; `ofd_points_toy_easy` is scaled
# to SSD160's 40, 20, 10 px maps of the easy toy twin (x3.52, 3.61, 3.61).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def stage_point(student_block, teacher_block, weight, side=None):
    """One OFD position: the pre-ReLU output of a ResNet stage, i.e. the input of the last call of the
    stage's last block `relu` (mmdet blocks call one ReLU module several times); the teacher margin
    comes from the BN feeding that ReLU (bn3 of a Bottleneck). `weight` carries the recipe's halving
    toward shallow stages (1/2^(K-1-k)) and its 1e-4 constant (the ImageNet recipe; SSD300 inputs are
    ImageNet-sized). `side`: the map side at 300 px and at the twin's input, (recipe, twin), when they
    differ."""
    if side is not None:
        weight *= (side[0] / side[1]) ** 2
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=dict(source=f'backbone.{student_block}.relu', io='input', call=-1),
        teacher=dict(source=f'backbone.{teacher_block}.relu', io='input', call=-1),
        teacher_transform=dict(bn=f'backbone.{teacher_block}.bn3'),
        loss=dict(loss_weight=weight)))
    return point


# The three stages the ResNet SSD backbones have (strides 4, 8, 16). mmdet's SSD300 neck extra layers
# have no BN, so the paper's margin cannot be computed there and they are not distilled.
ofd_points = dict(
    stage1=stage_point('layer1.1', 'layer1.2', 1e-4 / 4),
    stage2=stage_point('layer2.1', 'layer2.3', 1e-4 / 2),
    stage3=stage_point('layer3.1', 'layer3.5', 1e-4))
ofd_points_toy_easy = dict(
    stage1=stage_point('layer1.1', 'layer1.2', 1e-4 / 4, side=(75, 40)),
    stage2=stage_point('layer2.1', 'layer2.3', 1e-4 / 2, side=(38, 20)),
    stage3=stage_point('layer3.1', 'layer3.5', 1e-4, side=(19, 10)))
