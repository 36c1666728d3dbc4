# The auxiliary teacher of information-flow KD (configs/hkd/): the 32 px ResNet-18 of cls/cls_r18_toy.py
# with twice the channels in every layer (base_channels 128: stages of 128, 256, 512, 1024 channels), i.e.
# the student's architecture, layer for layer, with more capacity. Used as a model config (the student of
# step 1, the teacher of step 2); trainable alone with tools/train.py as well.
_base_ = ['../cls/cls_r18_toy.py']

model = dict(backbone=dict(base_channels=128), head=dict(in_channels=1024))
