# SSD300 ResNet-50 -> SSDLite MobileNetV2 on PASCAL VOC 07+12 (student schedule: ssd/ssdlite_mbv2_voc0712.py).
# Both detectors read 300x300 inputs, so the teacher's features and the student's come at the same strides
# and sizes.
_base_ = ['../../ssd/ssdlite_mbv2_voc0712.py', '../feature_distiller.py']

# The teacher is trained first: OpenMMLab publishes no SSD300 with a ResNet-50 backbone.
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py
# writes work_dirs/ssd300_r50_voc0712/epoch_24.pth (24 epochs), the checkpoint below.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_r50_voc0712.py',
        checkpoint='work_dirs/ssd300_r50_voc0712/epoch_24.pth'),
    input_size=(300, 300))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
