# SSD300 ResNet-18 on the easy toy set (configs/_base_/datasets/toy_easy_voc_det.py), starting from a
# backbone pretrained on the easy toy classification images, as the real recipe starts from ImageNet
# (torchvision://resnet18). The backbone has the deep stem of ResNetV1c (three 3x3 convolutions), so the
# SSD and DeepLabV3+ configs of the easy set share one pretraining per depth. BN keeps training: the
# pretrained statistics come from 64x64 images.
# Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/resnet18_v1c_toy_easy.py --iters 4500 \
#       --link data/toy_easy/pretrained/resnet18_v1c.pth
_base_ = [
    '../_base_/models/ssd300_r18.py', '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    backbone=dict(
        deep_stem=True,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='data/toy_easy/pretrained/resnet18_v1c.pth', prefix='backbone.')),
    bbox_head=dict(num_classes=6, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
