"""Born-Again Networks: the ensemble classifier (mean of softmax probabilities), the generation configs
of tools/born_again.py, and a two-generation run of the tool on toy data."""
import importlib.util
import json
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from conftest import REPO, run_tool
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.config import load_model_config
from mmkd.utils.tool_runs import TRAINING_KEYS, table

BAN_CONFIG = 'configs/ban/ban_cls_r18_toy.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('born_again', osp.join(REPO, 'tools', 'born_again.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_classifier():
    return dict(
        type='mmkd.ImageClassifier',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3),
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=4, out_indices=(3, ), init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels=32))


def constant_classifier(path, probs):
    """Save a classifier whose logits are log(probs) for every input (zero fc weight, bias log p)."""
    model = MODELS.build(tiny_classifier())
    with torch.no_grad():
        model.head.fc.weight.zero_()
        model.head.fc.bias.copy_(torch.tensor(probs).log())
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    return str(path)


# ------------------------------------------------------------------------------------ ensemble
def test_ensemble_averages_the_members_softmax_probabilities(tmp_path):
    checkpoints = [constant_classifier(tmp_path / 'g1.pth', [0.5, 0.25, 0.25]),
                   constant_classifier(tmp_path / 'g2.pth', [0.1, 0.7, 0.2])]
    ensemble = MODELS.build(dict(type='mmkd.EnsembleClassifier', models=[tiny_classifier()] * 2,
                                 checkpoints=checkpoints))
    inputs = torch.rand(2, 3, 16, 16)
    # (0.5 + 0.1) / 2, (0.25 + 0.7) / 2, (0.25 + 0.2) / 2; averaging the logits instead would give
    # softmax((log p1 + log p2) / 2) ~ (0.247, 0.505, 0.247)
    expected = torch.tensor([[0.3, 0.475, 0.225]] * 2)
    torch.testing.assert_close(ensemble(inputs, mode='tensor'), expected)
    samples = ensemble(inputs, [ClsDataSample().set_gt_label(1), ClsDataSample()], mode='predict')
    torch.testing.assert_close(samples[0].pred_score, expected[0])
    assert samples[0].pred_label.tolist() == [1] and samples[0].gt_label.tolist() == [1]
    # members stay frozen and in eval mode, whatever mode the ensemble is put in
    ensemble.train()
    assert not any(m.training for m in ensemble.members.modules())
    assert not any(p.requires_grad for p in ensemble.parameters())
    with pytest.raises(RuntimeError, match='no loss'):
        ensemble(inputs, samples, mode='loss')


def test_ensemble_rejects_mismatched_members(tmp_path):
    with pytest.raises(ValueError, match='2 models but 1 checkpoints'):
        MODELS.build(dict(type='mmkd.EnsembleClassifier', models=[tiny_classifier()] * 2, checkpoints=[None]))
    other = tiny_classifier()
    other['data_preprocessor'] = dict(type='ImgDataPreprocessor', mean=[1.0] * 3, std=[1.0] * 3)
    with pytest.raises(ValueError, match=r'members \[1\] use another data_preprocessor'):
        MODELS.build(dict(type='mmkd.EnsembleClassifier', models=[tiny_classifier(), other],
                          checkpoints=[None, None]))
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(3, 32)}), bad)
    with pytest.raises(RuntimeError, match='does not fit the ensemble member 0 model'):
        MODELS.build(dict(type='mmkd.EnsembleClassifier', models=[tiny_classifier()], checkpoints=[str(bad)]))


