# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD300 ResNet-50 -> SSDLite MobileNetV2
# (300x300).
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions: as for the ResNet-18 student (_base_/distill/mgd_ssd_r50_r18.py), the SSD neck levels (the
# detector's FPN counterpart), one point per level. The teacher's neck outputs are 38, 19, 10, 5, 3, 1 px, the
# student's 19, 10, 5, 3, 2, 1 px; each point pairs the maps of one size and is named after it: 19, 10, 5, 3
# and 1 px, teacher neck outputs 1-5 (the 38 px teacher level and the 2 px student level have no partner).
# Student side: those maps before their ReLU6, the linear features (what the paper distils: FPN outputs
# have no activation); ReLU6 clips at 0 and 6 and passes no gradient there:
#   19 px: backbone.layer5, the 96-channel linear-bottleneck output the SSDLite neck passes on unchanged;
#   10 px: the input of the ReLU6 of backbone.conv2 (1x1 conv + BN, 1280 channels);
#   5, 3, 1 px: the input of the ReLU6 of the last (pointwise) conv of neck.extra_layers.0, .1 and .3.
# Channels 96/1280/512/256/128 student, 1024/512/256/256/256 teacher (MGD's 1x1 align conv exists only where
# they differ). alpha = 2e-5, lambda = 0.65 per level, chosen as for the ResNet-18 student: the paper's
# detection setting (per FPN level). Added to the detector's losses.
# Shared by the toy and real twins configs/mgd/mgd_ssd_r50_mbv2_{toy,voc0712}.py; what differs
# between them (data) is said in their headers.


def pre_relu6(conv_module):
    """The input of an mmcv ConvModule's (in-place) ReLU6: its conv + BN output."""
    return dict(source=f'{conv_module}.activate', io='input', call=-1)


# (map size in px, student position, student channels, teacher neck output, teacher channels)
LEVELS = (
    (19, dict(source='backbone.layer5'), 96, 1, 1024),
    (10, pre_relu6('backbone.conv2'), 1280, 2, 512),
    (5, pre_relu6('neck.extra_layers.0.1.pointwise_conv'), 512, 3, 256),
    (3, pre_relu6('neck.extra_layers.1.1.pointwise_conv'), 256, 4, 256),
    (1, pre_relu6('neck.extra_layers.3.1.pointwise_conv'), 128, 5, 256),
)

mgd_points = {
    f'neck{size}': dict(
        student=student, teacher=dict(source='neck', index=t_level),
        loss=dict(type='mmkd.MGDLoss', student_channels=s_channels, teacher_channels=t_channels,
                  alpha_mgd=2e-5, lambda_mgd=0.65))
    for size, student, s_channels, t_level, t_channels in LEVELS
}
