# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between mmseg DeepLabV3+ ResNet-101-D8 (teacher) and MobileNetV2-D8 (student), after the
# official segmentation recipe (clovaai/overhaul-distillation, Segmentation/):
# - six positions, all before an activation: four backbone features, the ASPP output and the decoder
#   feature;
# - the per-position partial L2 loss is summed over the feature, divided by the batch size and by a
#   per-position divider [8, 4, 2, 1, 1, 16], and the total is multiplied by 1e-5; hence
#   loss_weight = 1e-5 / divider with normalize='batch';
# - teacher BN in train mode (the distiller's teacher_bn='train'), a 1x1 conv + BN connector per
#   position, the teacher margin from the BN that feeds each ReLU.
# Teacher side: the four ResNet stage outputs before their last ReLU. Student side (the official MobileNetV2
# choice): the pre-ReLU6 output (conv + BN) of the expansion conv of the blocks that start the 32-, 64- and
# 160-channel layers (mmseg's layer3.0, layer4.0, layer6.0: 144, 192 and 576 channels at strides 4, 8 and 8
# of the d8 model, 4, 8 and 16 of the toy d16 one), and the last feature, the 320-channel output of layer7.
# That last one has no activation of its own: MobileNetV2's linear bottleneck ends in conv + BN without
# ReLU6. It is still a pre-activation feature: the block output is linear and is what the ASPP convolutions
# (each followed by a ReLU) read, i.e. the pre-activation of what follows, as the teacher's stage-4 pre-ReLU
# output is. The dilated d8 (and toy d16) models give matching spatial sizes (checked with
# tools/analysis/list_positions.py); the connectors still interpolate bilinearly (resize='bilinear', a no-op
# at equal sizes) so that a MobileNetV2 with another output stride can be distilled unchanged.
# The constants hold for the recipe's 512x512 crops at output stride 8 (teacher map sides 128, 64, 64, 64, 64,
# 128). The loss is summed over the feature, so at other map sizes a point's weight is scaled by (H W at the
# recipe) / (H W) (docs/method_zoo.md, "Loss weights at other feature sizes"). `ofd_points` has the recipe's
# constants (the real config and the toy twin); `ofd_points_toy_easy` is scaled to the easy toy twin's
# 128x128 crops at output stride 16 (sides 32, 16, 8, 8, 8, 32: x16, 16, 64, 64, 64, 16).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def mbv2_point(student, teacher, teacher_bn, divider, scale=1.0):
    """One OFD position: a pre-activation student feature against a pre-ReLU teacher feature.

    Args:
        student (dict): the student recorder (``ModuleRecorder`` kwargs).
        teacher (str): the teacher ReLU module whose input (last call) is recorded.
        teacher_bn (str): the teacher BN feeding that ReLU (margin of the margin ReLU).
        divider (int): the official per-position divider of the loss.
        scale (float): (H W at the recipe) / (H W) of the recorded teacher map.
    """
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=student,
        teacher=dict(source=teacher, io='input', call=-1),
        # resized to the teacher's spatial size if it differs
        connector=dict(resize='bilinear'),
        teacher_transform=dict(bn=teacher_bn),
        # x 1e-5 / divider (x the size scale)
        loss=dict(loss_weight=1e-5 / divider * scale)))
    return point


def stage_point(student_layer, teacher_block, divider, scale=1.0):
    """Student: the input of the ReLU6 after the expansion conv + BN of `student_layer`'s first block.
    Teacher: a ResNet stage output before its last ReLU (the last of the three calls of the Bottleneck's
    `relu`, fed by `bn3`)."""
    return mbv2_point(
        dict(source=f'backbone.{student_layer}.0.conv.0.activate', io='input', call=-1),
        f'backbone.{teacher_block}.relu', f'backbone.{teacher_block}.bn3', divider, scale)


def head_point(conv_module, divider, scale=1.0):
    """The pre-ReLU output of one of the head's ConvModules (conv, bn, activate), the same module on
    both sides: the input of its `activate`, the teacher margin from its `bn`."""
    return mbv2_point(dict(source=f'{conv_module}.activate', io='input', call=-1),
                      f'{conv_module}.activate', f'{conv_module}.bn', divider, scale)


# mmseg's DepthwiseSeparableASPPHead: `bottleneck` fuses the ASPP branches (the ASPP output); the
# decoder feature is the last separable conv's pointwise ConvModule, whose ReLU output feeds `conv_seg`.
def ofd_points_at(sides):
    """The six points with each weight scaled by (recipe side / side)^2, `sides` the teacher map sides of
    stages 1-4, the ASPP output and the decoder feature."""
    scale = [(recipe / side) ** 2 for recipe, side in zip((128, 64, 64, 64, 64, 128), sides)]
    return dict(
        stage1=stage_point('layer3', 'layer1.2', 8, scale[0]),
        stage2=stage_point('layer4', 'layer2.3', 4, scale[1]),
        stage3=stage_point('layer6', 'layer3.22', 2, scale[2]),
        # the linear (no activation) 320-channel output of the last inverted residual layer, see above
        stage4=mbv2_point(dict(source='backbone.layer7', io='output'), 'backbone.layer4.2.relu',
                          'backbone.layer4.2.bn3', 1, scale[3]),
        aspp=head_point('decode_head.bottleneck', 1, scale[4]),
        decoder=head_point('decode_head.sep_bottleneck.1.pointwise_conv', 16, scale[5]))


ofd_points = ofd_points_at((128, 64, 64, 64, 64, 128))
ofd_points_toy_easy = ofd_points_at((32, 16, 8, 8, 8, 32))
