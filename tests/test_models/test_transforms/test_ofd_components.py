import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmkd.models.connectors import ConvBNConnector, IdentityConnector
from mmkd.models.losses import PartialL2Loss, partial_l2
from mmkd.models.transforms import MarginReLU, ofd_margin
from mmkd.registry import MODELS


def hand_margin(gamma, beta):
    """E[x | x < 0] for x ~ N(beta, gamma^2), or -3|gamma| where P(x < 0) <= 1e-3, with math only."""
    s, mu = abs(gamma), beta
    tail = 0.5 * (1 + math.erf((-mu / s) / math.sqrt(2)))
    if tail <= 1e-3:
        return -3 * s
    pdf = math.exp(-0.5 * (mu / s) ** 2) / math.sqrt(2 * math.pi)
    return mu - s * pdf / tail


# (gamma, beta): formula branch (incl. negative gamma and P(x<0) = 0.00135 just above the threshold),
# and the -3s branch (P(x<0) = 3.2e-5 and 6.9e-4).
GAMMA = [-2.0, 1.0, 1.0, 0.5, 1.0, -0.25]
BETA = [1.0, -1.0, 3.0, 2.0, 3.2, 0.0]


def make_bn(gamma, beta):
    bn = nn.BatchNorm2d(len(gamma))
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    return bn


def test_ofd_margin_matches_closed_form():
    margin = ofd_margin(make_bn(GAMMA, BETA))
    assert margin.dtype == torch.float32 and margin.shape == (6, )
    expected = torch.tensor([hand_margin(g, b) for g, b in zip(GAMMA, BETA)])
    torch.testing.assert_close(margin, expected, rtol=1e-5, atol=1e-6)
    # spot values worked out by hand: 1 - 2 pdf(.5) / cdf(-.5), -1 - pdf(1) / cdf(1), 3 - pdf(3) / cdf(-3)
    torch.testing.assert_close(margin[:3], torch.tensor([-1.28216, -1.28760, -0.28310]), atol=1e-4, rtol=0)
    assert margin[3].item() == -1.5 and margin[4].item() == -3.0  # cdf(-mu/s) <= 1e-3 -> -3s
    assert margin[5].item() == pytest.approx(-0.25 * math.sqrt(2 / math.pi), rel=1e-6)


def test_ofd_margin_is_the_mean_of_negative_samples():
    gen = torch.Generator().manual_seed(0)
    x = 1.0 + 2.0 * torch.randn(400_000, generator=gen, dtype=torch.float64)
    empirical = x[x < 0].mean().item()
    assert ofd_margin((torch.tensor([-2.0]), torch.tensor([1.0]))).item() == pytest.approx(empirical, abs=0.02)


def test_ofd_margin_inputs():
    pair = (torch.tensor(GAMMA, dtype=torch.bfloat16), torch.tensor(BETA, dtype=torch.bfloat16))
    assert ofd_margin(pair).dtype == torch.float32
    plain = nn.BatchNorm2d(2, affine=False)  # N(0, 1): E[x | x < 0] = -sqrt(2 / pi)
    torch.testing.assert_close(ofd_margin(plain), torch.full((2, ), -math.sqrt(2 / math.pi)))
    zero = ofd_margin((torch.zeros(3), torch.tensor([-0.5, 0.0, 0.5])))  # s = 0: no NaN
    torch.testing.assert_close(zero, torch.tensor([-0.5, 0.0, 0.0]))
    with pytest.raises(TypeError, match='BatchNorm module or a'):
        ofd_margin(torch.ones(3))
    with pytest.raises(TypeError, match='point bn= at the BN'):
        ofd_margin(nn.ReLU())
    with pytest.raises(ValueError, match='same length'):
        ofd_margin((torch.ones(3), torch.ones(2)))


def margin_relu_with(margins):
    """A MarginReLU whose margins are exactly ``margins`` (all from the -3s branch: gamma=-m/3, beta=10)."""
    return MarginReLU.from_bn((torch.tensor([-m / 3 for m in margins]), torch.full((len(margins), ), 10.0)))


def test_margin_relu_values():
    relu = margin_relu_with([-1.5, -0.5])
    torch.testing.assert_close(relu.margin, torch.tensor([-1.5, -0.5]))
    t = torch.tensor([[[[-2.0, -1.0, 0.3]], [[-0.7, -0.2, 1.0]]]])
    expected = torch.tensor([[[[-1.5, -1.0, 0.3]], [[-0.5, -0.2, 1.0]]]])
    torch.testing.assert_close(relu(t), expected)
    torch.testing.assert_close(relu(torch.tensor([[-3.0, -3.0], [0.2, -0.4]])),
                               torch.tensor([[-1.5, -0.5], [0.2, -0.4]]))
    low = relu(t.to(torch.bfloat16))
    assert low.dtype == torch.float32
    torch.testing.assert_close(low, expected.to(torch.bfloat16).float())


