"""KDCL (ensembles, per-peer augmentation, loss) and OKDDip (attention targets, two-level loss, export): hand
computations on fixed tensors, detached targets, one training step, and two iterations of each toy config."""
import copy
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, ce_by_hand, kl_by_hand, run_tool, total
from mmkd.models.algorithms.kdcl import (linear_weights, minlogit_ensemble, naive_ensemble,
                                         weighted_ensemble)
from mmkd.models.ops import random_crop_flip
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

TINY_R18 = dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4, deep_stem=True,
                strides=(1, 1, 2, 1), out_indices=(0, 1, 2, 3), norm_eval=False, init_cfg=None)
HEAD = dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64, topk=(1, ))
PEER = dict(type='mmkd.ImageClassifier', backbone=TINY_R18, head=HEAD)

# two peers, two samples, three classes; labels 0 and 2; peer a is right on sample 0 only, peer b on sample 1
Z = torch.tensor([[[2.0, 1.0, 0.0], [3.0, -1.0, 0.5]],
                  [[1.0, 3.0, -1.0], [0.0, 0.0, 2.0]]])
Y = torch.tensor([0, 2])


def batch(n=4, seed=0, size=16):
    gen = torch.Generator().manual_seed(seed)
    samples = [ClsDataSample().set_gt_label(i % 5) for i in range(n)]
    return torch.randn(n, 3, size, size, generator=gen), samples



def mix(weights, logits=Z):
    """sum_k w_k z_k as nested Python lists."""
    return [[sum(w * logits[k][n][c].item() for k, w in enumerate(weights)) for c in range(logits.shape[2])]
            for n in range(logits.shape[1])]


def kdcl_model(**kwargs):
    kwargs.setdefault('peers', dict(a=PEER, b=PEER))
    return MODELS.build(dict(type='mmkd.KDCL', logits='head.fc', **kwargs))


def okddip_model(**kwargs):
    return MODELS.build(dict(type='mmkd.OKDDipClassifier', backbone=TINY_R18, head=HEAD, **kwargs))


# ------------------------------------------------------------------------------------ KDCL ensembles
def test_naive_ensemble_is_the_mean_of_the_logits():
    assert naive_ensemble(Z).tolist() == [[1.5, 2.0, -0.5], [1.5, -0.5, 1.25]]


def test_minlogit_subtracts_each_peers_true_logit_then_takes_the_minimum():
    # sample 0 (y=0): peer a - 2 = [0, -1, -2], peer b - 1 = [0, 2, -2] -> [0, -1, -2]
    # sample 1 (y=2): peer a - 0.5 = [2.5, -1.5, 0], peer b - 2 = [-2, -2, 0] -> [-2, -2, 0]
    assert minlogit_ensemble(Z, Y).tolist() == [[0.0, -1.0, -2.0], [-2.0, -2.0, 0.0]]


def test_linear_weights_minimise_the_ce_over_the_simplex_like_a_grid_search():
    grid = [i / 2000 for i in range(2001)]
    ces = [ce_by_hand(mix([a, 1 - a]), Y.tolist()) for a in grid]
    best = min(range(len(grid)), key=ces.__getitem__)
    assert 0 < best < len(grid) - 1  # an interior optimum for these logits
    w = linear_weights(Z, Y)
    assert w.sum().item() == pytest.approx(1.0, abs=1e-6) and (w >= 0).all()
    assert w[0].item() == pytest.approx(grid[best], abs=1e-3)
    assert ce_by_hand(mix(w.tolist()), Y.tolist()) <= ces[best] + 1e-9
    assert torch.allclose(weighted_ensemble(Z, w), torch.tensor(mix(w.tolist())), atol=1e-5)


