# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# Each map is standardised per sample and channel over its locations, z(x) = (x - mean) / std, and L =
# sum_positions mean((z(s) - z(t))^2) / 2 = sum (1 - pearson(s, t)) per channel.
# Positions: the two head features DeepLabV3+ builds its prediction from, the neck-like features PKD targets
# in detectors: the ASPP output (decode_head.bottleneck) and the decoder feature (decode_head.sep_bottleneck,
# the input of conv_seg); 128 channels student, 512 teacher, mapped by a 1x1 conv each (mmkd.ConvConnector).
# Weight 6: the authors' FPN setting (MMRazor PKD configs), added to the student's cross-entropy.
# Shared by the toy and real twins configs/pkd/pkd_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data) is said in their headers.

pkd_points = dict(
    pkd=dict(
        student=['decode_head.bottleneck', 'decode_head.sep_bottleneck'],
        teacher=['decode_head.bottleneck', 'decode_head.sep_bottleneck'],
        connector=dict(type='mmkd.ConvConnector'),
        loss=dict(type='mmkd.PKDLoss', loss_weight=6.0)))
