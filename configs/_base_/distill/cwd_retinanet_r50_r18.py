# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): RetinaNet
# ResNet-50 FPN -> ResNet-18 FPN.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Positions: the five FPN outputs (strides 8-128, 256 channels on both sides), one point per level. tau = 1,
# weight 10 per level: the paper's detection setting on FPN features (MMRazor's RetinaNet and Faster R-CNN
# CWD configs), summed over the levels.
# Shared by the toy and real twins configs/cwd/cwd_retinanet_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

cwd_points = {
    f'fpn{i}': dict(student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
                    loss=dict(type='mmkd.ChannelWiseDivergence', tau=1.0, loss_weight=10.0))
    for i in range(5)
}
