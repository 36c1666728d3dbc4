"""Runs that fail or are interrupted: checkpoints are written atomically and ``--resume`` skips a torn one,
a second training into a busy work dir is refused, and an empty dataset, a typo in a hook option, an int
``input_size`` and ``--resume`` with nothing to resume get clear answers before training. A tiny classifier
on a few CIFAR-format images written by the tests, run through tools/train.py (in this process unless two
processes are needed)."""
import importlib.util
import os
import os.path as osp
import pickle
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO, free_port


def write_cifar(root, num=8):
    """``num`` random 32x32 images of 5 classes as CIFAR python files ``train`` and ``meta`` in ``root``."""
    os.makedirs(root, exist_ok=True)
    data = np.random.RandomState(0).randint(0, 256, (num, 3 * 32 * 32)).astype(np.uint8)
    with open(osp.join(root, 'train'), 'wb') as f:
        pickle.dump({'data': data, 'fine_labels': [i % 5 for i in range(num)]}, f, protocol=4)
    with open(osp.join(root, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': list('abcde')}, f, protocol=4)
    return str(root)


def write_config(path, data_root, custom_hooks=()):
    """A tools/train.py config: a one-stage ResNet-18 classifier, 3 iterations, a checkpoint each."""
    Config(dict(
        default_scope='mmkd',
        model=dict(type='mmkd.ImageClassifier',
                   backbone=dict(type='mmdet.ResNet', depth=18, num_stages=1, strides=(1, ), dilations=(1, ),
                                 out_indices=(0, ), init_cfg=None),
                   head=dict(type='mmkd.LinearClsHead', num_classes=5, in_channels=64),
                   data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3, std=[255.] * 3)),
        train_dataloader=dict(batch_size=4, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
                              dataset=dict(type='mmkd.CIFAR100Dataset', data_root=data_root,
                                           pipeline=[dict(type='mmkd.PackClsInputs')])),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=1e-3)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False)),
        custom_hooks=list(custom_hooks),
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0), log_level='INFO')).dump(str(path))
    return str(path)


@pytest.fixture
def tiny_run(tmp_path):
    data = write_cifar(tmp_path / 'data')
    return tmp_path, write_config(tmp_path / 'cls.py', data), tmp_path / 'work'


def train(monkeypatch, config, work, *args, options=()):
    """tools/train.py's main() in this process, with a unique experiment name."""
    spec = importlib.util.spec_from_file_location('mmkd_tool_train', osp.join(REPO, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    train.count = getattr(train, 'count', 0) + 1
    monkeypatch.setattr(sys, 'argv', ['train', config, '--work-dir', str(work), *args, '--cfg-options',
                                      *options, f'experiment_name=failures{train.count}'])
    module.main()


def tool_env():
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''), OMP_NUM_THREADS='1')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env


def saved_iter(path):
    return torch.load(str(path), map_location='cpu')['meta']['iter']


