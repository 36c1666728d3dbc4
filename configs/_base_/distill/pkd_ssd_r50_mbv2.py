# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): SSD300 ResNet-50 -> SSDLite MobileNetV2 (300x300).
# Each map is standardised per sample and channel over its locations, z(x) = (x - mean) / std, and L =
# sum_levels mean((z(s) - z(t))^2) / 2 = sum_levels (1 - pearson(s, t)) per channel.
# Positions: as for the ResNet-18 student (_base_/distill/pkd_ssd_r50_r18.py), the SSD neck levels (the
# detector's FPN counterpart), one point with a list of levels. The teacher's neck outputs are 38, 19, 10, 5,
# 3, 1 px, the student's 19, 10, 5, 3, 2, 1 px; the point pairs the maps of one size, 19, 10, 5 and 3 px:
# teacher neck outputs 1-4. The 38 px teacher level has no student map of its size, the 1 px levels are left
# out as for the ResNet-18 student (a standardised 1x1 map is 0, the loss constant).
# Student side: the same four maps before their ReLU6, the linear features (what the papers distil: FPN
# outputs have no activation); ReLU6 clips at 0 and 6 and passes no gradient there:
#   19 px: backbone.layer5, the 96-channel linear-bottleneck output the SSDLite neck passes on unchanged;
#   10 px: the input of the ReLU6 of backbone.conv2 (1x1 conv + BN, 1280 channels), the neck's level 1;
#   5, 3 px: the input of the ReLU6 of the last (pointwise) conv of neck.extra_layers.0 and .1 (512 and 256
#   channels), the neck's levels 2 and 3.
# Connectors as for the ResNet-18 student: a 1x1 conv to the teacher's channels (mmkd.ConvConnector) where the
# channels differ (96 -> 1024, 1280 -> 512, 512 -> 256), identity where they agree (256 at 3 px).
# Weight 6, chosen as for the ResNet-18 student: the authors' FPN setting (MMRazor PKD configs), added to the
# detector's losses.
# Shared by the toy and real twins configs/pkd/pkd_ssd_r50_mbv2_{toy,voc0712}.py; what differs
# between them (data) is said in their headers.


def pre_relu6(conv_module):
    """The input of an mmcv ConvModule's (in-place) ReLU6: its conv + BN output."""
    return dict(source=f'{conv_module}.activate', io='input', call=-1)


pkd_points = dict(
    pkd=dict(
        student=[dict(source='backbone.layer5'), pre_relu6('backbone.conv2'),
                 pre_relu6('neck.extra_layers.0.1.pointwise_conv'),
                 pre_relu6('neck.extra_layers.1.1.pointwise_conv')],
        teacher=[dict(source='neck', index=i) for i in (1, 2, 3, 4)],
        connector=[dict(type='mmkd.ConvConnector')] * 3 + [dict(type='mmkd.IdentityConnector')],
        loss=dict(type='mmkd.PKDLoss', loss_weight=6.0)))