def test_linear_weights_approach_a_corner_when_one_peer_is_best_everywhere():
    z = torch.stack([Z[0], Z[0] - 2.0 * torch.nn.functional.one_hot(Y, 3)])  # peer b: true logits lowered
    w = linear_weights(z, Y)
    assert w[0].item() > 0.99
    grid_best = min(ce_by_hand(mix([i / 1000, 1 - i / 1000], z), Y.tolist()) for i in range(1001))
    assert ce_by_hand(mix(w.tolist(), z), Y.tolist()) <= grid_best + 1e-6


def test_linear_weights_of_three_peers_beat_every_point_of_a_simplex_grid():
    z = torch.cat([Z, torch.tensor([[[0.0, 0.5, 0.2], [1.0, 1.0, 1.5]]])])
    w = linear_weights(z, Y)
    steps = 50
    grid_best = min(ce_by_hand(mix([i / steps, j / steps, (steps - i - j) / steps], z), Y.tolist())
                    for i in range(steps + 1) for j in range(steps + 1 - i))
    assert ce_by_hand(mix(w.tolist(), z), Y.tolist()) <= grid_best + 1e-9


def test_general_ensemble_uses_the_running_weights_of_earlier_batches():
    model = kdcl_model(ensemble='general', general_momentum=0.9)
    model.train()
    target, weights = model.ensemble_logits(Z, Y)
    assert weights.tolist() == [0.5, 0.5]  # the first batch: the naive mean
    assert target.tolist() == naive_ensemble(Z).tolist()
    fitted = linear_weights(Z, Y)
    expected = 0.9 * 0.5 + 0.1 * fitted
    assert model.general_weights.tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    target, weights = model.ensemble_logits(Z, Y)  # the next batch uses the updated estimate
    assert weights.tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    assert torch.allclose(target, torch.tensor(mix(expected.tolist())), atol=1e-5)
    model.eval()  # evaluation does not move the estimate
    before = model.general_weights.clone()
    model.ensemble_logits(Z, Y)
    assert torch.equal(model.general_weights, before)
    assert 'general_weights' in model.state_dict()


@pytest.mark.parametrize('ensemble', ['naive', 'linear', 'minlogit', 'general'])
def test_kdcl_loss_is_the_kl_to_the_detached_ensemble(ensemble):
    model = kdcl_model(ensemble=ensemble, loss=dict(type='mmkd.KDLoss', tau=2.0))
    model.train()
    logits = dict(a=Z[0].clone().requires_grad_(), b=Z[1].clone().requires_grad_())
    samples = [ClsDataSample().set_gt_label(int(y)) for y in Y]
    losses = model.mutual_losses(logits, samples)
    target = {'naive': naive_ensemble(Z), 'minlogit': minlogit_ensemble(Z, Y),
              'linear': weighted_ensemble(Z, linear_weights(Z, Y)),
              'general': naive_ensemble(Z)}[ensemble].tolist()
    for k, name in enumerate('ab'):
        assert losses[f'loss_kd_{name}'].item() == pytest.approx(kl_by_hand(target, Z[k].tolist(), 2.0),
                                                                 rel=1e-4)
    assert ('ens_w_a' in losses) == (ensemble in ('linear', 'general'))
    # the target is detached: peer a's term moves peer a's logits only
    losses['loss_kd_a'].backward()
    assert logits['a'].grad.abs().sum() > 0 and logits['b'].grad is None


def test_kdcl_checks_its_arguments():
    with pytest.raises(ValueError, match='ensemble must be one of'):
        kdcl_model(ensemble='mean')
    with pytest.raises(ValueError, match='peer_augment takes padding and flip_prob'):
        kdcl_model(peer_augment=dict(crop=4))
    with pytest.raises(ValueError, match='at least two'):
        kdcl_model(peers=dict(a=PEER))


