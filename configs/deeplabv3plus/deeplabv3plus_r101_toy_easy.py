# DeepLabV3+ ResNet-101-V1c on the easy toy set (configs/_base_/datasets/toy_easy_voc_seg.py), at output
# stride 16 like deeplabv3plus_r101_toy.py, starting from a backbone pretrained on the easy toy
# classification images, as the real recipe starts from ImageNet. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet101_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet101_v1c.pth
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py', '../_base_/datasets/toy_easy_voc_seg.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/toy_seg_200it.py'
]

norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        norm_cfg=norm_cfg,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='data/toy_easy/pretrained/resnet101_v1c.pth',
            prefix='backbone.')),
    decode_head=dict(
        num_classes=7,
        norm_cfg=norm_cfg,
        dilations=(1, 6, 12, 18),
        loss_decode=dict(class_weight={{_base_.class_weight}})),
    auxiliary_head=dict(
        num_classes=7, norm_cfg=norm_cfg, loss_decode=dict(class_weight={{_base_.class_weight}})))
