# ResNet-50 -> MobileNetV2 on CIFAR-100 (student schedule: cls/cls_mbv2_cifar100.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
# use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019).
_base_ = ['../../cls/cls_mbv2_cifar100.py']

# The teacher is trained first: OpenMMLab publishes no 32 px CIFAR-100 ResNet-50 of this architecture.
#   python tools/train.py configs/cls/cls_r50_cifar100.py
# writes work_dirs/cls_r50_cifar100/epoch_200.pth (200 epochs), the checkpoint below.

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/cls/cls_r50_cifar100.py',
        checkpoint='work_dirs/cls_r50_cifar100/epoch_200.pth'),
    teacher_bn='eval',
    input_size=(32, 32),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
