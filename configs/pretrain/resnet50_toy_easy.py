# Pretrain the backbone of the SSD300 ResNet-50 teacher (mmdet's ResNet) on the easy toy classification
# set, as resnet18_toy_easy.py does for the student.
#   python tools/misc/cached_train.py configs/pretrain/resnet50_toy_easy.py \
#       --link data/toy_easy/pretrained/resnet50.pth
_base_ = './resnet18_toy_easy.py'

model = dict(backbone=dict(depth=50), head=dict(in_channels=2048))