# ---------------------------------------------------------------------------------- KDCL augmentation
def test_random_crop_flip_takes_a_window_of_the_padded_image_per_sample():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 5, 6)
    fill = torch.tensor([-1.0, -2.0, -3.0])
    y = random_crop_flip(x, padding=2, flip_prob=0.5, pad_value=fill)
    padded = fill.view(1, 3, 1, 1).expand(8, 3, 9, 10).clone()
    padded[:, :, 2:7, 2:8] = x
    for n in range(8):
        windows = [padded[n, :, top:top + 5, left:left + 6] for top in range(5) for left in range(5)]
        assert any(torch.equal(y[n], w) or torch.equal(y[n], w.flip(2)) for w in windows), n
    assert not torch.equal(y, x)
    assert torch.equal(random_crop_flip(x, padding=0, flip_prob=0.0), x)
    assert torch.equal(random_crop_flip(x, padding=0, flip_prob=1.0), x.flip(3))
    with pytest.raises(ValueError, match='padding'):
        random_crop_flip(x, padding=-1)


def test_each_peer_gets_its_own_view_padded_with_normalised_black():
    model = kdcl_model()
    model.train()
    mean, std = model.data_preprocessor.mean.flatten(), model.data_preprocessor.std.flatten()
    assert model.pad_value().flatten().tolist() == pytest.approx((-mean / std).tolist())
    seen = {}
    for name, peer in model.peers.items():
        peer.backbone.register_forward_pre_hook(lambda m, args, name=name: seen.__setitem__(name, args[0]))
    x, samples = batch(6)
    torch.manual_seed(1)
    model.loss(x, samples)
    assert seen['a'].shape == seen['b'].shape == x.shape
    assert not torch.equal(seen['a'], seen['b'])
    # with no augmentation both peers get the batch itself
    plain = kdcl_model(peer_augment=None)
    for name, peer in plain.peers.items():
        peer.backbone.register_forward_pre_hook(lambda m, args, name=name: seen.__setitem__(name, args[0]))
    plain.loss(x, samples)
    assert torch.equal(seen['a'], x) and torch.equal(seen['b'], x)


def test_kdcl_train_step_updates_both_peers_and_logs_every_term():
    from mmengine.optim import OptimWrapper
    torch.manual_seed(0)
    model = kdcl_model(ensemble='linear')
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    images = [torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8) for _ in range(6)]
    samples = [ClsDataSample().set_gt_label(i % 5) for i in range(6)]
    log = model.train_step(dict(inputs=images, data_samples=samples), wrapper)
    log = {key: torch.as_tensor(value).detach().item() for key, value in log.items()}
    for key in ('a.loss_cls', 'b.loss_cls', 'loss_kd_a', 'loss_kd_b', 'ens_w_a', 'ens_w_b'):
        assert key in log and math.isfinite(log[key]), key
    assert log['ens_w_a'] + log['ens_w_b'] == pytest.approx(1.0, abs=1e-5)
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []


# ------------------------------------------------------------------------------------------ OKDDip
def test_okddip_attention_rows_sum_to_one_and_targets_are_the_weighted_sums():
    torch.manual_seed(0)
    model = okddip_model(num_peers=3)
    assert model.query.weight.shape == (8, 64) and model.key.weight.shape == (8, 64)  # 64 // 8
    x, _ = batch()
    with torch.no_grad():
        feats, logits = model.branch_forward(x)
    assert len(feats) == len(logits) == 4
    a = model.attention(feats[1:])
    assert a.shape == (4, 3, 3)
    assert torch.allclose(a.sum(dim=-1), torch.ones(4, 3), atol=1e-6)
    q = [f @ model.query.weight.detach().t() for f in feats[1:]]
    k = [f @ model.key.weight.detach().t() for f in feats[1:]]
    for n in range(4):
        for i in range(3):
            energy = [float(q[i][n] @ k[j][n]) for j in range(3)]
            expected = [math.exp(e) / sum(math.exp(v) for v in energy) for e in energy]
            assert a[n, i].tolist() == pytest.approx(expected, rel=1e-4)
    t = model.aggregate(logits[1:], a)
    for n in range(4):
        for i in range(3):
            by_hand = sum(a[n, i, j] * logits[1 + j][n] for j in range(3))
            assert torch.allclose(t[n, i], by_hand, atol=1e-6)


