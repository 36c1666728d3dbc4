# Toy twin of mmseg's pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py (student): the same PSPNet
# ResNet-18-V1c model (mmseg's ResNet-18 head widths) on the toy shapes in the Cityscapes layout (7 classes
# incl. background), 128x256 crops, batch 4, 200 iterations on the CPU, from random weights, at output
# stride 16 (stage 4 dilated only) instead of 8, as the DeepLabV3+ toy twins, and with the background class
# weighed down in the cross-entropy (`class_weight` of the toy dataset base).
_base_ = [
    'mmseg::_base_/models/pspnet_r50-d8.py', '../_base_/datasets/toy_cityscapes_seg.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/toy_seg_200it.py'
]

# plain BN instead of SyncBN: one process, no process group (a config choice; SyncBN would need
# a distributed launch)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size={{_base_.crop_size}})
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,  # no download: random initialisation
    backbone=dict(depth=18, norm_cfg=norm_cfg, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
    decode_head=dict(
        in_channels=512,
        channels=128,
        num_classes=7,
        norm_cfg=norm_cfg,
        loss_decode=dict(class_weight={{_base_.class_weight}})),
    auxiliary_head=dict(
        in_channels=256,
        channels=64,
        num_classes=7,
        norm_cfg=norm_cfg,
        loss_decode=dict(class_weight={{_base_.class_weight}})))
