# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015), pixel-wise: DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Per pixel i of the segmentation logits (decode_head.conv_seg, C classes): tau^2 * KL(softmax(t_i / tau) ||
# softmax(s_i / tau)), averaged over the pixels of the batch.
# tau = 1 and weight 10: the pixel-wise distillation term of Liu et al. ("Structured Knowledge Distillation
# for Semantic Segmentation", CVPR 2019, lambda_1 = 10 on the per-pixel KL at temperature 1), added to the
# student's own cross-entropy (weight 1). Only the decode head is distilled: the teacher runs in tensor mode,
# where mmseg does not call the auxiliary FCN head.
_base_ = ['../_base_/distillers/deeplabv3plus_r101_r18_toy.py']

model = dict(
    distill_points=dict(
        kd=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
           loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=10.0))))
