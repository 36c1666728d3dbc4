# DeepLabV3+ ResNet-101 -> MobileNetV2 on the easy toy set: the student config with its model wrapped in a
# FeatureDistiller; the teacher is the ResNet-101 of the ResNet-18 pair, trained (once per machine, cached)
# and linked by
#   python tools/misc/cached_train.py configs/deeplabv3plus/deeplabv3plus_r101_toy_easy.py \
#       --iters 2000 --link data/toy_easy/teachers/deeplabv3plus_r101.pth
_base_ = ['../../deeplabv3plus/deeplabv3plus_mbv2_toy_easy.py', '../feature_distiller.py']

data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_toy_easy.py',
        checkpoint='data/toy_easy/teachers/deeplabv3plus_r101.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