@pytest.mark.parametrize('leader_target', ['peer_mean', 'target_mean'])
def test_okddip_loss_terms_match_a_hand_computation(leader_target):
    torch.manual_seed(0)
    model = okddip_model(num_peers=2, kd_loss=dict(type='mmkd.KDLoss', tau=3.0), leader_target=leader_target)
    x, samples = batch()
    labels = [i % 5 for i in range(4)]
    losses = model.loss(x, samples)
    model_feats, logits = model.branch_forward(x)
    targets = model.aggregate(logits[1:], model.attention(model_feats[1:]))
    for i in (1, 2):
        assert losses[f'loss_cls_peer{i}'].item() == pytest.approx(ce_by_hand(logits[i].tolist(), labels),
                                                                   rel=1e-4)
        assert losses[f'loss_kl_peer{i}'].item() == pytest.approx(
            kl_by_hand(targets[:, i - 1].tolist(), logits[i].tolist(), 3.0), rel=1e-4)
    if leader_target == 'peer_mean':
        leader = ((logits[1] + logits[2]) / 2).tolist()
    else:
        leader = targets.mean(dim=1).tolist()
    assert losses['loss_kl_leader'].item() == pytest.approx(kl_by_hand(leader, logits[0].tolist(), 3.0),
                                                            rel=1e-4)
    assert losses['loss_cls_leader'].item() == pytest.approx(ce_by_hand(logits[0].tolist(), labels), rel=1e-4)


def test_okddip_targets_are_detached_but_the_attention_learns():
    torch.manual_seed(0)
    model = okddip_model(num_peers=3)
    x, samples = batch()

    def grads_of(key):
        model.zero_grad()
        model.loss(x, samples)[key].backward()
        return {n: (p.grad.abs().sum().item() if p.grad is not None else 0.0)
                for n, p in model.named_parameters()}

    peer = grads_of('loss_kl_peer1')
    # peer 1's KL moves peer 1's classifier, never another branch's classifier ...
    assert peer['heads.1.fc.weight'] > 0
    assert peer['heads.0.fc.weight'] == peer['heads.2.fc.weight'] == peer['heads.3.fc.weight'] == 0
    # ... while the attention projections learn from it
    assert peer['query.weight'] > 0 and peer['key.weight'] > 0
    leader = grads_of('loss_kl_leader')
    assert leader['heads.0.fc.weight'] > 0
    assert all(v == 0 for n, v in leader.items()
               if n.startswith(('heads.1', 'heads.2', 'heads.3', 'branches.1', 'query', 'key')))


def test_okddip_sgd_step_updates_every_trainable_part():
    torch.manual_seed(0)
    model = okddip_model(num_peers=3)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, samples = batch(6)
    losses = model.loss(x, samples)
    assert set(k for k in losses if k.startswith('loss')) == {
        'loss_cls_leader', 'loss_cls_peer1', 'loss_cls_peer2', 'loss_cls_peer3', 'loss_kl_peer1',
        'loss_kl_peer2', 'loss_kl_peer3', 'loss_kl_leader'}
    total(losses).backward()
    optimizer.step()
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []


def test_okddip_predicts_and_exports_the_leader():
    torch.manual_seed(0)
    model = okddip_model(num_peers=2).eval()
    x, _ = batch()
    branches = model.branch_logits(x)
    assert torch.allclose(model(x, mode='tensor'), branches[0], atol=1e-6)
    single = MODELS.build(model.export_model_config(dict(backbone=TINY_R18, head=HEAD)))
    single.load_state_dict(model.export_state_dict(0), strict=True)
    assert torch.allclose(single.eval()(x, mode='tensor'), branches[0], atol=1e-5)
    peer = okddip_model(num_peers=2, predict_branch=2).eval()
    peer.load_state_dict(model.state_dict())
    assert torch.allclose(peer(x, mode='tensor'), branches[2], atol=1e-6)
    with pytest.raises(ValueError, match='predict_branch'):
        okddip_model(num_peers=2, predict_branch=3)
    with pytest.raises(ValueError, match='num_peers'):
        okddip_model(num_peers=1)
    with pytest.raises(ValueError, match='leader_target'):
        okddip_model(leader_target='mean')
    # the attention learns through the peers' targets: a loss that detaches its target is refused
    with pytest.raises(ValueError, match='detaches its target'):
        okddip_model(kd_loss=dict(type='mmkd.HintLoss'))


