# FCOS ResNet-50 FPN -> ResNet-18 FPN on the toy shapes in the COCO layout (student schedule:
# fcos/fcos_r18_fpn_gn-head_toy.py).
# The teacher (caffe style, BGR inputs, as the COCO teacher) is trained first:
#   python tools/train.py configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py
# writes work_dirs/fcos_r50-caffe_fpn_gn-head_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../fcos/fcos_r18_fpn_gn-head_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py',
        checkpoint='work_dirs/fcos_r50-caffe_fpn_gn-head_toy/iter_200.pth'),
    # the dry forward that checks positions and infers channels: any size divisible by 128 (the stride of
    # the coarsest FPN level) checks the same
    input_size=(256, 384))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
