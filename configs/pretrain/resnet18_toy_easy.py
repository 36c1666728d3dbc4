# Pretrain the backbone of the SSD300 ResNet-18 student (mmdet's ResNet, 7x7 stem as torchvision's) on
# the easy toy classification set, standing in for the ImageNet weights (torchvision://resnet18) of the
# real recipe. The SSD backbone keeps three of the four stages; the fourth is trained here and not loaded.
#   python tools/misc/cached_train.py configs/pretrain/resnet18_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet18.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmdet.ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'))
