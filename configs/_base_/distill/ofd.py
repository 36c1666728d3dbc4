# Overhaul feature distillation (OFD; Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019): what every OFD position shares. The points of a teacher/student pair
# (_base_/distill/ofd_<task>_<teacher>_<student>.py) inherit this file and fill in, per position, the
# student and teacher recorders (a pre-activation feature on both sides), where the teacher's margin
# comes from (`teacher_transform.bn`, the BN feeding the teacher's ReLU, or `estimate_batches` where the
# teacher has no BN), `loss.loss_weight` and, where the maps may differ in size, `connector.resize`:
#
#   _base_ = ['./ofd.py']
#   __ofd_point = _base_.pop('ofd_point')
#
#   def stage_point(student_block, teacher_block, weight):
#       point = __ofd_point.deepcopy()
#       point.merge(dict(student=..., teacher=..., teacher_transform=dict(bn=...), loss=dict(loss_weight=weight)))
#       return point
#
# `_base_.pop` takes `ofd_point` out of the inherited keys: a resolved config holds only the points.
ofd_point = dict(
    # the recorders, the pair's
    student=None,
    teacher=None,
    # 1x1 conv + BN to the teacher's channels (channels inferred by the distiller's dry forward)
    connector=dict(type='mmkd.ConvBNConnector'),
    # margin ReLU max(t, m) on the teacher, m = E[t | t < 0] per channel
    teacher_transform=dict(type='mmkd.MarginReLU'),
    # partial L2, skipping the positions where s <= t <= 0, summed over the feature and divided by the
    # batch size; the loss weight carries the recipe's constants
    loss=dict(type='mmkd.PartialL2Loss', normalize='batch'))
