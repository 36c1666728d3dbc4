"""Options reproducing the authors' released code where it differs from the paper (mmkd's default): AT's
mean squared difference, ONE's KL ramp, FT's L1 paraphraser loss, collaborative learning's public
objective and MGD's channel mask, each against a hand computation."""
import math

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from conftest import ce_by_hand, kl_by_hand
from mmkd.models.losses import ATLoss, FTLoss, MGDLoss
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.progress import check_rampup, rampup_weight, sigmoid_rampup

TINY_R18 = dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4, deep_stem=True,
                strides=(1, 1, 2, 1), out_indices=(0, 1, 2, 3), norm_eval=False, init_cfg=None)
HEAD = dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64, topk=(1, ))


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.fixture
def progress():
    """Set the runner's (iteration, epoch) in MessageHub; restored after the test."""
    hub = MessageHub.get_current_instance()
    saved = {k: hub.get_info(k) for k in ('iter', 'epoch')}

    def set_progress(it, epoch):
        hub.update_info('iter', it)
        hub.update_info('epoch', epoch)

    yield set_progress
    for key, value in saved.items():
        hub.update_info(key, 0 if value is None else value)


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


# ------------------------------------------------------------------------------------------------ ONE
def test_sigmoid_rampup_values():
    assert sigmoid_rampup(0, 80) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(40, 80) == pytest.approx(math.exp(-5 * 0.25))
    assert sigmoid_rampup(80, 80) == 1.0 and sigmoid_rampup(200, 80) == 1.0
    assert sigmoid_rampup(3, 0) == 1.0
    assert rampup_weight(None) == 1.0
    with pytest.raises(ValueError, match='ramp'):
        check_rampup(dict(length=80, by='step'), 'x')
    with pytest.raises(ValueError, match='length'):
        check_rampup(dict(length=-1), 'x')


@pytest.mark.parametrize('by, it, epoch, t', [('iter', 30, 0, 30 / 120), ('epoch', 999, 2, 2 / 4),
                                              ('iter', 500, 0, 1.0)])
def test_one_kl_rampup_matches_a_hand_computation(progress, monkeypatch, by, it, epoch, t):
    length = 120 if by == 'iter' else 4
    model = MODELS.build(dict(type='mmkd.ONEClassifier', backbone=TINY_R18, head=HEAD,
                              kl_rampup=dict(length=length, by=by)))
    z = [randn(2, 5, seed=i, dtype=torch.float32) for i in range(3)]
    g = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    z_e = model.ensemble(z, g)
    monkeypatch.setattr(model, 'forward_all', lambda inputs: (z, g, z_e))
    samples = [ClsDataSample().set_gt_label(1), ClsDataSample().set_gt_label(3)]
    progress(it, epoch)
    losses = model.loss(torch.zeros(2, 3, 16, 16), samples)
    ramp = math.exp(-5 * (1 - t) ** 2)
    for i in range(3):
        assert losses[f'loss_kl_branch{i}'].item() == pytest.approx(
            ramp * kl_by_hand(z_e.tolist(), z[i].tolist(), 3.0), rel=1e-5)
        # the cross-entropies are not ramped
        assert losses[f'loss_cls_branch{i}'].item() == pytest.approx(ce_by_hand(z[i].tolist(), [1, 3]), rel=1e-5)
    # the default: full weight from the first step
    default = MODELS.build(dict(type='mmkd.ONEClassifier', backbone=TINY_R18, head=HEAD))
    monkeypatch.setattr(default, 'forward_all', lambda inputs: (z, g, z_e))
    assert default.loss(torch.zeros(2, 3, 16, 16), samples)['loss_kl_branch0'].item() == pytest.approx(
        kl_by_hand(z_e.tolist(), z[0].tolist(), 3.0), rel=1e-5)


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


# ------------------------------------------------------------------------------------ collaborative
def test_collaborative_public_objective_matches_a_hand_computation(monkeypatch):
    beta, tau = 0.7, 2.0
    kd_loss = dict(type='mmkd.KDLoss', tau=tau)
    model = MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, beta=beta,
                              kd_loss=kd_loss, soft_t2=False))
    z = [randn(1, 5, seed=10 + h, dtype=torch.float32) for h in range(4)]
    monkeypatch.setattr(model, 'branch_logits', lambda inputs: z)
    losses = model.loss(torch.zeros(1, 3, 16, 16), [ClsDataSample().set_gt_label(2)])
    default = MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, beta=beta,
                                kd_loss=kd_loss))
    soft_beta = MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, beta=beta,
                                  kd_loss=kd_loss, beta_weights='soft'))
    monkeypatch.setattr(soft_beta, 'branch_logits', lambda inputs: z)
    soft_losses = soft_beta.loss(torch.zeros(1, 3, 16, 16), [ClsDataSample().set_gt_label(2)])
    monkeypatch.setattr(default, 'branch_logits', lambda inputs: z)
    default_losses = default.loss(torch.zeros(1, 3, 16, 16), [ClsDataSample().set_gt_label(2)])
    for h in range(4):
        others = [z[j][0].tolist() for j in range(4) if j != h]
        target = [[sum(col) / 3 for col in zip(*others)]]
        kl = kl_by_hand(target, z[h].tolist(), tau) / tau ** 2  # without T^2
        ce = ce_by_hand(z[h].tolist(), [2])
        assert losses[f'loss_cls_head{h}'].item() == pytest.approx(beta * ce, rel=1e-5)
        assert losses[f'loss_soft_head{h}'].item() == pytest.approx((1 - beta) * kl, rel=1e-5)
        # mmkd's default: beta on the hard term as the paper, the soft term scaled by T^2
        assert default_losses[f'loss_cls_head{h}'].item() == pytest.approx(beta * ce, rel=1e-5)
        assert default_losses[f'loss_soft_head{h}'].item() == pytest.approx((1 - beta) * tau ** 2 * kl, rel=1e-5)
        # beta_weights='soft': beta on the soft term
        assert soft_losses[f'loss_cls_head{h}'].item() == pytest.approx((1 - beta) * ce, rel=1e-5)
        assert soft_losses[f'loss_soft_head{h}'].item() == pytest.approx(beta * tau ** 2 * kl, rel=1e-5)
    with pytest.raises(ValueError, match='beta_weights'):
        MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, beta_weights='x'))
    with pytest.raises(ValueError, match='has no tau'):
        MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, soft_t2=False,
                          kd_loss=dict(type='mmkd.HintLoss')))


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
