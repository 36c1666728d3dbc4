# Toy twin of overhaul_cls_r50_r18.py: the same distillation on the 10-class toy CIFAR data, with the
# toy student schedule (cls/cls_r18_toy.py: 200 iterations of batch 32) and the toy teacher trained
# first by
#   python tools/train.py configs/cls/cls_r50_toy.py
_base_ = ['./cls/cls_r18_toy.py', './_base_/distill/ofd_cls_r50_r18.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/cls/cls_r50_toy.py',
        checkpoint='work_dirs/cls_r50_toy/iter_200.pth'),
    teacher_bn='train',
    input_size=(32, 32),
    distill_points={{_base_.ofd_points}})

custom_hooks = [
    dict(type='mmkd.TeacherEvalHook', enabled=True),
    dict(type='mmkd.StudentCheckpointHook'),
]
