"""End to end through tools/ on toy VOC segmentation: DeepLabV3+ R101 teacher, OFD to R18, reload."""
import math
import re

import pytest
import torch

from conftest import run_fresh, run_tool

pytestmark = pytest.mark.slow

CONFIG = 'configs/overhaul_deeplabv3plus_r101_r18_toy.py'
POINTS = ('stage1', 'stage2', 'stage3', 'stage4', 'aspp', 'decoder')
# two short iterations of batch 2, a checkpoint at the end, validation on four images
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'val_dataloader.dataset.indices=4',
         'test_dataloader.dataset.indices=4', 'train_dataloader.batch_size=2',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0']


@pytest.fixture(scope='module')
def teacher(toy_workspace):
    run_tool(toy_workspace, 'tools/train.py', 'configs/deeplabv3plus/deeplabv3plus_r101_toy.py',
             '--work-dir', 'work_dirs/seg_teacher', '--cfg-options', *SHORT)
    return 'work_dirs/seg_teacher/iter_2.pth'


@pytest.fixture(scope='module')
def distilled(toy_workspace, teacher):
    return run_tool(toy_workspace, 'tools/train.py', CONFIG, '--work-dir', 'work_dirs/seg_ofd',
                    '--cfg-options', *SHORT, f'model.teacher.checkpoint={teacher}')


def test_distillation_logs_six_ofd_losses_and_both_mious(distilled):
    last = [line for line in distilled.splitlines() if 'Iter(train) [2/2]' in line]
    assert last, distilled[-3000:]
    for point in POINTS:
        match = re.search(rf'loss_distill_{point}: ([-\d.e+]+|nan|inf)', last[-1])
        assert match, f'loss_distill_{point} missing in {last[-1]}'
        value = float(match.group(1))
        assert math.isfinite(value) and value > 0, (point, value)
    assert re.search(r'teacher/mIoU: [\d.]+', distilled)
    assert re.search(r'(?<![/\w])mIoU: [\d.]+', distilled)


def test_student_twin_reloads_with_init_model_and_predicts_like_the_distiller(
        toy_workspace, distilled, teacher, monkeypatch):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.apis import inference_model, init_model

    from mmkd.registry import MODELS

    monkeypatch.chdir(toy_workspace)  # teacher config paths are relative to the workspace root
    wd = toy_workspace / 'work_dirs/seg_ofd'
    ckpt = wd / 'iter_2_student.pth'
    twin = init_model(str(wd / 'student_config.py'), str(ckpt), device='cpu')
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    assert state.keys() == twin.state_dict().keys()
    assert not any(k.startswith(('student.', 'teacher', 'distill_points')) for k in state)

    cfg = Config.fromfile(toy_workspace / CONFIG)
    init_default_scope('mmseg')
    cfg.model.teacher.checkpoint = teacher
    distiller = MODELS.build(cfg.model)
    distiller.load_state_dict(torch.load(wd / 'iter_2.pth', map_location='cpu')['state_dict'])
    student = distiller.student.eval()
    student.cfg = twin.cfg

    image = str(sorted((toy_workspace / 'data/toy/VOCdevkit/VOC2012/JPEGImages').glob('*.jpg'))[0])
    result = inference_model(twin, image)
    reference = inference_model(student, image)
    assert result.seg_logits.data.shape[0] == 7  # toy classes incl. background
    torch.testing.assert_close(result.seg_logits.data, reference.seg_logits.data)
    assert torch.equal(result.pred_sem_seg.data, reference.pred_sem_seg.data)


FRESH_MMSEG = """
import sys
from mmseg.apis import inference_model, init_model
model = init_model(sys.argv[1], sys.argv[2], device='cpu')
result = inference_model(model, sys.argv[3])
print('classes', result.seg_logits.data.shape[0], 'labels', result.pred_sem_seg.data.shape)
"""


def test_student_twin_runs_with_plain_mmseg_in_a_fresh_process(toy_workspace, distilled):
    wd = toy_workspace / 'work_dirs/seg_ofd'
    image = sorted((toy_workspace / 'data/toy/VOCdevkit/VOC2012/JPEGImages').glob('*.jpg'))[0]
    printed = run_fresh(FRESH_MMSEG, wd / 'student_config.py', wd / 'iter_2_student.pth', image,
                        cwd=toy_workspace)
    assert 'classes 7 labels torch.Size([1, ' in printed, printed
