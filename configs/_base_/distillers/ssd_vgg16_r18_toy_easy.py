# SSD160 VGG16 -> ResNet-18 on the easy toy set: the student config with its model wrapped in a
# FeatureDistiller. VGG16 has no BN: teacher_bn='train' and 'eval' coincide for the teacher; the distiller
# re-normalises the shared batch for the teacher's caffe normalisation (std 1). The teacher is trained (once
# per machine, cached) and linked by
#   python tools/misc/cached_train.py configs/ssd/ssd160_vgg16_toy_easy.py --iters 2000 \
#       --link data/toy_easy/teachers/ssd160_vgg16.pth
_base_ = ['../../ssd/ssd160_r18_toy_easy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd160_vgg16_toy_easy.py',
        checkpoint='data/toy_easy/teachers/ssd160_vgg16.pth'),
    input_size=(160, 160))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
