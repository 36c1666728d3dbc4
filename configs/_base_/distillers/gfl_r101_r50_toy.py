# GFL ResNet-101 FPN -> ResNet-50 FPN on the toy shapes in the COCO layout (student schedule:
# gfl/gfl_r50_fpn_toy.py).
# The teacher is trained first:
#   python tools/train.py configs/gfl/gfl_r101_fpn_toy.py
# writes work_dirs/gfl_r101_fpn_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../gfl/gfl_r50_fpn_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/gfl/gfl_r101_fpn_toy.py',
        checkpoint='work_dirs/gfl_r101_fpn_toy/iter_200.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
