"""Options reproducing the authors' released code where it differs from the paper (mmkd's default): AT's
mean squared difference, FT's L1 paraphraser loss and MGD's channel mask, each against a hand computation."""

import numpy as np
import pytest
import torch

from mmkd.models.losses import ATLoss, FTLoss, MGDLoss


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ------------------------------------------------------------------------------------------------- AT
def test_at_mean_squared_is_the_authors_code():
    """attention-transfer's code: at(x) = normalize(x.pow(2).mean(1).view(N, -1)),
    at_loss = (at(x) - at(y)).pow(2).mean(), objective beta * sum over pairs (beta = 1e3)."""
    pairs = [(randn(2, 4, 3, 3, seed=0), randn(2, 6, 3, 3, seed=1)), (randn(2, 4, 2, 2, seed=2),
                                                                      randn(2, 5, 2, 2, seed=3))]

    def at(x):
        q = (x.numpy() ** 2).mean(axis=1).reshape(x.shape[0], -1)
        return q / np.linalg.norm(q, axis=1, keepdims=True)

    expected = 1e3 * sum(((at(s) - at(t)) ** 2).mean() for s, t in pairs)
    loss = ATLoss(distance='mean_squared', loss_weight=1e3)
    value = loss(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
    assert value.item() == pytest.approx(expected, rel=1e-10)
    # the paper's form (the default) is another number: 1/2 mean_n of the unsquared norm
    paper = sum(np.linalg.norm(at(s) - at(t), axis=1).mean() / 2 for s, t in pairs)
    assert ATLoss()(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)).item() == pytest.approx(paper, rel=1e-10)
    assert paper != pytest.approx(expected / 1e3, rel=1e-2)
    # gradient of the code form for one pair: d/dq_s of mean((q_s - q_t)^2) through the normalisation
    s = pairs[0][0].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: ATLoss(distance='mean_squared')(x, pairs[0][1]), (s, ))
    with pytest.raises(ValueError, match='mean_squared'):
        ATLoss(distance='squared')


# ------------------------------------------------------------------------------------------------- FT
def test_ft_l1_paraphraser_loss_is_the_authors_release():
    torch.manual_seed(0)
    ft = FTLoss(in_channels=4, stage='paraphraser', recon_loss='l1', loss_weight=2.0)
    t = randn(2, 4, 3, 3, seed=5, dtype=torch.float32)
    with torch.no_grad():
        recon = ft.paraphraser(t).numpy()
    value = ft(torch.zeros(2, 2, 3, 3), t)
    assert value.item() == pytest.approx(2.0 * np.abs(recon - t.numpy()).mean(), rel=1e-6)
    mse = FTLoss(in_channels=4, stage='paraphraser', loss_weight=2.0)
    mse.load_state_dict(ft.state_dict())
    assert mse(torch.zeros(2, 2, 3, 3), t).item() == pytest.approx(2.0 * ((recon - t.numpy()) ** 2).mean(), rel=1e-6)
    # the L1 gradient reaches the paraphraser: sign(recon - t) / numel through the decoder's last layer
    value.backward()
    last = ft.paraphraser.decoder[-1]
    assert last.bias.grad is not None
    expected_bias = 2.0 * np.sign(recon - t.numpy()).sum(axis=(0, 2, 3)) / recon.size
    np.testing.assert_allclose(last.bias.grad.numpy(), expected_bias, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match='recon_loss'):
        FTLoss(in_channels=4, recon_loss='huber')


# ------------------------------------------------------------------------------------------------ MGD
def identity_generator(loss):
    """Make the generator the identity on non-negative inputs (3x3 kernels with a 1 at the centre)."""
    with torch.no_grad():
        for conv in (loss.generation[0], loss.generation[2]):
            conv.weight.zero_()
            conv.bias.zero_()
            for c in range(conv.weight.shape[0]):
                conv.weight[c, c, 1, 1] = 1.0


def test_mgd_channel_mask_is_the_authors_classification_code():
    loss = MGDLoss(4, 4, alpha_mgd=7e-5, lambda_mgd=0.5, mask='channel').double()
    identity_generator(loss)
    s = randn(3, 4, 2, 2, seed=20).abs()  # non-negative: the identity generator passes it through the ReLU
    t = randn(3, 4, 2, 2, seed=21)
    torch.manual_seed(3)
    value = loss(s, t)
    torch.manual_seed(3)
    keep = (torch.rand(3, 4, 1, 1) >= 0.5).double()  # one draw per sample and channel
    assert 0 < keep.sum() < keep.numel()  # this seed drops some channels and keeps others
    expected = 7e-5 * ((s * keep - t) ** 2).sum() / 3
    assert value.item() == pytest.approx(expected.item(), rel=1e-10)
    # whole channels are dropped: a dropped channel's student values do not matter, a kept one's do
    torch.manual_seed(3)
    x = s.clone().requires_grad_(True)
    loss(x, t).backward()
    dropped = (keep == 0).expand_as(s)
    assert torch.count_nonzero(x.grad[dropped]) == 0 and torch.count_nonzero(x.grad[~dropped]) > 0
    # the spatial mask (the default) draws one (H, W) mask per sample instead
    spatial = MGDLoss(4, 4, alpha_mgd=7e-5, lambda_mgd=0.5).double()
    identity_generator(spatial)
    torch.manual_seed(3)
    keep_hw = (torch.rand(3, 1, 2, 2) >= 0.5).double()
    torch.manual_seed(3)
    assert spatial(s, t).item() == pytest.approx((7e-5 * ((s * keep_hw - t) ** 2).sum() / 3).item(), rel=1e-10)
    with pytest.raises(ValueError, match='channel'):
        MGDLoss(4, 4, mask='pixel')
