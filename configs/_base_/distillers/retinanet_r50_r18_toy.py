# RetinaNet ResNet-50 FPN -> ResNet-18 FPN on the toy shapes in the COCO layout (student schedule:
# retinanet/retinanet_r18_fpn_toy.py).
# The teacher is trained first:
#   python tools/train.py configs/retinanet/retinanet_r50_fpn_toy.py
# writes work_dirs/retinanet_r50_fpn_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../retinanet/retinanet_r18_fpn_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/retinanet/retinanet_r50_fpn_toy.py',
        checkpoint='work_dirs/retinanet_r50_fpn_toy/iter_200.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
