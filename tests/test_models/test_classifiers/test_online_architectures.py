"""Online multi-branch classifiers: grad_scale, ONE, collaborative learning, rocket launching, their export
to a plain classifier, their configs and two training iterations of each toy config."""
import copy
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from conftest import REPO, ce_by_hand, kl_by_hand, run_tool, total
from mmkd.models.ops import grad_scale
from mmkd.models.ops.backbone_stages import take_stages, truncate_backbone
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

# a narrow ResNet-18 (stage widths 8/16/32/64) keeps the in-process tests at a few milliseconds a step
TINY_R18 = dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4, deep_stem=True,
                strides=(1, 1, 2, 1), out_indices=(0, 1, 2, 3), norm_eval=False, init_cfg=None)
TINY_R34 = dict(TINY_R18, depth=34)
HEAD = dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64, topk=(1, ))


def one_model(**kwargs):
    return MODELS.build(dict(type='mmkd.ONEClassifier', backbone=TINY_R18, head=HEAD, **kwargs))


def cl_model(**kwargs):
    return MODELS.build(dict(type='mmkd.CollaborativeClassifier', backbone=TINY_R18, head=HEAD, **kwargs))


def rocket_model(**kwargs):
    kwargs.setdefault('booster_backbone', TINY_R34)
    return MODELS.build(dict(type='mmkd.RocketClassifier', backbone=TINY_R18, head=HEAD, **kwargs))


