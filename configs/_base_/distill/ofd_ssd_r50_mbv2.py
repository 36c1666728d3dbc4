# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between the mmdet ResNet-50 SSD300 backbone (teacher) and the MobileNetV2 of the SSDLite student.
# Teacher side as for the ResNet-18 student (_base_/distill/ofd_ssd_r50_r18.py): the three stage outputs
# before their last ReLU (strides 4, 8, 16: 75, 38 and 19 px at 300 px), margin from the BN feeding it.
# Student side, the rule of the official MobileNetV2 recipe (as _base_/distill/ofd_deeplabv3plus_r101_mbv2.py):
# the pre-ReLU6 output (conv + BN) of the expansion conv of the blocks that start the 32-, 64- and 160-channel
# layers (mmdet's layer3.0, layer4.0, layer6.0: 144, 192 and 576 channels). A 1x1 expansion keeps its input's
# size, so these are the last features at strides 4, 8 and 16 -- 75, 38 and 19 px, the teacher's sizes
# (checked with tools/analysis/list_positions.py and tests/test_configs/test_ssdlite_mbv2.py); the connectors still
# interpolate bilinearly (a no-op at equal sizes) so that another input size can be distilled unchanged.
# Loss weights as for the ResNet-18 student: 1e-4 at the deepest point, halved per stage toward the shallow ones.
# The constants hold for SSD300's maps (75, 38, 19 px). The loss is summed over the feature, so at other map
# sizes a point's weight is scaled by (H W at 300 px) / (H W), as _base_/distill/ofd_ssd_r50_r18.py does:
# `ofd_points` (the real config and the toy twin) has the recipe's constants; `ofd_points_toy_easy` is scaled
# to the 40, 20, 10 px maps of the easy toy twin at 160 px (x3.52, 3.61, 3.61).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def layer_point(student_layer, teacher_block, weight, side=None):
    """Student: the input of the ReLU6 after the expansion conv + BN of `student_layer`'s first block (mmdet's
    InvertedResidual names that ConvModule `expand_conv`). Teacher: a ResNet stage output before its last ReLU
    (the last of the three calls of the Bottleneck's `relu`, fed by `bn3`). `side`: the map side at 300 px
    and at the twin's input, (recipe, twin), when they differ; the weight is then scaled by (recipe / twin)^2."""
    if side is not None:
        weight *= (side[0] / side[1]) ** 2
    point = __ofd_point.deepcopy()
    point.merge(dict(
        student=dict(source=f'backbone.{student_layer}.0.expand_conv.activate', io='input', call=-1),
        teacher=dict(source=f'backbone.{teacher_block}.relu', io='input', call=-1),
        # resized to the teacher's spatial size if it differs
        connector=dict(resize='bilinear'),
        teacher_transform=dict(bn=f'backbone.{teacher_block}.bn3'),
        loss=dict(loss_weight=weight)))
    return point


# mmdet's SSD300 neck extra layers of the teacher have no BN, so the paper's margin cannot be computed
# there and they are not distilled.
ofd_points = dict(
    stage1=layer_point('layer3', 'layer1.2', 1e-4 / 4),
    stage2=layer_point('layer4', 'layer2.3', 1e-4 / 2),
    stage3=layer_point('layer6', 'layer3.5', 1e-4))
ofd_points_toy_easy = dict(
    stage1=layer_point('layer3', 'layer1.2', 1e-4 / 4, side=(75, 40)),
    stage2=layer_point('layer4', 'layer2.3', 1e-4 / 2, side=(38, 20)),
    stage3=layer_point('layer6', 'layer3.5', 1e-4, side=(19, 10)))
