"""End to end through tools/ on the toy set in the COCO layout: RetinaNet, Faster R-CNN and FCOS ResNet-50 and GFL
ResNet-101 teachers trained for two iterations, then each distillation config of the method zoo for these detectors for two
iterations, and its student evaluated by tools/test.py with mmdet's CocoMetric."""
import glob
import json
import os
import os.path as osp

import pytest
import torch

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow

# detector -> its toy teacher config
TEACHERS = {'retinanet': 'configs/retinanet/retinanet_r50_fpn_toy.py',
            'faster-rcnn': 'configs/faster_rcnn/faster-rcnn_r50_fpn_toy.py',
            'fcos': 'configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py',
            'gfl': 'configs/gfl/gfl_r101_fpn_toy.py'}
# detector -> its teacher and student backbones
PAIRS = {'retinanet': 'r50_r18', 'faster-rcnn': 'r50_r18', 'fcos': 'r50_r18', 'gfl': 'r101_r50'}
CONFIGS = {d: sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '*', f'*_{d}_{PAIRS[d]}_toy.py')))
           for d in TEACHERS}
# an untrained head scores below mmdet's 0.05 threshold: keep every box so that the metric has boxes to rank
KEEP_ALL = {'retinanet': 'test_cfg.score_thr=0.0', 'faster-rcnn': 'test_cfg.rcnn.score_thr=0.0',
            'fcos': 'test_cfg.score_thr=0.0', 'gfl': 'test_cfg.score_thr=0.0'}
# two iterations of batch 2, a checkpoint at the end, validation on the three val images
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0']
METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50')


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder laid out like the repository root: configs/ linked, a small toy set in data/toy/coco."""
    root = tmp_path_factory.mktemp('coco_ws')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--formats', 'coco', '--coco-train', '6',
             '--coco-val', '3')
    return root


@pytest.fixture(scope='module')
def teachers(workspace):
    """Trained on first use: detector -> checkpoint."""
    done = {}

    def get(detector):
        if detector not in done:
            run_tool(workspace, 'tools/train.py', TEACHERS[detector], '--work-dir', f'work_dirs/{detector}',
                     '--cfg-options', *SHORT, f'model.{KEEP_ALL[detector]}')
            done[detector] = f'work_dirs/{detector}/iter_2.pth'
        return done[detector]

    return get


def test_the_configs_cover_the_methods_of_each_pair():
    def methods(detector):
        return {osp.basename(c).split('_')[0] for c in CONFIGS[detector]}
    assert methods('retinanet') == {'pkd', 'cwd', 'mgd', 'fgd', 'fbkd', 'crosskd'}
    assert methods('faster-rcnn') == {'pkd', 'fgd', 'fbkd', 'crosskd'}
    assert methods('fcos') == {'pkd'}
    assert methods('gfl') == {'cwd', 'crosskd'}


@pytest.mark.parametrize('detector, config', [(d, c) for d, configs in CONFIGS.items() for c in configs])
def test_distil_two_iterations_then_evaluate_the_student(workspace, teachers, detector, config):
    name = osp.basename(config)[:-3]
    teacher = teachers(detector)
    options = [*SHORT, f'model.teacher.checkpoint={teacher}', f'model.student.{KEEP_ALL[detector]}',
               'teacher_eval=False']
    out = run_tool(workspace, 'tools/train.py', config, '--work-dir', f'work_dirs/{name}', '--cfg-options',
                   *options)
    assert 'Iter(train) [2/2]' in out
    assert 'loss_distill_' in out and 'loss_cls' in out and 'loss_bbox' in out
    assert all(metric in out for metric in METRICS)
    ckpt = torch.load(workspace / f'work_dirs/{name}/iter_2.pth', map_location='cpu', weights_only=False)
    assert not any(k.startswith('teacher') for k in ckpt['state_dict'])
    out = run_tool(workspace, 'tools/test.py', config, f'work_dirs/{name}/iter_2.pth', '--work-dir',
                   f'work_dirs/{name}', '--out', f'work_dirs/{name}/test.json', '--cfg-options',
                   f'model.teacher.checkpoint={teacher}', f'model.student.{KEEP_ALL[detector]}',
                   'test_dataloader.num_workers=0')
    assert 'Iter(test) [3/3]' in out  # every val image evaluated
    result = json.loads((workspace / f'work_dirs/{name}/test.json').read_text())
    for metric in METRICS:
        assert 0.0 <= result[metric] <= 1.0, result