# --------------------------------------------------------------------------- generation configs
def test_generation_configs(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # student_config is relative to the repository root
    tool = load_tool()
    ban = tool.load_ban_config(BAN_CONFIG, {'ban_point.loss.target': 'dkpp'})
    gen1 = tool.generation_config(ban, 1, seed=5)
    assert gen1.model.type == 'mmkd.ImageClassifier' and gen1.randomness.seed == 5
    assert not any(k in gen1 for k in tool.BAN_KEYS)
    assert gen1.train_cfg == ban.train_cfg and gen1.optim_wrapper == ban.optim_wrapper

    # generation 2: a fresh student of the same architecture distilled from generation 1's checkpoint
    student = MODELS.build(gen1.model)
    teacher = str(tmp_path / 'gen1.pth')
    torch.save(dict(state_dict=student.state_dict()), teacher)
    gen2 = tool.generation_config(ban, 2, teacher, seed=5)
    assert gen2.model.type == 'mmkd.FeatureDistiller' and gen2.randomness.seed == 6
    assert gen2.model.student == gen1.model
    assert gen2.model.teacher == dict(config='configs/cls/cls_r18_toy.py', checkpoint=teacher)
    assert gen2.model.stages == [dict(name='born_again', points=dict(ban=1.0), task_loss_weight=0.0)]
    distiller = MODELS.build(gen2.model)
    point = distiller.distill_points['ban']
    assert point.loss.target == 'dkpp' and point.loss.tau == 1.0
    assert distiller.teacher_precision == 'fp32' and distiller.teacher_bn == 'eval'
    torch.testing.assert_close(distiller.teacher.state_dict(), student.state_dict())
    with pytest.raises(ValueError, match='is the `model` of student_config'):
        tool.load_ban_config(BAN_CONFIG, {'model.head.num_classes': 5})


def test_ensemble_config_is_test_only(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    tool = load_tool()
    ban = tool.load_ban_config(BAN_CONFIG, {})
    cfg = tool.ensemble_config(ban, ['a.pth', 'b.pth'], str(tmp_path / 'ensemble'))
    assert cfg.model.type == 'mmkd.EnsembleClassifier' and cfg.model.checkpoints == ['a.pth', 'b.pth']
    assert cfg.model.models == [load_model_config(ban.student_config)] * 2
    assert not any(k in cfg for k in tool.BAN_KEYS)
    assert all(cfg[k] is None for k in TRAINING_KEYS) and cfg.test_dataloader == ban.test_dataloader
    assert (cfg.work_dir, cfg.launcher, cfg.load_from, cfg.custom_hooks) == (str(tmp_path / 'ensemble'), 'none',
                                                                              None, [])
    assert ban.train_cfg is not None  # the born-again config itself is left as it was


def test_table_lists_generations_and_the_ensemble():
    rows = [('1', {'accuracy/top1': 50.0, 'accuracy/top5': 90.0}),
            ('ensemble (1-1)', {'accuracy/top1': 62.5, 'accuracy/top5': 100.0})]
    text = table(rows)
    assert text.splitlines()[0].split() == ['generation', 'accuracy/top1', 'accuracy/top5']
    assert text.splitlines()[-1].split() == ['ensemble', '(1-1)', '62.50', '100.00']
    assert table(rows, heading='model').splitlines()[0].split() == ['model', 'accuracy/top1', 'accuracy/top5']


# ------------------------------------------------------------------- the tool (slow, two generations)
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
         'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8']


@pytest.mark.slow
def test_two_generations_and_their_ensemble(toy_workspace):
    out = run_tool(toy_workspace, 'tools/born_again.py', BAN_CONFIG, '--generations', '2', '--work-dir',
                   'work_dirs/ban', '--seed', '0', '--cfg-options', *SHORT)
    wd = toy_workspace / 'work_dirs/ban'
    rows = {}
    for line in out.splitlines():
        match = re.match(r'^(1|2|ensemble \(1-2\))\s+([\d.]+)\s+([\d.]+)$', line)
        if match:
            rows[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    assert list(rows) == ['1', '2', 'ensemble (1-2)']
    for gen in (1, 2):
        gen_dir = wd / f'gen{gen}'
        metrics = json.loads((gen_dir / 'test.json').read_text())
        assert rows[str(gen)] == (round(metrics['accuracy/top1'], 2), round(metrics['accuracy/top5'], 2))
        info = json.loads((gen_dir / 'generation.json').read_text())
        assert info['checkpoint'] == f'work_dirs/ban/gen{gen}/iter_2.pth'
        assert (toy_workspace / info['checkpoint']).is_file()
        # the printed commands rerun the generation
        assert f'tools/train.py work_dirs/ban/configs/gen{gen}.py --work-dir work_dirs/ban/gen{gen}' in out
    assert json.loads((wd / 'gen2/generation.json').read_text())['teacher'] == 'work_dirs/ban/gen1/iter_2.pth'
    assert re.search(r'loss_distill_ban: [\d.]+', out)
    assert Config.fromfile(wd / 'configs/gen2.py').model.type == 'mmkd.FeatureDistiller'
    ensemble = json.loads((wd / 'ensemble/test.json').read_text())
    assert rows['ensemble (1-2)'] == (round(ensemble['accuracy/top1'], 2), round(ensemble['accuracy/top5'], 2))
    assert all(math.isfinite(v) and 0 <= v <= 100 for v in ensemble.values())
    summary = json.loads((wd / 'summary.json').read_text())
    assert [g['generation'] for g in summary['generations']] == [1, 2] and summary['ensemble'] == ensemble

    # a second call reuses both generations and only evaluates the ensemble again
    again = run_tool(toy_workspace, 'tools/born_again.py', BAN_CONFIG, '--generations', '2', '--work-dir',
                     'work_dirs/ban', '--seed', '0', '--cfg-options', *SHORT)
    assert 'generation 1: reusing' in again and 'generation 2: reusing' in again
    assert 'tools/train.py' not in again.split('Born-again generations')[0]
