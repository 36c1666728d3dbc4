# Pretrain the backbone of the SSD300 ResNet-50 teacher (deep stem, as mmseg's ResNetV1c) on the easy toy
# classification set, as resnet18_v1c_toy_easy.py does for the students.
#   python tools/misc/cached_train.py configs/pretrain/resnet50_v1c_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet50_v1c.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(backbone=dict(depth=50), head=dict(in_channels=2048))
