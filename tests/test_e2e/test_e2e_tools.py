"""tools/train.py, tools/test.py and tools/dist_train.sh on the toy segmentation/classification configs."""
import importlib.util
import json
import os.path as osp

import pytest

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow

SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1',
         'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8',
         'train_dataloader.batch_size=4']


@pytest.mark.parametrize('config,metric', [
    ('configs/deeplabv3plus/deeplabv3plus_r18_toy.py', 'mIoU'),
    ('configs/cls/cls_r18_toy.py', 'accuracy/top1'),
])
def test_train_then_test(toy_workspace, config, metric):
    name = config.split('/')[-1][:-3]
    out = run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', f'work_dirs/{name}',
                   '--cfg-options', *SHORT)
    assert metric in out
    ckpt = f'work_dirs/{name}/iter_2.pth'
    out = run_tool(toy_workspace, 'tools/test.py', config, ckpt, '--out', f'work_dirs/{name}/m.json',
                   '--cfg-options', 'test_dataloader.dataset.indices=8')
    metrics = json.loads((toy_workspace / f'work_dirs/{name}/m.json').read_text())
    assert any(k.endswith(metric) for k in metrics), metrics


def test_dist_train_two_processes_on_cpu(toy_workspace):
    out = run_tool(toy_workspace, 'tools/dist_train.sh', 'configs/cls/cls_r18_toy.py', '2',
                   '--work-dir', 'work_dirs/dist_cls', '--cfg-options', *SHORT)
    assert 'Distributed launcher: pytorch' in out and 'Distributed training: True' in out
    assert 'accuracy/top1' in out
    assert (toy_workspace / 'work_dirs/dist_cls/iter_2.pth').is_file()


def test_benchmark_and_teacher_precision_tools_on_the_classification_pair(toy_workspace):
    out = run_tool(toy_workspace, 'tools/analysis/benchmark_distill.py', 'configs/overhaul_cls_r50_r18_toy.py',
                   '--teacher-checkpoint', 'none', '--batch-size', '4', '--iters', '2', '--warmup', '1',
                   '--threads', '1', '--teacher-options', '--compile', '--json', 'work_dirs/bench.json')
    result = json.loads((toy_workspace / 'work_dirs/bench.json').read_text())
    # student, teacher, the config's distiller, one per teacher option (5) and the compiled teacher
    assert [len(p['times_s']) for p in result['phases'].values()] == [2] * 9
    executions = result['teacher_execution']
    assert executions['distill[bf16-deep,cl,trunc]'] == dict(precision='bf16-deep', channels_last=True,
                                                             truncated=True, compiled=False)
    assert executions['distill[compiled]']['compiled'] and not executions['distill[compiled]']['truncated']
    assert result['phases']['distill[compiled]']['first_s'] > 0 and 'compiled=True, first step' in out
    assert executions['distill']['precision'] in ('fp32', 'bf16', 'bf16-deep')  # 'auto': as measured
    assert f"teacher: {executions['distill']['precision']}" in out
    assert 0 < result['ratios']['time_median'] and 'time   distill / (student + teacher fp32 full)' in out

    out = run_tool(toy_workspace, 'tools/analysis/teacher_precision.py', 'configs/overhaul_cls_r50_r18_toy.py',
                   '--teacher-checkpoint', 'none', '--batch-size', '4', '--teacher-bn', 'train', 'eval',
                   '--precisions', 'bf16', 'bf16-deep', '--json', 'work_dirs/errors.json')
    errors = json.loads((toy_workspace / 'work_dirs/errors.json').read_text())['errors']
    for teacher_bn in ('train', 'eval'):
        assert list(errors[teacher_bn]) == ['bf16', 'bf16-deep']
        deep = errors[teacher_bn]['bf16-deep']
        assert list(deep) == ['stage1', 'stage2', 'stage3', 'stage4'] and deep['stage1'] < 1e-4 < deep['stage4']
    assert "teacher_bn='train': relative L2 error against fp32 (%)" in out


def test_benchmark_tool_reads_package_config_paths():
    """CONFIG is read as tools/train.py reads it, ``mmdet::`` package paths included: the shipped SSD config
    is found and read, and the tool stops at its model, which is no distiller."""
    spec = importlib.util.spec_from_file_location(
        'benchmark_distill', osp.join(REPO, 'tools', 'analysis', 'benchmark_distill.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit, match=r'mmdet::ssd/ssd300_coco.py: model needs `student` and `teacher`'):
        tool.main(['mmdet::ssd/ssd300_coco.py'])
