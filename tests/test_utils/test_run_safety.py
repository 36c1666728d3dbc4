"""What mmkd guarantees when runs go wrong: a non-finite loss stops training, no checkpoint with non-finite
weights is written, negative loss weights are refused, tools/test.py loads strictly, and resuming with
another teacher re-derives the margins. Tiny distillers (tests/conftest.py) on in-memory data, run
through tools/train.py and tools/test.py in this process."""
import copy
import glob
import hashlib
import importlib.util
import json
import os.path as osp
import shutil
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from conftest import NUM_CLASSES, REPO, classifier, distiller_cfg, ofd_point
from mmkd.models.transforms.margin_relu import MarginReLU, ofd_margin
from mmkd.registry import DATASETS, MODELS


@DATASETS.register_module(name='SafetyToyCls', force=True)
class SafetyToyCls(BaseDataset):
    """``num`` random 32x32 BGR images, labels ``i % NUM_CLASSES``, kept in memory."""

    METAINFO = dict(classes=tuple('abcde'))

    def __init__(self, num=8, **kwargs):
        self.num = num
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        rng = np.random.RandomState(0)
        return [dict(img=rng.randint(0, 256, (32, 32, 3)).astype(np.uint8), gt_label=i % NUM_CLASSES,
                     img_shape=(32, 32), ori_shape=(32, 32)) for i in range(self.num)]


def loader(shuffle):
    return dict(batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=shuffle),
                dataset=dict(type='mmkd.SafetyToyCls', pipeline=[dict(type='mmkd.PackClsInputs')]))


def write_config(path, model, iters=2):
    """A complete tools/train.py + tools/test.py config for ``model`` on the in-memory data."""
    Config(dict(
        default_scope='mmkd', model=model, work_dir=None,
        train_dataloader=loader(True), test_dataloader=loader(False),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=iters), test_cfg=dict(type='TestLoop'),
        test_evaluator=dict(type='mmkd.Accuracy', topk=(1, )),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False)),
        custom_hooks=[dict(type='mmkd.StudentCheckpointHook')],
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0), log_level='INFO')).dump(str(path))
    return str(path)


