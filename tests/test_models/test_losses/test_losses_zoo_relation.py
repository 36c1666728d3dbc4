"""Relation-based, multi-layer and pre-training losses of the method zoo: RKD, IRG, CCKD, PKT, FSP, AB, FT."""
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from conftest import batch, build, set_iter
from mmkd.models.algorithms.distill_point import DistillPoint
from mmkd.models.connectors import FTTranslator, IdentityConnector
from mmkd.models.losses import (ABLoss, CCKDLoss, FSPLoss, FTLoss, IRGLoss, PKTLoss, RKDLoss, ab_loss,
                                correlation_matrix, fsp_matrix, irg_edge, irg_transform, irg_vertex, rkd_angle,
                                rkd_distance)
from mmkd.registry import MODELS


def rand(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def huber(a, b):
    d = np.abs(a - b)
    return np.where(d < 1, 0.5 * d ** 2, d - 0.5)


def np_l2n(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def assert_student_only_grad(loss_fn, student, teacher):
    """The loss back-propagates into the student and never into the teacher."""
    student = [s.detach().clone().requires_grad_(True) for s in student] if isinstance(student, list) else \
        student.detach().clone().requires_grad_(True)
    teacher = [t.detach().clone().requires_grad_(True) for t in teacher] if isinstance(teacher, list) else \
        teacher.detach().clone().requires_grad_(True)
    loss_fn(tuple(student) if isinstance(student, list) else student,
            tuple(teacher) if isinstance(teacher, list) else teacher).backward()
    for s in (student if isinstance(student, list) else [student]):
        assert s.grad is not None and s.grad.abs().sum() > 0
    for t in (teacher if isinstance(teacher, list) else [teacher]):
        assert t.grad is None


# ------------------------------------------------------------------------------------------------ RKD
def np_rkd_distance(s, t):
    def psi(x):
        n = len(x)
        d = np.array([[np.linalg.norm(x[i] - x[j]) for j in range(n)] for i in range(n)])
        return d / (d.sum() / (n * (n - 1)))

    ps, pt = psi(s), psi(t)
    mask = ~np.eye(len(s), dtype=bool)
    return huber(ps[mask], pt[mask]).mean()


def np_rkd_angle(s, t):
    def cos(x, i, j, k):
        a, b = x[i] - x[j], x[k] - x[j]
        return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))

    vals = [huber(cos(s, i, j, k), cos(t, i, j, k))
            for i, j, k in itertools.permutations(range(len(s)), 3)]
    return np.mean(vals)


def test_rkd_distance_by_hand():
    s = torch.tensor([[0., 0.], [3., 0.], [0., 4.]])  # sides 3, 4, 5: mu = 4, psi = 0.75, 1, 1.25
    t = torch.tensor([[0., 0.], [1., 0.], [0., 1.]])  # sides 1, 1, sqrt(2): mu = (2 + sqrt(2)) / 3
    mu_t = (2 + math.sqrt(2)) / 3
    diffs = [abs(0.75 - 1 / mu_t), abs(1.0 - 1 / mu_t), abs(1.25 - math.sqrt(2) / mu_t)]
    expected = sum(0.5 * d ** 2 if d < 1 else d - 0.5 for d in diffs) / 3  # each pair twice: same mean
    assert rkd_distance(s, t).item() == pytest.approx(expected, rel=1e-5)


def test_rkd_angle_by_hand():
    # right angle at sample 0 for the student; 45-degree triangle for the teacher
    s = torch.tensor([[0., 0.], [3., 0.], [0., 4.]])
    t = torch.tensor([[0., 0.], [1., 0.], [0., 1.]])
    # teacher: angle at 0 is 90 deg (cos 0); at 1 and 2: 45 deg. student: at 1: cos = 3/5, at 2: cos = 4/5
    diffs = [0.0, abs(0.6 - math.sqrt(0.5)), abs(0.8 - math.sqrt(0.5))]
    expected = sum(0.5 * d ** 2 for d in diffs) / 3  # each angle appears for (i, k) and (k, i)
    assert rkd_angle(s, t).item() == pytest.approx(expected, rel=1e-5)


