# SSD300 VGG16 (mmdet's) -> SSDLite MobileNetV2 on PASCAL VOC 07+12 (student schedule: ssd/ssdlite_mbv2_voc0712.py).
# Both detectors read 300x300 inputs.
# VGG16 has no BN: teacher_bn='train' and 'eval' coincide for the teacher. The teacher normalises inputs
# with std 1 (caffe VGG), the student with the ImageNet std: the distiller re-normalises the shared batch
# for the teacher.
_base_ = ['../../ssd/ssdlite_mbv2_voc0712.py', '../feature_distiller.py']

# The teacher is mmdet's published SSD300 VGG16 on VOC 07+12 (pascal_voc/ssd300_voc0712, 76.5 mAP, listed on
# mmdet's configs/pascal_voc/README.md): its config is ssd/ssd300_vgg16_voc0712.py (mmdet's, unchanged) and its
# weights are downloaded on first use (into torch hub's cache), so nothing is trained first. A teacher of your own:
#   python tools/train.py configs/ssd/ssd300_vgg16_voc0712.py
# then --cfg-options model.teacher.checkpoint=work_dirs/ssd300_vgg16_voc0712/epoch_24.pth

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_vgg16_voc0712.py',
        checkpoint='https://download.openmmlab.com/mmdetection/v2.0/pascal_voc/ssd300_voc0712/'
        'ssd300_voc0712_20220320_194658-17edda1b.pth'),
    input_size=(300, 300))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
