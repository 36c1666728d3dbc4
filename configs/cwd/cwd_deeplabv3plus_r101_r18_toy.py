# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Position: the segmentation logits (decode_head.conv_seg), one channel per class; tau = 4 and weight 3: the
# paper's setting for segmentation logits (the authors' code releases use tau = 1 with weight 3-5). Added to
# the student's cross-entropy.
_base_ = ['../_base_/distillers/deeplabv3plus_r101_r18_toy.py']

model = dict(
    distill_points=dict(
        cwd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
                 loss=dict(type='mmkd.ChannelWiseDivergence', tau=4.0, loss_weight=3.0))))
