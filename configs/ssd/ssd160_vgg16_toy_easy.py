# SSD VGG16 at 160x160 on the easy toy set: mmdet's SSD300 VGG16 (configs/ssd/ssd300_vgg16_toy.py's model)
# with the levels and anchors of ssd160_r50_toy_easy.py (_base_/models/ssd160_levels.py) -- conv4_3 at
# 20 px and fc7 at 10 px, extra levels 5, 3, 1 px -- starting from a VGG16 pretrained on the easy toy
# classification images as the real recipe starts from ImageNet (open-mmlab://vgg16_caffe). The teacher of
# overhaul_ssd_vgg16_r18_toy_easy.py. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/vgg16_toy_easy.py \
#       --link data/toy_easy/pretrained/vgg16.pth
_base_ = [
    'mmdet::_base_/models/ssd300.py', '../_base_/models/ssd160_levels.py',
    '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

# the input side (mmdet's SSD300 base says 300), as the anchors of _base_/models/ssd160_levels.py
input_size = 160
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='data/toy_easy/pretrained/vgg16.pth', prefix='backbone.')),
    neck=_base_.pop('ssd160_neck'),
    bbox_head=_base_.pop('ssd160_head'))
