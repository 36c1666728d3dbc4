"""End to end through tools/ on the toy set in the Cityscapes layout: a PSPNet and a DeepLabV3 ResNet-101 teacher
trained for two iterations, then each distillation config of the method zoo for mmseg's Cityscapes segmentors for
two iterations, and its student evaluated by tools/test.py with mmseg's IoUMetric; and one iteration of a real
(Cityscapes, SyncBN) distillation config in one process, as `python tools/train.py` runs it."""
import glob
import json
import os
import os.path as osp
import re

import pytest
import torch

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow

# toy teacher config of each distillation config's teacher architecture
TEACHERS = {'pspnet': 'configs/pspnet/pspnet_r101_toy.py', 'deeplabv3': 'configs/deeplabv3/deeplabv3_r101_toy.py'}
PAIRS = ('pspnet_r101_r18', 'deeplabv3_r101_r18', 'pspnet_r101_deeplabv3_r18')
CONFIGS = sorted(osp.relpath(p, REPO) for pair in PAIRS
                 for p in glob.glob(osp.join(REPO, 'configs', '*', f'*_{pair}_toy.py')))
# two iterations of batch 2, a checkpoint at the end, validation on the three val images
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0']


def teacher_of(config):
    return osp.basename(config).split('_')[1]


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder laid out like the repository root: configs/ linked, a small toy set in data/toy/cityscapes, and
    data/cityscapes (the real configs' root) pointing at it."""
    root = tmp_path_factory.mktemp('cityscapes_ws')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--formats', 'cityscapes',
             '--cityscapes-train', '4', '--cityscapes-val', '3')
    os.symlink('toy/cityscapes', root / 'data/cityscapes')
    return root


@pytest.fixture(scope='module')
def teachers(workspace):
    """Trained on first use: architecture -> checkpoint."""
    done = {}

    def get(arch):
        if arch not in done:
            run_tool(workspace, 'tools/train.py', TEACHERS[arch], '--work-dir', f'work_dirs/{arch}', '--cfg-options',
                     *SHORT)
            done[arch] = f'work_dirs/{arch}/iter_2.pth'
        return done[arch]

    return get


def test_the_configs_cover_the_methods_of_each_pair():
    assert [osp.basename(c) for c in CONFIGS] == [
        'cwd_deeplabv3_r101_r18_toy.py', 'cwd_pspnet_r101_r18_toy.py', 'mgd_pspnet_r101_deeplabv3_r18_toy.py']


@pytest.mark.parametrize('config', CONFIGS)
def test_distil_two_iterations_then_evaluate_the_student(workspace, teachers, config):
    name = osp.basename(config)[:-3]
    teacher = teachers(teacher_of(config))
    out = run_tool(workspace, 'tools/train.py', config, '--work-dir', f'work_dirs/{name}', '--cfg-options', *SHORT,
                   f'model.teacher.checkpoint={teacher}', 'teacher_eval=False')
    last = [line for line in out.splitlines() if 'Iter(train) [2/2]' in line]
    assert last, out[-3000:]
    points = ('mgd', 'logits') if name.startswith('mgd') else ('cwd', )
    for point in points:
        match = re.search(rf'loss_distill_{point}: ([-\d.e+]+)', last[-1])
        assert match and float(match.group(1)) > 0, (point, last[-1])
    assert 'decode.loss_ce' in last[-1] and 'mIoU' in out
    ckpt = torch.load(workspace / f'work_dirs/{name}/iter_2.pth', map_location='cpu', weights_only=False)
    assert not any(k.startswith('teacher') for k in ckpt['state_dict'])
    out = run_tool(workspace, 'tools/test.py', config, f'work_dirs/{name}/iter_2.pth', '--work-dir',
                   f'work_dirs/{name}', '--out', f'work_dirs/{name}/test.json', '--cfg-options',
                   f'model.teacher.checkpoint={teacher}', 'test_dataloader.num_workers=0')
    assert 'Iter(test) [3/3]' in out  # every val image evaluated
    result = json.loads((workspace / f'work_dirs/{name}/test.json').read_text())
    assert 0.0 <= result['mIoU'] <= 100.0, result


def test_real_config_trains_in_one_process_with_bn_in_place_of_syncbn(workspace):
    """mmseg's Cityscapes configs use SyncBN; `python tools/train.py` on the real config trains without a process
    group. Random weights (no download), toy images (their train ids 0-6 are Cityscapes ids), one iteration at
    128x256 crops instead of 512x1024, no validation."""
    config = 'configs/cwd/cwd_pspnet_r101_r18_cityscapes.py'
    out = run_tool(workspace, 'tools/train.py', config, '--work-dir', 'work_dirs/real', '--cfg-options',
                   'model.teacher.checkpoint=None', 'model.student.pretrained=None', 'teacher_eval=False',
                   'model.student.data_preprocessor.size=(128,256)', 'model.input_size=(128,256)',
                   'train_dataloader.dataset.pipeline.2.scale=(512,256)',
                   'train_dataloader.dataset.pipeline.3.crop_size=(128,256)', 'train_dataloader.batch_size=2',
                   'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                   'train_cfg.max_iters=1', 'train_cfg.val_interval=10',
                   'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1')
    assert 'SyncBatchNorm (SyncBN) layers in the model will be automatically reverted' in out
    last = [line for line in out.splitlines() if 'Iter(train) [1/1]' in line]
    assert last and re.search(r'loss_distill_cwd: [\d.]+', last[-1]), out[-3000:]
    ckpt = torch.load(workspace / 'work_dirs/real/iter_1.pth', map_location='cpu', weights_only=False)
    assert 'student.decode_head.conv_seg.weight' in ckpt['state_dict']
    assert ckpt['state_dict']['student.decode_head.conv_seg.weight'].shape[0] == 19