def batch(n=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = [ClsDataSample().set_gt_label(i % 5) for i in range(n)]
    return torch.randn(n, 3, 16, 16, generator=gen), samples



def grads(module):
    """name -> gradient (zeros where autograd left none)."""
    return {n: (p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in module.named_parameters()}


# ------------------------------------------------------------------------------------------ grad_scale
def test_grad_scale_is_identity_forward_and_scales_the_gradient_exactly():
    x = torch.randn(3, 4, requires_grad=True)
    y = grad_scale(x, 0.25)
    assert torch.equal(y, x)
    upstream = torch.randn(3, 4)
    y.backward(upstream)
    assert torch.equal(x.grad, upstream * 0.25)
    x.grad = None
    (grad_scale(x, 1 / 3) * 2.0).sum().backward()
    assert torch.allclose(x.grad, torch.full((3, 4), 2.0 / 3), atol=0, rtol=1e-6)
    x.grad = None
    grad_scale(x, 0.0).sum().backward()
    assert torch.count_nonzero(x.grad) == 0
    for bad in (float('nan'), float('inf'), '0.5', None, True):
        with pytest.raises(TypeError, match='finite real scale'):
            grad_scale(x, bad)


# ------------------------------------------------------------------------------------------ splitting
def test_backbone_split_keeps_stage_names_and_rejects_bad_points():
    trunk = MODELS.build(TINY_R18)
    high = take_stages(trunk, 2)
    truncate_backbone(trunk, 2)
    assert high.stage_names == ['layer3', 'layer4'] and trunk.res_layers == ['layer1', 'layer2']
    assert not hasattr(trunk, 'layer3') and not hasattr(high, 'layer1')
    x = torch.randn(2, 3, 16, 16)
    full = MODELS.build(TINY_R18)
    full.load_state_dict({**{k: v for k, v in trunk.state_dict().items()},
                          **{k: v for k, v in high.state_dict().items()}}, strict=True)
    full.eval(), trunk.eval(), high.eval()
    assert torch.allclose(high(trunk(x)[-1]), full(x)[-1], atol=1e-6)
    with pytest.raises(ValueError, match='must increase strictly'):
        truncate_backbone(MODELS.build(TINY_R18), 4)
    with pytest.raises(ValueError, match='must increase strictly'):
        cl_model(split_stages=(3, 2))
    with pytest.raises(ValueError, match='frozen_stages'):
        take_stages(MODELS.build(dict(TINY_R18, frozen_stages=3)), 2)
    with pytest.raises(ValueError, match='add 3 to out_indices'):
        take_stages(MODELS.build(dict(TINY_R18, out_indices=(1, 2))), 2)
    with pytest.raises(TypeError, match='res_layers'):
        take_stages(torch.nn.Conv2d(3, 3, 1), 1)


# ------------------------------------------------------------------------------------------ ONE
def test_one_gate_weights_sum_to_one_and_ensemble_is_their_weighted_sum():
    model = one_model()
    x, _ = batch()
    logits, weights, ensemble = model.forward_all(x)
    assert len(logits) == 3 and weights.shape == (4, 3)
    assert torch.allclose(weights.sum(dim=1), torch.ones(4), atol=1e-6) and (weights >= 0).all()
    by_hand = sum(weights[:, i:i + 1] * logits[i] for i in range(3))
    assert torch.allclose(ensemble, by_hand, atol=1e-6)
    # the gate depends on the input: two images get different weights
    assert not torch.allclose(weights[0], weights[1])
    model.eval()
    assert torch.allclose(model(x, mode='tensor'), model.forward_all(x)[2], atol=1e-6)


def test_one_loss_terms_match_a_hand_computation(monkeypatch):
    model = one_model()
    z = [torch.tensor([[1.0, 2.0, 0.5, -1.0, 0.0], [0.3, -0.2, 2.0, 1.0, 0.1]]),
         torch.tensor([[0.0, 1.0, 1.0, 0.0, 2.0], [1.5, 0.5, -1.0, 0.0, 0.2]]),
         torch.tensor([[2.0, -1.0, 0.0, 0.5, 1.0], [0.0, 0.0, 1.0, 3.0, -0.5]])]
    g = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    z_e = model.ensemble(z, g)
    monkeypatch.setattr(model, 'forward_all', lambda inputs: (z, g, z_e))
    samples = [ClsDataSample().set_gt_label(1), ClsDataSample().set_gt_label(3)]
    losses = model.loss(torch.zeros(2, 3, 16, 16), samples)
    e_rows = z_e.tolist()
    assert e_rows[0][0] == pytest.approx(0.2 * 1.0 + 0.3 * 0.0 + 0.5 * 2.0)
    for i in range(3):
        assert losses[f'loss_kl_branch{i}'].item() == pytest.approx(kl_by_hand(e_rows, z[i].tolist(), 3.0),
                                                                    rel=1e-5)
        assert losses[f'loss_cls_branch{i}'].item() == pytest.approx(ce_by_hand(z[i].tolist(), [1, 3]), rel=1e-5)
    assert losses['loss_cls_ensemble'].item() == pytest.approx(ce_by_hand(e_rows, [1, 3]), rel=1e-5)
    assert losses['acc_top1'].item() == pytest.approx(100.0 * sum(
        max(range(5), key=row.__getitem__) == y for row, y in zip(e_rows, [1, 3])) / 2)


def test_one_kl_target_is_detached_so_the_gate_learns_from_the_ensemble_ce_only():
    model = one_model()
    x, samples = batch()
    losses = model.loss(x, samples)
    sum(losses[f'loss_kl_branch{i}'] for i in range(3)).backward(retain_graph=True)
    gate = grads(model.gate)
    assert all(torch.count_nonzero(g) == 0 for g in gate.values())
    # the branches do learn from the KL ...
    assert torch.count_nonzero(model.heads[0].fc.weight.grad) > 0
    # ... and the gate from the ensemble cross-entropy
    model.zero_grad()
    losses['loss_cls_ensemble'].backward()
    assert torch.count_nonzero(model.gate[0].weight.grad) > 0


def test_one_predicts_one_branch_and_checks_its_arguments():
    model = one_model(predict_branch=2).eval()
    x, samples = batch()
    z, _, _ = model.forward_all(x)
    assert torch.allclose(model(x, mode='tensor'), z[2], atol=1e-6)
    out = model(x, samples, mode='predict')
    assert [s.pred_label.item() for s in out] == z[2].argmax(dim=1).tolist()
    with pytest.raises(ValueError, match='num_branches must be an int >= 2'):
        one_model(num_branches=1)
    with pytest.raises(ValueError, match='predict_branch'):
        one_model(predict_branch=3)


# ------------------------------------------------------------------------------------------ collaborative
def test_collaborative_hierarchy_and_loss_match_a_hand_computation(monkeypatch):
    model = cl_model()
    assert model.num_heads == 4 and [len(level) for level in model.levels] == [2, 4]
    assert [model.node_index(h, 0) for h in range(4)] == [0, 0, 1, 1]
    z = [torch.tensor([[1.0, 0.0, 2.0, 0.5, -1.0]]), torch.tensor([[0.0, 1.0, 0.0, 1.0, 0.0]]),
         torch.tensor([[2.0, 2.0, -1.0, 0.0, 0.5]]), torch.tensor([[-0.5, 0.0, 1.0, 3.0, 1.0]])]
    monkeypatch.setattr(model, 'branch_logits', lambda inputs: z)
    losses = model.loss(torch.zeros(1, 3, 16, 16), [ClsDataSample().set_gt_label(2)])
    for h in range(4):
        others = [z[j][0].tolist() for j in range(4) if j != h]
        target = [[sum(col) / 3 for col in zip(*others)]]
        assert losses[f'loss_soft_head{h}'].item() == pytest.approx(0.5 * kl_by_hand(target, z[h].tolist(), 2.0),
                                                                    rel=1e-5)
        assert losses[f'loss_cls_head{h}'].item() == pytest.approx(0.5 * ce_by_hand(z[h].tolist(), [2]), rel=1e-5)


def test_collaborative_soft_targets_are_detached_and_gradients_are_rescaled():
    x, samples = batch()
    model = cl_model()
    losses = model.loss(x, samples)
    # each soft term moves its own head only: head 1 gets no gradient from head 0's soft term
    losses['loss_soft_head0'].backward(retain_graph=True)
    assert torch.count_nonzero(model.heads[0].fc.weight.grad) > 0
    assert model.heads[1].fc.weight.grad is None or torch.count_nonzero(model.heads[1].fc.weight.grad) == 0
    # backpropagation rescaling: same weights and batch, the trunk gets 1/2 * 1/2 of the plain gradient,
    # the heads (no split below them) the same gradient
    rescaled, plain = cl_model(rescale_grad=True), cl_model(rescale_grad=False)
    plain.load_state_dict(rescaled.state_dict())
    total(rescaled.loss(x, samples)).backward()
    total(plain.loss(x, samples)).backward()
    g_r, g_p = grads(rescaled), grads(plain)
    for name in ('trunk.stem.0.weight', 'trunk.layer2.1.conv2.weight'):
        assert torch.count_nonzero(g_p[name]) > 0
        assert torch.allclose(g_r[name], g_p[name] / 4, rtol=1e-4, atol=1e-7), name
    level0 = 'levels.0.1.layer3.0.conv1.weight'
    assert torch.allclose(g_r[level0], g_p[level0] / 2, rtol=1e-4, atol=1e-7)
    assert torch.allclose(g_r['heads.3.fc.weight'], g_p['heads.3.fc.weight'], rtol=1e-5, atol=1e-7)


def test_collaborative_prediction_and_errors():
    model = cl_model(predict_head=3).eval()
    x, _ = batch()
    z = model.branch_logits(x)
    assert torch.allclose(model(x, mode='tensor'), z[3], atol=1e-6)
    model.predict_head = 'mean'
    assert torch.allclose(model(x, mode='tensor'), torch.stack(z).mean(0), atol=1e-6)
    with pytest.raises(ValueError, match='same non-zero length'):
        cl_model(split_stages=(2, 3), fan_outs=(4, ))
    with pytest.raises(ValueError, match='at least 2'):
        cl_model(split_stages=(3, ), fan_outs=(1, ))
    with pytest.raises(ValueError, match='predict_head'):
        cl_model(predict_head=4)


# ------------------------------------------------------------------------------------------ rocket
def test_rocket_hint_value_and_gradient_block():
    model = rocket_model(kd_loss=dict(type='mmkd.HintLoss', loss_weight=0.6))  # lambda = 0.3
    light = torch.tensor([[1.0, 2.0, 0.0], [0.5, -1.0, 1.0]])
    booster = torch.tensor([[0.0, 2.5, 1.0], [0.5, 0.0, 3.0]])
    # ((1 + 0.25 + 1) + (0 + 1 + 4)) / 2 rows * 0.3
    assert model.hint_loss(light, booster).item() == pytest.approx(0.3 * (2.25 + 5.0) / 2)

    x, samples = batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls_light', 'loss_cls_booster', 'loss_hint', 'acc_top1', 'acc_booster_top1'}
    losses['loss_hint'].backward()
    g = grads(model)
    booster_only = [n for n in g if n.startswith(('booster.', 'booster_head.'))]
    light_side = [n for n in g if n.startswith(('light.', 'head.'))]
    assert booster_only and light_side
    assert all(torch.count_nonzero(g[n]) == 0 for n in booster_only)
    assert all(torch.count_nonzero(g[n]) > 0 for n in light_side if n.endswith('conv1.weight') or 'fc' in n)
    assert torch.count_nonzero(g['trunk.stem.0.weight']) > 0  # the shared layers follow the hint

    unblocked = rocket_model(gradient_block=False)
    unblocked.loss(x, samples)['loss_hint'].backward()
    assert torch.count_nonzero(unblocked.booster_head.fc.weight.grad) > 0
    with pytest.raises(ValueError, match='negative'):
        rocket_model(kd_loss=dict(type='mmkd.HintLoss', loss_weight=-0.2))
    with pytest.raises(ValueError, match='loss config'):
        rocket_model(kd_loss=0.1)


def test_rocket_predicts_with_the_light_net_and_checks_channels():
    model = rocket_model().eval()
    x, _ = batch()
    light, booster = model.branch_logits(x)
    assert torch.allclose(model(x, mode='tensor'), light, atol=1e-6)
    model.predict_net = 'booster'
    assert torch.allclose(model(x, mode='tensor'), booster, atol=1e-6)
    with pytest.raises(ValueError, match='shared stages end with 8 channels .* takes 32'):
        rocket_model(booster_backbone=dict(TINY_R18, depth=50))


# ------------------------------------------------------------------------------------------ all three
@pytest.mark.parametrize('build', [one_model, cl_model, rocket_model], ids=['one', 'cl', 'rocket'])
def test_one_sgd_step_updates_every_trainable_part(build):
    torch.manual_seed(0)
    model = build()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, samples = batch(6)
    total(model.loss(x, samples)).backward()
    optimizer.step()
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx([123.675, 116.28, 103.53])


@pytest.mark.parametrize('build,index', [(one_model, 1), (cl_model, 2), (rocket_model, 0)],
                         ids=['one', 'cl', 'rocket'])
def test_export_gives_a_plain_classifier_with_the_branch_logits(build, index):
    model = build()
    cfg = dict(backbone=TINY_R18, head=HEAD)
    single = MODELS.build(model.export_model_config(cfg))
    assert type(single).__name__ == 'ImageClassifier'
    single.load_state_dict(model.export_state_dict(index), strict=True)
    model.eval(), single.eval()
    x, _ = batch()
    assert torch.allclose(single(x, mode='tensor'), model.branch_logits(x)[index], atol=1e-5)
    with pytest.raises(ValueError, match='index'):
        model.export_state_dict(7)


# ------------------------------------------------------------------------------------------ configs
TOY = ['one/one_cls_r18_toy.py', 'collaborative/cl_cls_r18_toy.py', 'rocket/rocket_cls_r18_toy.py']
FULL = [name.replace('_toy.py', '_cifar100.py') for name in TOY]
TYPES = {'one': 'mmkd.ONEClassifier', 'collaborative': 'mmkd.CollaborativeClassifier',
         'rocket': 'mmkd.RocketClassifier'}


@pytest.mark.parametrize('name', TOY + FULL)
def test_config_builds_the_papers_settings(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    assert cfg.model.type == TYPES[name.split('/')[0]] and cfg.default_scope == 'mmkd'
    init_default_scope(cfg.default_scope)
    model = MODELS.build(copy.deepcopy(cfg.model))
    classes = 10 if name.endswith('_toy.py') else 100
    assert model.predict_logits(torch.randn(2, 3, 32, 32)).shape == (2, classes)
    if 'one/' in name:
        assert model.num_branches == 3 and model.kd_loss.tau == 3.0 and model.predict_branch is None
    elif 'collaborative/' in name:
        assert model.num_heads == 4 and model.kd_loss.tau == 2.0 and model.beta == 0.5 and model.rescale_grad
    else:
        assert model.gradient_block and model.predict_net == 'light' and model.kd_loss.loss_weight == 0.2
        assert len(model.booster.layer3) == 6  # ResNet-34 stages
    # the toy and full configs differ in data and schedule only
    twin = name.replace('_cifar100.py', '_toy.py') if name in FULL else None
    if twin:
        toy = Config.fromfile(osp.join(REPO, 'configs', twin)).model.to_dict()
        full = cfg.model.to_dict()
        assert toy['head'].pop('num_classes') == 10 and full['head'].pop('num_classes') == 100
        assert toy == full


SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
         'val_dataloader.dataset.indices=8']
LOGGED = {'one': ['loss_cls_branch0', 'loss_cls_ensemble', 'loss_kl_branch2'],
          'collaborative': ['loss_cls_head0', 'loss_soft_head3'],
          'rocket': ['loss_cls_light', 'loss_cls_booster', 'loss_hint']}


@pytest.mark.slow
@pytest.mark.parametrize('name', TOY)
def test_toy_config_trains_two_iterations_and_exports_one_network(toy_workspace, name):
    method = name.split('/')[0]
    work_dir = f'work_dirs/online_{method}'
    out = run_tool(toy_workspace, 'tools/train.py', f'configs/{name}', '--work-dir', work_dir,
                   '--cfg-options', *SHORT)
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert len(last) == 1
    for key in LOGGED[method]:
        value = re.search(rf'{key}: (\S+)', last[0])
        assert value and math.isfinite(float(value.group(1))), key
    assert re.search(r'Iter\(val\).*accuracy/top1: [\d.]+', out)

    ckpt = toy_workspace / work_dir / 'iter_2.pth'
    branch = '0' if method == 'rocket' else '1'
    run_tool(toy_workspace, 'tools/model_converters/online_to_single.py', str(ckpt), 'single.pth',
             '--config', f'configs/{name}', '--out-config', 'single_config.py', '--branch', branch)
    single_cfg = Config.fromfile(toy_workspace / 'single_config.py')
    assert single_cfg.model.type == 'mmkd.ImageClassifier'
    init_default_scope('mmkd')
    single = MODELS.build(single_cfg.model)
    load_checkpoint(single, str(toy_workspace / 'single.pth'), map_location='cpu', strict=True)
    model = MODELS.build(Config.fromfile(osp.join(REPO, 'configs', name)).model)
    model.load_state_dict(torch.load(ckpt, map_location='cpu')['state_dict'])
    single.eval(), model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model.branch_logits(x)[int(branch)]
        assert torch.allclose(single(x, mode='tensor'), expected, atol=1e-4)


# ------------------------------------------------------------------------------------------ ONE, segmentation
SEG_CONFIG = 'one/one_deeplabv3plus_r18_toy.py'


def seg_batch(n=2, size=64):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(n):
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), pad_shape=(size, size),
                                             ori_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, size, size), generator=gen))
        samples.append(sample)
    return torch.randn(n, 3, size, size, generator=gen), samples


