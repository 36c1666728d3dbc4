# RetinaNet ResNet-50 FPN -> ResNet-18 FPN on the easy toy set in the COCO layout: the student config with
# its model wrapped in a FeatureDistiller. The teacher is trained (once per machine, cached) and linked by
#   python tools/misc/cached_train.py configs/retinanet/retinanet_r50_fpn_toy_easy.py --iters 1500 \
#       --link data/toy_easy/teachers/retinanet_r50_fpn.pth
_base_ = ['../../retinanet/retinanet_r18_fpn_toy_easy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/retinanet/retinanet_r50_fpn_toy_easy.py',
        checkpoint='data/toy_easy/teachers/retinanet_r50_fpn.pth'),
    # the dry forward that checks positions and infers channels: the set's typical 160x160 input (FPN
    # levels 20, 10, 5, 3, 2 px)
    input_size=(160, 160))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