# -------------------------------------------------------------------------- torn checkpoints and resume
def test_resume_skips_a_torn_checkpoint_and_continues_from_the_newest_readable(tiny_run, monkeypatch, capfd):
    root, config, work = tiny_run
    train(monkeypatch, config, work)
    assert open(work / 'last_checkpoint').read().strip().endswith('iter_3.pth')
    size = os.path.getsize(work / 'iter_3.pth')
    with open(work / 'iter_3.pth', 'r+b') as f:
        f.truncate(size // 2)
    capfd.readouterr()

    train(monkeypatch, config, work, '--resume', options=['train_cfg.max_iters=4'])
    out = capfd.readouterr().out
    assert f'--resume: skipped {work}/iter_3.pth: unreadable (CorruptCheckpointError)' in out
    assert f'--resume: resuming from {work}/iter_2.pth, the newest readable checkpoint.' in out
    assert 'resumed epoch: 0, iter: 2' in out
    assert [saved_iter(work / f'iter_{i}.pth') for i in (3, 4)] == [3, 4]


def test_checkpoint_writes_leave_the_old_file_or_the_new_one(tmp_path):
    from mmengine.fileio.backends import LocalBackend
    from mmengine.runner.checkpoint import save_checkpoint
    path = tmp_path / 'iter_1.pth'
    save_checkpoint(dict(state_dict=dict(w=torch.ones(3))), str(path))
    before = path.read_bytes()
    with pytest.raises(TypeError):
        LocalBackend().put('not bytes: the write fails after the file was opened', str(path))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['iter_1.pth']
    save_checkpoint(dict(state_dict=dict(w=torch.zeros(3))), str(path))
    assert torch.equal(torch.load(str(path))['state_dict']['w'], torch.zeros(3))


def test_the_temporary_file_of_a_killed_save_is_removed_by_the_next_run(tmp_path):
    from mmkd.utils.atomic_io import TEMP_TAG
    from mmkd.utils.train_guard import claim_work_dir
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = tmp_path / f'.iter_5.pth{TEMP_TAG}{dead.pid}-0123abcd'
    live = tmp_path / f'.iter_6.pth{TEMP_TAG}{os.getpid()}-0123abcd'
    stale.write_bytes(b'half a checkpoint')
    live.write_bytes(b'being written')
    notes = claim_work_dir(Config(dict(work_dir=str(tmp_path), launcher='none')))
    assert not stale.exists() and live.exists()
    assert notes == [f'removed {stale}, left by a save that was cut short']


def test_student_twins_skip_a_torn_checkpoint_and_rewrite_a_torn_twin(tmp_path):
    from mmkd.engine.hooks import StudentCheckpointHook
    for it in (1, 2):
        torch.save(dict(meta=dict(iter=it), state_dict={'student.w': torch.full((2, ), float(it))}),
                   str(tmp_path / f'iter_{it}.pth'))
    with open(tmp_path / 'iter_2.pth', 'r+b') as f:
        f.truncate(100)
    (tmp_path / 'iter_1_student.pth').write_bytes(open(tmp_path / 'iter_1.pth', 'rb').read()[:100])
    warnings = []
    runner = type('Runner', (), dict(logger=type('Logger', (), dict(
        warning=staticmethod(warnings.append), info=staticmethod(lambda msg: None)))))()
    hook = StudentCheckpointHook()
    hook.out_dir = str(tmp_path)
    hook._sync_twins(runner)
    hook._sync_twins(runner)
    twin = torch.load(str(tmp_path / 'iter_1_student.pth'))
    assert torch.equal(twin['state_dict']['w'], torch.full((2, ), 1.0))
    assert not (tmp_path / 'iter_2_student.pth').exists()
    assert len(warnings) == 1
    assert warnings[0].startswith(f'{tmp_path}/iter_2.pth has no student-only twin: ')
    assert 'interrupted save; --resume skips it' in warnings[0]


# ---------------------------------------------------------------------------- one training per work dir
def test_a_second_training_into_a_busy_work_dir_is_refused_until_the_first_ends(tiny_run, monkeypatch, capfd):
    root, config, work = tiny_run
    log = open(root / 'first.log', 'w')
    first = subprocess.Popen(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', str(work), '--cfg-options',
         'train_cfg.max_iters=1000000', 'default_hooks.checkpoint.interval=2',
         'default_hooks.checkpoint.max_keep_ckpts=2'], env=tool_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 180
        while not (work / 'last_checkpoint').exists():
            assert first.poll() is None, open(root / 'first.log').read()[-3000:]
            assert time.time() < deadline, 'the first training did not save a checkpoint in 180 s'
            time.sleep(0.5)
        assert f'pid {first.pid} on ' in (work / '.mmkd_train.lock').read_text()
        start = time.time()
        with pytest.raises(SystemExit) as err:
            train(monkeypatch, config, work, options=['train_cfg.max_iters=1'])
        assert time.time() - start < 30
        assert str(err.value).startswith(f'tools/train.py: work dir {work} is in use by another training '
                                         f'(pid {first.pid} on {socket.gethostname()}, rank 0, started ')
        assert 'Wait for it to end (then --resume continues it), stop it, or give this run another ' \
               '--work-dir.' in str(err.value)
    finally:
        first.kill()
        first.wait(timeout=60)
        log.close()
    assert not (work / 'iter_1.pth').exists()
    capfd.readouterr()
    newest = max(int(name[len('iter_'):-len('.pth')]) for name in os.listdir(work)
                 if name.startswith('iter_') and name.endswith('.pth'))
    train(monkeypatch, config, work, '--resume', options=[f'train_cfg.max_iters={newest + 1}'])
    assert 'resumed epoch: 0, iter: ' in capfd.readouterr().out
    assert saved_iter(work / f'iter_{newest + 1}.pth') == newest + 1


@pytest.mark.slow
def test_dist_train_takes_one_lock_per_rank(tiny_run):
    root, config, work = tiny_run
    command = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir', str(work),
               '--cfg-options', 'train_cfg.max_iters=2']
    proc = subprocess.run(command, cwd=str(root), env=dict(tool_env(), PORT=str(free_port())), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    assert sorted(p for p in os.listdir(work) if p.endswith('.lock')) == ['.mmkd_train.lock',
                                                                          '.mmkd_train.rank1.lock']
    assert saved_iter(work / 'iter_2.pth') == 2


# ------------------------------------------------------------------------------- clear errors up front
@pytest.mark.parametrize('serialize', [True, False])
def test_an_empty_dataset_is_named_with_its_data_root_before_training(tmp_path, monkeypatch, serialize):
    from mmkd.compat import EmptyDatasetError
    data = write_cifar(tmp_path / 'empty', num=0)
    config = write_config(tmp_path / 'cls.py', data)
    with pytest.raises(EmptyDatasetError) as err:
        train(monkeypatch, config, tmp_path / 'work',
              options=[f'train_dataloader.dataset.serialize_data={serialize}'])
    assert f"CIFAR100Dataset (data_root='{data}') holds no samples. Check that data_root and ann_file " \
           'point at the data' in str(err.value)
    assert not (tmp_path / 'work' / 'iter_1.pth').exists()


def test_an_empty_dataset_message_names_its_ann_file():
    from mmengine.dataset import BaseDataset
    from mmkd.compat import EmptyDatasetError

    class Empty(BaseDataset):
        def load_data_list(self):
            return []

    with pytest.raises(EmptyDatasetError, match=r"Empty \(data_root='data/voc', ann_file='data/voc/train.txt'\) "
                                                'holds no samples'):
        Empty(data_root='data/voc', ann_file='train.txt')


def test_a_typo_in_a_checkpoint_hook_option_fails_before_the_first_iteration(tiny_run, monkeypatch, capfd):
    root, config, work = tiny_run
    with pytest.raises(TypeError) as err:
        train(monkeypatch, config, work, options=['default_hooks.checkpoint.intervl=1'])
    assert str(err.value).startswith("default_hooks.checkpoint: unknown option 'intervl' (did you mean "
                                     "'interval'?). CheckpointHook passes the options it does not know to "
                                     'Runner.save_checkpoint')
    assert 'Epoch(train)' not in capfd.readouterr().out
    assert not any(name.endswith('.pth') for name in os.listdir(work))


@pytest.mark.parametrize('how', ['--resume', 'resume=True'])
def test_resume_in_an_empty_work_dir_says_so_and_starts_from_scratch(tiny_run, monkeypatch, capfd, how):
    root, config, work = tiny_run
    args, options = ([how], []) if how == '--resume' else ([], [how])
    train(monkeypatch, config, work, *args, options=['train_cfg.max_iters=1', *options])
    out = capfd.readouterr().out
    assert f'--resume: nothing to resume in {work} (no readable checkpoint there); training starts from ' \
           'scratch.' in out
    assert 'Auto resumed from the latest checkpoint None' not in out
    assert saved_iter(work / 'iter_1.pth') == 1


def test_image_size_takes_an_int_or_a_pair():
    from mmkd.utils.modules import image_size
    assert image_size(32) == (32, 32) and image_size([24, 32]) == (24, 32)
    for bad in ((32, ), (0, 32), '32', 32.0, True):
        with pytest.raises(ValueError, match=r'input_size must be an int n \(for n x n\) or a pair \(H, W\)'):
            image_size(bad)


def test_a_distiller_takes_an_int_input_size():
    from conftest import build
    assert build(input_size=32).input_size == (32, 32)