def test_margin_relu_init_and_errors():
    bn = make_bn(GAMMA, BETA)
    relu = MarginReLU(num_channels=6, bn='backbone.layer4.1.bn2')
    assert relu.bn == 'backbone.layer4.1.bn2'
    with pytest.raises(RuntimeError, match='margin is not set: call init_from_bn'):
        relu(torch.zeros(1, 6, 2, 2))
    assert relu.init_from_bn(bn) is relu
    torch.testing.assert_close(relu.margin, ofd_margin(bn))
    with pytest.raises(ValueError, match=r'expects a \(N, 6, H, W\) or \(N, 6\) tensor, got shape \(1, 5, 2, 2\)'):
        relu(torch.zeros(1, 5, 2, 2))
    with pytest.raises(ValueError, match='num_channels=4 but the BN x has 6 channels'):
        MarginReLU(num_channels=4, bn='x').init_from_bn(bn)
    built = MODELS.build(dict(type='mmkd.MarginReLU', bn='neck.bn'))
    assert isinstance(built, MarginReLU) and built.bn == 'neck.bn'


def test_margin_relu_state_dict_round_trip():
    src = MarginReLU.from_bn(make_bn(GAMMA, BETA))
    dst = MarginReLU()
    dst.load_state_dict(src.state_dict())
    t = torch.randn(2, 6, 3, 3)
    torch.testing.assert_close(dst(t), src(t))
    assert dst.num_channels == 6
    with pytest.raises(RuntimeError, match='size mismatch'):
        MarginReLU(num_channels=4).load_state_dict(src.state_dict())


def test_partial_l2_regions():
    # s <= t <= 0 -> 0 (two cases, incl. s = t = 0); t > 0 with s < t and s > t; s > t with t <= 0
    s = torch.tensor([-2.0, 0.0, -1.0, 3.0, 1.0, -0.5])
    t = torch.tensor([-1.0, 0.0, 0.5, 2.0, -0.5, -0.5])
    expected = torch.tensor([0.0, 0.0, 2.25, 1.0, 2.25, 0.0])
    torch.testing.assert_close(partial_l2(s, t, reduction='none'), expected)
    assert partial_l2(s, t).item() == pytest.approx(5.5)
    assert partial_l2(s, t, reduction='mean').item() == pytest.approx(5.5 / 6)


def test_partial_l2_loss_normalisation_and_weight():
    s = torch.tensor([-2.0, 0.0, -1.0, 3.0, 1.0, -0.5]).view(1, 6, 1, 1)
    t = torch.tensor([-1.0, 0.0, 0.5, 2.0, -0.5, -0.5]).view(1, 6, 1, 1)
    s2, t2 = torch.cat([s, 2 * s]), torch.cat([t, 2 * t])  # second sample: 4x the distance
    assert PartialL2Loss()(s2, t2).item() == pytest.approx((5.5 + 22.0) / 2)
    assert PartialL2Loss(normalize='none')(s2, t2).item() == pytest.approx(27.5)
    assert PartialL2Loss(normalize='mean')(s2, t2).item() == pytest.approx(27.5 / 12)
    loss = PartialL2Loss(loss_weight=1e-3)
    assert loss(s2, t2).item() == pytest.approx(27.5 / 2 * 1e-3)
    loss.loss_weight = 0.5  # a schedule may change it at run time
    assert loss(s2, t2).item() == pytest.approx(27.5 / 2 * 0.5)
    assert MODELS.build(dict(type='mmkd.PartialL2Loss', loss_weight=2.0)).loss_weight == 2.0


def test_partial_l2_loss_gradients():
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: partial_l2(a, b), (s, t))
    loss = PartialL2Loss(loss_weight=0.3)
    assert torch.autograd.gradcheck(lambda a: loss(a, t), (s, ))
    out = loss(s, t)
    assert out.dtype == torch.float64
    out.backward()
    assert t.grad is None  # the teacher is detached
    keep = (s > t) | (t > 0)
    torch.testing.assert_close(s.grad, 0.3 * 2 * (s - t).detach() * keep / 2)


def test_partial_l2_loss_dtype_and_errors():
    s = torch.randn(2, 3, 4, 4).half()
    assert PartialL2Loss()(s, torch.randn(2, 3, 4, 4)).dtype == torch.float32
    with pytest.raises(ValueError, match=r'student feature shape \(2, 3, 4, 4\) does not match teacher feature '
                                         r'shape \(2, 6, 4, 4\); map the student feature with a connector'):
        PartialL2Loss()(torch.zeros(2, 3, 4, 4), torch.zeros(2, 6, 4, 4))
    with pytest.raises(ValueError, match='normalize must be one of'):
        PartialL2Loss(normalize='batchsize')


