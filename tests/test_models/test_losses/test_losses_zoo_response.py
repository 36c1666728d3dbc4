"""KDLoss (Hinton soft targets and the Born-Again variants) against hand computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkd.models.losses import KDLoss, permute_non_argmax
from mmkd.structures import ClsDataSample


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_kd(s, t, tau):
    p_t, p_s = np_softmax(t / tau), np_softmax(s / tau)
    return tau ** 2 * (p_t * (np.log(p_t) - np.log(p_s))).sum(axis=1).mean()


def test_kl_by_hand_on_a_2x3_example():
    s = torch.tensor([[1., 2., 3.], [0., 0., 1.]])
    t = torch.tensor([[3., 2., 1.], [1., 0., 0.]])
    # row 1: p_t = (e^3, e^2, e^1) / Z, p_s = (e^1, e^2, e^3) / Z (same Z), log p_t - log p_s = (2, 0, -2)
    z = math.exp(3) + math.exp(2) + math.exp(1)
    row1 = (2 * math.exp(3) - 2 * math.exp(1)) / z
    # row 2: p_t = (e, 1, 1) / (e + 2), p_s = (1, 1, e) / (e + 2), log p_t - log p_s = (1, 0, -1)
    row2 = (math.e - 1) / (math.e + 2)
    loss = KDLoss(tau=1.0)(s, t)
    assert loss.item() == pytest.approx((row1 + row2) / 2, rel=1e-6)
    assert KDLoss(tau=1.0, loss_weight=3.0)(s, t).item() == pytest.approx(3 * (row1 + row2) / 2, rel=1e-6)


@pytest.mark.parametrize('tau', [1.0, 2.0, 4.0])
def test_tau_squared_scaling_matches_numpy(tau):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)
    assert KDLoss(tau=tau)(s, t).item() == pytest.approx(np_kd(s.double().numpy(), t.double().numpy(), tau),
                                                        rel=1e-5)
    # the loss at temperature T is T^2 times the KL of the logits divided by T
    assert KDLoss(tau=tau)(s, t).item() == pytest.approx(tau ** 2 * KDLoss(tau=1.0)(s / tau, t / tau).item(),
                                                        rel=1e-5)


def test_tau_squared_keeps_the_gradient_scale_at_high_temperature():
    # Hinton et al. Sec. 2.1: for zero-mean logits and large T, d(T^2 KL)/dz_i -> (z_i - v_i) / C per row
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)
    s, t = s - s.mean(1, keepdim=True), t - t.mean(1, keepdim=True)
    expected = (s - t) / (5 * 3)
    errors = []
    for tau in (50.0, 200.0):
        x = s.clone().requires_grad_(True)
        KDLoss(tau=tau)(x, t).backward()
        errors.append(((x.grad - expected).abs().max() / expected.abs().max()).item())
    # the approximation error is O(1 / T): same gradient scale whatever T, converging as T grows
    assert errors[0] < 0.05
    assert errors[1] < errors[0] / 3


def test_dense_scores_equal_flattened_rows():
    g = torch.Generator().manual_seed(2)
    s, t = torch.randn(2, 4, 3, 5, generator=g), torch.randn(2, 4, 3, 5, generator=g)
    rows = lambda x: x.permute(0, 2, 3, 1).reshape(-1, 4)  # noqa: E731
    loss = KDLoss(tau=2.0)
    torch.testing.assert_close(loss(s, t), loss(rows(s), rows(t)))
    assert loss(s, t).item() == pytest.approx(np_kd(rows(s).double().numpy(), rows(t).double().numpy(), 2.0),
                                              rel=1e-5)


def test_anchor_scores_softmax_per_anchor_as_mmdet_ssd_orders_them():
    # an SSD head map: A = 2 anchors x K = 3 scores per location; mmdet's SSDHead reads anchor a's scores
    # at channels a * K ... a * K + K - 1 (cls_score.permute(0, 2, 3, 1).reshape(N, -1, K))
    g = torch.Generator().manual_seed(3)
    s, t = torch.randn(2, 6, 4, 5, generator=g), torch.randn(2, 6, 4, 5, generator=g)
    anchors = lambda x: x.permute(0, 2, 3, 1).reshape(-1, 3)  # noqa: E731
    loss = KDLoss(tau=2.0, loss_weight=1.5, scores_per_anchor=3)
    expected = 1.5 * np_kd(anchors(s).double().numpy(), anchors(t).double().numpy(), 2.0)
    assert loss(s, t).item() == pytest.approx(expected, rel=1e-5)
    # the channels as 6 classes would be another (wrong) loss
    assert KDLoss(tau=2.0, loss_weight=1.5)(s, t).item() != pytest.approx(expected, rel=1e-3)
    s.requires_grad_(True)
    loss(s, t).backward()
    assert s.grad.shape == s.shape and s.grad.abs().sum() > 0
    # levels pool their anchors into one mean: a 1x1 level weighs as its anchors, not as a whole level
    s2, t2 = torch.randn(2, 6, 1, 1, generator=g), torch.randn(2, 6, 1, 1, generator=g)
    pooled = np.concatenate([anchors(s.detach()).double().numpy(), anchors(s2).double().numpy()])
    pooled_t = np.concatenate([anchors(t).double().numpy(), anchors(t2).double().numpy()])
    assert loss([s, s2], [t, t2]).item() == pytest.approx(1.5 * np_kd(pooled, pooled_t, 2.0), rel=1e-5)
    with pytest.raises(ValueError, match='equally long'):
        loss([s, s2], [t])
    with pytest.raises(ValueError, match=r'scores_per_anchor=4 needs dense \(N, A \* 4, H, W\)'):
        KDLoss(scores_per_anchor=4)(s.detach(), t)
    with pytest.raises(ValueError, match="takes target='soft'"):
        KDLoss(scores_per_anchor=3, target='dkpp')
    with pytest.raises(ValueError, match='at least 2'):
        KDLoss(scores_per_anchor=1)


def test_gradient_reaches_the_student_only_and_shapes_are_checked():
    s = torch.randn(2, 3, requires_grad=True)
    t = torch.randn(2, 3, requires_grad=True)
    KDLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None
    with pytest.raises(ValueError, match='same classes'):
        KDLoss()(torch.randn(2, 3), torch.randn(2, 4))
    with pytest.raises(ValueError, match='target must be one of'):
        KDLoss(target='hard')
    with pytest.raises(ValueError, match='tau must be positive'):
        KDLoss(tau=0)


def test_cwtm_weights_by_hand():
    s = torch.tensor([[2., 0., 0.], [0., 1., 0.], [0., 0., 0.5]])
    t = torch.tensor([[4., 0., 0.], [0., 0., 0.], [1., 0., 2.]])
    labels = [0, 2, 2]
    samples = [ClsDataSample().set_gt_label(k) for k in labels]
    p_t = np_softmax(t.double().numpy())
    conf = p_t.max(axis=1)  # 0.9647..., 1/3, 0.6652...
    weights = conf / conf.sum()
    log_p_s = np.log(np_softmax(s.double().numpy()))
    ce = -log_p_s[np.arange(3), labels]
    expected = (weights * ce).sum()
    loss = KDLoss(target='cwtm', loss_weight=2.0)(s, t, data_samples=samples)
    assert loss.item() == pytest.approx(2.0 * expected, rel=1e-6)
    assert weights[0] > weights[2] > weights[1]  # the confident teacher row weighs most
    with pytest.raises(ValueError, match='gt_label'):
        KDLoss(target='cwtm')(s, t)


def test_dkpp_keeps_the_argmax_and_the_multiset_of_probabilities():
    g = torch.Generator().manual_seed(3)
    probs = F.softmax(torch.randn(64, 6, generator=g), dim=1)
    out = permute_non_argmax(probs, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out.argmax(1), probs.argmax(1))
    assert torch.equal(out.max(1).values, probs.max(1).values)
    assert torch.equal(out.sort(1).values, probs.sort(1).values)
    moved = (out != probs).any(1).float().mean()
    assert moved > 0.9  # 5! orders of the non-argmax classes: almost every row changes
    again = permute_non_argmax(probs, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_dkpp_loss_is_kl_to_the_permuted_teacher():
    g = torch.Generator().manual_seed(4)
    s, t = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    torch.manual_seed(7)
    loss = KDLoss(tau=2.0, target='dkpp')(s, t)
    torch.manual_seed(7)
    p_t = permute_non_argmax(F.softmax(t / 2.0, dim=1)).double().numpy()
    p_s = np_softmax(s.double().numpy() / 2.0)
    expected = 4.0 * (p_t * (np.log(p_t) - np.log(p_s))).sum(1).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert loss.item() != pytest.approx(KDLoss(tau=2.0)(s, t).item(), rel=1e-3)
