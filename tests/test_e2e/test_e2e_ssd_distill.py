"""End to end through tools/ on toy VOC: teacher, OFD distillation, resume, test, export, reload."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import run_fresh, run_tool

pytestmark = pytest.mark.slow

# two short iterations, a checkpoint at each, validation on four test images
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
         'default_hooks.checkpoint.max_keep_ckpts=-1', 'default_hooks.logger.interval=1',
         'val_dataloader.dataset.indices=4', 'test_dataloader.dataset.indices=4',
         'train_dataloader.batch_size=4']


@pytest.fixture(scope='module')
def teacher(toy_workspace):
    run_tool(toy_workspace, 'tools/train.py', 'configs/ssd/ssd300_r50_toy.py', '--work-dir',
             'work_dirs/teacher', '--cfg-options', *SHORT)
    return 'work_dirs/teacher/iter_2.pth'


@pytest.fixture(scope='module')
def distilled(toy_workspace, teacher):
    out = run_tool(toy_workspace, 'tools/train.py', 'configs/overhaul_ssd_r50_r18_toy.py', '--work-dir',
                   'work_dirs/ofd', '--cfg-options', *SHORT, f'model.teacher.checkpoint={teacher}')
    return out


def test_distillation_logs_every_loss_and_the_teacher_metric(distilled):
    for key in ('loss_cls', 'loss_bbox', 'loss_distill_stage1', 'loss_distill_stage2',
                'loss_distill_stage3', 'teacher/pascal_voc/mAP', 'pascal_voc/mAP'):
        assert key in distilled, key


def test_every_checkpoint_has_a_student_twin(toy_workspace, distilled):
    wd = toy_workspace / 'work_dirs/ofd'
    for it in (1, 2):
        ckpt = torch.load(wd / f'iter_{it}.pth', map_location='cpu')
        twin = torch.load(wd / f'iter_{it}_student.pth', map_location='cpu')
        student = {k[len('student.'):]: v for k, v in ckpt['state_dict'].items()
                   if k.startswith('student.')}
        assert twin['state_dict'].keys() == student.keys()
        assert all(torch.equal(twin['state_dict'][k], v) for k, v in student.items())
        assert not any(k.startswith('teacher') for k in ckpt['state_dict'])
    assert (wd / 'student_config.py').is_file()


def test_resume_continues_the_run(toy_workspace, distilled, teacher):
    out = run_tool(toy_workspace, 'tools/train.py', 'configs/overhaul_ssd_r50_r18_toy.py', '--work-dir',
                   'work_dirs/ofd', '--resume', '--cfg-options', *SHORT, 'train_cfg.max_iters=3',
                   'train_cfg.val_interval=3', f'model.teacher.checkpoint={teacher}')
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/3]' in out and 'Iter(train) [1/3]' not in out
    resumed = torch.load(toy_workspace / 'work_dirs/ofd/iter_3.pth', map_location='cpu')
    assert resumed['meta']['iter'] == 3
    assert 'message_hub' in resumed and 'optimizer' in resumed


def test_test_tool_and_export_reload_with_init_detector(toy_workspace, distilled, teacher):
    wd = toy_workspace / 'work_dirs/ofd'
    out = run_tool(toy_workspace, 'tools/test.py', 'configs/overhaul_ssd_r50_r18_toy.py',
                   str(wd / 'iter_2.pth'), '--out', str(wd / 'metrics.json'), '--cfg-options',
                   'test_dataloader.dataset.indices=4', f'model.teacher.checkpoint={teacher}')
    assert 'pascal_voc/mAP' in out
    assert 'pascal_voc/mAP' in json.loads((wd / 'metrics.json').read_text())
    out = run_tool(toy_workspace, 'tools/model_converters/distill_to_student.py', str(wd / 'iter_2.pth'),
                   str(wd / 'exported.pth'), '--config', 'configs/overhaul_ssd_r50_r18_toy.py',
                   '--out-config', str(wd / 'exported_config.py'))

    from mmdet.apis import inference_detector, init_detector
    from mmengine.registry import init_default_scope

    from mmkd import compat
    from mmkd.registry import MODELS
    compat.apply()
    image = str(next((toy_workspace / 'data/toy/VOCdevkit/VOC2007/JPEGImages').glob('*.jpg')))
    results = []
    for cfg_path, ckpt in ((wd / 'exported_config.py', wd / 'exported.pth'),
                           (wd / 'student_config.py', wd / 'iter_2_student.pth')):
        detector = init_detector(str(cfg_path), str(ckpt), device='cpu')
        state = torch.load(ckpt, map_location='cpu')['state_dict']
        assert state.keys() == detector.state_dict().keys()
        results.append(inference_detector(detector, image))

    cfg = Config.fromfile(toy_workspace / 'configs/overhaul_ssd_r50_r18_toy.py')
    init_default_scope('mmdet')
    cfg.model.teacher.checkpoint = str(toy_workspace / teacher)
    distiller = MODELS.build(cfg.model)
    distiller.load_state_dict(torch.load(wd / 'iter_2.pth', map_location='cpu')['state_dict'])
    student = distiller.student.eval()
    student.cfg = detector.cfg
    reference = inference_detector(student, image)
    assert len(reference.pred_instances) > 0
    for result in results:
        torch.testing.assert_close(result.pred_instances.bboxes, reference.pred_instances.bboxes)
        torch.testing.assert_close(result.pred_instances.scores, reference.pred_instances.scores)


def test_test_tool_runs_the_documented_command_without_the_teacher_file(toy_workspace, distilled, teacher):
    """The config's teacher (work_dirs/ssd300_r50_toy/iter_200.pth) does not exist in the workspace."""
    wd = toy_workspace / 'work_dirs/ofd'
    assert not (toy_workspace / 'work_dirs/ssd300_r50_toy/iter_200.pth').exists()
    metrics = []
    for options in ([f'model.teacher.checkpoint={teacher}'], []):
        out = wd / f'metrics_teacher{len(options)}.json'
        log = run_tool(toy_workspace, 'tools/test.py', 'configs/overhaul_ssd_r50_r18_toy.py', str(wd / 'iter_2.pth'),
                       '--out', str(out), '--cfg-options', 'test_dataloader.dataset.indices=4', *options)
        metrics.append(json.loads(out.read_text()))
    assert 'teacher weights not read (work_dirs/ssd300_r50_toy/iter_200.pth)' in log
    assert metrics[0] == metrics[1]


