# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): SSD300 ResNet-50 ->
# SSDLite MobileNetV2 (300x300).
# Each channel c of a map becomes a distribution over its H x W locations: tau^2 / (N C) * sum_{n,c}
# KL(softmax(t_nc / tau) || softmax(s_nc / tau)).
# Positions: as for the ResNet-18 student (_base_/distill/cwd_ssd_r50_r18.py), the SSD heads' class score maps
# (bbox_head.cls_convs.<i>, anchors x (classes + 1) channels, logits), one point per level. The two heads
# predict from different pyramids -- teacher 38, 19, 10, 5, 3, 1 px, student 19, 10, 5, 3, 2, 1 px -- so each
# point pairs the maps of one size: teacher levels 1-4 with student levels 0-3 (19, 10, 5, 3 px). The 38 px
# teacher level has no student map of its size, the 2 px student level no teacher map; the 1 px levels are
# left out as for the ResNet-18 student (a distribution over one location is constant, the loss always 0).
# Connector: a 1x1 convolution to the teacher's channels (mmkd.ConvConnector, no activation: scores are
# logits). At one size the anchors differ -- the student's are one SSD scale smaller (its first level is
# the 19 px map, sized 30-60 px; the teacher's 19 px level is sized 60-111 px) and the teacher's 3 px level
# has 4 anchors (84 channels on VOC), the student's 6 (126) -- so the student's scores are mapped to the
# teacher's channels rather than compared channel by channel.
# tau = 4, weight 3 per level, chosen as for the ResNet-18 student: the paper's setting for logit maps (its
# detection experiments distil FPN features instead, which SSD has not), summed over the levels as the
# authors' detection configs sum theirs.
# Shared by the toy and real twins configs/cwd/cwd_ssd_r50_mbv2_{toy,voc0712}.py; what differs
# between them (data) is said in their headers.

# (map size in px, student level, teacher level); each point is named after its map size
LEVELS = ((19, 0, 1), (10, 1, 2), (5, 2, 3), (3, 3, 4))

cwd_points = {
    f'cls{size}': dict(student=f'bbox_head.cls_convs.{s}', teacher=f'bbox_head.cls_convs.{t}',
                       connector=dict(type='mmkd.ConvConnector', kernel_size=1),
                       loss=dict(type='mmkd.ChannelWiseDivergence', tau=4.0, loss_weight=3.0))
    for size, s, t in LEVELS
}