def test_rkd_terms_against_numpy_and_total():
    s, t = rand(6, 3, 2, 2, seed=1), rand(6, 5, seed=2)  # dims differ; (N, C, H, W) flattened
    s_np, t_np = s.flatten(1).double().numpy(), t.double().numpy()
    d, a = np_rkd_distance(s_np, t_np), np_rkd_angle(s_np, t_np)
    assert rkd_distance(s, t).item() == pytest.approx(d, rel=1e-4)
    assert rkd_angle(s, t).item() == pytest.approx(a, rel=1e-4)
    loss = MODELS.build(dict(type='mmkd.RKDLoss', loss_weight=0.5))
    assert loss(s, t).item() == pytest.approx(0.5 * (25 * d + 50 * a), rel=1e-4)
    assert RKDLoss(distance_weight=0, angle_weight=50)(s, t).item() == pytest.approx(50 * a, rel=1e-4)


def test_rkd_large_offset_is_translation_invariant():
    s, t = rand(5, 8, seed=3), rand(5, 8, seed=4)
    ref = RKDLoss()(s, t).item()
    assert RKDLoss()(s + 1e3, t - 5e2).item() == pytest.approx(ref, rel=1e-3)


def test_rkd_zero_for_similar_structures_and_small_batches():
    t = rand(5, 4, seed=5)
    assert RKDLoss()(t.clone(), t).item() == pytest.approx(0, abs=1e-6)
    # distances are normalised by their mean and angles are scale-free: a scaled copy costs nothing
    assert RKDLoss()(3 * t, t).item() == pytest.approx(0, abs=1e-5)
    two = rand(2, 4, seed=6).requires_grad_(True)
    assert rkd_angle(two, rand(2, 4, seed=7)).item() == 0
    one = rand(1, 4, seed=8).requires_grad_(True)
    loss = RKDLoss()(one, rand(1, 4, seed=9))
    loss.backward()  # still differentiable (zero gradient)
    assert loss.item() == 0 and one.grad.abs().sum() == 0


def test_rkd_gradients():
    s, t = rand(4, 3, seed=10, dtype=torch.float64), rand(4, 5, seed=11, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: RKDLoss()(x, t), (s.requires_grad_(True), ))
    assert_student_only_grad(RKDLoss(), rand(4, 3, seed=12), rand(4, 6, seed=13))


def test_rkd_errors():
    with pytest.raises(ValueError, match='batch'):
        RKDLoss()(rand(4, 3), rand(5, 3))
    with pytest.raises(ValueError, match=r'\(N, D\)'):
        RKDLoss()(rand(4), rand(4))


# ------------------------------------------------------------------------------------------------ IRG
def np_irg(student, teacher, squared=False):
    """Vertex, edge and transformation terms written out with loops."""
    def pooled(x):
        x = x.astype(np.float64)
        return x.reshape(x.shape[0], x.shape[1], -1).mean(axis=2) if x.ndim > 2 else x

    def dist(a, b):
        d = np.sum((a - b) ** 2)
        return d if squared else np.sqrt(d)

    def match(a, b):  # average adjacent channels of the wider (widths here differ by a factor 2)
        if a.shape[1] > b.shape[1]:
            a = a.reshape(a.shape[0], b.shape[1], -1).mean(axis=2)
        elif b.shape[1] > a.shape[1]:
            b = b.reshape(b.shape[0], a.shape[1], -1).mean(axis=2)
        return a, b

    s_l, t_l = [pooled(x) for x in student], [pooled(x) for x in teacher]
    n = s_l[0].shape[0]
    vertex = np.sum((s_l[-1] - t_l[-1]) ** 2) / n
    edge = 0.0
    for s, t in zip(s_l, t_l):
        a_s = np.array([[dist(s[i], s[j]) for j in range(n)] for i in range(n)])
        a_t = np.array([[dist(t[i], t[j]) for j in range(n)] for i in range(n)])
        edge += np.sum((a_s / a_s.max() - a_t / a_t.max()) ** 2) / n
    transform = 0.0
    for k in range(len(s_l) - 1):
        d = []
        for layers in (s_l, t_l):
            a, b = match(layers[k], layers[k + 1])
            v = np.array([dist(a[i], b[i]) for i in range(n)])
            d.append(v / v.max())
        transform += np.mean((d[0] - d[1]) ** 2)
    return vertex, edge, transform


