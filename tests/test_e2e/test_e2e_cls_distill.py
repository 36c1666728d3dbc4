"""OFD classification configs (ResNet-50 -> ResNet-18 / MobileNetV2): their points, one synthetic step,
and end to end through tools/ on toy CIFAR: teacher, distillation, student export, reload."""
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

STUDENTS = ('r18', 'mbv2')
CONFIGS = [f'configs/overhaul_cls_r50_{s}{suffix}.py' for s in STUDENTS for suffix in ('', '_toy')]
# the teacher's four ResNet-50 stage outputs (channels, px) at 32 px, and the CIFAR recipe's weights
TEACHER_SHAPES = [(256, 8), (512, 8), (1024, 4), (2048, 4)]
WEIGHTS = [1e-3 / 8, 1e-3 / 4, 1e-3 / 2, 1e-3]
STUDENT_CHANNELS = dict(r18=[64, 128, 256, 512], mbv2=[64, 96, 160, 320])


def build_distiller(config, checkpoint=None):
    cfg = Config.fromfile(osp.join(REPO, config))
    init_default_scope(cfg.default_scope)
    cfg.model.teacher.checkpoint = checkpoint
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_points_follow_the_cifar_recipe(config, monkeypatch):
    monkeypatch.chdir(REPO)  # teacher config paths are relative to the repository root
    cfg, model = build_distiller(config)
    assert cfg.default_scope == 'mmkd' and tuple(cfg.model.input_size) == (32, 32)
    assert cfg.model.teacher_bn == 'train'
    assert [h['type'] for h in cfg.custom_hooks] == ['mmkd.TeacherEvalHook', 'mmkd.StudentCheckpointHook']
    assert list(model.distill_points) == ['stage1', 'stage2', 'stage3', 'stage4']
    student = 'mbv2' if 'mbv2' in config else 'r18'
    for k, point in enumerate(model.distill_points.values()):
        assert point.loss.loss_weight == pytest.approx(WEIGHTS[k])
        assert point.loss.normalize == 'batch'
        conv = point.connector.conv
        assert (conv.in_channels, conv.out_channels) == (STUDENT_CHANNELS[student][k], TEACHER_SHAPES[k][0])
        assert point.connector.resize is None  # student and teacher maps have the same size

    # one training step on a synthetic batch: every recorded feature has the teacher stage's shape and
    # every point gives a finite loss with a gradient into the student
    inputs = torch.rand(2, 3, 32, 32) * 255
    samples = [ClsDataSample().set_gt_label(i) for i in range(2)]
    model.train()
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    names = [k for k in losses if k.startswith('loss_distill_')]
    assert names == [f'loss_distill_stage{i}' for i in range(1, 5)]
    for name, (channels, px) in zip(model.distill_points, TEACHER_SHAPES):
        assert model.teacher_recorders.get(name).shape == (2, channels, px, px)
        assert model.student_recorders.get(name).shape[-2:] == (px, px)
    total = sum(losses[k] for k in names)
    assert torch.isfinite(total) and total > 0
    model.zero_grad()
    total.backward()
    stem = model.student.backbone.stem[0] if student == 'r18' else model.student.backbone.conv1.conv
    assert stem.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.distill_points.parameters())


def test_toy_and_full_configs_share_points_and_teacher_positions():
    points = {c: Config.fromfile(osp.join(REPO, c)).model.distill_points for c in CONFIGS}
    r18, r18_toy, mbv2, mbv2_toy = (points[c] for c in CONFIGS)
    assert r18.to_dict() == r18_toy.to_dict() and mbv2.to_dict() == mbv2_toy.to_dict()
    for name in r18:
        assert r18[name].teacher == mbv2[name].teacher
        assert r18[name].teacher_transform == mbv2[name].teacher_transform


# ------------------------------------------------------------------ end to end (slow, tools/train.py)
# two iterations of batch 4, a checkpoint at each, validation on eight test images, no loader workers
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
         'val_dataloader.dataset.indices=8']


@pytest.fixture(scope='module')
def teacher(toy_workspace):
    run_tool(toy_workspace, 'tools/train.py', 'configs/cls/cls_r50_toy.py', '--work-dir',
             'work_dirs/cls_teacher', '--cfg-options', *SHORT)
    return 'work_dirs/cls_teacher/iter_2.pth'


@pytest.fixture(scope='module', params=STUDENTS)
def distilled(request, toy_workspace, teacher):
    config = f'configs/overhaul_cls_r50_{request.param}_toy.py'
    work_dir = f'work_dirs/ofd_cls_{request.param}'
    out = run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
                   *SHORT, f'model.teacher.checkpoint={teacher}')
    return config, toy_workspace / work_dir, out


@pytest.mark.slow
def test_distillation_logs_every_loss_and_both_accuracies(distilled):
    _, _, out = distilled
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert len(last) == 1 and 'loss_cls: ' in last[0]
    # one distillation term per point, each a finite number
    terms = dict(re.findall(r'(loss_distill_\w+): (\S+)', last[0]))
    assert sorted(terms) == [f'loss_distill_stage{i}' for i in range(1, 5)]
    assert all(math.isfinite(float(v)) and float(v) > 0 for v in terms.values())
    assert re.search(r'teacher/accuracy/top1: [\d.]+', out)
    assert any('accuracy/top1' in line and 'teacher/' not in line for line in out.splitlines()
               if 'Iter(val)' in line)


@pytest.mark.slow
def test_student_twin_loads_strictly_and_gives_the_distillers_logits(toy_workspace, distilled, teacher,
                                                                     monkeypatch):
    from mmengine.runner import load_checkpoint
    config, wd, _ = distilled
    student_cfg = Config.fromfile(wd / 'student_config.py')
    assert student_cfg.model.type == 'mmkd.ImageClassifier'
    init_default_scope(student_cfg.default_scope)
    student = MODELS.build(student_cfg.model)
    load_checkpoint(student, str(wd / 'iter_2_student.pth'), map_location='cpu', strict=True)

    monkeypatch.chdir(toy_workspace)
    _, distiller = build_distiller(config, checkpoint=str(toy_workspace / teacher))
    distiller.load_state_dict(torch.load(wd / 'iter_2.pth', map_location='cpu')['state_dict'])
    inputs = torch.randn(3, 3, 32, 32)
    student.eval()
    distiller.eval()
    with torch.no_grad():
        logits = student(inputs, mode='tensor')
        reference = distiller.student(inputs, mode='tensor')
    assert logits.shape == (3, 10)
    torch.testing.assert_close(logits, reference, rtol=0, atol=0)
