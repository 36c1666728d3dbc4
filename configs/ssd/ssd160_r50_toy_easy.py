# SSD ResNet-50 at 160x160 on the easy toy set (configs/_base_/datasets/toy_easy_voc_det.py): the SSD300
# ResNet-50 model with five levels instead of six (backbone maps 20 and 10 px, extra levels 5, 3, 1 px)
# and anchors sized for 160 px inputs (_base_/models/ssd160_levels.py), starting from a backbone
# pretrained on the easy toy classification images as the real recipe starts from ImageNet
# (torchvision://resnet50). The backbone has the deep stem of ResNetV1c (three 3x3 convolutions), so the
# SSD and DeepLabV3+ configs of the easy set share one pretraining per depth. BN keeps training: the
# pretrained statistics come from 64x64 images. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet50_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet50_v1c.pth
_base_ = [
    '../_base_/models/ssd300_r50.py', '../_base_/models/ssd160_levels.py',
    '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

# the input side (mmdet's SSD300 base says 300), as the anchors of _base_/models/ssd160_levels.py
input_size = 160
model = dict(
    backbone=dict(
        deep_stem=True,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='data/toy_easy/pretrained/resnet50_v1c.pth', prefix='backbone.')),
    neck=_base_.pop('ssd160_neck'),
    bbox_head=_base_.pop('ssd160_head'))
