# Toy twin of overhaul_deeplabv3plus_r101_r18.py: the same distillation on the toy VOC shapes (128x128
# crops), with the toy student schedule (deeplabv3plus/deeplabv3plus_r18_toy.py) and the toy teacher
# trained first by
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r101_toy.py
_base_ = ['./deeplabv3plus/deeplabv3plus_r18_toy.py', './_base_/distill/ofd_deeplabv3plus_r101_r18.py']

# the distiller uses the student's data_preprocessor (inside `student`); mmengine's Runner would merge
# the student config's top-level `data_preprocessor` into the distiller dict, which it rejects
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_toy.py',
        checkpoint='work_dirs/deeplabv3plus_r101_toy/iter_200.pth'),
    teacher_bn='train',
    input_size={{_base_.crop_size}},
    distill_points={{_base_.ofd_points}})

custom_hooks = [
    dict(type='mmkd.TeacherEvalHook', enabled=True),
    dict(type='mmkd.StudentCheckpointHook'),
]
