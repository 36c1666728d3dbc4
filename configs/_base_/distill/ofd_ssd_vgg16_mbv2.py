# Overhaul feature distillation points (Heo et al., ICCV 2019) from mmdet's SSD300 VGG16 (teacher) to the
# SSDLite MobileNetV2 student, at the two backbone maps SSD300 predicts from: conv4_3 (38x38, stride 8) and
# fc7 (19x19, stride 16). Teacher side as for the ResNet-18 student (_base_/distill/ofd_ssd_vgg16_r18.py):
# VGG16 has no BN, so the margin E[t | t < 0] is estimated from the teacher's pre-ReLU responses over the first
# training batches (mmkd.MarginReLU, estimate_batches). Student side as from the ResNet-50 teacher
# (_base_/distill/ofd_ssd_r50_mbv2.py): the pre-ReLU6 expansion conv + BN of the blocks that start the 64- and
# 160-channel layers (layer4.0, layer6.0: 192 and 576 channels), the last features at strides 8 and 16 -- 38
# and 19 px, the teacher's sizes; the connectors interpolate bilinearly only if another input size makes
# them differ.
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def vgg_point(student_layer, teacher_relu, weight):
    point = __ofd_point.deepcopy()
    point.merge(dict(
        # student: input of the ReLU6 after the expansion conv + BN of the layer's first block
        student=dict(source=f'backbone.{student_layer}.0.expand_conv.activate', io='input', call=-1),
        # teacher: pre-ReLU conv output (input of the in-place ReLU that follows it)
        teacher=dict(source=f'backbone.features.{teacher_relu}', io='input'),
        connector=dict(resize='bilinear'),
        teacher_transform=dict(estimate_batches=20),
        loss=dict(loss_weight=weight)))
    return point


# weights halve toward the shallower position; 1e-4 is the ImageNet recipe's constant
ofd_points = dict(
    conv4_3=vgg_point('layer4', 22, 1e-4 / 2),
    fc7=vgg_point('layer6', 34, 1e-4))
