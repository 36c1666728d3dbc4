"""DCM (dense cross-layer mutual distillation) and codistillation: loss terms against hand values, the
direction of the gradients, auxiliary heads absent from an exported peer, the stale peers of
codistillation (exchanged between two processes, frozen, outside the state dict) and a two-process
``tools/dist_train.sh`` run without gradient synchronisation."""
import copy
import math
import os.path as osp
import re
import time

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch.nn.parallel import DistributedDataParallel

from conftest import REPO, run_tool
from mmkd.engine.hooks import CodistillationHook
from mmkd.engine.hooks.student_checkpoint_hook import student_config
from mmkd.engine.model_wrappers import LocalModelWrapper
from mmkd.models.algorithms.mutual_learning import peer_checkpoint, peer_config
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.config import load_config

NUM_CLASSES = 3
# a small ResNet-18 (stage channels 8, 16, 32, 64; maps 8, 8, 4, 4 px at 32 px input)
TINY = dict(
    type='mmkd.ImageClassifier',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, deep_stem=True, strides=(1, 1, 2, 1),
                  out_indices=(0, 1, 2, 3), init_cfg=None),
    head=dict(type='mmkd.LinearClsHead', num_classes=NUM_CLASSES, in_channels=64))
AUX = [
    dict(position='backbone.layer2', head=dict(type='mmkd.ConvClsHead', in_channels=16, num_convs=0,
                                               num_classes=NUM_CLASSES)),
    dict(position='backbone.layer3', head=dict(type='mmkd.ConvClsHead', in_channels=32, conv_channels=8,
                                               stride=2, num_classes=NUM_CLASSES)),
]


def dcm(**kwargs):
    cfg = dict(type='mmkd.DCM', peers=dict(a=TINY, b=TINY), logits='head.fc', aux_classifiers=AUX)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 32, 32, generator=generator)
    samples = [ClsDataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)]
    return inputs, samples


def kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def logits_of(probs):
    """Logits whose softmax is ``probs`` (one sample)."""
    return torch.tensor([[math.log(p) for p in probs]])


@pytest.fixture
def at_iter():
    hub = MessageHub.get_current_instance()

    def set_(it):
        hub.update_info('iter', it)
    yield set_
    hub.update_info('iter', 0)


# ------------------------------------------------------------------------------------------------ DCM
P1, P2, P3 = (0.25, 0.75), (0.5, 0.5), (0.75, 0.25)


def test_dcm_pairs_terms_equal_hand_computed_kl():
    model = dcm(pairs=[(0, 1), (-1, -1)])
    assert model.pairs == [(0, 1), (2, 2)]
    logits = dict(a=[logits_of(P1), logits_of(P2), logits_of(P3)],
                  b=[logits_of(P3), logits_of(P2), logits_of(P1)])
    losses = model.dcm_losses(logits)
    # a: classifier 0 learns from b's classifier 1, a's final from b's final (targets first)
    assert losses['loss_dcm_a'].item() == pytest.approx(kl(P2, P1) + kl(P1, P3), abs=1e-6)
    assert losses['loss_dcm_b'].item() == pytest.approx(kl(P1, P2) + kl(P3, P1), abs=1e-6)
    assert kl(P2, P1) == pytest.approx(0.5 * math.log(4 / 3))


def test_dcm_temperature_squared_and_dense_pairs():
    model = dcm(pairs='dense', loss=dict(type='mmkd.KDLoss', tau=2.0))
    assert model.pairs == [(i, j) for i in range(3) for j in range(3)]
    a = [logits_of(P1) * 2, logits_of(P2) * 2, logits_of(P2) * 2]
    b = [logits_of(P2) * 2, logits_of(P2) * 2, logits_of(P2) * 2]
    losses = model.dcm_losses(dict(a=a, b=b))
    # T^2 = 4; of the 9 pairs only a's classifier 0 (P1) differs from the uniform P2: 3 pairs per side
    assert losses['loss_dcm_a'].item() == pytest.approx(4 * 3 * kl(P2, P1), abs=1e-5)
    assert losses['loss_dcm_b'].item() == pytest.approx(4 * 3 * kl(P1, P2), abs=1e-5)
    assert dcm(pairs='same').pairs == [(0, 0), (1, 1), (2, 2)]


def test_dcm_each_direction_trains_only_its_own_classifier():
    model = dcm(pairs=[(0, 1)])
    a = [torch.randn(4, NUM_CLASSES, requires_grad=True) for _ in range(3)]
    b = [torch.randn(4, NUM_CLASSES, requires_grad=True) for _ in range(3)]
    losses = model.dcm_losses(dict(a=a, b=b))
    losses['loss_dcm_a'].backward()
    assert a[0].grad is not None and a[0].grad.abs().sum() > 0
    assert all(t.grad is None for t in b) and a[1].grad is None and a[2].grad is None
    losses['loss_dcm_b'].backward()
    assert b[1].grad is not None and b[1].grad.abs().sum() > 0
    assert b[0].grad is None and b[2].grad is None
    before = a[0].grad.clone()
    losses = model.dcm_losses(dict(a=a, b=b))
    losses['loss_dcm_b'].backward()
    assert torch.equal(a[0].grad, before)  # b's term does not reach a's classifier


