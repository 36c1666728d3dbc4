# Overhaul feature distillation points (Heo et al., ICCV 2019) from mmdet's SSD300 VGG16 (teacher) to the
# SSD300 ResNet-18 student, at the two backbone maps SSD300 predicts from: conv4_3 (38x38) and fc7 (19x19).
# VGG16 has no BN, so the paper's margin E[t | t < 0] cannot be read off a BN Gaussian; it is estimated
# from the teacher's pre-ReLU responses over the first training batches (mmkd.MarginReLU, estimate_batches).
# The partial L2 is summed over the feature, so at other map sizes a point's weight is scaled by (H W at
# 300 px) / (H W) (docs/method_zoo.md, "Loss weights at other feature sizes"): `ofd_points` (the real config and
# the toy twin) has the recipe's constants, `ofd_points_toy_easy` is scaled to SSD160's 20 and 10 px maps of the
# easy toy twin (x3.61, 3.61).
# What every OFD position shares (connector, margin ReLU, partial L2): _base_/distill/ofd.py.
_base_ = ['./ofd.py']
__ofd_point = _base_.pop('ofd_point')


def vgg_point(student_block, teacher_relu, weight):
    point = __ofd_point.deepcopy()
    point.merge(dict(
        # student: pre-ReLU output of a ResNet stage (input of the last call of its last block's relu)
        student=dict(source=f'backbone.{student_block}.relu', io='input', call=-1),
        # teacher: pre-ReLU conv output (input of the in-place ReLU that follows it)
        teacher=dict(source=f'backbone.features.{teacher_relu}', io='input'),
        teacher_transform=dict(estimate_batches=20),
        loss=dict(loss_weight=weight)))
    return point


# weights halve toward the shallower position; 1e-4 is the ImageNet recipe's constant
ofd_points = dict(
    conv4_3=vgg_point('layer2.1', 22, 1e-4 / 2),
    fc7=vgg_point('layer3.1', 34, 1e-4))
ofd_points_toy_easy = dict(
    conv4_3=vgg_point('layer2.1', 22, 1e-4 / 2 * (38 / 20) ** 2),
    fc7=vgg_point('layer3.1', 34, 1e-4 * (19 / 10) ** 2))
