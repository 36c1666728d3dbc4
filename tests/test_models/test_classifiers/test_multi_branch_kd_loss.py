"""The distillation term of the multi-branch classifiers (OKDDip, collaborative learning, rocket launching) is
a registered loss config, ``kd_loss=dict(type=...)``: on fixed logits each term equals the value the
classifier gave when it computed the term itself (``BEFORE``, measured once on that code) and its formula
computed by hand."""
import numpy as np
import pytest
import torch

from conftest import ce_by_hand, kl_by_hand
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

TINY_R18 = dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4, deep_stem=True,
                strides=(1, 1, 2, 1), out_indices=(0, 1, 2, 3), norm_eval=False, init_cfg=None)
HEAD = dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64, topk=(1, ))
LABELS = [1, 3]
INPUTS = torch.zeros(2, 3, 16, 16)

BEFORE = {
    'okddip_peer_mean': dict(loss_kl_peer1=2.1300806999206543, loss_kl_peer2=1.6997069120407104,
                             loss_kl_leader=1.7742869853973389, query_grad_sum=-0.006289450451731682),
    'okddip_target_mean': dict(loss_kl_peer1=2.1300806999206543, loss_kl_peer2=1.6997069120407104,
                               loss_kl_leader=1.688620924949646, query_grad_sum=-0.006289450451731682),
    # beta = 0.5, T = 2 (the configs)
    'cl_default': dict(loss_cls_head0=2.5586118698120117, loss_soft_head0=1.4216047525405884,
                       loss_cls_head1=0.3017355799674988, loss_soft_head1=1.856702208518982,
                       loss_cls_head2=1.4443691968917847, loss_soft_head2=0.2178046554327011,
                       loss_cls_head3=1.5782074928283691, loss_soft_head3=0.8109177350997925),
    # beta = 0.7 on the soft term
    'cl_soft_beta': dict(loss_cls_head0=1.5351672172546387, loss_soft_head0=1.9902466535568237,
                         loss_cls_head1=0.18104135990142822, loss_soft_head1=2.5993831157684326,
                         loss_cls_head2=0.8666215538978577, loss_soft_head2=0.3049265146255493,
                         loss_cls_head3=0.9469245076179504, loss_soft_head3=1.1352847814559937),
    # beta = 0.7 on the hard term, no T^2
    'cl_public': dict(loss_cls_head0=3.5820565223693848, loss_soft_head0=0.21324072778224945,
                      loss_cls_head1=0.42242980003356934, loss_soft_head1=0.2785053551197052,
                      loss_cls_head2=2.0221168994903564, loss_soft_head2=0.032670699059963226,
                      loss_cls_head3=2.2094905376434326, loss_soft_head3=0.12163766473531723),
    'rocket_lambda_0.1': dict(loss_hint=4.053194046020508),
    'rocket_lambda_0.3': dict(loss_hint=12.15958309173584),
}


