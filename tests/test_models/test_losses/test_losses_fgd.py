"""FGDLoss (Yang et al., CVPR 2022) against a hand computation on tiny features: masks, each term, gradients."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmkd.models.losses import FGDLoss
from mmkd.models.losses.fgd_loss import box_masks, feature_attention
from mmkd.registry import MODELS


def randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def sample(boxes, input_shape=(8, 8)):
    s = DetDataSample(metainfo=dict(batch_input_shape=input_shape, img_shape=input_shape))
    s.gt_instances = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                  labels=torch.zeros(len(boxes), dtype=torch.long))
    return s


def np_attention(f, temp):
    """Per-image spatial (H, W) and channel (C,) attention by hand."""
    c, h, w = f.shape
    sp = np.abs(f).mean(axis=0) / temp
    sp = h * w * np.exp(sp) / np.exp(sp).sum()
    ch = np.abs(f).mean(axis=(1, 2)) / temp
    ch = c * np.exp(ch) / np.exp(ch).sum()
    return sp, ch


def np_gc(f, block):
    """GcBlock by hand: softmax-weighted context, conv -> LayerNorm -> ReLU -> conv, added everywhere."""
    c, h, w = f.shape
    wk = block.context.weight.detach().double().numpy().reshape(c)
    bk = block.context.bias.item()
    logits = np.array([[wk @ f[:, i, j] + bk for j in range(w)] for i in range(h)])
    p = np.exp(logits) / np.exp(logits).sum()
    ctx = (f * p[None]).sum(axis=(1, 2))
    w1 = block.transform[0].weight.detach().double().numpy()[:, :, 0, 0]
    b1 = block.transform[0].bias.detach().double().numpy()
    ln = block.transform[1]
    g, b = ln.weight.detach().double().numpy().reshape(-1), ln.bias.detach().double().numpy().reshape(-1)
    w2 = block.transform[3].weight.detach().double().numpy()[:, :, 0, 0]
    b2 = block.transform[3].bias.detach().double().numpy()
    z = w1 @ ctx + b1
    z = (z - z.mean()) / np.sqrt(z.var() + ln.eps) * g + b
    z = w2 @ np.maximum(z, 0) + b2
    return f + z[:, None, None]


def randomise(loss, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in loss.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)


def test_box_masks_by_hand():
    # a box (2, 2)-(6, 4) on an 8 x 8 input covers columns 1-2, row 1 of a 4 x 4 map: 2 cells, scale 1/2
    fg, bg = box_masks([torch.tensor([[2., 2., 6., 4.]])], [(8, 8)], 4, 4)
    expected = np.zeros((4, 4))
    expected[1, 1:3] = 0.5
    np.testing.assert_allclose(fg[0].numpy(), expected)
    np.testing.assert_allclose(bg[0].numpy(), (expected == 0) / 14.0)
    # a fractional box covers every cell it overlaps; a smaller box inside a larger keeps its larger scale
    fg, _ = box_masks([torch.tensor([[0., 0., 5., 3.], [0., 0., 1., 1.]])], [(8, 8)], 4, 4)
    expected = np.zeros((4, 4))
    expected[0:2, 0:3] = 1 / 6
    expected[0, 0] = 1.0
    np.testing.assert_allclose(fg[0].numpy(), expected, rtol=1e-6)
    # the whole image: all foreground, no background; no box: all background, normalised
    fg, bg = box_masks([torch.tensor([[0., 0., 8., 8.]]), torch.zeros(0, 4)], [(8, 8), (8, 8)], 4, 4)
    np.testing.assert_allclose(fg[0].numpy(), np.full((4, 4), 1 / 16))
    assert bg[0].abs().sum() == 0
    assert fg[1].abs().sum() == 0
    np.testing.assert_allclose(bg[1].numpy(), np.full((4, 4), 1 / 16))
    # boxes are scaled per axis by input size / feature size (a 16 x 8 input, H x W)
    fg, _ = box_masks([torch.tensor([[0., 8., 4., 16.]])], [(16, 8)], 4, 4)
    expected = np.zeros((4, 4))
    expected[2:4, 0:2] = 0.25
    np.testing.assert_allclose(fg[0].numpy(), expected)


def test_attention_by_hand():
    f = randn(1, 2, 4, 4, seed=3)
    sp, ch = feature_attention(f, 0.5)
    sp_np, ch_np = np_attention(f[0].double().numpy(), 0.5)
    np.testing.assert_allclose(sp[0].numpy(), sp_np, rtol=1e-5)
    np.testing.assert_allclose(ch[0].numpy(), ch_np, rtol=1e-5)
    assert sp.sum().item() == pytest.approx(16.0) and ch.sum().item() == pytest.approx(2.0)


@pytest.mark.parametrize('channels', [(2, 2), (3, 2)])
def test_each_term_and_total_by_hand(channels):
    cs, ct = channels
    loss = FGDLoss(cs, ct, temperature=0.5, alpha_fgd=2.0, beta_fgd=3.0, gamma_fgd=5.0, lambda_fgd=7.0,
                   loss_weight=0.5).double()
    randomise(loss)
    s, t = randn(1, cs, 4, 4, seed=0, dtype=torch.float64), randn(1, ct, 4, 4, seed=1, dtype=torch.float64)
    samples = [sample([[2., 2., 6., 4.]])]
    terms = loss.terms(s, t, samples)

    s_np, t_np = s[0].numpy(), t[0].numpy()
    if loss.align is not None:
        w = loss.align.weight.detach().double().numpy()[:, :, 0, 0]
        s_np = np.einsum('oc,chw->ohw', w, s_np) + loss.align.bias.detach().double().numpy()[:, None, None]
    sp_t, ch_t = np_attention(t_np, 0.5)
    sp_s, ch_s = np_attention(s_np, 0.5)
    fg = np.zeros((4, 4))
    fg[1, 1:3] = 0.5
    bg = (fg == 0) / 14.0
    fg_h = bg_h = 0.0
    for c in range(ct):
        for i in range(4):
            for j in range(4):
                d = (s_np[c, i, j] - t_np[c, i, j]) ** 2 * sp_t[i, j] * ch_t[c]
                fg_h += fg[i, j] * d
                bg_h += bg[i, j] * d
    at_h = np.abs(sp_s - sp_t).sum() + np.abs(ch_s - ch_t).sum()
    gl_h = ((np_gc(s_np, loss.student_relation) - np_gc(t_np, loss.teacher_relation)) ** 2).sum()
    assert terms['fg'].item() == pytest.approx(fg_h, rel=1e-9)
    assert terms['bg'].item() == pytest.approx(bg_h, rel=1e-9)
    assert terms['attention'].item() == pytest.approx(at_h, rel=1e-9)
    assert terms['global'].item() == pytest.approx(gl_h, rel=1e-9)
    total = loss(s, t, data_samples=samples).item()
    assert total == pytest.approx(0.5 * (2 * fg_h + 3 * bg_h + 5 * at_h + 7 * gl_h), rel=1e-9)


def test_whole_image_box_and_no_box_and_batch_mean():
    loss = FGDLoss(2, 2).double()
    s, t = randn(2, 2, 4, 4, seed=0, dtype=torch.float64), randn(2, 2, 4, 4, seed=1, dtype=torch.float64)
    whole = loss.terms(s[:1], t[:1], [sample([[0., 0., 8., 8.]])])
    assert whole['bg'].item() == 0.0 and whole['fg'].item() > 0
    none = loss.terms(s[1:], t[1:], [sample([])])
    assert none['fg'].item() == 0.0 and none['bg'].item() > 0
    both = loss.terms(s, t, [sample([[0., 0., 8., 8.]]), sample([])])
    for key in ('fg', 'bg', 'attention', 'global'):  # sums over the batch divided by N
        assert both[key].item() == pytest.approx((whole[key] + none[key]).item() / 2, rel=1e-9)


def test_gradients_reach_student_and_gcblocks_not_teacher():
    loss = FGDLoss(3, 4)
    s = randn(2, 3, 4, 4, seed=0).requires_grad_(True)
    t = randn(2, 4, 4, 4, seed=1).requires_grad_(True)
    samples = [sample([[2., 2., 6., 4.]]), sample([[0., 0., 3., 8.]])]
    loss(s, t, data_samples=samples).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None
    # at the authors' initialisation the last transform convs are zero: they receive the gradient
    for block in (loss.student_relation, loss.teacher_relation):
        assert block.transform[-1].weight.grad.abs().sum() > 0
    # once they are trained, every GcBlock parameter does
    loss.zero_grad()
    randomise(loss, seed=4)
    loss(s, t, data_samples=samples).backward()
    for name, p in loss.named_parameters():
        if name.endswith('context.bias'):
            # the context logits go through a softmax over locations, which a constant shift leaves
            # unchanged: this bias's gradient is zero (up to rounding)
            assert p.grad is None or p.grad.abs().sum() < 1e-6, name
            continue
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    f = FGDLoss(2, 2, lambda_fgd=1.0).double()
    randomise(f)
    t64 = randn(1, 2, 3, 3, seed=2, dtype=torch.float64)
    one = [sample([[1., 1., 4., 5.]], (6, 6))]
    assert torch.autograd.gradcheck(lambda x: f(x, t64, data_samples=one),
                                    (randn(1, 2, 3, 3, seed=3, dtype=torch.float64).requires_grad_(True), ))


def test_registry_defaults_and_errors():
    loss = MODELS.build(dict(type='mmkd.FGDLoss', student_channels=4, teacher_channels=4))
    assert (loss.temperature, loss.alpha_fgd, loss.beta_fgd, loss.gamma_fgd, loss.lambda_fgd) == \
        (0.5, 1e-3, 5e-4, 1e-3, 5e-6)
    assert loss.needs_data_samples and loss.align is None
    with pytest.raises(ValueError, match='data samples'):
        loss(randn(1, 4, 4, 4), randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match='student_channels=5, teacher_channels=4'):
        loss(randn(1, 5, 4, 4), randn(1, 4, 4, 4), data_samples=[sample([])])
    with pytest.raises(ValueError, match='connector'):
        loss(randn(1, 4, 4, 4), randn(1, 4, 2, 2), data_samples=[sample([])])
