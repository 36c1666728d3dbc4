# RetinaNet ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (student: mmdet's retinanet/retinanet_r18_fpn_1x_coco.py,
# its 12-epoch schedule, ImageNet-initialised ResNet-18).
_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py', '../feature_distiller.py']

# The teacher is mmdet's published RetinaNet R-50 FPN 1x (36.5 box AP on COCO val2017, listed in mmdet's
# configs/retinanet/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first
# use (into torch hub's cache), so nothing is trained first.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/'
        'retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
