"""Options reproducing the authors' released code where it differs from the paper (mmkd's default): AT's
mean squared difference and FT's L1 paraphraser loss, each against a hand computation."""

import numpy as np
import pytest
import torch

from mmkd.models.losses import ATLoss, FTLoss


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