@pytest.fixture(scope='module')
def seg_cfg():
    return Config.fromfile(osp.join(REPO, 'configs', SEG_CONFIG))


def test_one_segmentation_gate_ensemble_detached_target_and_export(seg_cfg):
    init_default_scope(seg_cfg.default_scope)
    cfg = copy.deepcopy(seg_cfg.model)
    # narrower heads (the toy config's backbone) keep this in-process test quick
    cfg.decode_head.update(channels=16, c1_channels=4)
    cfg.auxiliary_head.update(channels=8)
    model = MODELS.build(copy.deepcopy(cfg))
    assert len(model.decode_heads) == 3 and model.gate[0].in_features == 512
    x, samples = seg_batch(size=32)
    _, logits, weights, ensemble = model.forward_all(x)
    assert torch.allclose(weights.sum(dim=1), torch.ones(2), atol=1e-6)
    by_hand = sum(weights[:, i, None, None, None] * logits[i] for i in range(3))
    assert torch.allclose(ensemble, by_hand, atol=1e-5)

    losses = model.loss(x, samples)
    expected = {'decode_b0.loss_ce', 'decode_b2.loss_ce', 'decode_ens.loss_ce', 'loss_kl_b1', 'aux.loss_ce'}
    assert expected <= set(losses)
    sum(losses[f'loss_kl_b{i}'] for i in range(3)).backward(retain_graph=True)
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in model.gate.parameters())
    assert torch.count_nonzero(model.decode_heads[1].conv_seg.weight.grad) > 0
    losses['decode_ens.loss_ce'].backward()
    assert torch.count_nonzero(model.gate[0].weight.grad) > 0

    single = MODELS.build(model.export_model_config(cfg))
    assert type(single).__name__ == 'EncoderDecoder'
    single.load_state_dict(model.export_state_dict(2), strict=True)
    model.eval(), single.eval()
    with torch.no_grad():
        assert torch.allclose(single(x, mode='tensor'), model.forward_all(x)[1][2], atol=1e-5)
        assert torch.allclose(model(x, mode='tensor'), model.forward_all(x)[3], atol=1e-5)
        pred = model(x, samples, mode='predict')
    assert pred[0].pred_sem_seg.data.shape == (1, 32, 32)


