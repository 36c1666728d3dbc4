"""Deep Mutual Learning (mmkd.MutualLearning): the mutual loss against hand-computed KLs, detached
targets, one optimizer step for all peers, the predicted peer, peer export, the configs, and a run
through tools/ on toy data."""
import copy
import json
import math
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from conftest import REPO, run_tool
from mmkd.models.algorithms.mutual_learning import export_peer, peer_config, peer_names
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

NUM_CLASSES = 3


def tiny_classifier(num_classes=NUM_CLASSES, mean=0.0):
    """A ResNet-18 with 4 base channels (stage widths 4-32) and a linear head, for 16 px inputs."""
    return dict(
        type='mmkd.ImageClassifier',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[mean] * 3, std=[1.0] * 3),
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=4, out_indices=(3, ), norm_eval=False,
                      init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=num_classes, in_channels=32, topk=(1, )))


def build(num_peers=2, **kwargs):
    torch.manual_seed(0)
    names = 'abc'[:num_peers]
    cfg = dict(type='mmkd.MutualLearning', peers={n: tiny_classifier() for n in names}, logits='head.fc',
               input_size=(16, 16))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=4):
    generator = torch.Generator().manual_seed(1)
    inputs = [torch.rand(3, 16, 16, generator=generator) for _ in range(n)]
    samples = [ClsDataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def kl(p, q):
    """KL(p || q) of two probability lists, in plain Python."""
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def log_probs(rows):
    return torch.tensor(rows).log()  # softmax(log p) = p: logits with known probabilities


# ------------------------------------------------------------------------------------ the loss
def test_mutual_loss_of_two_peers_is_the_kl_to_the_other_peer():
    model = build()
    pa = [[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]]
    pb = [[0.25, 0.5, 0.25], [0.5, 0.25, 0.25]]
    losses = model.mutual_losses(dict(a=log_probs(pa), b=log_probs(pb)))
    assert list(losses) == ['loss_mutual_a', 'loss_mutual_b']
    # row 1: KL(pb || pa) = 0.25 ln 0.5 + 0.5 ln 2 = 0.25 ln 2; row 2: 0.5 ln 1.5 + 0.5 ln 0.75 = 0.5 ln 1.125
    expected_a = (0.25 * math.log(2) + 0.5 * math.log(1.125)) / 2
    # row 1: KL(pa || pb) = 0.25 ln 2; row 2: KL(uniform || pb) = 1/3 ln(2/3 * 4/3 * 4/3) = 1/3 ln(32/27)
    expected_b = (0.25 * math.log(2) + math.log(32 / 27) / 3) / 2
    assert losses['loss_mutual_a'].item() == pytest.approx(expected_a, rel=1e-5)
    assert losses['loss_mutual_b'].item() == pytest.approx(expected_b, rel=1e-5)


def test_mutual_loss_of_three_peers_averages_the_kls_to_the_two_others():
    model = build(num_peers=3)
    probs = dict(a=[[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]],
                 b=[[0.25, 0.5, 0.25], [0.6, 0.3, 0.1]],
                 c=[[0.1, 0.1, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    losses = model.mutual_losses({k: log_probs(v) for k, v in probs.items()})
    for k in 'abc':
        others = [j for j in 'abc' if j != k]
        # 1/(K-1) sum_{j != k} of the batch-mean KL(p_j || p_k)
        expected = sum(sum(kl(pj, pk) for pj, pk in zip(probs[j], probs[k])) / 2 for j in others) / 2
        assert losses[f'loss_mutual_{k}'].item() == pytest.approx(expected, rel=1e-5)


def test_the_loss_temperature_and_weight_come_from_the_loss_config():
    model = build(loss=dict(type='mmkd.KDLoss', tau=2.0, loss_weight=0.5))
    za, zb = torch.tensor([[2.0, 0.0, -2.0]]), torch.tensor([[0.0, 1.0, 0.0]])
    pa, pb = (torch.softmax(z / 2, dim=1)[0].tolist() for z in (za, zb))
    losses = model.mutual_losses(dict(a=za, b=zb))
    assert losses['loss_mutual_a'].item() == pytest.approx(0.5 * 4 * kl(pb, pa), rel=1e-5)


# ------------------------------------------------------------------------------------ training
def test_training_losses_are_prefixed_per_peer_and_targets_are_detached():
    model = build()
    model.train()
    data = model.data_preprocessor(batch(), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert sorted(losses) == ['a.acc_top1', 'a.loss_cls', 'b.acc_top1', 'b.loss_cls', 'loss_mutual_a',
                              'loss_mutual_b']
    params = {name: [p for p in peer.parameters()] for name, peer in model.peers.items()}
    # peer a's mutual loss reaches peer a, and nothing of peer b (its probabilities are detached targets)
    to_a = torch.autograd.grad(losses['loss_mutual_a'], params['a'], retain_graph=True, allow_unused=True)
    to_b = torch.autograd.grad(losses['loss_mutual_a'], params['b'], retain_graph=True, allow_unused=True)
    assert all(g is None for g in to_b)
    assert sum(g.abs().sum() for g in to_a if g is not None) > 0
    fc = [n for n, _ in model.peers.a.named_parameters()].index('head.fc.weight')
    assert to_a[fc] is not None and to_a[fc].abs().sum() > 0
    to_a = torch.autograd.grad(losses['loss_mutual_b'], params['a'], allow_unused=True)
    assert all(g is None for g in to_a)


def test_one_optimizer_step_updates_every_peer():
    model = build(num_peers=3)
    model.train()
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.1)))
    before = {k: v.clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    log_vars = {k: v.item() for k, v in model.train_step(batch(), optim_wrapper).items()}
    assert {'loss_mutual_a', 'loss_mutual_b', 'loss_mutual_c', 'c.loss_cls'} <= set(log_vars)
    # total = every peer's cross-entropy + every peer's mutual term
    expected = sum(log_vars[k] for k in log_vars if 'loss' in k and k != 'loss')
    assert log_vars['loss'] == pytest.approx(expected, rel=1e-5)
    for name, peer in model.peers.items():
        changed = [n for n, p in peer.named_parameters() if not torch.equal(p, before[f'peers.{name}.{n}'])]
        assert len(changed) == len(list(peer.parameters())), f'peer {name}: only {changed} changed'
    # the recorded logits are released after the losses are parsed
    assert all(r.recorders['logits'].num_calls == 0 for r in model.recorders.values())


# ---------------------------------------------------------------------------------- prediction
def test_predict_peer_switches_the_prediction():
    model = build()
    model.eval()
    inputs = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        own = {name: peer(inputs, mode='tensor') for name, peer in model.peers.items()}
        assert model.predict_peer == 'a'
        torch.testing.assert_close(model(inputs, mode='tensor'), own['a'], rtol=0, atol=0)
        model.predict_peer = 'b'
        torch.testing.assert_close(model(inputs, mode='tensor'), own['b'], rtol=0, atol=0)
        assert not torch.allclose(own['a'], own['b'])
        samples = model(inputs, [ClsDataSample(), ClsDataSample()], mode='predict')
    torch.testing.assert_close(samples[1].pred_score, torch.softmax(own['b'][1], dim=0))
    assert build(predict_peer='b').predict_peer == 'b'
    with pytest.raises(ValueError, match='not a peer; the peers are: a, b'):
        model.predict_peer = 'c'


# -------------------------------------------------------------------------------------- export
def test_exported_peer_reloads_into_a_plain_model_with_equal_outputs(tmp_path):
    model = build()
    cfg = Config(dict(model=model_cfg(), default_scope='mmkd', custom_hooks=[dict(type='mmkd.TeacherEvalHook')]))
    src = tmp_path / 'dml.pth'
    torch.save(dict(meta=dict(iter=2), state_dict=model.state_dict()), src)
    assert peer_names(torch.load(src)) == ['a', 'b']
    out = export_peer(str(src), 'b')
    assert out == str(tmp_path / 'dml_b.pth')
    plain_cfg = peer_config(cfg, 'b')
    assert plain_cfg.model.type == 'mmkd.ImageClassifier' and plain_cfg.custom_hooks == []
    plain = MODELS.build(plain_cfg.model)
    load_checkpoint(plain, out, map_location='cpu', strict=True)
    model.eval()
    plain.eval()
    inputs = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(plain(inputs, mode='tensor'), model.peers.b(inputs, mode='tensor'),
                                   rtol=0, atol=0)
    with pytest.raises(ValueError, match="no peer 'c' in this checkpoint; its peers are: a, b"):
        export_peer(str(src), 'c')


def model_cfg():
    return dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier(), b=tiny_classifier()),
                logits='head.fc')


# ------------------------------------------------------------------------------------- errors
def test_bad_configs_fail_at_build_with_a_fix():
    with pytest.raises(ValueError, match='at least two'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier()), logits='head.fc'))
    with pytest.raises(ValueError, match='same one'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier(), b=tiny_classifier(mean=1.)),
                          logits='head.fc'))
    with pytest.raises(ValueError, match=r"logits differ in shape .*\(2, 3\).*\(2, 5\)"):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier(), b=tiny_classifier(5)),
                          logits='head.fc', input_size=(16, 16)))
    with pytest.raises(ValueError, match='did you mean: head.fc'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier(), b=tiny_classifier()),
                          logits='head.fcc'))
    with pytest.raises(ValueError, match='naming every peer'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=tiny_classifier(), b=tiny_classifier()),
                          logits=dict(a='head.fc')))
    with pytest.raises(ValueError, match='Python identifier'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers={'a.b': tiny_classifier(), 'c': tiny_classifier()},
                          logits='head.fc'))