def irg_inputs(seed=0):
    student = (rand(5, 4, 6, 6, seed=seed), rand(5, 8, 3, 3, seed=seed + 1), rand(5, 16, seed=seed + 2))
    teacher = (rand(5, 8, 6, 6, seed=seed + 3), rand(5, 16, 3, 3, seed=seed + 4), rand(5, 16, seed=seed + 5))
    return student, teacher


@pytest.mark.parametrize('squared', [False, True])
def test_irg_terms_against_numpy(squared):
    student, teacher = irg_inputs()
    v, e, tr = np_irg([x.numpy() for x in student], [x.numpy() for x in teacher], squared)
    assert irg_vertex(student, teacher).item() == pytest.approx(v, rel=1e-5)
    assert irg_edge(student, teacher, squared).item() == pytest.approx(e, rel=1e-4)
    assert irg_transform(student, teacher, squared).item() == pytest.approx(tr, rel=1e-4)
    loss = MODELS.build(dict(type='mmkd.IRGLoss', w_vertex=0.5, w_edge=2.0, w_transform=3.0, loss_weight=2.0,
                             squared=squared))
    assert loss(student, teacher).item() == pytest.approx(2.0 * (0.5 * v + 2.0 * e + 3.0 * tr), rel=1e-4)


def test_irg_defaults_and_zero_for_identical():
    loss = IRGLoss()
    assert (loss.w_vertex, loss.w_edge, loss.w_transform) == (1.0, 0.005, 0.005)
    _, teacher = irg_inputs(seed=3)
    assert loss(tuple(t.clone() for t in teacher), teacher).item() == pytest.approx(0, abs=1e-6)
    # a single tensor is a one-layer graph: vertex + edge, no transformation
    assert irg_transform(teacher[-1], teacher[-1] * 2).item() == 0


def test_irg_gradients():
    student = (rand(3, 2, 2, 2, seed=20, dtype=torch.float64), rand(3, 3, seed=21, dtype=torch.float64))
    teacher = (rand(3, 4, 2, 2, seed=22, dtype=torch.float64), rand(3, 3, seed=23, dtype=torch.float64))
    loss = IRGLoss(w_vertex=1.0, w_edge=1.0, w_transform=1.0)
    inputs = tuple(x.clone().requires_grad_(True) for x in student)
    assert torch.autograd.gradcheck(lambda a, b: loss((a, b), teacher), inputs)
    assert_student_only_grad(loss, [x.float() for x in student], [x.float() for x in teacher])


def test_irg_errors():
    student, teacher = irg_inputs()
    with pytest.raises(ValueError, match='last layer'):
        IRGLoss()(student, teacher[:2] + (rand(5, 7), ))
    with pytest.raises(ValueError, match='as many student as teacher'):
        IRGLoss()(student, teacher[:2])
    with pytest.raises(ValueError, match='batch sizes'):
        IRGLoss()(student, teacher[:2] + (rand(4, 16), ))
    # w_vertex=0 lifts the equal-dims requirement of the last layer
    assert torch.isfinite(IRGLoss(w_vertex=0)(student, teacher[:2] + (rand(5, 7), )))


