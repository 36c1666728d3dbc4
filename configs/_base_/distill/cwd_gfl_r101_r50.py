# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): GFL ResNet-101 FPN ->
# ResNet-50 FPN.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Positions: the classification head's output (bbox_head.gfl_cls, one channel per class), which the head calls
# once per FPN level: one point per level (call i, strides 8-128). tau = 1, weight 5 per level: MMRazor's recipe
# (configs/distill/cwd/cwd_cls_head_gfl_r101_fpn_gfl_r50_fpn_1x_coco.py of its 0.x releases, which distils
# bbox_head.gfl_cls and sums the loss over the calls), for which MMRazor reports 41.9 box AP against 40.2 for the
# student alone and 44.7 for the teacher. (MMRazor 1.x keeps the name and result, but its config inherits
# CWD on the FPN outputs with weight 10 from its RetinaNet config instead.) Added to the detector's losses.
# Shared by the toy and real twins configs/cwd/cwd_gfl_r101_r50_{toy,coco}.py; what differs between them
# (data) is said in their headers.

cwd_points = {
    f'cls{i}': dict(student=dict(source='bbox_head.gfl_cls', call=i), teacher=dict(source='bbox_head.gfl_cls', call=i),
                    loss=dict(type='mmkd.ChannelWiseDivergence', tau=1.0, loss_weight=5.0))
    for i in range(5)
}
