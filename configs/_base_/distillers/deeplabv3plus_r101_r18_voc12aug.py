# DeepLabV3+ ResNet-101 -> ResNet-18 on VOC12 aug, 512x512
# (student schedule: deeplabv3plus/deeplabv3plus_r18_voc12aug.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
# use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019).
_base_ = ['../../deeplabv3plus/deeplabv3plus_r18_voc12aug.py']

# The teacher is mmseg's published DeepLabV3+ R101-D8 on VOC12 aug (78.62 mIoU; metafile entry
# deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512): its config is deeplabv3plus/deeplabv3plus_r101_voc12aug.py
# (mmseg's, unchanged) and its weights are downloaded on first use (into torch hub's cache), so nothing is
# trained first. A teacher of your own:
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py
# then --cfg-options model.teacher.checkpoint=work_dirs/deeplabv3plus_r101_voc12aug/iter_40000.pth

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/'
        'deeplabv3plus_r101-d8_512x512_40k_voc12aug/'
        'deeplabv3plus_r101-d8_512x512_40k_voc12aug_20200613_205333-faf03387.pth'),
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
