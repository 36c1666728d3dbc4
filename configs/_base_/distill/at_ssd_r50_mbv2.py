# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): SSD300
# ResNet-50 -> SSDLite MobileNetV2 (300x300).
# beta / 2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2 per position, with the spatial attention map Q =
# vec(sum_c |A_c|^2) of the feature A (channel counts may differ).
# Positions: the group outputs the paper uses, at the teacher's three backbone strides 4, 8, 16 (75x75, 38x38,
# 19x19): teacher backbone.layer1-3; student the last MobileNetV2 layer at each of those strides,
# backbone.layer2 (24 channels), backbone.layer3 (32) and backbone.layer5 (96, the map the SSDLite neck reads).
# Unlike the ResNet-18 student (_base_/distill/at_ssd_r50_r18.py), stride 4 is kept: the MobileNetV2 student
# freezes no stage, so a loss there trains its first layers.
# beta: the paper's setting, 10^3 divided by the number of elements of the attention map and by the batch size
# (the loss already averages over the batch), i.e. loss_weight = 1000 / (H W) per position. Added to the
# student's own losses (weight 1).
# Shared by the toy and real twins configs/at/at_ssd_r50_mbv2_{toy,voc0712}.py; what differs
# between them (data) is said in their headers.

at_points = dict(
    stage1=dict(student='backbone.layer2', teacher='backbone.layer1',
                loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (75 * 75))),
    stage2=dict(student='backbone.layer3', teacher='backbone.layer2',
                loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (38 * 38))),
    stage3=dict(student='backbone.layer5', teacher='backbone.layer3',
                loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (19 * 19))))
