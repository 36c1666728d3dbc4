"""tools/analysis/literature_toy_table.py and seed_table.py: tables of toy runs, from the runs' json files."""
import json
import os
import os.path as osp
import subprocess
import sys

from conftest import REPO
from mmkd.utils.run_cache import run_dir

TEACHER = 'configs/cls/cls_r50_toy.py'
TOOL = osp.join(REPO, 'tools', 'analysis', 'literature_toy_table.py')


def _write(path, data):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)


def _env():
    return dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))


def test_table_mean_std_and_missing_runs(tmp_path):
    for s, top1 in ((0, 10.0), (1, 20.0)):
        _write(str(tmp_path / f'alone_seed{s}' / 'test.json'), {'accuracy/top1': top1})
    _write(str(tmp_path / 'spec_seed0' / 'summary.json'),
           {'generalist': {'accuracy/top1': 10.0}, 'ensemble': {'accuracy/top1': 12.5}})
    out = subprocess.run([sys.executable, TOOL, str(tmp_path), '--seeds', '0', '1'], check=True,
                         capture_output=True, text=True, env=_env()).stdout
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
            for line in out.splitlines()[2:]}
    # mean 15, sample standard deviation sqrt(((10-15)^2 + (20-15)^2) / 1) = 7.07
    assert rows['student alone'] == ['10.0', '20.0', '15.0 ± 7.1']
    assert rows['specialists: generalist + specialists'] == ['12.5', '', '12.5']
    assert rows['Hinton KD from the ResNet-50 teacher'] == ['', '', '-']
    assert len(rows) == 15


def test_seed_table_report_only_reads_finished_runs(tmp_path):
    """tools/analysis/seed_table.py --report-only: the table of finished runs, blanks for missing ones, no
    training (the configs named need not even exist)."""
    teacher_dir, _, _ = run_dir(osp.join(REPO, TEACHER), 100, 0, cache_dir=str(tmp_path / 'cache'))
    _write(osp.join(teacher_dir, 'run.json'), dict(metrics={'mIoU': 50.0}, checkpoint='t.pth',
                                                   checkpoint_sha256='ab12'))
    _write(str(tmp_path / 's_10it_seed0' / 'test.json'), {'mIoU': 20.0})
    _write(str(tmp_path / 's_10it_seed1' / 'test.json'), {'mIoU': 30.0})
    _write(str(tmp_path / 'd_10it_seed1' / 'test.json'), {'mIoU': 40.0})
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis', 'seed_table.py'), '--teacher', TEACHER,
         '--teacher-iters', '100', '--student', 'x/s.py', '--distill', 'x/d.py', '--iters', '10', '--seeds', '0',
         '1', '--metric', 'mIoU', '--work-dir', str(tmp_path), '--report-only', '--cache-dir',
         str(tmp_path / 'cache'), '--json', str(tmp_path / 'table.json')],
        check=True, capture_output=True, text=True, env=_env(), cwd=REPO).stdout
    lines = out.splitlines()
    assert lines[0] == 'teacher cls_r50_toy (100 iterations, seed 0): mIoU 50.0'
    assert '| s | 20.0 | 30.0 | 25.0 ± 7.1 |  |' in lines
    # gap closed: (40 - 25) / (50 - 25) = 60%
    assert '| d |  | 40.0 | 40.0 | 60% |' in lines
    assert not any(p.name.endswith('.pth') for p in tmp_path.rglob('*'))
    with open(tmp_path / 'table.json') as f:
        table = json.load(f)
    assert table['teacher_checkpoint_sha256'] == 'ab12'
    assert [(r['label'], r['seed'], r['value']) for r in table['runs']] == [
        ('teacher', 0, 50.0), ('s', 0, 20.0), ('s', 1, 30.0), ('d', 1, 40.0)]
    assert table['runs'][-1]['teacher_checkpoint_sha256'] == 'ab12'
    assert table['runs'][1]['teacher_checkpoint_sha256'] is None and table['runs'][1]['iterations'] == 10


