# Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017): SSD300
# ResNet-50 -> ResNet-18.
# beta / 2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2 per position, with the spatial attention map Q =
# vec(sum_c |A_c|^2) of the feature A (channel counts may differ).
# Positions: the outputs of backbone stages 2-3 of 3 (backbone.layer2-3) on both sides, the group outputs the
# paper uses; sizes 38x38, 19x19. Stage 1 (backbone.layer1) is left out: the real student freezes its stem and
# layer1 (mmdet's frozen_stages=1 for the ImageNet-initialised backbone), so a loss there would train nothing.
# beta: the paper's setting, 10^3 divided by the number of elements of the attention map and by the batch size
# (the loss already averages over the batch), i.e. loss_weight = 1000 / (H W) per position. Added to the
# student's own losses (weight 1).
# Shared by the toy and real twins configs/at/at_ssd_r50_r18_{toy,voc0712}.py (SSD300: `at_points`); what
# differs between them (data) is said in their headers. The easy toy twin at_ssd_r50_r18_toy_easy.py takes
# `at_points_toy_easy`: the same points at SSD160's 20x20 and 10x10 maps.


def at_points_at(sizes):
    """The AT points of stages 2-3, each weighted 1000 / (H W) for its map side in `sizes`."""
    return {
        f'stage{k}': dict(student=f'backbone.layer{k}', teacher=f'backbone.layer{k}',
                          loss=dict(type='mmkd.ATLoss', p=2, loss_weight=1000 / (size * size)))
        for k, size in enumerate(sizes, 2)}


at_points = at_points_at((38, 19))
at_points_toy_easy = at_points_at((20, 10))
