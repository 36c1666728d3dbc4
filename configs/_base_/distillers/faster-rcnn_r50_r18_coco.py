# Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (student: faster_rcnn/faster-rcnn_r18_fpn_1x_coco.py,
# mmdet's 1x schedule, ImageNet-initialised ResNet-18).
_base_ = ['../../faster_rcnn/faster-rcnn_r18_fpn_1x_coco.py', '../feature_distiller.py']

# The teacher is mmdet's published Faster R-CNN R-50 FPN 1x (37.4 box AP on COCO val2017, listed in mmdet's
# configs/faster_rcnn/metafile.yml): its config is mmdet's, unchanged, and its weights are downloaded on first
# use (into torch hub's cache), so nothing is trained first.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
        'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 64 (the stride of the
    # coarsest FPN level) checks the same as mmdet's 1333x800 inputs
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
