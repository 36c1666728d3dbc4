"""tools/train.py, tools/test.py and tools/dist_train.sh on the toy segmentation/classification configs."""
import json

import pytest

from conftest import run_tool

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
