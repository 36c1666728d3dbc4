# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): PSPNet
# ResNet-101-D8 -> ResNet-18-D8.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Position: the segmentation logits (decode_head.conv_seg), one channel per class; tau = 1 and weight 5:
# MMRazor's Cityscapes recipe for this pair (configs/distill/mmseg/cwd/
# cwd_logits_pspnet_r101_d8_pspnet_r18_d8_512x1024_cityscapes_80k.py), for which MMRazor's metafile reports
# 75.54 mIoU, against 74.87 for the student alone and 79.76 for the teacher (mmseg's pspnet/metafile.yaml).
# Added to the student's cross-entropy.
# Shared by the toy and real twins configs/cwd/cwd_pspnet_r101_r18_{toy,cityscapes}.py; what differs
# between them (data) is said in their headers.

cwd_points = dict(
    cwd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
             loss=dict(type='mmkd.ChannelWiseDivergence', tau=1.0, loss_weight=5.0)))