# ------------------------------------------------------------------------------------- configs
def build_config(name, monkeypatch):
    monkeypatch.chdir(REPO)  # peer config paths are relative to the repository root
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'dml', name))
    init_default_scope(cfg.default_scope)
    return cfg, MODELS.build(copy.deepcopy(cfg.model))


@pytest.mark.parametrize('name, peers', [('dml_cls_r18_r18_toy.py', ['a', 'b']),
                                         ('dml_cls_r18_mbv2_toy.py', ['r18', 'mbv2']),
                                         ('dml_cls_r18_r18_cifar100.py', ['a', 'b']),
                                         ('dml_cls_r18_mbv2_cifar100.py', ['r18', 'mbv2'])])
def test_classification_configs_build_their_peers(name, peers, monkeypatch):
    cfg, model = build_config(name, monkeypatch)
    assert cfg.default_scope == 'mmkd' and list(model.peers) == peers
    classes = 10 if 'toy' in name else 100
    assert [p.head.fc.out_features for p in model.peers.values()] == [classes, classes]
    assert model.mutual_loss.tau == 1.0 and model.mutual_loss.loss_weight == 1.0
    if 'mbv2' in name:
        assert type(model.peers.mbv2.backbone).__name__ == 'MobileNetV2'
        assert type(model.peers.r18.backbone).__name__ == 'ResNet'


