# FCOS ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (student: fcos/fcos_r18_fpn_gn-head_1x_coco.py, mmdet's
# 12-epoch FCOS schedule, ImageNet-initialised ResNet-18).
_base_ = ['../../fcos/fcos_r18_fpn_gn-head_1x_coco.py', '../feature_distiller.py']

# The teacher is mmdet's published FCOS R-50 caffe FPN GN-head 1x (36.6 box AP on COCO val2017, listed in mmdet's
# configs/fcos/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first use (into
# torch hub's cache), so nothing is trained first. It reads BGR caffe-normalised images; the distiller converts
# the student's RGB ImageNet-normalised batch for it.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco/'
        'fcos_r50_caffe_fpn_gn-head_1x_coco-821213aa.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
