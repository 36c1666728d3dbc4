# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on PASCAL VOC 2012 aug (512x512 crops).
# beta / 2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2 per position, with the spatial attention map Q =
# vec(sum_c |A_c|^2) of the feature A (channel counts may differ).
# Positions: the outputs of backbone stages 1-4 of 4 (backbone.layer1-4) on both sides, the group outputs the
# paper uses; sizes 128x128, 64x64, 64x64, 64x64. beta: the paper's setting, 10^3 divided by the number of
# elements of the attention map and by the batch size (the loss already averages over the batch), i.e.
# loss_weight = 1000 / (H W) per position. Added to the student's own losses (weight 1).
_base_ = ['../_base_/distillers/deeplabv3plus_r101_r18_voc12aug.py']

model = dict(
    distill_points=dict(
        stage1=dict(student='backbone.layer1', teacher='backbone.layer1',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (128 * 128))),
        stage2=dict(student='backbone.layer2', teacher='backbone.layer2',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (64 * 64))),
        stage3=dict(student='backbone.layer3', teacher='backbone.layer3',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (64 * 64))),
        stage4=dict(student='backbone.layer4', teacher='backbone.layer4',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (64 * 64)))))
