# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): FCOS ResNet-50 FPN -> ResNet-18 FPN.
# Each map is standardised per sample and channel over its locations, z(x) = (x - mean) / std, and L =
# sum_levels mean((z(s) - z(t))^2) / 2 = sum_levels (1 - pearson(s, t)) per channel.
# Positions: the FPN outputs (256 channels on both sides, no connector), one point with the list of levels
# 0-3 (strides 8-64), weight 10: MMRazor's recipe with an FCOS teacher (configs/distill/mmdet/pkd/
# pkd_fpn_fcos_x101_retina_r50_1x_coco.py, which takes its levels and weight from the RetinaNet recipe; there
# the FCOS teacher distils a RetinaNet student, whose FPN the standardisation makes comparable). Here both
# detectors are FCOS. Added to the detector's losses.
# Shared by the toy and real twins configs/pkd/pkd_fcos_r50_r18_{toy,coco}.py; what differs between them
# (data) is said in their headers.

pkd_points = dict(
    pkd=dict(
        student=[dict(source='neck', index=i) for i in range(4)],
        teacher=[dict(source='neck', index=i) for i in range(4)],
        loss=dict(type='mmkd.PKDLoss', loss_weight=10.0)))
