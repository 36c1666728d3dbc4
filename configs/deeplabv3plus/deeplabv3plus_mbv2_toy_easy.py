# DeepLabV3+ MobileNetV2 on the easy toy set (configs/_base_/datasets/toy_easy_voc_seg.py): the model of
# deeplabv3plus_mbv2_toy.py (output stride 16) with the data, schedule and runtime of
# deeplabv3plus_r18_toy_easy.py, starting from mmseg's MobileNetV2 pretrained on the easy toy classification
# images, as the real recipe starts from ImageNet (mmcls://mobilenet_v2). Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/mobilenetv2_mmseg_toy_easy.py \
#       --link data/toy_easy/pretrained/mobilenetv2_mmseg.pth
_base_ = [
    '../_base_/models/deeplabv3plus_mbv2.py', '../_base_/datasets/toy_easy_voc_seg.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/toy_seg_200it.py'
]

norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        norm_cfg=norm_cfg,
        strides=(1, 2, 2, 2, 1, 1, 1),
        dilations=(1, 1, 1, 1, 1, 2, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='data/toy_easy/pretrained/mobilenetv2_mmseg.pth',
            prefix='backbone.')),
    decode_head=dict(
        num_classes=7,
        norm_cfg=norm_cfg,
        dilations=(1, 6, 12, 18),
        loss_decode=dict(class_weight={{_base_.class_weight}})),
    auxiliary_head=dict(
        num_classes=7, norm_cfg=norm_cfg, loss_decode=dict(class_weight={{_base_.class_weight}})))