def test_seed_table_skip_teacher_refuses_distillation_without_a_teacher(tmp_path):
    """--skip-teacher trains no teacher, so distillation rows without a trained teacher checkpoint stop
    before any run with the checkpoint path and the fix."""
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis', 'seed_table.py'), '--teacher', TEACHER,
         '--teacher-iters', '100', '--student', 'x/s.py', '--distill', 'x/d.py', '--iters', '10',
         '--seeds', '0', '--metric', 'mIoU', '--work-dir', str(tmp_path), '--skip-teacher',
         '--cache-dir', str(tmp_path / 'cache')],
        capture_output=True, text=True, env=_env(), cwd=REPO)
    assert proc.returncode != 0
    assert 'needs the trained teacher (configs/cls/cls_r50_toy.py, 100 iterations, seed 0) in the run ' \
        'cache' in proc.stderr
    assert '+ ' not in proc.stdout  # no train/test command was started


def test_seed_table_skip_teacher_refuses_variants_without_a_teacher(tmp_path):
    """--variant rows are distillation runs too: without the teacher checkpoint they stop the same way."""
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis', 'seed_table.py'), '--teacher', TEACHER,
         '--teacher-iters', '100', '--student', 'x/s.py', '--variant', 'v', 'x/d.py', 'a=1', '--iters', '10',
         '--seeds', '0', '--metric', 'mIoU', '--work-dir', str(tmp_path), '--skip-teacher',
         '--cache-dir', str(tmp_path / 'cache')],
        capture_output=True, text=True, env=_env(), cwd=REPO)
    assert proc.returncode != 0
    assert 'needs the trained teacher (configs/cls/cls_r50_toy.py, 100 iterations, seed 0) in the run ' \
        'cache' in proc.stderr
    assert '+ ' not in proc.stdout


def test_seed_table_distillation_runs_skip_the_teacher_evaluation(tmp_path, monkeypatch):
    """Distillation rows whose config has the ``teacher_eval`` switch run with ``teacher_eval=False`` after
    their own options (the table's teacher row is the teacher's evaluation); the baseline gets neither, and
    the JSON records only the row's options."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('seed_table', osp.join(REPO, 'tools', 'analysis', 'seed_table.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    teacher_dir, _, _ = run_dir(osp.join(REPO, TEACHER), 100, 0, cache_dir=str(tmp_path / 'cache'))
    _write(osp.join(teacher_dir, 'run.json'), dict(metrics={'accuracy/top1': 50.0}, checkpoint='t.pth',
                                                   checkpoint_sha256='ab12'))
    calls = []

    def fake_run(config, work_dir, iters, seed, extra, cwd=None):
        calls.append((config, osp.basename(work_dir), list(extra)))
        return {'accuracy/top1': 10.0}

    monkeypatch.setattr(tool.run_cache, 'train_and_test', fake_run)
    monkeypatch.setattr(sys, 'argv', [
        'seed_table.py', '--teacher', TEACHER, '--teacher-iters', '100', '--student', 'configs/cls/cls_r18_toy.py',
        '--distill', 'configs/overhaul_cls_r50_r18_toy.py', '--variant', 'v', 'configs/overhaul_cls_r50_r18_toy.py',
        'model.teacher_bn=eval', '--iters', '10', '--seeds', '0', '--metric', 'accuracy/top1', '--work-dir',
        str(tmp_path), '--cache-dir', str(tmp_path / 'cache'), '--json', str(tmp_path / 'table.json')])
    tool.main()
    assert calls == [
        ('configs/cls/cls_r18_toy.py', 'cls_r18_toy_10it_seed0', []),
        ('configs/overhaul_cls_r50_r18_toy.py', 'overhaul_cls_r50_r18_toy_10it_seed0',
         ['model.teacher.checkpoint=t.pth', 'teacher_eval=False']),
        ('configs/overhaul_cls_r50_r18_toy.py', 'v_10it_seed0',
         ['model.teacher.checkpoint=t.pth', 'model.teacher_bn=eval', 'teacher_eval=False'])]
    with open(tmp_path / 'table.json') as f:
        runs = json.load(f)['runs']
    assert [r.get('options') for r in runs] == [None, [], [], ['model.teacher_bn=eval']]
