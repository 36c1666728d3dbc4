# GFL ResNet-101 FPN -> ResNet-50 FPN on COCO 2017 (student: mmdet's gfl/gfl_r50_fpn_1x_coco.py, its 12-epoch
# schedule, ImageNet-initialised ResNet-50; 40.2 box AP trained alone, mmdet's configs/gfl/metafile.yml).
_base_ = ['mmdet::gfl/gfl_r50_fpn_1x_coco.py', '../feature_distiller.py']

# The teacher is mmdet's published GFL R-101 FPN, multi-scale 2x (44.7 box AP on COCO val2017, mmdet's
# configs/gfl/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first use (into
# torch hub's cache), so nothing is trained first.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r101_fpn_mstrain_2x_coco/'
        'gfl_r101_fpn_mstrain_2x_coco_20200629_200126-dd12f847.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
