# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8.
# beta / 2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2 per position, with the spatial attention map Q =
# vec(sum_c |A_c|^2) of the feature A (channel counts may differ).
# Positions: the outputs of backbone stages 1-4 of 4 (backbone.layer1-4) on both sides, the group outputs the
# paper uses. beta: the paper's setting, 10^3 divided by the number of elements of the attention map and by
# the batch size (the loss already averages over the batch), i.e. loss_weight = 1000 / (H W) per position, so
# the weights follow the crop: sizes 32x32, 16x16, 8x8, 8x8 at the toy 128x128 crops (output stride 16),
# 128x128, 64x64, 64x64, 64x64 at VOC's 512x512 crops. Added to the student's own losses (weight 1).
# Shared by the toy and real twins configs/at/at_deeplabv3plus_r101_r18_{toy,voc12aug}.py.


def at_points_at(sizes):
    """The four AT points, each weighted 1000 / (H W) for its map side in `sizes`."""
    return {
        f'stage{k}': dict(student=f'backbone.layer{k}', teacher=f'backbone.layer{k}',
                          loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (size * size)))
        for k, size in enumerate(sizes, 1)}


at_points = dict(toy=at_points_at((32, 16, 8, 8)), voc12aug=at_points_at((128, 64, 64, 64)))
