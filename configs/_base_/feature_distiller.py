# What every distiller base (_base_/distillers/<task>_<teacher>_<student>_<data>.py) shares: the student
# config's model wrapped in a FeatureDistiller with no points yet, the teacher evaluated before training
# and the student saved on its own. A distiller base lists its student config and this file as bases and
# fills in the pair:
#
#   _base_ = ['../../ssd/ssd300_r18_toy.py', '../feature_distiller.py']
#
#   model = dict(
#       _base_.pop('distiller'),
#       student={{_base_.model}},
#       teacher=dict(config='configs/ssd/ssd300_r50_toy.py', checkpoint='work_dirs/ssd300_r50_toy/iter_200.pth'),
#       input_size=(300, 300))
#   custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
#
# The segmentation ones also set `data_preprocessor = None`: the distiller uses the student's, inside
# `student`. `_base_.pop` takes `distiller` and `distiller_hooks` out of the inherited keys, so a resolved
# config holds them only inside `model` and `custom_hooks`.
# Method configs (configs/<method>/) inherit a distiller base and add their points with
# `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
distiller = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    # the three keys set to None are the pair's: the student config's model, the teacher's config and
    # checkpoint, and the input size of the dry forward that checks the points and infers channels
    student=None,
    teacher=None,
    # teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
    # use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019)
    teacher_bn='eval',
    input_size=None,
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs. StudentCheckpointHook writes a
# student-only twin beside every checkpoint (iter_200_student.pth) and the student's config. Both come
# after the student config's own custom_hooks.
teacher_eval = True
distiller_hooks = [dict(type='mmkd.TeacherEvalHook'), dict(type='mmkd.StudentCheckpointHook')]