FRESH_MMDET = """
import sys
from mmdet.apis import inference_detector, init_detector
detector = init_detector(sys.argv[1], sys.argv[2], device='cpu')
result = inference_detector(detector, sys.argv[3])
print('detections', len(result.pred_instances))
"""


def test_exports_run_with_plain_mmdet_in_a_fresh_process(toy_workspace, distilled):
    """student_config.py (the hook's) and an export into folders that do not exist yet load with
    init_detector and predict with inference_detector in a fresh process that imports only mmdet.apis
    (the configs import mmkd.models themselves)."""
    wd = toy_workspace / 'work_dirs/ofd'
    out = wd / 'new/export'
    run_tool(toy_workspace, 'tools/model_converters/distill_to_student.py', str(wd / 'iter_2.pth'),
             str(out / 'student.pth'), '--config', 'configs/overhaul_ssd_r50_r18_toy.py', '--out-config',
             str(wd / 'new/configs/student.py'))
    image = next((toy_workspace / 'data/toy/VOCdevkit/VOC2007/JPEGImages').glob('*.jpg'))
    for cfg_path, ckpt in ((wd / 'new/configs/student.py', out / 'student.pth'),
                           (wd / 'student_config.py', wd / 'iter_2_student.pth')):
        saved = Config.fromfile(cfg_path, import_custom_modules=False).custom_imports
        assert saved == dict(imports=['mmkd.models'], allow_failed_imports=False)
        printed = run_fresh(FRESH_MMDET, cfg_path, ckpt, image, cwd=toy_workspace)
        assert int(printed.split('detections')[-1]) > 0, printed


def test_distillation_under_ddp_without_find_unused_parameters(toy_workspace, teacher):
    out = run_tool(toy_workspace, 'tools/dist_train.sh', 'configs/overhaul_ssd_r50_r18_toy.py', '2',
                   '--work-dir', 'work_dirs/ofd_ddp', '--cfg-options', *SHORT,
                   f'model.teacher.checkpoint={teacher}')
    assert 'Distributed training: True' in out
    assert "model_wrapper_cfg = dict(type='mmkd.DeviceAgnosticDDP')" in out
    assert 'find_unused_parameters' not in out
    assert 'teacher/pascal_voc/mAP' in out
    assert 'Iter(train) [2/2]' in out and 'loss_distill_stage3' in out
    assert (toy_workspace / 'work_dirs/ofd_ddp/iter_2_student.pth').is_file()


def test_distillation_with_amp(toy_workspace, teacher):
    out = run_tool(toy_workspace, 'tools/train.py', 'configs/overhaul_ssd_r50_r18_toy.py', '--amp',
                   '--work-dir', 'work_dirs/ofd_amp', '--cfg-options', *SHORT, 'train_cfg.max_iters=1',
                   'custom_hooks.2.enabled=False', f'model.teacher.checkpoint={teacher}')
    assert "type='mmkd.CPUAmpOptimWrapper'" in out or 'CPUAmpOptimWrapper' in out
    assert 'loss_distill_stage1' in out and 'nan' not in out.split('Iter(train)')[-1]