def test_dcm_loss_step_and_peer_export_without_aux_heads():
    torch.manual_seed(0)
    model = dcm(input_size=(32, 32))
    model.train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    for peer in 'ab':
        keys = {f'{peer}.loss_cls', f'{peer}.loss_aux0', f'{peer}.loss_aux1', f'loss_dcm_{peer}'}
        assert keys <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    total, _ = model.parse_losses(losses)
    total.backward()
    for name, param in model.aux_heads.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    # in eval mode (no BN batch statistics): the aux CE is the cross-entropy of the aux head's logits
    model.eval()
    with torch.no_grad():
        z = model.classifier_logits('b', inputs)
    assert len(z) == 3 and all(t.shape == (2, NUM_CLASSES) for t in z)
    labels = torch.tensor([s.gt_label.item() for s in samples])
    with torch.no_grad():
        again = model.loss(inputs, samples)
    assert again['b.loss_aux1'].item() == pytest.approx(F.cross_entropy(z[1], labels).item(), rel=1e-5)

    exported = peer_checkpoint(dict(state_dict=model.state_dict()), 'b')['state_dict']
    assert exported and not any('aux' in key for key in exported)
    assert set(exported) == set(model.peers['b'].state_dict())
    plain = MODELS.build(copy.deepcopy(TINY))
    plain.load_state_dict(exported, strict=True)
    plain.eval()
    model.predict_peer = 'b'
    with torch.no_grad():
        assert torch.allclose(plain(inputs, mode='tensor'), model(inputs, mode='tensor'))
        assert torch.allclose(model(inputs, mode='tensor'), z[-1])


def test_dcm_config_exports_a_plain_resnet18_config():
    cfg = peer_config(load_config(osp.join(REPO, 'configs/dcm/dcm_cls_r18_r18_toy.py')), 'a')
    assert cfg.model.type == 'mmkd.ImageClassifier' and 'aux_classifiers' not in cfg.model


@pytest.mark.parametrize('config', ['configs/dcm/dcm_cls_r18_r18_toy.py',
                                    'configs/dcm/dcm_cls_r18_r18_cifar100.py'])
def test_dcm_configs_build_and_give_finite_losses(config):
    cfg = load_config(osp.join(REPO, config))
    model = MODELS.build(cfg.model)
    classes = cfg.model.peers.a.head.num_classes
    assert model.num_aux == 2 and len(model.pairs) == 9
    assert all(h.num_classes == classes for heads in model.aux_heads.values() for h in heads)
    inputs = torch.randn(2, 3, 32, 32)
    samples = [ClsDataSample().set_gt_label(i) for i in range(2)]
    losses = model.loss(inputs, samples)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert losses['loss_dcm_a'].item() > 0


def test_dcm_bad_configs_say_how_to_fix():
    with pytest.raises(ValueError, match='same number'):
        dcm(aux_classifiers=dict(a=AUX, b=AUX[:1]))
    with pytest.raises(ValueError, match='classifier indices are 0..1'):
        dcm(pairs=[(0, 3)])
    with pytest.raises(ValueError, match=r'dict\(position=..., head=...\)'):
        dcm(aux_classifiers=[dict(position='backbone.layer2')])
    wrong = copy.deepcopy(AUX)
    wrong[0]['head']['num_classes'] = 5
    with pytest.raises(ValueError, match='differ in shape'):
        dcm(aux_classifiers=wrong, input_size=(32, 32))


# ------------------------------------------------------------------------------------- codistillation
def codist(**kwargs):
    cfg = dict(type='mmkd.Codistillation', student=TINY, logits='head.fc', burn_in=3)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def perturbed_state(model, seed):
    generator = torch.Generator().manual_seed(seed)
    return {k: (v + 0.1 * torch.randn(v.shape, generator=generator) if v.is_floating_point() else v.clone())
            for k, v in model.student.state_dict().items()}


def test_codist_term_is_zero_before_burn_in_and_needs_the_hook_after(at_iter):
    model = codist()
    inputs, samples = batch()
    at_iter(2)
    losses = model.loss(inputs, samples)
    assert losses['loss_codist'].item() == 0.0 and 'loss_cls' in losses
    at_iter(3)
    with pytest.raises(RuntimeError, match='mmkd.CodistillationHook'):
        model.loss(inputs, samples)


