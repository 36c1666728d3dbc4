# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Position: the segmentation logits (decode_head.conv_seg), one channel per class; tau = 4 and weight 3: the
# paper's setting for segmentation logits (the authors' code releases use tau = 1 with weight 3-5). Added to
# the student's cross-entropy.
# Shared by the toy and real twins configs/cwd/cwd_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data) is said in their headers.

cwd_points = dict(
    cwd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
             loss=dict(type='mmkd.ChannelWiseDivergence', tau=4.0, loss_weight=3.0)))
