# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): SSD300 ResNet-50 -> ResNet-18.
# Each map is standardised per sample and channel over its locations, z(x) = (x - mean) / std, and L =
# sum_levels mean((z(s) - z(t))^2) / 2 = sum_levels (1 - pearson(s, t)) per channel.
# Positions: the SSD neck outputs (the detector's FPN counterpart), one point with a list of levels 0-4 (38,
# 19, 10, 5, 3 px); level 5 is 1x1, where a standardised map is 0 and the loss constant. Levels 0-1 are the
# backbone maps (128/256 channels student, 512/1024 teacher) and get a 1x1 conv (mmkd.ConvConnector); levels
# 2-4 have the teacher's channels (identity). Weight 6: the authors' FPN setting (MMRazor PKD configs), added
# to the detector's losses.
# Shared by the toy and real twins configs/pkd/pkd_ssd_r50_r18_{toy,voc0712}.py (SSD300: `pkd_points`); what
# differs between them (data) is said in their headers. The easy toy twin pkd_ssd_r50_r18_toy_easy.py takes
# `pkd_points_toy_easy`: SSD160's levels 0-3 (20, 10, 5, 3 px; the same channels); its level 4 is the 1x1 one.


def pkd_points_at(levels):
    """The PKD point over the first `levels` neck levels: a 1x1 conv on the two backbone maps, identity after."""
    return dict(
        pkd=dict(
            student=[dict(source='neck', index=i) for i in range(levels)],
            teacher=[dict(source='neck', index=i) for i in range(levels)],
            connector=[dict(type='mmkd.ConvConnector')] * 2 + [dict(type='mmkd.IdentityConnector')] * (levels - 2),
            loss=dict(type='mmkd.PKDLoss', loss_weight=6.0)))


pkd_points = pkd_points_at(5)
pkd_points_toy_easy = pkd_points_at(4)
