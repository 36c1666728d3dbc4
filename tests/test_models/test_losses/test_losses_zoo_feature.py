"""DIST, CWD, PKD, MGD, FitNets (hint loss + ConvConnector) and AT against hand/NumPy computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from mmkd.models.connectors import ConvConnector
from mmkd.models.losses import ATLoss, ChannelWiseDivergence, DISTLoss, HintLoss, MGDLoss, PKDLoss
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample


def randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_pearson_rows(a, b):
    return np.array([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])


def assert_student_grad_only(loss_fn, s, t):
    s, t = s.clone().requires_grad_(True), t.clone().requires_grad_(True)
    loss_fn(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


# ------------------------------------------------------------------------------------------------- DIST
def test_dist_matches_numpy():
    s, t = randn(4, 5, seed=0), randn(4, 5, seed=1)
    tau, beta, gamma = 2.0, 1.5, 0.5
    p_s, p_t = np_softmax(s.double().numpy() / tau), np_softmax(t.double().numpy() / tau)
    inter = 1 - np_pearson_rows(p_s, p_t).mean()
    intra = 1 - np_pearson_rows(p_s.T, p_t.T).mean()
    expected = tau ** 2 * (beta * inter + gamma * intra)
    loss = DISTLoss(tau=tau, beta=beta, gamma=gamma, loss_weight=3.0)(s, t)
    assert loss.item() == pytest.approx(3.0 * expected, rel=1e-5)
    only_inter = DISTLoss(tau=tau, beta=1.0, gamma=0.0)(s, t)
    assert only_inter.item() == pytest.approx(tau ** 2 * inter, rel=1e-5)


def test_dist_zero_for_identical_and_dense_equals_rows():
    s = randn(2, 4, 3, 3, seed=2)
    assert DISTLoss()(s, s.clone()).item() == pytest.approx(0.0, abs=1e-6)
    t = randn(2, 4, 3, 3, seed=3)
    rows = lambda x: x.permute(0, 2, 3, 1).reshape(-1, 4)  # noqa: E731
    torch.testing.assert_close(DISTLoss(tau=1.5)(s, t), DISTLoss(tau=1.5)(rows(s), rows(t)))
    # perfectly anti-correlated predictions reach the maximum 2 * (beta + gamma) at tau 1
    logits = torch.tensor([[1., 0.], [0., 1.]]) * 3
    assert DISTLoss()(logits, -logits).item() == pytest.approx(4.0, abs=1e-5)


def test_dist_gradients_and_errors():
    assert torch.autograd.gradcheck(lambda x: DISTLoss(tau=2.0)(x, randn(3, 4, seed=5, dtype=torch.float64)),
                                    (randn(3, 4, seed=4, dtype=torch.float64).requires_grad_(True), ))
    assert_student_grad_only(DISTLoss(), randn(3, 4, seed=6), randn(3, 4, seed=7))
    with pytest.raises(ValueError, match='differ'):
        DISTLoss()(randn(2, 3), randn(2, 4))
    with pytest.raises(ValueError, match='at least 2 rows'):
        DISTLoss()(randn(1, 3), randn(1, 3))
    assert DISTLoss(gamma=0.0)(randn(1, 3, seed=1), randn(1, 3, seed=2)).item() > 0
    with pytest.raises(ValueError, match='tau'):
        DISTLoss(tau=0.0)


# -------------------------------------------------------------------------------------------------- CWD
def test_cwd_matches_numpy_and_ignores_per_channel_offsets():
    s, t = randn(2, 3, 2, 3, seed=0), randn(2, 3, 2, 3, seed=1)
    tau = 2.0
    p_s = np_softmax(s.double().numpy().reshape(6, 6) / tau)
    p_t = np_softmax(t.double().numpy().reshape(6, 6) / tau)
    expected = tau ** 2 * (p_t * np.log(p_t / p_s)).sum() / (2 * 3)
    loss = ChannelWiseDivergence(tau=tau, loss_weight=0.5)(s, t)
    assert loss.item() == pytest.approx(0.5 * expected, rel=1e-5)
    # a spatial softmax per channel ignores a constant added to a channel's map
    offset = torch.tensor([5., -3., 1.]).view(1, 3, 1, 1)
    torch.testing.assert_close(ChannelWiseDivergence(tau=tau)(s + offset, t), loss / 0.5)
    assert ChannelWiseDivergence()(s, s.clone()).item() == pytest.approx(0.0, abs=1e-6)


def test_cwd_gradients_and_errors():
    t = randn(1, 2, 2, 2, seed=3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: ChannelWiseDivergence(tau=3.0)(x, t),
                                    (randn(1, 2, 2, 2, seed=2, dtype=torch.float64).requires_grad_(True), ))
    assert_student_grad_only(ChannelWiseDivergence(), randn(2, 2, 3, 3, seed=4), randn(2, 2, 3, 3, seed=5))
    with pytest.raises(ValueError, match='KDLoss'):
        ChannelWiseDivergence()(randn(2, 3), randn(2, 3))
    with pytest.raises(ValueError, match='connector'):
        ChannelWiseDivergence()(randn(2, 3, 4, 4), randn(2, 3, 2, 2))


# -------------------------------------------------------------------------------------------------- PKD
def np_pkd(s, t):
    def z(x):
        return (x - x.mean(axis=(2, 3), keepdims=True)) / x.std(axis=(2, 3), keepdims=True)
    return ((z(s) - z(t)) ** 2).mean() / 2


def test_pkd_matches_numpy_and_equals_one_minus_pearson():
    s, t = randn(2, 3, 4, 4, seed=0), randn(2, 3, 4, 4, seed=1)
    s_np, t_np = s.double().numpy(), t.double().numpy()
    loss = PKDLoss(loss_weight=2.0)(s, t)
    assert loss.item() == pytest.approx(2.0 * np_pkd(s_np, t_np), rel=1e-4)
    r = np_pearson_rows(s_np.reshape(6, 16), t_np.reshape(6, 16))
    assert loss.item() == pytest.approx(2.0 * (1 - r).mean(), rel=1e-4)
    # per-sample, per-channel affine changes of the student do not matter
    scale = torch.tensor([2., 0.5, 7.]).view(1, 3, 1, 1)
    torch.testing.assert_close(PKDLoss()(s * scale - 3.0, t), loss / 2.0, rtol=1e-4, atol=1e-6)
    assert PKDLoss()(s, s.clone()).item() == pytest.approx(0.0, abs=1e-8)


def test_pkd_resizes_the_student_or_the_teacher():
    s, t = randn(2, 3, 4, 4, seed=2), randn(2, 3, 2, 2, seed=3)
    up = lambda x, size: F.interpolate(x, size=size, mode='bilinear', align_corners=False)  # noqa: E731
    torch.testing.assert_close(PKDLoss()(s, t), PKDLoss()(up(s, (2, 2)), t))
    torch.testing.assert_close(PKDLoss(resize_stu=False)(s, t), PKDLoss()(s, up(t, (4, 4))))
    assert PKDLoss()(s, t).item() != pytest.approx(PKDLoss(resize_stu=False)(s, t).item(), rel=1e-3)
    x = s.clone().requires_grad_(True)
    PKDLoss()(x, t).backward()
    assert x.grad.shape == s.shape and x.grad.abs().sum() > 0


def test_pkd_sums_over_tuples_and_checks_inputs():
    pairs = [(randn(2, 3, 4, 4, seed=i), randn(2, 3, 4, 4, seed=10 + i)) for i in range(2)]
    total = PKDLoss()(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
    torch.testing.assert_close(total, PKDLoss()(*pairs[0]) + PKDLoss()(*pairs[1]))
    with pytest.raises(ValueError, match='equally long'):
        PKDLoss()((pairs[0][0], ), (pairs[0][1], pairs[1][1]))
    with pytest.raises(ValueError, match='equally long'):
        PKDLoss()(pairs[0][0], (pairs[0][1], ))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        PKDLoss()(randn(2, 3), randn(2, 3))
    with pytest.raises(ValueError, match='connector'):
        PKDLoss()(randn(2, 3, 4, 4), randn(2, 5, 4, 4))


def test_pkd_gradients():
    t = randn(1, 2, 3, 3, seed=1, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: PKDLoss()(x, t),
                                    (randn(1, 2, 3, 3, seed=0, dtype=torch.float64).requires_grad_(True), ))
    assert_student_grad_only(PKDLoss(), randn(2, 2, 3, 3, seed=2), randn(2, 2, 3, 3, seed=3))


# -------------------------------------------------------------------------------------------------- MGD
def identity_generator(loss: MGDLoss) -> None:
    """Make G(x) = relu(x) and align(x) = x[:, :teacher_channels] so the loss can be computed by hand."""
    with torch.no_grad():
        for conv in (loss.generation[0], loss.generation[2]):
            conv.weight.zero_()
            conv.bias.zero_()
            for c in range(conv.out_channels):
                conv.weight[c, c, 1, 1] = 1.0
        if loss.align is not None:
            loss.align.weight.zero_()
            loss.align.bias.zero_()
            for c in range(loss.align.out_channels):
                loss.align.weight[c, c, 0, 0] = 1.0


def test_mgd_by_hand_with_identity_layers():
    loss = MGDLoss(3, 2, alpha_mgd=0.5, lambda_mgd=0.0)  # nothing masked
    identity_generator(loss)
    s, t = randn(2, 3, 3, 3, seed=0).abs(), randn(2, 2, 3, 3, seed=1)
    expected = 0.5 * ((s[:, :2] - t) ** 2).sum() / 2
    assert loss(s, t).item() == pytest.approx(expected.item(), rel=1e-6)
    same = MGDLoss(2, 2, lambda_mgd=0.0)
    identity_generator(same)
    assert same.align is None
    assert same(t.abs(), t.abs()).item() == 0.0


def test_mgd_mask_is_spatial_seeded_and_keeps_one_minus_lambda():
    loss = MGDLoss(2, 2, alpha_mgd=1.0, lambda_mgd=0.65)
    identity_generator(loss)
    s, t = torch.ones(1, 2, 60, 60), torch.zeros(1, 2, 60, 60)
    torch.manual_seed(0)
    value = loss(s, t)  # sum of kept locations x 2 channels: loss counts the kept ones
    torch.manual_seed(0)
    mask = loss.random_mask(1, 60, 60, s)
    assert mask.shape == (1, 1, 60, 60)
    assert value.item() == 2 * mask.sum().item()
    assert abs(mask.mean().item() - 0.35) < 0.03
    torch.manual_seed(0)
    assert loss(s, t).item() == value.item()
    torch.manual_seed(1)
    assert loss(s, t).item() != value.item()


def test_mgd_gradients_reach_student_and_layers_not_teacher():
    loss = MGDLoss(3, 4, alpha_mgd=1.0)
    s = randn(2, 3, 4, 4, seed=0).requires_grad_(True)
    t = randn(2, 4, 4, 4, seed=1).requires_grad_(True)
    loss(s, t).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loss.parameters())
    loss = MGDLoss(2, 2, alpha_mgd=1.0, lambda_mgd=0.5).double()
    t64 = randn(1, 2, 3, 3, seed=2, dtype=torch.float64)

    def seeded(x):
        torch.manual_seed(0)  # the same mask at every evaluation
        return loss(x, t64)
    assert torch.autograd.gradcheck(seeded, (randn(1, 2, 3, 3, seed=3, dtype=torch.float64).requires_grad_(True), ))


def test_mgd_errors():
    loss = MGDLoss(3, 4)
    with pytest.raises(ValueError, match='student_channels=5, teacher_channels=4'):
        loss(randn(2, 5, 4, 4), randn(2, 4, 4, 4))
    with pytest.raises(ValueError, match='student_channels=3, teacher_channels=6'):
        loss(randn(2, 3, 4, 4), randn(2, 6, 4, 4))
    with pytest.raises(ValueError, match='resize'):
        loss(randn(2, 3, 4, 4), randn(2, 4, 2, 2))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        loss(randn(2, 3), randn(2, 4))
    with pytest.raises(ValueError, match='student_channels must be a positive int'):
        MGDLoss(0, 4)
    with pytest.raises(TypeError):
        MGDLoss(teacher_channels=4)
    with pytest.raises(ValueError, match='lambda_mgd'):
        MGDLoss(3, 4, lambda_mgd=1.0)


# ----------------------------------------------------------------------------------------------- FitNets
def test_hint_loss_by_hand():
    s = torch.tensor([[1., 2.], [3., 4.]])
    t = torch.tensor([[0., 2.], [1., 1.]])
    # squared differences 1, 0, 4, 9: sum 14, half 7
    assert HintLoss()(s, t).item() == pytest.approx(7 / 2)
    assert HintLoss(normalize='mean')(s, t).item() == pytest.approx(7 / 4)
    assert HintLoss(normalize='none', loss_weight=2.0)(s, t).item() == pytest.approx(14.0)
    s4, t4 = s.view(2, 2, 1, 1), t.view(2, 2, 1, 1)
    assert HintLoss()(s4, t4).item() == pytest.approx(7 / 2)
    x = s.clone().requires_grad_(True)
    HintLoss()(x, t).backward()
    torch.testing.assert_close(x.grad, (s - t) / 2)  # d/ds of 1/2 ||s - t||^2 / N
    assert HintLoss()(s, s.clone()).item() == 0.0


def test_hint_loss_gradients_and_errors():
    t = randn(2, 3, 2, 2, seed=1, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: HintLoss()(x, t),
                                    (randn(2, 3, 2, 2, seed=0, dtype=torch.float64).requires_grad_(True), ))
    assert_student_grad_only(HintLoss(), randn(2, 3, 2, 2, seed=2), randn(2, 3, 2, 2, seed=3))
    with pytest.raises(ValueError, match='ConvConnector'):
        HintLoss()(randn(2, 3, 4, 4), randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match='normalize must be one of'):
        HintLoss(normalize='sum')


def test_conv_connector_regresses_resizes_and_checks():
    conn = ConvConnector(3, 5)
    x = randn(2, 3, 4, 4, seed=0)
    expected = torch.einsum('oc,nchw->nohw', conn.conv.weight[:, :, 0, 0], x) + conn.conv.bias.view(1, 5, 1, 1)
    torch.testing.assert_close(conn(x), expected)
    relu = ConvConnector(3, 5, kernel_size=3, act='relu')
    out = relu(x)
    assert out.shape == (2, 5, 4, 4) and out.min() == 0.0
    torch.testing.assert_close(out, F.relu(F.conv2d(x, relu.conv.weight, relu.conv.bias, padding=1)))
    bilinear = ConvConnector(3, 5, resize='bilinear')
    bilinear.load_state_dict(conn.state_dict())
    torch.testing.assert_close(bilinear(x, target_size=(2, 2)),
                               F.interpolate(expected, size=(2, 2), mode='bilinear', align_corners=False))
    assert bilinear(x, target_size=(4, 4)).shape == (2, 5, 4, 4)
    flat = randn(2, 3, seed=1)
    torch.testing.assert_close(conn(flat), flat @ conn.conv.weight[:, :, 0, 0].t() + conn.conv.bias)
    with pytest.raises(ValueError, match="resize='bilinear'"):
        conn(x, target_size=(2, 2))
    with pytest.raises(ValueError, match='in_channels='):
        conn(randn(2, 4, 4, 4))
    with pytest.raises(ValueError, match='kernel_size=1'):
        relu(flat)
    with pytest.raises(ValueError, match='act must be one of'):
        ConvConnector(3, 5, act='gelu')
    with pytest.raises(ValueError, match='odd'):
        ConvConnector(3, 5, kernel_size=2)


# --------------------------------------------------------------------------------------------------- AT
def test_at_by_hand_with_different_channel_counts():
    s = torch.tensor([[[[1., 2.]], [[2., 0.]]]])  # (1, 2, 1, 2): Q_s = (1 + 4, 4 + 0) = (5, 4)
    t = torch.tensor([[[[3., 0.]]]])  # (1, 1, 1, 2): Q_t = (9, 0) -> (1, 0)
    expected = math.sqrt((5 / math.sqrt(41) - 1) ** 2 + 16 / 41) / 2
    assert ATLoss()(s, t).item() == pytest.approx(expected, rel=1e-6)
    assert ATLoss(loss_weight=10.0)(s, t).item() == pytest.approx(10 * expected, rel=1e-6)


def test_at_matches_numpy_for_any_p_and_is_scale_free():
    s, t = randn(3, 4, 3, 3, seed=0), randn(3, 6, 3, 3, seed=1)
    for p in (1.0, 2.0, 3.0):
        q_s = (np.abs(s.double().numpy()) ** p).sum(1).reshape(3, -1)
        q_t = (np.abs(t.double().numpy()) ** p).sum(1).reshape(3, -1)
        q_s /= np.linalg.norm(q_s, axis=1, keepdims=True)
        q_t /= np.linalg.norm(q_t, axis=1, keepdims=True)
        expected = np.linalg.norm(q_s - q_t, axis=1).mean() / 2
        assert ATLoss(p=p)(s, t).item() == pytest.approx(expected, rel=1e-5)
    torch.testing.assert_close(ATLoss()(s * 5.0, t), ATLoss()(s, t))
    assert ATLoss()(s, s.clone()).item() == pytest.approx(0.0, abs=1e-6)


def test_at_spatial_mismatch_error_or_resize_and_tuples():
    s, t = randn(2, 3, 4, 4, seed=2), randn(2, 5, 2, 2, seed=3)
    with pytest.raises(ValueError, match='resize=True'):
        ATLoss()(s, t)
    q_s = F.interpolate(s.pow(2).sum(1, keepdim=True), size=(2, 2), mode='bilinear', align_corners=False)[:, 0]
    q_s = F.normalize(q_s.flatten(1), dim=1)
    q_t = F.normalize(t.pow(2).sum(1).flatten(1), dim=1)
    expected = (q_s - q_t).norm(dim=1).mean() / 2
    torch.testing.assert_close(ATLoss(resize=True)(s, t), expected)
    u, v = randn(2, 3, 3, 3, seed=4), randn(2, 2, 3, 3, seed=5)
    torch.testing.assert_close(ATLoss(resize=True)((s, u), (t, v)), expected + ATLoss()(u, v))
    with pytest.raises(ValueError, match='equally long'):
        ATLoss()((s, u), (t, ))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        ATLoss()(randn(2, 3), randn(2, 3))


def test_at_gradients():
    t = randn(2, 3, 2, 2, seed=1, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: ATLoss()(x, t),
                                    (randn(2, 2, 2, 2, seed=0, dtype=torch.float64).requires_grad_(True), ))
    assert_student_grad_only(ATLoss(), randn(2, 2, 3, 3, seed=2), randn(2, 4, 3, 3, seed=3))


# ------------------------------------------------------------------------------------------- distiller
def classifier(channels):
    return dict(
        type='mmkd.ImageClassifier',
        backbone=dict(type='mmdet.ResNet', depth=18, num_stages=2, strides=(1, 2), dilations=(1, 1),
                      out_indices=(1, ), base_channels=channels, norm_eval=False, init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels=channels * 2),
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3, std=[1.] * 3))


def test_zoo_losses_train_inside_the_distiller():
    points = dict(
        hint=dict(student='backbone.layer2', teacher='backbone.layer2',
                  connector=dict(type='mmkd.ConvConnector', act='relu'), loss=dict(type='mmkd.HintLoss')),
        mgd=dict(student='backbone.layer2', teacher='backbone.layer2',
                 loss=dict(type='mmkd.MGDLoss', student_channels=16, teacher_channels=32)),
        at=dict(student=['backbone.layer1', 'backbone.layer2'], teacher=['backbone.layer1', 'backbone.layer2'],
                loss=dict(type='mmkd.ATLoss')),
        pkd=dict(student='backbone.layer2', teacher='backbone.layer1',
                 connector=dict(type='mmkd.ConvConnector', resize='bilinear'), loss=dict(type='mmkd.PKDLoss')),
        cwd=dict(student='backbone.layer2', teacher='backbone.layer2', connector=dict(type='mmkd.ConvConnector'),
                 loss=dict(type='mmkd.ChannelWiseDivergence', tau=2.0)),
        dist=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.DISTLoss')))
    model = MODELS.build(dict(type='mmkd.FeatureDistiller', student=classifier(8), input_size=(16, 16),
                              teacher=dict(config=classifier(16), checkpoint=None), teacher_precision='fp32',
                              distill_points=points))
    conv = model.distill_points['hint'].connector.conv
    assert (conv.in_channels, conv.out_channels) == (16, 32)  # inferred by the dry forward
    assert model.distill_points['mgd'].connector.__class__.__name__ == 'IdentityConnector'
    mgd_params = list(model.distill_points['mgd'].loss.parameters())
    assert {id(p) for p in mgd_params} <= {id(p) for p in model.parameters()}
    before = [p.detach().clone() for p in mgd_params]
    inputs = torch.rand(4, 3, 16, 16)
    samples = [ClsDataSample().set_gt_label(i % 3) for i in range(4)]
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log = model.train_step(dict(inputs=inputs, data_samples=samples), optim)
    for key in ('hint', 'mgd', 'at', 'pkd', 'cwd', 'dist'):
        value = float(log[f'loss_distill_{key}'].detach())
        assert math.isfinite(value) and value > 0, (key, value)
    assert any(not torch.equal(a, b) for a, b in zip(before, mgd_params))  # the generator is trained
