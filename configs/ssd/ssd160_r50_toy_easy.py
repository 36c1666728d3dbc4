# SSD ResNet-50 at 160x160 on the easy toy set (configs/_base_/datasets/toy_easy_voc_det.py): the SSD300
# ResNet-50 model with five levels instead of six (backbone maps 20 and 10 px, extra levels 5, 3, 1 px)
# and anchors sized for 160 px inputs, starting from a backbone pretrained on the easy toy
# classification images as the real recipe starts from ImageNet (torchvision://resnet50). The backbone
# has the deep stem of ResNetV1c (three 3x3 convolutions), so the SSD and DeepLabV3+ configs of the easy
# set share one pretraining per depth. BN keeps training: the pretrained statistics come from 64x64
# images. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet50_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet50_v1c.pth
_base_ = [
    '../_base_/models/ssd300_r50.py', '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

input_size = 160  # the side of configs/_base_/datasets/toy_easy_voc_det.py's image_scale
model = dict(
    backbone=dict(
        deep_stem=True,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='data/toy_easy/pretrained/resnet50_v1c.pth', prefix='backbone.')),
    neck=dict(
        out_channels=(512, 1024, 512, 256, 256), level_strides=(2, 2, 1), level_paddings=(1, 1, 0)),
    bbox_head=dict(
        in_channels=(512, 1024, 512, 256, 256),
        num_classes=6,
        # one anchor size range per level, from 10% to 100% of the input side; square anchors and
        # aspect ratios 2 and 3 as SSD300's middle levels
        anchor_generator=dict(
            input_size=input_size,
            strides=[8, 16, 32, 64, 160],
            ratios=[[2], [2, 3], [2, 3], [2], [2]],
            min_sizes=[16, 40, 64, 96, 128],
            max_sizes=[40, 64, 96, 128, 160],
            basesize_ratio_range=None)))
