# Pretrain the backbone of the DeepLabV3+ ResNet-101 teacher (mmseg's ResNetV1c) on the easy toy
# classification set, as resnet18_v1c_toy_easy.py does for the student.
#   python tools/misc/cached_train.py configs/pretrain/resnet101_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet101_v1c.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(backbone=dict(depth=101), head=dict(in_channels=2048))
