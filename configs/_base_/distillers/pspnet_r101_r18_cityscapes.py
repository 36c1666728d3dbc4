# PSPNet ResNet-101-D8 -> ResNet-18-D8 on Cityscapes, 512x1024 crops, 80k iterations
# (student: mmseg's pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py, its data, schedule and runtime;
# 74.87 mIoU trained alone, mmseg's pspnet/metafile.yaml).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the methods configured here use their teacher.
# SyncBN: mmseg's configs use it on both models. In a one-process run (python tools/train.py) MMEngine's
# Runner reverts the student's to BN and the distiller the teacher's; tools/dist_train.sh keeps both.
_base_ = ['mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py']

# The teacher is mmseg's published PSPNet R-101-D8 80k Cityscapes model (79.76 mIoU, mmseg's
# pspnet/metafile.yaml): its config is mmseg's, unchanged, and its weights are downloaded on first use
# (into torch hub's cache), so nothing is trained first.

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/'
        'pspnet_r101-d8_512x1024_80k_cityscapes/'
        'pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'),
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