def test_codist_term_is_kl_from_the_mean_of_the_stale_peers(at_iter):
    torch.manual_seed(0)
    model = codist(loss=dict(type='mmkd.KDLoss', tau=2.0))
    states = [perturbed_state(model, 1), perturbed_state(model, 2)]
    model.load_stale_peers(states, ranks=[1, 2], iteration=5)
    model.train()
    inputs, samples = batch(seed=3)
    at_iter(3)
    losses = model.loss(inputs, samples)
    with torch.no_grad():
        z_own = model.student(inputs, mode='tensor')  # train-mode BN: the same as in the loss step
        probs = []
        for state in states:
            peer = MODELS.build(copy.deepcopy(TINY))
            peer.load_state_dict(state)
            peer.eval()
            probs.append(F.softmax(peer(inputs, mode='tensor') / 2.0, dim=1))
    q = (probs[0] + probs[1]) / 2
    p = F.softmax(z_own / 2.0, dim=1)
    expected = 4.0 * sum(kl(q[n].tolist(), p[n].tolist()) for n in range(2)) / 2
    assert losses['loss_codist'].item() == pytest.approx(expected, rel=1e-4)
    losses['loss_codist'].backward()
    assert model.student.head.fc.weight.grad.abs().sum() > 0
    assert all(param.grad is None for peer in model.stale_peers for param in peer.parameters())


def test_codist_stale_peers_are_frozen_copies_outside_the_state_dict():
    model = codist()
    state = perturbed_state(model, 1)
    model.load_stale_peers([state], ranks=[1], iteration=7)
    (stale, ) = model.stale_peers
    assert model.stale_ranks == [1] and model.exchange_iter == 7
    model.train()
    assert not stale.training and all(not p.requires_grad for p in stale.parameters())
    assert set(model.state_dict()) == {f'student.{k}' for k in model.student.state_dict()}
    assert not any(p is q for p in model.parameters() for q in stale.parameters())
    before = {k: v.clone() for k, v in stale.state_dict().items()}
    for value in state.values():  # the copies do not alias the gathered tensors
        if value.is_floating_point():
            value.add_(1.0)
    assert all(torch.equal(before[k], v) for k, v in stale.state_dict().items())
    model.load_stale_peers([perturbed_state(model, 2), perturbed_state(model, 3)], ranks=[1, 2])
    assert len(model.stale_peers) == 2 and model.stale_peers[0] is stale  # rebuilt only when needed


def test_codist_sync_bn_becomes_bn_before_the_recorders_hook_it(at_iter):
    """Built in one process (tools/test.py, these tests), the peer and its stale copies get BN in place of SyncBN
    before the logits recorders hook a layer: a position on a norm layer still records after the Runner's own
    revert_sync_batchnorm (which never reaches the stale copies, kept outside the module tree)."""
    from mmengine.model import revert_sync_batchnorm
    from torch.nn import SyncBatchNorm
    from torch.nn.modules.batchnorm import _BatchNorm
    sync = copy.deepcopy(TINY)
    sync['backbone']['norm_cfg'] = dict(type='SyncBN', requires_grad=True)
    model = codist(student=sync, logits='backbone.layer4.1.bn2')
    model.load_stale_peers([perturbed_state(model, 1)], ranks=[1])
    for net in (model.student, *model.stale_peers):
        norms = [m for m in net.modules() if isinstance(m, _BatchNorm)]
        assert norms and not any(isinstance(m, SyncBatchNorm) for m in norms)
    bn = model.student.backbone.layer4[1].bn2
    assert revert_sync_batchnorm(model) is model and model.student.backbone.layer4[1].bn2 is bn
    model.train()
    at_iter(3)
    losses = model.loss(*batch())
    assert torch.isfinite(losses['loss_codist']) and losses['loss_codist'] > 0


def test_hook_refuses_ddp_and_single_process_runs():
    hook = CodistillationHook(exchange_interval=2)

    class Runner:
        model = DistributedDataParallel.__new__(DistributedDataParallel)
    with pytest.raises(RuntimeError, match='mmkd.LocalModelWrapper'):
        hook.before_train(Runner())
    Runner.model = LocalModelWrapper(codist())
    with pytest.raises(RuntimeError, match='dist_train.sh CONFIG 2'):
        hook.before_train(Runner())
    with pytest.raises(ValueError, match='exchange_interval'):
        CodistillationHook(exchange_interval=0)


def test_codist_config_exports_a_plain_classifier_config():
    cfg = student_config(load_config(osp.join(REPO, 'configs/codistillation/codist_cls_r18_toy.py')))
    assert cfg.model.type == 'mmkd.ImageClassifier' and 'model_wrapper_cfg' not in cfg
    assert not cfg.custom_hooks