# ------------------------------------------------------------------------------------------ configs
CONFIGS = ['kdcl/kdcl_cls_r18_r18_toy.py', 'kdcl/kdcl_cls_r18_r18_cifar100.py',
           'okddip/okddip_cls_r18_toy.py', 'okddip/okddip_cls_r18_cifar100.py']


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_the_method(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    init_default_scope(cfg.default_scope)
    model = MODELS.build(copy.deepcopy(cfg.model))
    classes = 10 if name.endswith('_toy.py') else 100
    assert model(torch.randn(2, 3, 32, 32), mode='tensor').shape == (2, classes)
    if name.startswith('kdcl/'):
        assert model.ensemble == 'minlogit' and model.mutual_loss.tau == 2.0
        assert model.peer_augment == dict(padding=4, flip_prob=0.5)
        # the model draws each peer's crop and flip: the training pipeline only packs
        assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == ['mmkd.PackClsInputs']
    else:
        assert model.num_peers == 3 and model.kd_loss.tau == 3.0 and model.predict_branch == 0


SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
         'val_dataloader.dataset.indices=8']
LOGGED = {'kdcl': ['a.loss_cls', 'b.loss_cls', 'loss_kd_a', 'loss_kd_b'],
          'okddip': ['loss_cls_leader', 'loss_cls_peer3', 'loss_kl_peer1', 'loss_kl_leader']}


@pytest.mark.slow
@pytest.mark.parametrize('name', [c for c in CONFIGS if c.endswith('_toy.py')])
def test_toy_config_trains_two_iterations_and_exports(toy_workspace, name):
    method = name.split('/')[0]
    work_dir = f'work_dirs/peer_{method}'
    out = run_tool(toy_workspace, 'tools/train.py', f'configs/{name}', '--work-dir', work_dir,
                   '--cfg-options', *SHORT)
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert len(last) == 1
    for key in LOGGED[method]:
        value = re.search(rf'{re.escape(key)}: (\S+)', last[0])
        assert value and math.isfinite(float(value.group(1))), key
    assert re.search(r'Iter\(val\).*accuracy/top1: [\d.]+', out)
    ckpt = str(toy_workspace / work_dir / 'iter_2.pth')
    if method == 'kdcl':
        run_tool(toy_workspace, 'tools/model_converters/distill_to_student.py', ckpt, f'{work_dir}/b.pth',
                 '--peer', 'b', '--config', f'configs/{name}', '--out-config', f'{work_dir}/b_config.py')
        exported, plain_cfg = f'{work_dir}/b.pth', f'{work_dir}/b_config.py'
    else:
        run_tool(toy_workspace, 'tools/model_converters/online_to_single.py', ckpt, f'{work_dir}/leader.pth',
                 '--config', f'configs/{name}', '--out-config', f'{work_dir}/leader_config.py', '--branch', '0')
        exported, plain_cfg = f'{work_dir}/leader.pth', f'{work_dir}/leader_config.py'
    cfg = Config.fromfile(toy_workspace / plain_cfg)
    assert cfg.model.type == 'mmkd.ImageClassifier'
    state = torch.load(toy_workspace / exported, map_location='cpu')['state_dict']
    init_default_scope('mmkd')
    MODELS.build(cfg.model).load_state_dict(state, strict=True)
