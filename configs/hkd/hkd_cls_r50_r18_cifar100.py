# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 2 of 2 on CIFAR-100: ResNet-50 -> (auxiliary 2x wide ResNet-18) -> ResNet-18.
# Two configs, not one with `stages`: the paper first trains the auxiliary teacher from the teacher, then the
# student from the auxiliary teacher, and a FeatureDistiller has one frozen teacher and one student -- its
# stages switch points and weights, not which network teaches or learns, and the auxiliary network must be
# trained before it can be a frozen teacher. So:
#   python tools/train.py configs/hkd/hkd_aux_cls_r50_r18w2_cifar100.py          # step 1: the auxiliary teacher
#   python tools/train.py configs/hkd/hkd_cls_r50_r18_cifar100.py                # step 2 (this file)
# Intermediate-layer weights decayed per epoch. Point: _base_/distill/hkd_cls_r50_r18.py, shared with the toy
# twin.
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/hkd_cls_r50_r18.py']

model = dict(
    teacher=dict(
        _delete_=True,
        config='configs/hkd/cls_r18w2_cifar100.py',
        checkpoint='work_dirs/hkd_aux_cls_r50_r18w2_cifar100/epoch_200_student.pth'),
    distill_points={{_base_.hkd_points.cifar100}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
