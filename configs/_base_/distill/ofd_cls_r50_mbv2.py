# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between the 32x32 classification ResNet-50 (teacher) and mmseg's MobileNetV2 (student) of
# configs/cls.
#
# Teacher side: as for ResNet-18, the pre-ReLU output of each of the four ResNet-50 stages (8, 8, 4, 4
# px; 256, 512, 1024, 2048 channels), margin from the last block's bn3.
#
# Student side: the official ImageNet ResNet-50 -> MobileNet (v1) recipe distils the student's pre-ReLU
# features at the ends of the stages whose resolution matches the teacher's stages. MobileNetV2's
# stages are its seven layers; the cls config's strides (1, 1, 1, 2, 1, 2, 1) after the stride-2 stem
# give maps of 16, 16, 16, 8, 8, 4, 4 px. The points use the outputs of layers 4, 5, 6 and 7 (64, 96,
# 160, 320 channels; 8, 8, 4, 4 px), which have the teacher stages' strides (4, 4, 8, 8), so no
# connector resize is needed: layers 4 and 5 are the two 8 px stages, like ResNet layer1 and layer2,
# and layers 6 and 7 the two 4 px stages, like layer3 and layer4. (Layer 3, the last 16 px layer, has
# stride 2, finer than any teacher stage: pairing it would need resize='bilinear' on the connector.)
# Each of these outputs is pre-activation: a MobileNetV2 block ends with a linear bottleneck (1x1
# projection conv + BN with no activation, Sandler et al., CVPR 2018, Sec. 3.2), plus the identity
# shortcut where the block keeps its shape, so the layer output is signed and no ReLU has clipped its
# negative part; the next ReLU6 only follows the next block's expansion conv. These signed responses
# are what the partial L2 compares with the teacher's margin-ReLU'd pre-ReLU feature. The expansion
# conv's pre-ReLU6 input of the next block (what list_positions suggests for a MobileNetV2 teacher,
# which needs a BN for its margin) would already belong to the next stage.
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def layer_point(student_layer, teacher_block, weight):
    """One OFD position: the linear-bottleneck output of a MobileNetV2 layer (student) against the
    pre-ReLU output of a ResNet-50 stage (input of the last call of its last block `relu`, margin from
    that block's bn3). `weight` carries the recipe's halving toward shallow stages (1/2^(K-1-k)) and its
    1e-3 constant (the CIFAR recipe)."""
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=dict(source=f'backbone.{student_layer}', io='output', call=-1),
        teacher=dict(source=f'backbone.{teacher_block}.relu', io='input', call=-1),
        teacher_transform=dict(bn=f'backbone.{teacher_block}.bn3'),
        loss=dict(loss_weight=weight)))
    return point


# K = 4 points, one per ResNet-50 stage. Channels 64/96/160/320 -> 256/512/1024/2048.
ofd_points = dict(
    stage1=layer_point('layer4', 'layer1.2', 1e-3 / 8),
    stage2=layer_point('layer5', 'layer2.3', 1e-3 / 4),
    stage3=layer_point('layer6', 'layer3.5', 1e-3 / 2),
    stage4=layer_point('layer7', 'layer4.2', 1e-3))