def _exchange_worker(rank, store, out_dir):
    import torch.distributed as dist
    from mmengine.registry import init_default_scope
    init_default_scope('mmkd')
    dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=2)
    try:
        model = codist()
        model.student.load_state_dict(perturbed_state(model, 10 + rank))
        CodistillationHook.exchange(model, iteration=4)
        own = {k: v.clone() for k, v in model.student.state_dict().items()}
        with torch.no_grad():  # training on after the exchange must not move the stale copy
            for param in model.student.parameters():
                param.add_(1.0)
        (stale, ) = model.stale_peers
        torch.save(dict(own=own, stale=stale.state_dict(), ranks=model.stale_ranks, it=model.exchange_iter,
                        frozen=all(not p.requires_grad for p in stale.parameters())),
                   osp.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


def test_exchange_loads_the_other_process_weights(tmp_path):
    # spawn, not fork: a child forked from a process whose OpenMP pool is running can deadlock
    context = mp.start_processes(_exchange_worker, args=(str(tmp_path / 'store'), str(tmp_path)), nprocs=2,
                                 join=False, start_method='spawn')
    deadline = time.monotonic() + 300
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail('the two exchange processes did not finish within 300 s')
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pth') for r in (0, 1))
    assert r0['ranks'] == [1] and r1['ranks'] == [0] and r0['it'] == r1['it'] == 4
    assert r0['frozen'] and r1['frozen']
    for mine, other in ((r0, r1), (r1, r0)):
        assert set(mine['stale']) == set(other['own'])
        assert all(torch.equal(mine['stale'][k], other['own'][k]) for k in other['own'])
    assert not all(torch.equal(r0['own'][k], r1['own'][k]) for k in r0['own'])


# ------------------------------------------------------------------------------ two-process training
@pytest.mark.slow
def test_dist_train_codistillation_keeps_the_peers_apart(toy_workspace):
    out = run_tool(toy_workspace, 'tools/dist_train.sh', 'configs/codistillation/codist_cls_r18_toy.py', '2',
                   '--work-dir', 'work_dirs/codist', '--cfg-options', 'train_cfg.max_iters=4',
                   'train_cfg.val_interval=4', 'default_hooks.logger.interval=1', 'model.burn_in=2',
                   'custom_hooks.0.exchange_interval=1', 'val_dataloader.dataset.indices=8',
                   'test_dataloader.dataset.indices=8', 'train_dataloader.batch_size=4')
    assert 'Distributed training: True' in out and 'loss_codist' in out
    assert 'iteration 2, loaded the weights of peers (ranks) [1] as stale targets' in out
    codist_terms = [float(v) for v in re.findall(r'loss_codist: ([0-9.]+)', out)]
    assert len(codist_terms) == 4 and codist_terms[:2] == [0.0, 0.0] and min(codist_terms[2:]) > 0
    work = toy_workspace / 'work_dirs/codist'
    peers = [torch.load(work / f'peers/rank{r}_iter4.pth')['state_dict'] for r in (0, 1)]
    params = [name for name, value in peers[0].items()
              if value.is_floating_point() and not name.endswith(('running_mean', 'running_var'))]
    # the peers start from the same (broadcast) weights; with all-reduced gradients they would stay equal
    # (most, not all: mmdet's zero_init_residual zeroes each block's last BN scale, so the BN scales before
    # it get no gradient at first and change by weight decay alone, alike on both ranks)
    differ = [k for k in params if not torch.equal(peers[0][k], peers[1][k])]
    assert len(params) > 50 and len(differ) > 0.9 * len(params) and 'head.fc.weight' in differ
    checkpoint = torch.load(work / 'iter_4.pth')['state_dict']
    assert all(torch.equal(checkpoint[f'student.{k}'], v) for k, v in peers[0].items())
    plain = MODELS.build(load_config(osp.join(REPO, 'configs/cls/cls_r18_toy.py')).model)
    plain.load_state_dict(peers[1], strict=True)


@pytest.mark.slow
def test_dcm_toy_config_trains_and_exports_a_peer(toy_workspace):
    config = 'configs/dcm/dcm_cls_r18_r18_toy.py'
    run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', 'work_dirs/dcm', '--cfg-options',
             'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1',
             'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8',
             'train_dataloader.batch_size=4')
    run_tool(toy_workspace, 'tools/model_converters/distill_to_student.py', 'work_dirs/dcm/iter_2.pth',
             'work_dirs/dcm/b.pth', '--peer', 'b', '--config', config, '--out-config', 'work_dirs/dcm/b.py')
    out = run_tool(toy_workspace, 'tools/test.py', 'work_dirs/dcm/b.py', 'work_dirs/dcm/b.pth',
                   '--cfg-options', 'test_dataloader.dataset.indices=8')
    assert 'accuracy/top1' in out
    state = torch.load(toy_workspace / 'work_dirs/dcm/b.pth')['state_dict']
    assert state and not any('aux' in k for k in state)
