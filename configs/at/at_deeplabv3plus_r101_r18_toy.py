# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# beta / 2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2 per position, with the spatial attention map Q =
# vec(sum_c |A_c|^2) of the feature A (channel counts may differ).
# Positions: the outputs of backbone stages 1-4 of 4 (backbone.layer1-4) on both sides, the group outputs the
# paper uses; sizes 32x32, 16x16, 16x16, 16x16. beta: the paper's setting, 10^3 divided by the number of
# elements of the attention map and by the batch size (the loss already averages over the batch), i.e.
# loss_weight = 1000 / (H W) per position. Added to the student's own losses (weight 1).
_base_ = ['../_base_/distillers/deeplabv3plus_r101_r18_toy.py']

model = dict(
    distill_points=dict(
        stage1=dict(student='backbone.layer1', teacher='backbone.layer1',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (32 * 32))),
        stage2=dict(student='backbone.layer2', teacher='backbone.layer2',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (16 * 16))),
        stage3=dict(student='backbone.layer3', teacher='backbone.layer3',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (16 * 16))),
        stage4=dict(student='backbone.layer4', teacher='backbone.layer4',
                    loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (16 * 16)))))
