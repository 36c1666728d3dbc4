# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015), pixel-wise: DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8.
# Per pixel i of the segmentation logits (decode_head.conv_seg, C classes): tau^2 * KL(softmax(t_i / tau) ||
# softmax(s_i / tau)), averaged over the pixels of the batch.
# tau = 1 and weight 10: the pixel-wise distillation term of Liu et al. ("Structured Knowledge Distillation
# for Semantic Segmentation", CVPR 2019, lambda_1 = 10 on the per-pixel KL at temperature 1), added to the
# student's own cross-entropy (weight 1). Only the decode head is distilled: the teacher runs in tensor mode,
# where mmseg does not call the auxiliary FCN head.
# Shared by the toy and real twins configs/kd/kd_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data) is said in their headers.

kd_points = dict(
    kd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
       loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=10.0)))