def test_segmentation_config_trains_both_peers_on_dense_logits(monkeypatch):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    cfg, model = build_config('dml_deeplabv3plus_r18_r18_toy.py', monkeypatch)
    assert cfg.default_scope == 'mmseg' and cfg.data_preprocessor is None
    samples = []
    for i in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, 64, 64)))
        samples.append(sample)
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    assert {'a.decode.loss_ce', 'a.aux.loss_ce', 'b.decode.loss_ce', 'loss_mutual_a', 'loss_mutual_b'} <= set(losses)
    assert model.recorders['a'].get('logits').shape == (2, 7, 16, 16)  # 1/4 of the input, 7 classes
    assert all(torch.isfinite(losses[k]) and losses[k] > 0 for k in ('loss_mutual_a', 'loss_mutual_b'))


# --------------------------------------------------------------- end to end (slow, through tools/)
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
         'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8']
CONFIG = 'configs/dml/dml_cls_r18_r18_toy.py'


@pytest.fixture(scope='module')
def dml_run(toy_workspace):
    out = run_tool(toy_workspace, 'tools/train.py', CONFIG, '--work-dir', 'work_dirs/dml', '--cfg-options',
                   *SHORT)
    return toy_workspace, out


@pytest.mark.slow
def test_training_logs_both_peers_and_both_mutual_losses(dml_run):
    _, out = dml_run
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert len(last) == 1
    terms = dict(re.findall(r'(\S+): (-?[\d.]+)', last[0]))
    for key in ('a.loss_cls', 'b.loss_cls', 'loss_mutual_a', 'loss_mutual_b'):
        assert key in terms and math.isfinite(float(terms[key])), key
    assert any('accuracy/top1' in line for line in out.splitlines() if 'Iter(val)' in line)