# ----------------------------------------------------------------------------------------------- CCKD
def test_cckd_kernel_expansion_by_hand_and_closed_form():
    x = rand(4, 6, seed=30)
    f = np_l2n(x.double().numpy())
    sim = f @ f.T
    gamma = 0.4
    by_hand = sum(math.exp(-2 * gamma) * (2 * gamma) ** p / math.factorial(p) * sim ** p for p in range(3))
    np.testing.assert_allclose(correlation_matrix(x, 'gaussian', gamma, 2).numpy(), by_hand, rtol=1e-5)
    # a long expansion converges to the Gaussian RBF exp(-gamma ||f_i - f_j||^2) of the unit vectors
    sq = np.array([[np.sum((a - b) ** 2) for b in f] for a in f])
    np.testing.assert_allclose(correlation_matrix(x, 'gaussian', gamma, 20).numpy(), np.exp(-gamma * sq),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(by_hand, np.exp(-gamma * sq), atol=1e-3)  # order 2 is only an approximation
    np.testing.assert_allclose(correlation_matrix(x, 'bilinear').numpy(), sim, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('kernel', ['gaussian', 'bilinear'])
def test_cckd_loss_against_numpy(kernel):
    s, t = rand(5, 3, 2, 2, seed=31), rand(5, 9, seed=32)  # dims differ
    c_s = correlation_matrix(s, kernel).double().numpy()
    c_t = correlation_matrix(t, kernel).double().numpy()
    expected = 2.0 * np.sum((c_s - c_t) ** 2) / 25
    loss = MODELS.build(dict(type='mmkd.CCKDLoss', kernel=kernel, loss_weight=2.0))
    assert loss(s, t).item() == pytest.approx(expected, rel=1e-5)
    assert loss(t.clone(), t).item() == pytest.approx(0, abs=1e-7)
    assert loss(5 * t, t).item() == pytest.approx(0, abs=1e-7)  # embeddings are L2-normalised


def test_cckd_gradients_and_errors():
    s, t = rand(4, 3, seed=33, dtype=torch.float64), rand(4, 5, seed=34, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: CCKDLoss()(x, t), (s.requires_grad_(True), ))
    assert_student_only_grad(CCKDLoss(), rand(4, 3, seed=35), rand(4, 5, seed=36))
    with pytest.raises(ValueError, match='kernel'):
        CCKDLoss(kernel='poly')
    with pytest.raises(ValueError, match='batch'):
        CCKDLoss()(rand(4, 3), rand(3, 3))


# ------------------------------------------------------------------------------------------------ PKT
def np_pkt(s, t, eps=1e-7):
    def probs(x):
        f = np_l2n(x.reshape(len(x), -1).astype(np.float64))
        k = (f @ f.T + 1) / 2
        np.fill_diagonal(k, 0)
        return k / k.sum(axis=1, keepdims=True)

    p_s, p_t = probs(s), probs(t)
    n = len(s)
    kl = [sum(p_t[i, j] * math.log((p_t[i, j] + eps) / (p_s[i, j] + eps)) for j in range(n) if j != i)
          for i in range(n)]
    return np.mean(kl)


def test_pkt_against_numpy():
    s, t = rand(6, 2, 3, 3, seed=40), rand(6, 7, seed=41)
    expected = np_pkt(s.numpy(), t.numpy())
    assert expected > 0
    loss = MODELS.build(dict(type='mmkd.PKTLoss', loss_weight=3.0))
    assert loss(s, t).item() == pytest.approx(3.0 * expected, rel=1e-4)


def test_pkt_zero_cases_and_gradients():
    t = rand(5, 4, seed=42)
    assert PKTLoss()(t.clone(), t).item() == pytest.approx(0, abs=1e-6)
    assert PKTLoss()(rand(2, 4, seed=43), rand(2, 8, seed=44)).item() == pytest.approx(0, abs=1e-6)  # one neighbour
    s, t = rand(4, 3, seed=45, dtype=torch.float64), rand(4, 5, seed=46, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: PKTLoss()(x, t), (s.requires_grad_(True), ))
    assert_student_only_grad(PKTLoss(), rand(4, 3, seed=47), rand(4, 5, seed=48))


# ------------------------------------------------------------------------------------------------ FSP
def test_fsp_matrix_is_normalised_by_the_spatial_size():
    f1, f2 = torch.ones(2, 3, 4, 5), 2 * torch.ones(2, 6, 4, 5)
    g = fsp_matrix(f1, f2)
    assert g.shape == (2, 3, 6)
    assert torch.allclose(g, torch.full((2, 3, 6), 2.0))  # sum over 20 positions of 1 * 2, divided by 20
    a, b = rand(2, 3, 4, 5, seed=50), rand(2, 6, 4, 5, seed=51)
    expected = np.einsum('nihw,njhw->nij', a.numpy(), b.numpy()) / 20
    np.testing.assert_allclose(fsp_matrix(a, b).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_fsp_matrix_pools_the_larger_map():
    a, b = rand(1, 2, 4, 4, seed=52), rand(1, 3, 2, 2, seed=53)
    pooled = a.numpy().reshape(1, 2, 2, 2, 2, 2).mean(axis=(3, 5))  # 2x2 block means
    expected = np.einsum('nihw,njhw->nij', pooled, b.numpy()) / 4
    np.testing.assert_allclose(fsp_matrix(a, b).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fsp_matrix(b, a).numpy(), expected.transpose(0, 2, 1), rtol=1e-5, atol=1e-6)


def test_fsp_loss_against_numpy():
    student = (rand(3, 2, 4, 4, seed=54), rand(3, 3, 4, 4, seed=55), rand(3, 3, 2, 2, seed=56),
               rand(3, 4, 2, 2, seed=57))
    teacher = tuple(rand(*x.shape, seed=60 + i) for i, x in enumerate(student))
    per_pair = []
    for k in (0, 2):
        g_s = np.einsum('nihw,njhw->nij', student[k].numpy(), student[k + 1].numpy())
        g_t = np.einsum('nihw,njhw->nij', teacher[k].numpy(), teacher[k + 1].numpy())
        hw = student[k].shape[2] * student[k].shape[3]
        per_pair.append(np.sum((g_s / hw - g_t / hw) ** 2) / 3)
    loss = MODELS.build(dict(type='mmkd.FSPLoss', loss_weight=2.0))
    assert loss(student, teacher).item() == pytest.approx(2.0 * np.mean(per_pair), rel=1e-5)
    assert loss(tuple(t.clone() for t in teacher), teacher).item() == 0


def test_fsp_gradients_and_errors():
    teacher = (rand(2, 2, 3, 3, seed=70, dtype=torch.float64), rand(2, 3, 3, 3, seed=71, dtype=torch.float64))
    inputs = (rand(2, 2, 3, 3, seed=72, dtype=torch.float64).requires_grad_(True),
              rand(2, 3, 3, 3, seed=73, dtype=torch.float64).requires_grad_(True))
    assert torch.autograd.gradcheck(lambda a, b: FSPLoss()((a, b), teacher), inputs)
    assert_student_only_grad(FSPLoss(), [x.float() for x in inputs], [x.float() for x in teacher])
    with pytest.raises(ValueError, match='connector'):
        FSPLoss()((rand(2, 4, 3, 3), rand(2, 3, 3, 3)), (rand(2, 2, 3, 3), rand(2, 3, 3, 3)))
    with pytest.raises(ValueError, match='even number'):
        FSPLoss()((rand(2, 2, 3, 3), ) * 3, (rand(2, 2, 3, 3), ) * 3)
    with pytest.raises(ValueError, match='tuple'):
        FSPLoss()(rand(2, 2, 3, 3), rand(2, 2, 3, 3))


def test_fsp_through_a_multi_position_point():
    """Lists of positions: DistillPoint hands the loss tuples, one connector per student position."""
    point = DistillPoint(nn.ModuleList([IdentityConnector() for _ in range(2)]), None, FSPLoss(), multi=True)
    student = [rand(2, 2, 3, 3, seed=80), rand(2, 3, 3, 3, seed=81)]
    teacher = [rand(2, 2, 3, 3, seed=82), rand(2, 3, 3, 3, seed=83)]
    assert point(student, teacher).item() == pytest.approx(FSPLoss()(tuple(student), tuple(teacher)).item())


# ------------------------------------------------------------------------------------------------- AB
def test_ab_loss_by_hand():
    t = torch.tensor([[1.0, -1.0, 0.0, 2.0]])
    s = torch.tensor([[0.5, 0.5, -2.0, 3.0]])
    # active t=1: (1 - 0.5)^2; inactive t=-1: (1 + 0.5)^2; t=0 is inactive: relu(1 - 2) = 0; active 3 > m: 0
    assert ab_loss(s, t).item() == pytest.approx(0.25 + 2.25)
    assert ab_loss(s, t, margin=0.0).item() == pytest.approx(0.25)
    s2, t2 = torch.cat([s, s]), torch.cat([t, t])  # summed, divided by the batch size
    assert MODELS.build(dict(type='mmkd.ABLoss', loss_weight=2.0))(s2, t2).item() == pytest.approx(2 * 2.5)


def test_ab_zero_beyond_the_margin_and_gradients():
    t = rand(2, 3, 4, 4, seed=90)
    s = torch.where(t > 0, 1.5, -1.5)
    assert ABLoss()(s, t).item() == 0
    s, t = rand(2, 3, 2, 2, seed=91, dtype=torch.float64), rand(2, 3, 2, 2, seed=92, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: ABLoss()(x, t), (s.requires_grad_(True), ))
    assert_student_only_grad(ABLoss(), rand(2, 3, 2, 2, seed=93), rand(2, 3, 2, 2, seed=94))
    with pytest.raises(ValueError, match='connector'):
        ABLoss()(rand(2, 3, 2, 2), rand(2, 4, 2, 2))


# ------------------------------------------------------------------------------------------------- FT
def test_ft_translator_shapes_and_resize():
    translator = MODELS.build(dict(type='mmkd.FTTranslator', in_channels=8, out_channels=4))
    convs = [m for m in translator.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [(8, 8, (3, 3)), (8, 4, (3, 3)),
                                                                                (4, 4, (3, 3))]
    x = rand(2, 8, 5, 5)
    assert translator(x).shape == (2, 4, 5, 5)
    assert translator(x, target_size=(5, 5)).shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match='resize'):
        translator(x, target_size=(10, 10))
    assert FTTranslator(8, 4, resize='bilinear')(x, target_size=(10, 10)).shape == (2, 4, 10, 10)
    assert len([m for m in FTTranslator(8, 4, num_layers=1).modules() if isinstance(m, nn.Conv2d)]) == 1
    with pytest.raises(ValueError, match='in_channels'):
        translator(rand(2, 6, 5, 5))


def test_ft_paraphraser_stage_reconstructs_the_teacher():
    loss = MODELS.build(dict(type='mmkd.FTLoss', in_channels=6, factor_rate=0.5, loss_weight=2.0))
    assert loss.factor_channels == 3
    loss.set_stage('paraphraser')
    assert loss.training_paraphraser
    t = rand(2, 6, 4, 4, seed=100)
    student = rand(2, 3, 4, 4, seed=101).requires_grad_(True)
    out = loss(student, t)
    recon = loss.paraphraser.decoder(loss.paraphraser.encoder(t))
    assert out.item() == pytest.approx(2.0 * ((recon - t) ** 2).mean().item(), rel=1e-5)
    out.backward()
    assert student.grad is None  # the student is ignored in this stage
    assert all(p.grad is not None for p in loss.paraphraser.parameters())


def test_ft_transfer_stage_factor_loss_by_hand():
    loss = FTLoss(in_channels=6, factor_rate=0.5)
    loss.train()
    t = rand(2, 6, 4, 4, seed=102)
    student = rand(2, 3, 4, 4, seed=103).requires_grad_(True)
    bn = loss.paraphraser.encoder[0][1]
    running_mean = bn.running_mean.clone()
    out = loss(student, t)
    assert loss.paraphraser.training  # the mode is restored after the eval-mode factor
    assert torch.equal(bn.running_mean, running_mean)  # no BN statistics update in the transfer stage
    loss.paraphraser.eval()
    with torch.no_grad():
        f_t = loss.paraphraser.encoder(t).flatten(1).numpy()
    f_s = student.detach().flatten(1).numpy()
    expected = np.abs(np_l2n(f_s) - np_l2n(f_t)).sum(axis=1).mean()
    assert out.item() == pytest.approx(expected, rel=1e-5)
    out.backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.paraphraser.parameters())


def test_ft_stage_switching_routes_gradients():
    loss = FTLoss(in_channels=4, factor_rate=0.5)
    t = rand(2, 4, 3, 3, seed=104)
    for stage, paraphraser_grads in (('paraphraser_pretrain', True), ('transfer', False), ('Paraphrase', True),
                                     ('kd', False)):
        loss.zero_grad(set_to_none=True)
        loss.set_stage(stage)
        student = rand(2, 2, 3, 3, seed=105).requires_grad_(True)
        loss(student, t).backward()
        grads = [p.grad is not None for p in loss.paraphraser.parameters()]
        assert all(grads) if paraphraser_grads else not any(grads), stage
        assert (student.grad is None) == paraphraser_grads, stage


def test_ft_p2_gradients_and_errors():
    loss = FTLoss(in_channels=4, factor_rate=0.5, p=2).double()
    loss.eval()
    t = rand(2, 4, 3, 3, seed=106, dtype=torch.float64)
    s = rand(2, 2, 3, 3, seed=107, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: loss(x, t), (s, ))
    with pytest.raises(ValueError, match='out_channels=2'):
        FTLoss(in_channels=4)(rand(2, 4, 3, 3), rand(2, 4, 3, 3))
    with pytest.raises(ValueError, match='in_channels'):
        FTLoss(in_channels=4)(rand(2, 2, 3, 3), rand(2, 8, 3, 3))
    with pytest.raises(ValueError, match='p must be'):
        FTLoss(in_channels=4, p=3)


def test_ft_through_a_distill_point():
    """The translator is the point's connector; the teacher size reaches it as target_size."""
    point = DistillPoint(FTTranslator(5, 3, resize='bilinear'), None, FTLoss(in_channels=6, factor_rate=0.5))
    student, teacher = rand(2, 5, 4, 4, seed=108).requires_grad_(True), rand(2, 6, 8, 8, seed=109)
    out = point(student, teacher)
    out.backward()
    assert out.item() > 0 and student.grad is not None
    assert all(p.grad is not None for p in point.connector.parameters())


# ------------------------------------------------------------------------------------- in the distiller
def test_list_position_losses_build_and_run_in_the_distiller():
    """FSP pairs (connectors per position to the teacher channels) and IRG layers up to the logits."""
    points = dict(
        fsp=dict(student=['backbone.layer1.0', 'backbone.layer1.1'], teacher=['backbone.layer1.0', 'backbone.layer1.2'],
                 connector=dict(type='mmkd.ConvBNConnector'), loss=dict(type='mmkd.FSPLoss')),
        irg=dict(student=['backbone.layer1', 'backbone.layer2', 'head.fc'],
                 teacher=['backbone.layer1', 'backbone.layer2', 'head.fc'], loss=dict(type='mmkd.IRGLoss')),
        rkd=dict(student='backbone.layer2', teacher='backbone.layer2', loss=dict(type='mmkd.RKDLoss')))
    model = build(distill_points=points)
    set_iter(0)
    model.train()
    losses = model.loss(*batch())
    for name in points:
        assert torch.isfinite(losses[f'loss_distill_{name}']) and losses[f'loss_distill_{name}'] > 0


def ft_point(**translator):
    return dict(student='backbone.layer2', teacher='backbone.layer2',
                connector=dict(type='mmkd.FTTranslator', **translator),
                loss=dict(type='mmkd.FTLoss', in_channels=512, factor_rate=0.25))


def test_ft_stages_in_the_distiller():
    stages = [dict(name='paraphraser', end_iter=1, points=dict(ft=1.0), task_loss_weight=0.0),
              dict(name='transfer', points=dict(ft=1.0))]
    model = build(distill_points=dict(ft=ft_point(out_channels=128)), stages=stages)
    point = model.distill_points['ft']
    assert (point.connector.in_channels, point.connector.out_channels) == (128, 128)
    model.train()
    for it, paraphraser_grads in ((0, True), (1, False)):
        set_iter(it)
        model.zero_grad(set_to_none=True)
        losses = model.loss(*batch())
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        assert point.loss.training_paraphraser == paraphraser_grads
        assert all(p.grad is not None for p in point.loss.paraphraser.parameters()) == paraphraser_grads
        assert any(p.grad is not None for p in point.loss.paraphraser.parameters()) == paraphraser_grads
        assert all(p.grad is not None for p in point.connector.parameters()) != paraphraser_grads
    # left out, the translator's out_channels would be the teacher's 512 channels, not the factor width
    with pytest.raises(ValueError, match="distill point 'ft'.*out_channels=128"):
        build(distill_points=dict(ft=ft_point()))
