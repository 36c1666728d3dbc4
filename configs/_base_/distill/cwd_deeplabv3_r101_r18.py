# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): DeepLabV3
# ResNet-101-D8 -> ResNet-18-D8.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Position: the segmentation logits (decode_head.conv_seg), one channel per class; tau = 1 and weight 5, the
# values of MMRazor's PSPNet Cityscapes recipe (_base_/distill/cwd_pspnet_r101_r18.py) on the same logits
# (MMRazor publishes no DeepLabV3 setting; the student alone: 76.7 mIoU, the teacher 80.2, mmseg's
# deeplabv3/metafile.yaml). Added to the student's cross-entropy.
# Shared by the toy and real twins configs/cwd/cwd_deeplabv3_r101_r18_{toy,cityscapes}.py; what differs
# between them (data) is said in their headers.

cwd_points = dict(
    cwd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
             loss=dict(type='mmkd.ChannelWiseDivergence', tau=1.0, loss_weight=5.0)))