def randn(*shape, seed, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


def samples():
    return [ClsDataSample().set_gt_label(y) for y in LABELS]


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------------------------ OKDDip
@pytest.mark.parametrize('leader_target', ['peer_mean', 'target_mean'])
def test_okddip_kd_loss_gives_the_former_values_and_the_formula(monkeypatch, leader_target):
    """T^2 KL(softmax(t / T) || softmax(z / T)), T = 3; peer i's target t_i = sum_j a_ij z_j with
    a_ij = softmax_j((W_q h_i) . (W_k h_j)); the leader's target the mean of the peers' logits (or of the
    t_i)."""
    model = MODELS.build(dict(type='mmkd.OKDDipClassifier', backbone=TINY_R18, head=HEAD, num_peers=2,
                              kd_loss=dict(type='mmkd.KDLoss', tau=3.0), leader_target=leader_target))
    feats = [randn(2, 64, seed=20 + b) for b in range(3)]
    logits = [randn(2, 5, seed=30 + b, scale=2.0) for b in range(3)]
    with torch.no_grad():
        model.query.weight.copy_(randn(8, 64, seed=40, scale=0.2))
        model.key.weight.copy_(randn(8, 64, seed=41, scale=0.2))
    monkeypatch.setattr(model, 'branch_forward', lambda inputs: (feats, logits))
    losses = model.loss(INPUTS, samples())
    before = BEFORE[f'okddip_{leader_target}']

    h = np.stack([f.numpy() for f in feats[1:]], axis=1).astype(np.float64)  # (N, m, C)
    q = h @ model.query.weight.detach().numpy().T.astype(np.float64)
    k = h @ model.key.weight.detach().numpy().T.astype(np.float64)
    attention = softmax(np.einsum('nid,njd->nij', q, k))
    z = np.stack([x.numpy() for x in logits[1:]], axis=1).astype(np.float64)
    targets = np.einsum('nij,njc->nic', attention, z)
    for i in (1, 2):
        value = losses[f'loss_kl_peer{i}'].item()
        assert value == pytest.approx(before[f'loss_kl_peer{i}'], rel=1e-6)
        assert value == pytest.approx(kl_by_hand(targets[:, i - 1].tolist(), logits[i].tolist(), 3.0), rel=1e-5)
    leader = z.mean(axis=1) if leader_target == 'peer_mean' else targets.mean(axis=1)
    value = losses['loss_kl_leader'].item()
    assert value == pytest.approx(before['loss_kl_leader'], rel=1e-6)
    assert value == pytest.approx(kl_by_hand(leader.tolist(), logits[0].tolist(), 3.0), rel=1e-5)
    # the attention learns from the peers' terms as before
    losses['loss_kl_peer1'].backward()
    assert model.query.weight.grad.sum().item() == pytest.approx(before['query_grad_sum'], rel=1e-4)


# ------------------------------------------------------------------------------------ collaborative
@pytest.mark.parametrize('name, beta, options', [
    ('cl_default', 0.5, dict()),
    ('cl_soft_beta', 0.7, dict(beta_weights='soft')),
    ('cl_public', 0.7, dict(soft_t2=False)),
])
def test_collaborative_kd_loss_gives_the_former_values_and_the_formula(monkeypatch, name, beta, options):
    """Head h: w_hard CE(z_h, y) + w_soft T^2 KL(softmax(mean_{j != h} z_j / T) || softmax(z_h / T)), T = 2;
    beta_weights='hard': w_hard = beta, w_soft = 1 - beta ('soft': swapped); soft_t2=False: no T^2."""
    tau = 2.0
    model = MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, beta=beta,
                              kd_loss=dict(type='mmkd.KDLoss', tau=tau), **options))
    z = [randn(2, 5, seed=10 + h, scale=2.0) for h in range(4)]
    monkeypatch.setattr(model, 'branch_logits', lambda inputs: z)
    losses = model.loss(INPUTS, samples())
    w_hard = 1 - beta if options.get('beta_weights') == 'soft' else beta
    t2 = 1.0 if options.get('soft_t2') is False else tau ** 2
    for h in range(4):
        target = torch.stack([z[j] for j in range(4) if j != h]).mean(dim=0).tolist()
        soft = (1 - w_hard) * t2 * kl_by_hand(target, z[h].tolist(), tau) / tau ** 2
        hard = w_hard * ce_by_hand(z[h].tolist(), LABELS)
        for key, formula in ((f'loss_soft_head{h}', soft), (f'loss_cls_head{h}', hard)):
            assert losses[key].item() == pytest.approx(BEFORE[name][key], rel=1e-6)
            assert losses[key].item() == pytest.approx(formula, rel=1e-5)


# ------------------------------------------------------------------------------------------ rocket
@pytest.mark.parametrize('lam', [0.1, 0.3])
@pytest.mark.parametrize('gradient_block', [True, False])
def test_rocket_kd_loss_gives_the_former_values_and_the_formula(lam, gradient_block):
    """lambda * mean_n sum_c (l_nc - z_nc)^2 with HintLoss(loss_weight=2 lambda); its gradient
    2 lambda (l - z) / N reaches the light logits, and the booster's (the negative) only without
    gradient block."""
    kd_loss = dict(type='mmkd.HintLoss', loss_weight=2 * lam) if lam != 0.1 else None
    cfg = dict(type='mmkd.RocketClassifier', backbone=TINY_R18, head=HEAD, gradient_block=gradient_block,
               booster_backbone=dict(TINY_R18, depth=34))
    if kd_loss is not None:
        cfg['kd_loss'] = kd_loss
    model = MODELS.build(cfg)
    light = randn(2, 5, seed=50, scale=2.0).requires_grad_(True)
    booster = randn(2, 5, seed=51, scale=2.0).requires_grad_(True)
    model.branch_logits = lambda inputs: [light, booster]
    hint = model.loss(INPUTS, samples())['loss_hint']
    diff = (light - booster).detach().numpy().astype(np.float64)
    assert hint.item() == pytest.approx(BEFORE[f'rocket_lambda_{lam}']['loss_hint'], rel=1e-6)
    assert hint.item() == pytest.approx(lam * (diff ** 2).sum(axis=1).mean(), rel=1e-6)
    hint.backward()
    np.testing.assert_allclose(light.grad.numpy(), 2 * lam * diff / 2, rtol=1e-5)
    if gradient_block:
        assert booster.grad is None
    else:
        np.testing.assert_allclose(booster.grad.numpy(), -2 * lam * diff / 2, rtol=1e-5)