def test_conv_bn_connector_shapes_and_init():
    torch.manual_seed(0)
    connector = ConvBNConnector(64, 128, kernel_size=3)
    weight = connector.conv.weight
    assert weight.shape == (128, 64, 3, 3) and connector.conv.bias is None
    assert weight.std().item() == pytest.approx(math.sqrt(2 / (3 * 3 * 128)), rel=0.02)
    assert abs(weight.mean().item()) < 1e-3
    assert torch.equal(connector.bn.weight, torch.ones(128)) and torch.equal(connector.bn.bias, torch.zeros(128))
    assert connector(torch.randn(2, 64, 5, 7)).shape == (2, 128, 5, 7)
    one = ConvBNConnector(4, 8)
    assert one.conv.weight.shape == (8, 4, 1, 1)
    assert one(torch.randn(2, 4, 5, 5), target_size=(5, 5)).shape == (2, 8, 5, 5)
    built = MODELS.build(dict(type='mmkd.ConvBNConnector', in_channels=4, out_channels=8, resize='nearest'))
    assert isinstance(built, ConvBNConnector) and built.resize == 'nearest'


@pytest.mark.parametrize('mode', ['bilinear', 'nearest'])
def test_conv_bn_connector_resize(mode):
    torch.manual_seed(0)
    connector = ConvBNConnector(4, 8, resize=mode).eval()
    x = torch.randn(2, 4, 5, 5)
    out = connector(x, target_size=torch.Size([10, 9]))
    assert out.shape == (2, 8, 10, 9)
    kwargs = dict(align_corners=False) if mode == 'bilinear' else {}
    torch.testing.assert_close(out, F.interpolate(connector(x), size=(10, 9), mode=mode, **kwargs))


def test_conv_bn_connector_errors():
    connector = ConvBNConnector(4, 8)
    with pytest.raises(ValueError, match=r"student feature is \(5, 5\) but the teacher is \(10, 10\); set resize="):
        connector(torch.randn(1, 4, 5, 5), target_size=(10, 10))
    with pytest.raises(ValueError, match=r'expects a \(N, 4, H, W\) student feature, got shape \(1, 3, 5, 5\) '
                                         r'\(3 channels\)'):
        connector(torch.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match='kernel_size must be a positive odd int'):
        ConvBNConnector(4, 8, kernel_size=2)
    with pytest.raises(ValueError, match='resize must be one of'):
        ConvBNConnector(4, 8, resize='bicubic')


def test_identity_connector():
    connector = MODELS.build(dict(type='mmkd.IdentityConnector'))
    assert isinstance(connector, IdentityConnector)
    x = torch.randn(1, 3, 4, 5)
    assert connector(x) is x and connector(x, target_size=(4, 5)) is x
    with pytest.raises(ValueError, match='cannot resize'):
        connector(x, target_size=(8, 10))
    assert IdentityConnector(strict=False)(x, target_size=(8, 10)) is x  # the loss aligns sizes
    resized = IdentityConnector(resize='nearest')(x, target_size=(8, 10))
    torch.testing.assert_close(resized, x.repeat_interleave(2, -2).repeat_interleave(2, -1))
    with pytest.raises(ValueError, match='resize must be one of'):
        IdentityConnector(resize='bicubic')


def test_ofd_pipeline_trains_the_connector():
    torch.manual_seed(0)
    bn = make_bn([1.0] * 8, [0.5] * 8)
    teacher_pre_relu = bn(torch.randn(2, 8, 6, 6)).detach()
    connector = ConvBNConnector(4, 8, resize='bilinear')
    student = torch.randn(2, 4, 3, 3, requires_grad=True)
    loss = PartialL2Loss(loss_weight=1e-3)(connector(student, target_size=(6, 6)),
                                           MarginReLU.from_bn(bn)(teacher_pre_relu))
    loss.backward()
    assert loss.item() > 0
    assert connector.conv.weight.grad.abs().sum() > 0 and student.grad.abs().sum() > 0


def test_margin_estimated_from_data_is_the_conditional_negative_mean():
    from mmkd.models.transforms.margin_relu import MarginReLU
    relu = MarginReLU(estimate_batches=2).train()
    x = torch.tensor([[-1., -3., 2.], [4., 5., 6.]]).view(1, 2, 1, 3)   # channel 1 has no negative
    y = torch.tensor([[-2., 1., 1.], [-8., 1., 1.]]).view(1, 2, 1, 3)
    relu(x)
    torch.testing.assert_close(relu.margin, torch.tensor([-2., 0.]))
    out = relu(y)  # second batch: channel 0 mean of {-1, -3, -2} = -2; channel 1 mean of {-8}
    torch.testing.assert_close(relu.margin, torch.tensor([-2., -8.]))
    torch.testing.assert_close(out, torch.maximum(y, relu.margin.view(1, 2, 1, 1)))
    relu(torch.full((1, 2, 1, 3), -100.))  # estimation is over: the margin stays
    torch.testing.assert_close(relu.margin, torch.tensor([-2., -8.]))
    restored = MarginReLU(estimate_batches=2)
    restored.load_state_dict(relu.state_dict())
    torch.testing.assert_close(restored(y), out)
    assert int(restored.batches_seen) == 2
    with pytest.raises(ValueError, match='either bn='):
        MarginReLU(bn='backbone.bn', estimate_batches=3)
