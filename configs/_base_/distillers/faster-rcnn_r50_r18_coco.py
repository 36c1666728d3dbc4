# Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (student: faster_rcnn/faster-rcnn_r18_fpn_1x_coco.py,
# mmdet's 1x schedule, ImageNet-initialised ResNet-18).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the methods configured here use their teacher.
_base_ = ['../../faster_rcnn/faster-rcnn_r18_fpn_1x_coco.py']

# The teacher is mmdet's published Faster R-CNN R-50 FPN 1x (37.4 box AP on COCO val2017, listed in mmdet's
# configs/faster_rcnn/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first
# use (into torch hub's cache), so nothing is trained first.
model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
        'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'),
    teacher_bn='eval',
    # the dry forward that checks positions and infers channels: any size divisible by 64 (the stride of the
    # coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
