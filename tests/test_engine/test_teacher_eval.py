"""Short smoke runs through tools/train.py: the config's ``teacher_eval`` switch, teacher metrics in the
scalars that plot_logs.py draws, and a logger interval that never hides a run shorter than it. A tiny
ResNet-18 distiller on a few CIFAR-format images, in this process."""
import importlib.util
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO, write_cifar
from mmkd.engine.hooks.teacher_eval_hook import scalar_metrics, teacher_eval_enabled
from mmkd.utils.setup_runtime import fit_logger_interval


def load(name, *path):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, *path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def classifier():
    return dict(type='mmkd.ImageClassifier',
                backbone=dict(type='mmdet.ResNet', depth=18, num_stages=1, strides=(1, ), dilations=(1, ),
                              out_indices=(0, ), init_cfg=None),
                head=dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64, topk=(1, )),
                data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3, std=[255.] * 3))


@pytest.fixture
def config(tmp_path):
    """A distillation config like the zoo's bases: TeacherEvalHook, ``teacher_eval = True``, logger every
    10 iterations, and a val loop that only runs at iteration 200."""
    data = write_cifar(tmp_path / 'data')
    dataset = dict(type='mmkd.CIFAR100Dataset', data_root=data, pipeline=[dict(type='mmkd.PackClsInputs')])
    path = tmp_path / 'distill.py'
    Config(dict(
        default_scope='mmkd',
        model=dict(type='mmkd.FeatureDistiller', student=classifier(),
                   teacher=dict(config=classifier(), checkpoint=None), input_size=32,
                   distill_points=dict(kd=dict(student='head.fc', teacher='head.fc',
                                               loss=dict(type='mmkd.KDLoss', tau=1.0)))),
        train_dataloader=dict(batch_size=4, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
                              dataset=dict(test_mode=False, **dataset)),
        val_dataloader=dict(batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                            dataset=dict(test_mode=True, **dataset)),
        val_evaluator=dict(type='mmkd.Accuracy', topk=(1, )),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200),
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=1e-3)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=10)),
        log_processor=dict(by_epoch=False),
        teacher_eval=True,
        custom_hooks=[dict(type='mmkd.TeacherEvalHook')],
        vis_backends=[dict(type='LocalVisBackend')],
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]),
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0), log_level='INFO')).dump(str(path))
    return str(path)


def train(monkeypatch, config, work, *options):
    """tools/train.py's main() in this process, with a unique experiment name."""
    module = load('mmkd_tool_train', 'tools', 'train.py')
    train.count = getattr(train, 'count', 0) + 1
    monkeypatch.setattr(sys, 'argv', ['train', config, '--work-dir', str(work), '--cfg-options', *options,
                                      f'experiment_name=teacher_eval{train.count}'])
    module.main()


def scalars(work):
    (path, ) = [osp.join(work, d, 'vis_data', 'scalars.json') for d in sorted(work.iterdir())
                if osp.isfile(osp.join(work, d, 'vis_data', 'scalars.json'))]
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_smoke_run_logs_teacher_scalars_and_every_iteration(config, tmp_path, monkeypatch, capfd):
    work = tmp_path / 'work'
    train(monkeypatch, config, work, 'train_cfg.max_iters=2')
    out = capfd.readouterr().out
    assert 'Iter(train) [2/2]' in out  # the logger interval (10) was lowered to the 2 iterations
    assert 'Teacher evaluation: teacher/accuracy/top1:' in out
    lines = scalars(work)
    (teacher, ) = [line for line in lines if 'teacher/accuracy/top1' in line]
    assert teacher['step'] == 0 and 0 <= teacher['teacher/accuracy/top1'] <= 100
    assert [line['iter'] for line in lines if 'iter' in line] == [2]

    plot_logs = load('plot_logs', 'tools', 'analysis', 'plot_logs.py')
    fig = plot_logs.plot_logs([str(work)], legend=['smoke'])
    axes = {ax.get_title(): ax for ax in fig.axes}
    lines = {line.get_label(): line for line in axes['accuracy/top1'].get_lines()}
    assert set(lines) == {'smoke', 'smoke teacher'}  # the student is validated at the last iteration
    assert list(lines['smoke teacher'].get_ydata()) == [teacher['teacher/accuracy/top1']] * 2


def test_teacher_eval_false_skips_the_evaluation(config, tmp_path, monkeypatch, capfd):
    work = tmp_path / 'work'
    train(monkeypatch, config, work, 'train_cfg.max_iters=3', 'teacher_eval=False',
          'default_hooks.logger.interval=1')
    out = capfd.readouterr().out
    assert 'Teacher evaluation skipped (teacher_eval=False).' in out
    assert 'Teacher evaluation:' not in out
    lines = scalars(work)
    assert not any(key.startswith('teacher/') for line in lines for key in line)
    assert [line['iter'] for line in lines if 'iter' in line] == [1, 2, 3]


def test_switch_values_and_scalar_metrics():
    assert teacher_eval_enabled(Config(dict())) and teacher_eval_enabled(None)
    assert not teacher_eval_enabled(Config(dict(teacher_eval=False)))
    with pytest.raises(TypeError, match='must be True or False.*--cfg-options teacher_eval=False'):
        teacher_eval_enabled(Config(dict(teacher_eval='no')))
    assert scalar_metrics({'teacher/a': np.float64(1.5), 'teacher/b': torch.tensor(2.0), 'teacher/c': 3,
                           'teacher/d': np.arange(3), 'teacher/e': 'text', 'teacher/f': True}) == {
        'teacher/a': 1.5, 'teacher/b': 2.0, 'teacher/c': 3.0}


@pytest.mark.parametrize('train_cfg, interval, expected', [
    (dict(type='IterBasedTrainLoop', max_iters=2), 10, 2),
    (dict(type='IterBasedTrainLoop', max_iters=200), 10, 10),
    (dict(type='IterBasedTrainLoop', max_iters=5), None, 5),   # LoggerHook's default interval is 10
    (dict(type='EpochBasedTrainLoop', max_epochs=1), 50, 50),  # mmengine logs each epoch's end
])
def test_fit_logger_interval(train_cfg, interval, expected, monkeypatch):
    from mmkd.utils import setup_runtime
    said = []
    monkeypatch.setattr(setup_runtime, 'print_log', lambda msg, logger=None: said.append(msg))
    logger = dict(type='LoggerHook') if interval is None else dict(type='LoggerHook', interval=interval)
    cfg = Config(dict(train_cfg=train_cfg, default_hooks=dict(logger=logger)))
    fit_logger_interval(cfg)
    assert cfg.default_hooks.logger.get('interval', 10) == expected
    if expected != (interval or 10):
        assert said == [f'default_hooks.logger.interval {interval or 10} > train_cfg.max_iters {expected}: '
                        f'logging every {expected} iteration(s)']
    else:
        assert said == []


def test_every_distiller_base_has_the_switch():
    import glob
    for path in glob.glob(osp.join(REPO, 'configs', '_base_', 'distillers', '*.py')):
        cfg = Config.fromfile(path, import_custom_modules=False)
        assert cfg.teacher_eval is True, path
        hooks = [h for h in cfg.custom_hooks if h['type'] == 'mmkd.TeacherEvalHook']
        assert hooks == [dict(type='mmkd.TeacherEvalHook')], path
