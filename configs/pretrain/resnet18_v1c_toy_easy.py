# Pretrain the backbone of the DeepLabV3+ ResNet-18 student (mmseg's ResNetV1c: deep stem) on the easy
# toy classification set, standing in for the ImageNet weights (open-mmlab://resnet18_v1c) of the real
# recipe. Standard strides: 64x64 inputs give 16/8/4/2 px stage maps. The dense configs load the
# `backbone.` part of the checkpoint with init_cfg=dict(type='Pretrained', prefix='backbone.').
#   python tools/misc/cached_train.py configs/pretrain/resnet18_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet18_v1c.pth
_base_ = [
    '../_base_/models/cls_r50_cifar.py', '../_base_/datasets/toy_easy_cls.py',
    '../_base_/schedules/toy_pretrain_4500it.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    # the normalisation of mmseg's and mmdet's models (ImageNet statistics), so the weights transfer
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='mmseg.ResNetV1c',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    head=dict(num_classes=10, in_channels=512))
