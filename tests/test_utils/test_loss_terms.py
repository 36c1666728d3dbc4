"""tools/analysis/loss_terms.py and mmkd.utils.loss_terms: the loss terms of a distiller on training batches,
reduced as MMEngine logs them, against a direct forward of the same distiller and batches."""
import copy
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.utils import set_random_seed

from conftest import REPO, run_tool
from mmkd.registry import MODELS
from mmkd.utils.loss_terms import loss_values, summarise


def test_loss_values_reduce_as_mmengine_and_the_ratio_is_distillation_over_task():
    losses = {'loss_cls': [torch.tensor([1.0, 3.0]), torch.tensor(4.0)],  # mmdet: per-image lists, summed
              'loss_bbox': torch.tensor([[0.5, 1.5]]), 'acc': torch.tensor(99.0),
              'loss_distill_a': torch.tensor(0.25)}
    values = loss_values(losses)
    assert values == {'loss_cls': 6.0, 'loss_bbox': 1.0, 'loss_distill_a': 0.25}
    summary = summarise({'loss_cls': [6.0, 2.0], 'loss_bbox': [1.0, 1.0], 'loss_distill_a': [0.25, 0.75],
                         'loss_distill_b': [2.0, 2.0]})
    assert summary['task_sum'] == 5.0 and summary['distill_sum'] == 2.5 and summary['ratio'] == 0.5
    assert summary['task']['loss_cls'] == dict(mean=4.0, std=pytest.approx(2 ** 1.5))
    assert summary['distill']['loss_distill_b'] == dict(mean=2.0, std=0.0) and summary['batches'] == 2
    with pytest.raises(TypeError, match='loss_x is a str'):
        loss_values({'loss_x': 'a'})


@pytest.fixture(scope='module')
def cifar_workspace(tmp_path_factory):
    """configs/ linked and 16 toy CIFAR training images under data/toy."""
    root = tmp_path_factory.mktemp('loss_terms')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--formats', 'cifar',
             '--cifar-train', '16', '--cifar-test', '4')
    return root


OPTIONS = ['train_dataloader.batch_size=4', 'model.teacher_precision=fp32']


def direct_forward(config, batches, iteration):
    """Each batch's log_vars from the distiller's own parse_losses, built and fed as the tool does, by hand."""
    from mmengine.logging import MessageHub
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(o.split('=') for o in OPTIONS[1:]))
    init_default_scope(cfg.default_scope)
    set_random_seed(0)
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.teacher.init_weights()
    model.load_teacher_state(model.teacher.state_dict())
    model.train()
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(batch_size=4, num_workers=0, persistent_workers=False)
    MessageHub.get_current_instance().update_info('iter', iteration)
    logged = []
    try:
        for i, batch in enumerate(Runner.build_dataloader(loader_cfg, seed=0)):
            if i == batches:
                break
            with torch.no_grad():
                losses = model(**model.data_preprocessor(batch, True), mode='loss')
            logged.append(model.parse_losses(losses)[1])
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    return logged


@pytest.mark.slow
@pytest.mark.parametrize('config,iteration,points', [
    ('configs/overhaul_cls_r50_r18_toy.py', 0, ['stage1', 'stage2', 'stage3', 'stage4']),
    ('configs/fitnets/fitnets_cls_r50_r18_toy.py', 30, ['kd']),  # the second stage: KD, not the hint
])
def test_tool_prints_and_writes_the_terms_of_a_direct_forward(cifar_workspace, monkeypatch, config, iteration,
                                                              points):
    out = run_tool(cifar_workspace, 'tools/analysis/loss_terms.py', config, '--teacher-checkpoint', 'none',
                   '--batches', '3', '--iter', str(iteration), '--json', 'terms.json', '--grads',
                   '--cfg-options', *OPTIONS)
    summary = json.load(open(cifar_workspace / 'terms.json'))
    assert summary['batches'] == 3 and summary['iteration'] == iteration
    assert sorted(summary['distill']) == [f'loss_distill_{p}' for p in points]
    assert list(summary['task']) == ['loss_cls']

    monkeypatch.chdir(cifar_workspace)
    logged = direct_forward(config, 3, iteration)
    for group in ('task', 'distill'):
        for key, stats in summary[group].items():
            values = [v[key] for v in logged]
            assert stats['mean'] == pytest.approx(sum(values) / 3, rel=1e-5), key
    task = sum(v['loss_cls'] for v in logged) / 3
    distill = sum(v[f'loss_distill_{p}'] for v in logged for p in points) / 3
    assert summary['ratio'] == pytest.approx(distill / task, rel=1e-5)
    assert f'ratio distillation / task: {summary["ratio"]:.4g}' in out
    for key in summary['distill']:
        assert key in out
    grads = summary['grad_norms']  # backward passes of the same batches: every point reaches the backbone
    assert list(grads) == ['task', 'distill'] + [f'loss_distill_{p}' for p in points]
    assert list(grads['task']) == ['backbone', 'head'] and grads['task']['head'] > 0
    assert all(grads[f'loss_distill_{p}']['backbone'] > 0 for p in points)
    assert 'distill/task' in out


class _TwoStageStudent(torch.nn.Module):
    """y = w2 * (w1 * x): the task loss mean(y) and a 'distillation' loss on the first stage's output."""

    def __init__(self):
        super().__init__()
        self.stage1 = torch.nn.Linear(1, 1, bias=False)
        self.stage2 = torch.nn.Linear(1, 1, bias=False)
        self.frozen = torch.nn.Linear(1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.stage1.weight.fill_(2.0)
            self.stage2.weight.fill_(3.0)


class _ToyDistiller(torch.nn.Module):

    def __init__(self, weight):
        super().__init__()
        self.student = _TwoStageStudent()
        self.weight = weight

    def data_preprocessor(self, batch, training):
        return dict(inputs=batch['x'])

    def forward(self, inputs, mode):
        h = self.student.stage1(inputs)
        y = self.student.stage2(h)
        return {'loss_task': [y[:1], y[1:]], 'acc': torch.tensor(1.0),
                'loss_distill_hint': self.weight * (h ** 2).mean(), 'loss_distill_off': torch.tensor(0.5)}


def test_gradient_norms_per_group_match_a_hand_computation():
    from mmkd.utils.loss_terms import measure_gradient_norms, parameter_groups
    model = _ToyDistiller(weight=0.5)
    assert list(parameter_groups(model.student)) == ['stage1', 'stage2']  # no frozen parameters
    x = torch.tensor([[1.0], [3.0]])
    norms = measure_gradient_norms(model, [dict(x=x)])
    # task = y1 + y2 = w2 w1 (x1 + x2) = 4 w1 w2: d/dw1 = 4 w2 = 12, d/dw2 = 4 w1 = 8
    assert norms['task'] == {'stage1': [pytest.approx(12.0)], 'stage2': [pytest.approx(8.0)]}
    # hint = 0.5 mean((w1 x)^2) = 0.25 w1^2 (1 + 9): d/dw1 = 0.5 w1 10 = 10; no path to stage2
    assert norms['loss_distill_hint'] == {'stage1': [pytest.approx(10.0)], 'stage2': [0.0]}
    assert norms['loss_distill_off'] == {'stage1': [0.0], 'stage2': [0.0]}  # a constant: no gradient
    assert norms['distill'] == {'stage1': [pytest.approx(10.0)], 'stage2': [0.0]}
    assert model.student.stage1.weight.grad is None  # measured, not accumulated
