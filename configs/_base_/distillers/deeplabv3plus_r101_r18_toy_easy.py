# DeepLabV3+ ResNet-101 -> ResNet-18 on the easy toy set: the student config with its model wrapped in a
# FeatureDistiller. The teacher is trained (once per machine, cached) and linked by
#   python tools/misc/cached_train.py configs/deeplabv3plus/deeplabv3plus_r101_toy_easy.py \
#       --iters 2000 --link data/toy_easy/teachers/deeplabv3plus_r101.pth
_base_ = ['../../deeplabv3plus/deeplabv3plus_r18_toy_easy.py']

data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_toy_easy.py',
        checkpoint='data/toy_easy/teachers/deeplabv3plus_r101.pth'),
    teacher_bn='eval',
    input_size={{_base_.crop_size}},
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
