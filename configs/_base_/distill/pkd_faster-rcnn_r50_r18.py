# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN.
# Each map is standardised per sample and channel over its locations, z(x) = (x - mean) / std, and L =
# sum_levels mean((z(s) - z(t))^2) / 2 = sum_levels (1 - pearson(s, t)) per channel.
# Positions: the FPN outputs of the four backbone stages (strides 4-32, 256 channels on both sides, no
# connector; the fifth output is a max-pool of the fourth), one point with the list of levels; weight 6, the
# authors' Faster R-CNN setting (MMRazor's PKD config), added to the detector's losses.
# Shared by the toy and real twins configs/pkd/pkd_faster-rcnn_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

pkd_points = dict(
    pkd=dict(
        student=[dict(source='neck', index=i) for i in range(4)],
        teacher=[dict(source='neck', index=i) for i in range(4)],
        loss=dict(type='mmkd.PKDLoss', loss_weight=6.0)))