def run(tool, monkeypatch, *args, options=()):
    """``tools/<tool>.py`` main() in this process, with ``--cfg-options`` and a unique experiment name."""
    spec = importlib.util.spec_from_file_location(f'mmkd_tool_{tool}', osp.join(REPO, 'tools', f'{tool}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run.count = getattr(run, 'count', 0) + 1
    monkeypatch.setattr(sys, 'argv', [tool, *args, '--cfg-options', *options, f'experiment_name=safety{run.count}'])
    return module.main()


def last_log(work_dir):
    return open(sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')), key=osp.getmtime)[-1]).read()


def make_teacher(path, seed):
    """A tiny ResNet-50 teacher checkpoint whose BN affine parameters (the margins' source) depend on ``seed``."""
    torch.manual_seed(seed)
    teacher = MODELS.build(classifier(50, 512))
    for module in teacher.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_(0.0, 0.5)
    torch.save(dict(state_dict=teacher.state_dict()), str(path))
    return teacher


def sha256(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """Teachers A and B and a two-iteration distillation from A: iter_{1,2}.pth, their student twins and
    student_config.py."""
    root = tmp_path_factory.mktemp('safety')
    teachers = dict(A=make_teacher(root / 'teacher_a.pth', 0), B=make_teacher(root / 'teacher_b.pth', 1))
    config = write_config(root / 'distill.py', distiller_cfg(
        teacher=dict(config=classifier(50, 512), checkpoint=str(root / 'teacher_a.pth'))))
    with pytest.MonkeyPatch.context() as monkeypatch:
        run('train', monkeypatch, config, '--work-dir', str(root / 'work'))
    return SimpleNamespace(root=root, config=config, work=root / 'work', teachers=teachers)


# ------------------------------------------------------------------------ non-finite losses and weights
def test_a_huge_distillation_loss_stops_training_naming_the_point(tmp_path, monkeypatch, run_dir):
    """loss_weight=1e30: the first step's loss is finite (~4e34) but its update blows the weights up, and
    the second step's loss is NaN: training stops there, before that step's update, naming the point."""
    points = distiller_cfg()['distill_points']
    points['stage2'] = ofd_point('layer2.1', 'layer2.3', 'bn3', weight=1e30)
    teacher = dict(config=classifier(50, 512), checkpoint=str(run_dir.root / 'teacher_a.pth'))
    config = write_config(tmp_path / 'huge.py', distiller_cfg(distill_points=points, teacher=teacher), iters=6)
    with pytest.raises(FloatingPointError) as err:
        run('train', monkeypatch, config, '--work-dir', str(tmp_path / 'work'))
    message = str(err.value)
    assert type(err.value).__name__ == 'NonFiniteLossError'
    assert message.startswith('non-finite loss at iteration 2: ')
    assert "At iteration 1 the largest terms were loss_distill_stage2 (distillation point 'stage2', " \
           'distill_points.stage2.loss.loss_weight=1e+30) = ' in message
    assert 'lower the loss_weight of the term at fault or the learning rate' in message
    saved = sorted(glob.glob(str(tmp_path / 'work' / 'iter_*.pth')))
    assert [osp.basename(p) for p in saved] == ['iter_1.pth', 'iter_1_student.pth']
    state = torch.load(saved[0], map_location='cpu')['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_every_loss_combining_model_checks_its_losses():
    from mmkd.utils.loss_guard import FiniteLossMixin, NonFiniteLossError
    from mmkd.models.algorithms import Codistillation, FeatureDistiller, MutualLearning
    from mmkd.models.classifiers import ImageClassifier
    from mmkd.models.classifiers.multi_branch_classifier import MultiBranchClassifier
    for cls in (FeatureDistiller, MutualLearning, Codistillation, MultiBranchClassifier, ImageClassifier):
        assert issubclass(cls, FiniteLossMixin), cls
    model = MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=classifier(18, 128), b=classifier(18, 128)),
                              logits='head.fc'))
    losses = {'a.loss_cls': torch.tensor(1.0), 'loss_mutual_a': torch.tensor(float('inf'))}
    with pytest.raises(NonFiniteLossError, match='loss_mutual_a is inf'):
        model.parse_losses(losses)


def test_negative_loss_weights_are_refused_when_built():
    points = distiller_cfg()['distill_points']
    points['stage1']['loss']['loss_weight'] = -1e-3
    with pytest.raises(ValueError, match=r"distill point 'stage1' loss \(PartialL2Loss\): loss_weight=-0.001 "
                                         'is negative'):
        MODELS.build(distiller_cfg(distill_points=points))
    with pytest.raises(ValueError, match=r"stage 'kd': points.stage1=-1.0 is negative"):
        MODELS.build(distiller_cfg(stages=[dict(name='kd', points=dict(stage1=-1.0, stage2=1.0))]))
    with pytest.raises(ValueError, match='MutualLearning loss: loss_weight=-1 is negative'):
        MODELS.build(dict(type='mmkd.MutualLearning', peers=dict(a=classifier(18, 128), b=classifier(18, 128)),
                          logits='head.fc', loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=-1)))


def test_no_checkpoint_with_non_finite_weights_is_saved(tmp_path):
    from mmkd.engine.hooks import CheckpointGuardHook
    from mmkd.utils.loss_guard import NonFiniteWeightsError
    from mmkd.utils.setup_runtime import prepare
    cfg = Config(dict(custom_hooks=[dict(type='mmkd.StudentCheckpointHook')], launcher='none'))
    prepare(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['mmkd.StudentCheckpointHook', 'mmkd.CheckpointGuardHook']
    prepare(cfg)
    assert len(cfg.custom_hooks) == 2
    runner = SimpleNamespace(iter=6, model=torch.nn.Linear(2, 2))
    hook = CheckpointGuardHook()
    hook.before_save_checkpoint(runner, dict(meta={}, state_dict=runner.model.state_dict()))
    state = dict(runner.model.state_dict(), weight=torch.tensor([[1.0, float('nan')], [0.0, 1.0]]))
    with pytest.raises(NonFiniteWeightsError, match=r'checkpoint of iteration 7 not saved: 1 tensors hold NaN '
                                                    r'or inf \(weight\)'):
        hook.before_save_checkpoint(runner, dict(meta={}, state_dict=state))


# ------------------------------------------------------------------------------- strict test-time loading
def test_test_tool_refuses_a_checkpoint_that_does_not_fit(monkeypatch, run_dir):
    work = run_dir.work
    with pytest.raises(SystemExit) as err:
        run('test', monkeypatch, str(work / 'student_config.py'), str(work / 'iter_2.pth'))
    message = str(err.value)
    assert "holds a distiller (keys 'student.*')" in message
    assert 'iter_2_student.pth' in message and 'tools/model_converters/distill_to_student.py' in message
    with pytest.raises(SystemExit, match='fits the teacher of'):
        run('test', monkeypatch, run_dir.config, str(run_dir.root / 'teacher_a.pth'))
    with pytest.raises(SystemExit, match=r'teacher_a.pth does not fit the ImageClassifier of .*other shape'):
        run('test', monkeypatch, str(work / 'student_config.py'), str(run_dir.root / 'teacher_a.pth'))


def test_test_tool_evaluates_the_distillers_student_from_either_file(monkeypatch, run_dir):
    work = run_dir.work
    metrics = []
    for config, ckpt in ((run_dir.config, 'iter_2.pth'), (run_dir.config, 'iter_2_student.pth'),
                         (str(work / 'student_config.py'), 'iter_2_student.pth')):
        out = work / f'metrics{len(metrics)}.json'
        run('test', monkeypatch, config, str(work / ckpt), '--work-dir', str(work / 'test'), '--out', str(out))
        metrics.append(json.loads(out.read_text()))
        if ckpt == 'iter_2_student.pth' and config == run_dir.config:
            assert "holds the student alone, loaded into the distiller's student" in last_log(work / 'test')
    assert metrics[0] == metrics[1] == metrics[2]

    from mmkd.utils.strict_loading import load_test_checkpoint
    distiller = MODELS.build(Config.fromfile(run_dir.config).model)
    runner = SimpleNamespace(model=distiller, logger=MMLogger.get_current_instance(),
                             call_hook=lambda *args, **kwargs: None)
    load_test_checkpoint(runner, str(work / 'iter_2_student.pth'))
    twin = torch.load(work / 'iter_2_student.pth', map_location='cpu')['state_dict']
    for key, value in distiller.student.state_dict().items():
        assert torch.equal(value, twin[key]), key


def test_test_tool_needs_no_teacher_file(tmp_path, monkeypatch, run_dir):
    """The teacher's file deleted: tools/test.py still evaluates the distiller checkpoint (and the student
    twin) with the distillation config, with the same metrics as with the teacher there."""
    work = run_dir.work
    with_teacher = tmp_path / 'with_teacher.json'
    run('test', monkeypatch, run_dir.config, str(work / 'iter_2.pth'), '--work-dir', str(tmp_path / 'a'),
        '--out', str(with_teacher))
    deleted = tmp_path / 'teacher_deleted.pth'
    shutil.copy(run_dir.root / 'teacher_a.pth', deleted)
    deleted.unlink()
    for ckpt in ('iter_2.pth', 'iter_2_student.pth'):
        out = tmp_path / f'{ckpt}.json'
        run('test', monkeypatch, run_dir.config, str(work / ckpt), '--work-dir', str(tmp_path / ckpt), '--out',
            str(out), options=[f'model.teacher.checkpoint={deleted}'])
        assert json.loads(out.read_text()) == json.loads(with_teacher.read_text())
        log = last_log(tmp_path / ckpt)
        assert f'teacher weights not read ({deleted}): only the student is evaluated' in log
        assert 'the checkpoint was trained with teacher' not in log


def test_without_teacher_weights_the_checkpoint_keeps_its_margins(tmp_path, run_dir):
    """Built without its teacher's weights, a distiller takes its margins from the checkpoint: nothing is
    re-derived from the random teacher, and the checkpoint's teacher is not checked against it."""
    from mmkd.engine.hooks import CheckpointGuardHook
    from mmkd.models.algorithms.frozen_teacher import without_teacher_weights
    from mmkd.utils.strict_loading import load_test_checkpoint
    cfg = Config.fromfile(run_dir.config)
    cfg.model.teacher.checkpoint = str(tmp_path / 'missing.pth')
    with without_teacher_weights():
        distiller = MODELS.build(cfg.model)
    assert distiller.teacher_identity is None
    checkpoint = torch.load(run_dir.work / 'iter_2.pth', map_location='cpu')
    margins = stage_margins(checkpoint['state_dict'])
    assert len(margins) == 2
    assert not all(torch.equal(distiller.state_dict()[k], v) for k, v in margins.items())
    warnings = []
    runner = SimpleNamespace(model=distiller, logger=SimpleNamespace(warning=warnings.append, info=print))
    runner.call_hook = lambda name, **kwargs: getattr(CheckpointGuardHook(), name)(runner, **kwargs)
    load_test_checkpoint(runner, str(run_dir.work / 'iter_2.pth'))
    assert not warnings
    for key, value in margins.items():
        assert torch.equal(distiller.state_dict()[key], value), key
    assert MODELS.build(Config.fromfile(run_dir.config).model).teacher_identity is not None


# ------------------------------------------------------------------------------ resume with a changed teacher
def stage_margins(state):
    return {k: v for k, v in state.items() if k.endswith('teacher_transform.margin')}


def teacher_margins(teacher):
    return {f'distill_points.{name}.teacher_transform.margin': ofd_margin(teacher.backbone.get_submodule(bn))
            for name, bn in (('stage1', 'layer1.2.bn3'), ('stage2', 'layer2.3.bn3'))}


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_another_teacher_rederives_the_margins_and_says_so(tmp_path, monkeypatch, run_dir, how):
    work = tmp_path / 'work'
    shutil.copytree(run_dir.work, work, ignore=shutil.ignore_patterns('*.log', '*.json'))
    first = torch.load(work / 'iter_2.pth', map_location='cpu')
    a, b = (str(run_dir.root / f'teacher_{x}.pth') for x in 'ab')
    assert first['meta']['teachers'] == dict(model=dict(checkpoint=a, sha256=sha256(a)))
    for key, value in teacher_margins(run_dir.teachers['A']).items():
        torch.testing.assert_close(first['state_dict'][key], value)

    args = ['--resume'] if how == 'resume' else []
    options = [f'model.teacher.checkpoint={b}', 'train_cfg.max_iters=3']
    options += [] if how == 'resume' else [f'load_from={work / "iter_2.pth"}']
    run('train', monkeypatch, run_dir.config, '--work-dir', str(work), *args, options=options)
    log = last_log(work)
    assert f'the checkpoint was trained with teacher {a} (sha256 {sha256(a)}), this run uses {b} (sha256 ' \
           f'{sha256(b)})' in log
    assert 'the teacher transforms of distill_points.stage1, distill_points.stage2' in log
    last = torch.load(work / 'iter_3.pth', map_location='cpu')
    assert last['meta']['teachers'] == dict(model=dict(checkpoint=b, sha256=sha256(b)))
    for key, value in teacher_margins(run_dir.teachers['B']).items():
        torch.testing.assert_close(last['state_dict'][key], value)
        assert not torch.allclose(value, first['state_dict'][key])


def test_the_same_teacher_keeps_the_checkpoint_and_estimated_margins_start_over(run_dir):
    from mmkd.engine.hooks import CheckpointGuardHook
    checkpoint = torch.load(run_dir.work / 'iter_2.pth', map_location='cpu')
    original = copy.deepcopy(checkpoint)
    distiller = MODELS.build(Config.fromfile(run_dir.config).model)
    warnings = []
    runner = SimpleNamespace(model=distiller, logger=SimpleNamespace(warning=warnings.append))
    CheckpointGuardHook().after_load_checkpoint(runner, checkpoint)
    assert not warnings
    assert all(torch.equal(checkpoint['state_dict'][k], v) for k, v in original['state_dict'].items())

    margin = MarginReLU(estimate_batches=2).train()
    margin(torch.randn(4, 3, 2, 2))
    assert int(margin.batches_seen) == 1 and bool((margin.margin < 0).all())
    margin.reset_estimate()
    assert int(margin.batches_seen) == 0 and not margin.negative_sum.any() and not margin.margin.any()
    feature = torch.randn(4, 3, 2, 2)
    margin(feature)
    expected = (feature.clamp(max=0).sum((0, 2, 3)) / (feature < 0).sum((0, 2, 3))).float()
    torch.testing.assert_close(margin.margin, expected)
