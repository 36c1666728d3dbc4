# Pretrain the backbone of the SSD160 VGG16 teacher (mmdet's SSDVGG: VGG16 without BN, pool5 3x3/1 and the
# dilated fc6 + 1x1 fc7 convolutions) on the easy toy classification set, standing in for the ImageNet weights
# (open-mmlab://vgg16_caffe) of the real recipe, with that model's caffe normalisation (mean subtracted, std 1).
# Data and schedule are resnet18_v1c_toy_easy.py's but for the lr, 1e-4 instead of 1e-3: at 1e-3 this VGG16
# without BN collapsed within 20 iterations to a constant output (loss ln 10 from then on); 64x64 inputs give
# a 4x4 fc7 map (1024 channels, the last output), which the head pools. ssd/ssd160_vgg16_toy_easy.py loads the `backbone.` part of the checkpoint
# with init_cfg=dict(type='Pretrained', prefix='backbone.').
#   python tools/misc/cached_train.py configs/pretrain/vgg16_toy_easy.py \
#       --link data/toy_easy/pretrained/vgg16.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(
    data_preprocessor=dict(std=[1, 1, 1]),
    backbone=dict(
        _delete_=True,
        type='mmdet.SSDVGG',
        depth=16,
        with_last_pool=False,
        ceil_mode=True,
        out_indices=(3, 4),
        out_feature_indices=(22, 34)),
    head=dict(in_channels=1024))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