def test_one_segmentation_kl_leaves_ignored_pixels_out_with_ignore_index(seg_cfg, monkeypatch):
    """kd_loss=KDLoss(ignore_index=255): the KL of each branch is averaged over the labelled pixels only,
    the label maps (32 x 32) resized by nearest neighbour to the decode-head maps."""
    init_default_scope(seg_cfg.default_scope)
    cfg = copy.deepcopy(seg_cfg.model)
    cfg.decode_head.update(channels=16, c1_channels=4)
    cfg.auxiliary_head.update(channels=8)
    cfg.kd_loss = dict(type='mmkd.KDLoss', tau=3.0, ignore_index=255)
    model = MODELS.build(cfg)
    x, samples = seg_batch(size=32)
    samples[0].gt_sem_seg.data[:, :, :20] = 255
    samples[1].gt_sem_seg.data[:, 16:] = 255
    outputs = model.forward_all(x)
    monkeypatch.setattr(model, 'forward_all', lambda inputs: outputs)
    losses = model.loss(x, samples)
    logits, ensemble = outputs[1], outputs[3].detach()
    size = logits[0].shape[2:]
    labels = torch.stack([s.gt_sem_seg.data for s in samples]).float()
    mask = torch.nn.functional.interpolate(labels, size=size, mode='nearest') != 255
    assert 0 < mask.sum() < mask.numel()
    for i in range(3):
        rows = lambda z: z.permute(0, 2, 3, 1)[mask[:, 0]].tolist()  # noqa: E731
        assert losses[f'loss_kl_b{i}'].item() == pytest.approx(kl_by_hand(rows(ensemble), rows(logits[i]), 3.0),
                                                               rel=1e-4)


