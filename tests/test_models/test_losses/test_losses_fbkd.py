"""FBKDLoss (Zhang & Ma, ICLR 2021) against a hand computation on tiny tensors, and its gradients."""
import numpy as np
import pytest
import torch

from mmkd.models.losses import FBKDLoss, NonLocalBlock
from mmkd.registry import MODELS


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def randomise(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5)


def conv1x1(conv, f):
    w = conv.weight.detach().numpy()[:, :, 0, 0]
    return np.einsum('oc,chw->ohw', w, f) + conv.bias.detach().numpy()[:, None, None]


def np_softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def np_non_local(block, f, stride=1):
    """Dot-product non-local block by hand, one image."""
    c, h, w = f.shape
    theta, phi, g = (conv1x1(m, f) for m in (block.theta, block.phi, block.g))
    if stride > 1:  # max-pool phi and g
        pool = lambda x: np.stack([[[x[k, i:i + stride, j:j + stride].max() for j in range(0, w, stride)]
                                    for i in range(0, h, stride)] for k in range(x.shape[0])])
        phi, g = pool(phi), pool(g)
    theta, phi, g = theta.reshape(theta.shape[0], -1), phi.reshape(phi.shape[0], -1), g.reshape(g.shape[0], -1)
    y = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        for j in range(phi.shape[1]):
            y[:, i] += (theta[:, i] @ phi[:, j]) / phi.shape[1] * g[:, j]
    return f + conv1x1(block.out, y.reshape(-1, h, w))


def hand_terms(loss, s, t, mask_source='both'):
    """L_AT, L_AM, L_NLD over a batch of numpy features, written out element by element."""
    n, ct, h, w = t.shape
    adapted = np.stack([conv1x1(loss.adaptation, x) for x in s])
    att_src = s if s.shape[1] == ct else adapted
    sp_s, sp_t = np.abs(s).mean(axis=1), np.abs(t).mean(axis=1)
    ch_s, ch_t = np.abs(att_src).mean(axis=(2, 3)), np.abs(t).mean(axis=(2, 3))
    at = np.sqrt(((sp_s - sp_t) ** 2).sum()) + np.sqrt(((ch_s - ch_t) ** 2).sum())
    am = 0.0
    for i in range(n):
        sp_src = sp_t[i] + (np.abs(att_src[i]).mean(axis=0) if mask_source == 'both' else 0)
        ch_src = ch_t[i] + (ch_s[i] if mask_source == 'both' else 0)
        m_s = h * w * np_softmax(sp_src.reshape(-1) / loss.temperature).reshape(h, w)
        m_c = ct * np_softmax(ch_src / loss.temperature)
        for c in range(ct):
            for y in range(h):
                for x in range(w):
                    am += (t[i, c, y, x] - adapted[i, c, y, x]) ** 2 * m_s[y, x] * m_c[c]
    nl = 0.0
    for i in range(n):
        r_s = conv1x1(loss.non_local_adaptation, np_non_local(loss.student_non_local, s[i], loss.student_non_local.sub_sample))
        r_t = np_non_local(loss.teacher_non_local, t[i], loss.teacher_non_local.sub_sample)
        nl += ((r_s - r_t) ** 2).sum()
    return at, np.sqrt(am), np.sqrt(nl)


@pytest.mark.parametrize('channels,mask_source,sub_sample', [((2, 2), 'both', 1), ((3, 2), 'both', 1),
                                                             ((2, 2), 'teacher', 2)])
def test_terms_and_total_by_hand(channels, mask_source, sub_sample):
    cs, ct = channels
    loss = FBKDLoss(cs, ct, temperature=0.5, alpha=2.0, beta=3.0, gamma=5.0, sub_sample=sub_sample,
                    mask_source=mask_source, loss_weight=0.5).double()
    randomise(loss)
    s, t = randn(2, cs, 4, 4, seed=0), randn(2, ct, 4, 4, seed=1)
    terms = loss.terms(s, t)
    at, am, nl = hand_terms(loss, s.numpy(), t.numpy(), mask_source)
    assert terms['attention'].item() == pytest.approx(at, rel=1e-9)
    assert terms['masked'].item() == pytest.approx(am, rel=1e-9)
    assert terms['non_local'].item() == pytest.approx(nl, rel=1e-9)
    assert loss(s, t).item() == pytest.approx(0.5 * (2 * at + 3 * am + 5 * nl), rel=1e-9)


def test_non_local_block_starts_as_identity():
    block = NonLocalBlock(4).double()
    x = randn(1, 4, 3, 3, seed=2)
    assert torch.equal(block(x), x)


def test_gradients_reach_student_and_modules_not_teacher():
    loss = FBKDLoss(3, 4)
    s = randn(2, 3, 4, 4, seed=0, dtype=torch.float32).requires_grad_(True)
    t = randn(2, 4, 4, 4, seed=1, dtype=torch.float32).requires_grad_(True)
    loss(s, t).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None
    for block in (loss.student_non_local, loss.teacher_non_local):  # zero-initialised output convs learn first
        assert block.out.weight.grad.abs().sum() > 0
    loss.zero_grad()
    randomise(loss, seed=3)
    loss(s, t).backward()
    for name, p in loss.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # identical features: the norms are 0 and their gradient is 0, not NaN
    same = FBKDLoss(2, 2)
    x = randn(1, 2, 3, 3, seed=4, dtype=torch.float32)
    with torch.no_grad():
        same.adaptation.weight.copy_(torch.eye(2).reshape(2, 2, 1, 1))
        same.adaptation.bias.zero_()
        same.non_local_adaptation.weight.copy_(torch.eye(2).reshape(2, 2, 1, 1))
        same.non_local_adaptation.bias.zero_()
    xs = x.clone().requires_grad_(True)
    value = same(xs, x)
    value.backward()
    assert value.item() == 0.0 and torch.isfinite(xs.grad).all()
    # the masks are constants: with mask_source='teacher' they do not move with the student, so the
    # analytic gradient equals the numerical one ('both' mixes in the student's attention, held fixed)
    f = FBKDLoss(2, 2, mask_source='teacher').double()
    randomise(f, seed=5)
    t64 = randn(1, 2, 3, 3, seed=6)
    assert torch.autograd.gradcheck(lambda v: f(v, t64), (randn(1, 2, 3, 3, seed=7).requires_grad_(True), ))


def test_registry_defaults_and_errors():
    loss = MODELS.build(dict(type='mmkd.FBKDLoss', student_channels=4, teacher_channels=4))
    assert (loss.temperature, loss.alpha, loss.beta, loss.gamma, loss.mask_source) == \
        (0.5, 4e-3, 7e-5, 7e-5, 'both')
    assert not loss.needs_data_samples
    with pytest.raises(ValueError, match='student_channels=5, teacher_channels=4'):
        loss(randn(1, 5, 4, 4), randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match='connector'):
        loss(randn(1, 4, 4, 4), randn(1, 4, 2, 2))
    with pytest.raises(ValueError, match='mask_source'):
        FBKDLoss(4, 4, mask_source='student')


def test_masks_are_constants_and_sum_to_the_sizes():
    loss = FBKDLoss(2, 2).double()
    s = randn(1, 2, 3, 3, seed=0).requires_grad_(True)
    m_s, m_c = loss.masks(s, randn(1, 2, 3, 3, seed=1))
    assert not m_s.requires_grad and not m_c.requires_grad
    assert m_s.sum().item() == pytest.approx(9.0) and m_c.sum().item() == pytest.approx(2.0)
