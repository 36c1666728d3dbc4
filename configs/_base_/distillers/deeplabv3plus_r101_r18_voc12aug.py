# DeepLabV3+ ResNet-101 -> ResNet-18 on VOC12 aug, 512x512
# (student schedule: deeplabv3plus/deeplabv3plus_r18_voc12aug.py).
_base_ = ['../../deeplabv3plus/deeplabv3plus_r18_voc12aug.py', '../feature_distiller.py']

# The teacher is mmseg's published DeepLabV3+ R101-D8 on VOC12 aug (78.62 mIoU; metafile entry
# deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512): its config is deeplabv3plus/deeplabv3plus_r101_voc12aug.py
# (mmseg's, unchanged) and its weights are downloaded on first use (into torch hub's cache), so nothing is
# trained first. A teacher of your own:
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py
# then --cfg-options model.teacher.checkpoint=work_dirs/deeplabv3plus_r101_voc12aug/iter_40000.pth

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3plus/'
        'deeplabv3plus_r101-d8_512x512_40k_voc12aug/'
        'deeplabv3plus_r101-d8_512x512_40k_voc12aug_20200613_205333-faf03387.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
