# GFL ResNet-101 FPN -> ResNet-50 FPN on COCO 2017 (student: mmdet's gfl/gfl_r50_fpn_1x_coco.py, its 12-epoch
# schedule, ImageNet-initialised ResNet-50; 40.2 box AP trained alone, mmdet's configs/gfl/metafile.yml).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the methods configured here use their teacher.
_base_ = ['mmdet::gfl/gfl_r50_fpn_1x_coco.py']

# The teacher is mmdet's published GFL R-101 FPN, multi-scale 2x (44.7 box AP on COCO val2017, mmdet's
# configs/gfl/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first use (into
# torch hub's cache), so nothing is trained first.
model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r101_fpn_mstrain_2x_coco/'
        'gfl_r101_fpn_mstrain_2x_coco_20200629_200126-dd12f847.pth'),
    teacher_bn='eval',
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