@pytest.mark.slow
def test_each_peer_is_evaluated_and_exported(dml_run):
    root, _ = dml_run
    ckpt = 'work_dirs/dml/iter_2.pth'
    metrics = {}
    for peer in 'ab':
        run_tool(root, 'tools/test.py', CONFIG, ckpt, '--out', f'work_dirs/dml/{peer}.json', '--cfg-options',
                 *SHORT[-2:], f'model.predict_peer={peer}')
        metrics[peer] = json.loads((root / f'work_dirs/dml/{peer}.json').read_text())
    # the exported peer b and its config give tools/test.py the same metrics as predict_peer=b
    out = run_tool(root, 'tools/model_converters/distill_to_student.py', ckpt, 'work_dirs/dml/b.pth', '--peer',
                   'b', '--config', CONFIG, '--out-config', 'work_dirs/dml/b_config.py')
    assert 'peer b checkpoint: work_dirs/dml/b.pth' in out
    plain_cfg = Config.fromfile(root / 'work_dirs/dml/b_config.py')
    assert plain_cfg.model.type == 'mmkd.ImageClassifier'
    run_tool(root, 'tools/test.py', 'work_dirs/dml/b_config.py', 'work_dirs/dml/b.pth', '--out',
             'work_dirs/dml/b_plain.json', '--cfg-options', *SHORT[-2:])
    plain = json.loads((root / 'work_dirs/dml/b_plain.json').read_text())
    assert plain == metrics['b']
    # without --peer the converter says which peers there are
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools/model_converters/distill_to_student.py'),
                           ckpt], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2 and 'choose one with --peer NAME' in proc.stderr and 'peers a, b' in proc.stderr


def test_init_weights_reaches_every_peer():
    """mmengine's init_weights only recurses into children with an init_weights method: the peers must
    get their own initialisation (mmdet ResNet: Kaiming convs, zero-initialised last BN of each block)."""
    from mmkd.registry import MODELS
    backbone = dict(type='mmdet.ResNet', depth=18, num_stages=2, strides=(1, 2), dilations=(1, 1),
                    out_indices=(1, ), init_cfg=None)
    peer = dict(type='mmkd.ImageClassifier', backbone=backbone,
                head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels=128),
                data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3, std=[1.] * 3))
    model = MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=peer, b=peer), logits='head.fc'))
    model.init_weights()
    for name in ('a', 'b'):
        block = model.peers[name].backbone.layer1[0]
        assert torch.count_nonzero(block.bn2.weight) == 0, name  # zero_init_residual applied


def test_sync_bn_becomes_bn_in_every_peer_before_the_recorders_hook_them():
    """mmseg's real configs use SyncBN. Without a process group the peers are built with BN in its place before
    the logits recorders hook a layer: a position on a norm layer still records after the Runner's own
    revert_sync_batchnorm, which finds nothing left to replace (KDCL and DCM build their peers here too)."""
    from mmengine.model import revert_sync_batchnorm
    from torch.nn import SyncBatchNorm
    from torch.nn.modules.batchnorm import _BatchNorm
    peer = tiny_classifier()
    peer['backbone']['norm_cfg'] = dict(type='SyncBN', requires_grad=True)
    assert any(isinstance(m, SyncBatchNorm) for m in MODELS.build(copy.deepcopy(peer)).modules())
    model = build(peers=dict(a=peer, b=copy.deepcopy(peer)), logits='backbone.layer4.1.bn2')
    for net in model.peers.values():
        norms = [m for m in net.modules() if isinstance(m, _BatchNorm)]
        assert norms and not any(isinstance(m, SyncBatchNorm) for m in norms)
    bn = model.peers.a.backbone.layer4[1].bn2
    assert revert_sync_batchnorm(model) is model and model.peers.a.backbone.layer4[1].bn2 is bn
    model.train()
    data = model.data_preprocessor(batch(), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert all(torch.isfinite(losses[f'loss_mutual_{n}']) and losses[f'loss_mutual_{n}'] > 0 for n in 'ab')
