# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between the 32x32 classification ResNet-50 (teacher) and ResNet-18 (student) of
# configs/cls (deep stem, strides 1, 1, 2, 1: both have 8, 8, 4, 4 px stage maps at 32 px, so no resize).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def stage_point(student_block, teacher_block, weight):
    """One OFD position: the pre-ReLU output of a ResNet stage, i.e. the input of the last call of the
    stage's last block `relu` (mmdet blocks call one ReLU module several times); the teacher margin
    comes from the BN feeding that ReLU (bn3 of a Bottleneck). `weight` carries the recipe's halving
    toward shallow stages (1/2^(K-1-k)) and its 1e-3 constant (the CIFAR recipe)."""
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=dict(source=f'backbone.{student_block}.relu', io='input', call=-1),
        teacher=dict(source=f'backbone.{teacher_block}.relu', io='input', call=-1),
        teacher_transform=dict(bn=f'backbone.{teacher_block}.bn3'),
        loss=dict(loss_weight=weight)))
    return point


# All four stages, as the official CIFAR/ImageNet ResNet recipe (K = 4): the last block of each
# ResNet-18 stage (BasicBlock x 2) against the last block of each ResNet-50 stage (Bottleneck x 3, 4,
# 6, 3). Channels 64/128/256/512 -> 256/512/1024/2048.
ofd_points = dict(
    stage1=stage_point('layer1.1', 'layer1.2', 1e-3 / 8),
    stage2=stage_point('layer2.1', 'layer2.3', 1e-3 / 4),
    stage3=stage_point('layer3.1', 'layer3.5', 1e-3 / 2),
    stage4=stage_point('layer4.1', 'layer4.2', 1e-3))
