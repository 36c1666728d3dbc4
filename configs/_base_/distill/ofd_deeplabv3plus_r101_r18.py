# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between mmseg DeepLabV3+ ResNet-101-D8 (teacher) and ResNet-18-D8 (student), after the
# official segmentation recipe (clovaai/overhaul-distillation, Segmentation/):
# - six positions, all before a ReLU: the four ResNet stage outputs, the ASPP output and the decoder
#   feature;
# - the per-position partial L2 loss is summed over the feature, divided by the batch size and by a
#   per-position divider [8, 4, 2, 1, 1, 16], and the total is multiplied by 1e-5; hence
#   loss_weight = 1e-5 / divider with normalize='batch';
# - teacher BN in train mode (the distiller's teacher_bn='train'), a 1x1 conv + BN connector per
#   position, the teacher margin from the BN that feeds each ReLU.
# Both backbones are dilated alike, to output stride 8 in mmseg's d8 configs (16 in the toy twins), so
# every student feature has the teacher's spatial size (stages 4/8/8/8 and decoder 4 at d8; 4/8/16/16 and
# 4 at d16; checked with tools/analysis/list_positions.py) and the connectors need no resize.
# The constants hold for the recipe's 512x512 crops at output stride 8 (map sides 128, 64, 64, 64, 64, 128).
# The loss is summed over the feature, so at other map sizes a point's weight is scaled by (H W at the
# recipe) / (H W): the loss per position, and so its balance with the per-pixel cross-entropy, stays the
# recipe's (docs/method_zoo.md, "Loss weights at other feature sizes"). `ofd_points` has the recipe's
# constants (the real config and the toy twin); `ofd_points_toy_easy` is scaled to the easy toy twin's
# 128x128 crops at output stride 16 (sides 32, 16, 8, 8, 8, 32: x16, 16, 64, 64, 64, 16).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def relu_point(student, teacher, teacher_bn, divider, scale=1.0):
    """One OFD position: the input of a ReLU at its last call (pre-activation) on both sides.

    Args:
        student (str): the student ReLU module whose input is recorded.
        teacher (str): the teacher ReLU module whose input is recorded.
        teacher_bn (str): the teacher BN feeding that ReLU (margin of the margin ReLU).
        divider (int): the official per-position divider of the loss.
        scale (float): (H W at the recipe) / (H W) of the recorded map.
    """
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=dict(source=student, io='input', call=-1),
        teacher=dict(source=teacher, io='input', call=-1),
        teacher_transform=dict(bn=teacher_bn),
        # x 1e-5 / divider (x the size scale)
        loss=dict(loss_weight=1e-5 / divider * scale)))
    return point


def stage_point(student_block, teacher_block, divider, scale=1.0):
    """A ResNet stage output before its last ReLU: mmseg blocks call one `relu` module two (BasicBlock)
    or three (Bottleneck) times, the last call takes `out + identity`; the teacher Bottleneck's `bn3`
    feeds it."""
    return relu_point(f'backbone.{student_block}.relu', f'backbone.{teacher_block}.relu',
                      f'backbone.{teacher_block}.bn3', divider, scale)


def head_point(conv_module, divider, scale=1.0):
    """The pre-ReLU output of one of the head's ConvModules (conv, bn, activate), the same module on
    both sides: the input of its `activate`, the teacher margin from its `bn`."""
    return relu_point(f'{conv_module}.activate', f'{conv_module}.activate', f'{conv_module}.bn', divider, scale)


def ofd_points_at(sides):
    """The six points with each weight scaled by (recipe side / side)^2, `sides` the map sides of stages
    1-4, the ASPP output and the decoder feature."""
    scale = [(recipe / side) ** 2 for recipe, side in zip((128, 64, 64, 64, 64, 128), sides)]
    return dict(
        stage1=stage_point('layer1.1', 'layer1.2', 8, scale[0]),
        stage2=stage_point('layer2.1', 'layer2.3', 4, scale[1]),
        stage3=stage_point('layer3.1', 'layer3.22', 2, scale[2]),
        stage4=stage_point('layer4.1', 'layer4.2', 1, scale[3]),
        aspp=head_point('decode_head.bottleneck', 1, scale[4]),
        decoder=head_point('decode_head.sep_bottleneck.1.pointwise_conv', 16, scale[5]))


# mmseg's DepthwiseSeparableASPPHead: `bottleneck` fuses the ASPP branches (the ASPP output); the
# decoder feature is the last separable conv's pointwise ConvModule, whose ReLU output feeds `conv_seg`.
ofd_points = ofd_points_at((128, 64, 64, 64, 64, 128))
ofd_points_toy_easy = ofd_points_at((32, 16, 8, 8, 8, 32))