SEG_SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
             'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
             'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
             'val_dataloader.dataset.indices=2']


@pytest.mark.slow
def test_one_segmentation_toy_config_trains_two_iterations_and_exports_a_branch(toy_workspace):
    work_dir = 'work_dirs/online_one_seg'
    out = run_tool(toy_workspace, 'tools/train.py', f'configs/{SEG_CONFIG}', '--work-dir', work_dir,
                   '--cfg-options', *SEG_SHORT)
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert len(last) == 1
    for key in ('decode_b0.loss_ce', 'decode_ens.loss_ce', 'loss_kl_b2', 'aux.loss_ce'):
        value = re.search(rf'{re.escape(key)}: (\S+)', last[0])
        assert value and math.isfinite(float(value.group(1))), key
    assert re.search(r'Iter\(val\).*mIoU: [\d.]+', out)
    run_tool(toy_workspace, 'tools/model_converters/online_to_single.py',
             str(toy_workspace / work_dir / 'iter_2.pth'), 'seg_single.pth', '--config', f'configs/{SEG_CONFIG}',
             '--out-config', 'seg_single_config.py', '--branch', '2')
    single_cfg = Config.fromfile(toy_workspace / 'seg_single_config.py')
    assert single_cfg.model.type == 'mmseg.EncoderDecoder'
    init_default_scope(single_cfg.default_scope)
    single = MODELS.build(single_cfg.model)
    load_checkpoint(single, str(toy_workspace / 'seg_single.pth'), map_location='cpu', strict=True)
