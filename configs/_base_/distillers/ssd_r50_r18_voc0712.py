# SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC 07+12 (student schedule: ssd/ssd300_r18_voc0712.py).
_base_ = ['../../ssd/ssd300_r18_voc0712.py', '../feature_distiller.py']

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
