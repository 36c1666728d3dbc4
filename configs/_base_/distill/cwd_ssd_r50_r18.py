# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): SSD300 ResNet-50 ->
# ResNet-18.
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Positions: the SSD head's class score maps (bbox_head.cls_convs.<i>, anchors x (classes + 1) channels, the
# same on both sides), one point per level. Each channel is one anchor's score for one class, so its spatial
# distribution says where the teacher expects that class: the response-level use of CWD. tau = 4, weight 3 per
# level: the paper's setting for logit maps (its detection experiments distil FPN features instead, which
# SSD300 has not), summed over the levels as the authors' detection configs sum theirs. Levels 0-4 (38, 19,
# 10, 5, 3 px); level 5 is 1x1, where a distribution over one location is constant and the loss is always 0.
# Shared by the toy and real twins configs/cwd/cwd_ssd_r50_r18_{toy,voc0712}.py (SSD300: `cwd_points`); what
# differs between them (data) is said in their headers. The easy toy twin cwd_ssd_r50_r18_toy_easy.py takes
# `cwd_points_toy_easy`: SSD160's levels 0-3 (20, 10, 5, 3 px); its level 4 is the 1x1 one.


def cwd_points_at(levels):
    """One CWD point per class score map of the first `levels` head levels."""
    return {
        f'cls{i}': dict(student=f'bbox_head.cls_convs.{i}', teacher=f'bbox_head.cls_convs.{i}',
                        loss=dict(type='mmkd.ChannelWiseDivergence', tau=4.0, loss_weight=3.0))
        for i in range(levels)
    }


cwd_points = cwd_points_at(5)
cwd_points_toy_easy = cwd_points_at(4)
