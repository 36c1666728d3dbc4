# SSD160 ResNet-50 -> SSDLite MobileNetV2 on the easy toy set: the student config with its model wrapped in a
# FeatureDistiller. Both read 160x160 inputs; the teacher's stages and the student's recorded features come
# at the same strides and sizes (40, 20, 10 px). The teacher is trained (once per machine, cached) and
# linked by
#   python tools/misc/cached_train.py configs/ssd/ssd160_r50_toy_easy.py --iters 2000 \
#       --link data/toy_easy/teachers/ssd160_r50.pth
_base_ = ['../../ssd/ssdlite_mbv2_toy_easy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd160_r50_toy_easy.py',
        checkpoint='data/toy_easy/teachers/ssd160_r50.pth'),
    input_size=(160, 160))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
