# FCOS ResNet-50 FPN -> ResNet-18 FPN on the toy shapes in the COCO layout (student schedule:
# fcos/fcos_r18_fpn_gn-head_toy.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the methods configured here use their teacher.
# The teacher (caffe style, BGR inputs, as the COCO teacher) is trained first:
#   python tools/train.py configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py
# writes work_dirs/fcos_r50-caffe_fpn_gn-head_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../fcos/fcos_r18_fpn_gn-head_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py',
        checkpoint='work_dirs/fcos_r50-caffe_fpn_gn-head_toy/iter_200.pth'),
    teacher_bn='eval',
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same
    input_size=(256, 384),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=10, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
