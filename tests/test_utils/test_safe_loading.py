"""Untrusted checkpoints (local or URL) and CIFAR files: refused without running code, real ones load."""
import functools
import http.server
import io
import os
import os.path as osp
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader, load_checkpoint

from conftest import REPO, build, classifier, free_port
from mmkd.compat import CheckpointDownloadError, CorruptCheckpointError
from mmkd.datasets import CIFAR100Dataset, load_cifar_pickle
from mmkd.datasets.toy_generator import _load_pickle, write_cifar_pickle
from mmkd.utils.checkpoint import load_checkpoint_file, load_weights
from mmkd.utils.safe_pickle import UnsafePickleError, load_array_pickle

TRUST_HINT = 'only load it with'


class RunsCode:
    """Unpickles as ``exec(...)`` of code that creates ``marker``: what a crafted file does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").close()', )


def linear_checkpoint(model):
    """An mmengine-style checkpoint: weights, numpy values in meta and a message hub."""
    hub = MessageHub('safe-loading-test')
    for v in (1.0, 3.0):
        hub.update_scalar('train/loss', v)
    meta = dict(seed=np.int64(5), arr=np.arange(3, dtype=np.float32), iter=2)
    return dict(meta=meta, message_hub=hub.state_dict(), state_dict=model.state_dict())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """``(folder, base_url)``: files in ``folder`` served over HTTP on 127.0.0.1 for one test."""
    www = tmp_path / 'www'
    www.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.setenv('no_proxy', '*')
    assert torch.hub.get_dir().startswith(str(tmp_path))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             functools.partial(_QuietHandler, directory=str(www)))
    server.timeout = 10
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def crafted(tmp_path):
    """``(path, marker)``: a checkpoint whose unpickling would create ``marker``."""
    marker = tmp_path / 'code_ran'
    path = tmp_path / 'crafted.pth'
    torch.save(dict(state_dict=dict(weight=torch.ones(2)), meta=dict(x=RunsCode(marker))), path)
    return path, marker


# ----------------------------------------------------------------------------- checkpoints from URLs
def test_crafted_url_checkpoint_is_refused_without_running_code(served, crafted):
    www, base = served
    path, marker = crafted
    (www / 'evil.pth').write_bytes(path.read_bytes())
    url = f'{base}/evil.pth'
    with pytest.raises(UnsafePickleError, match=r'refused to unpickle exec from http://127\.0\.0\.1:\d+/'
                       r'evil\.pth: not an allowed type;') as err:
        CheckpointLoader.load_checkpoint(url, map_location='cpu')
    assert 'weights_only=False) if you trust the file' in str(err.value)
    with pytest.raises(UnsafePickleError, match='refused to unpickle exec'):
        load_checkpoint(nn.Linear(2, 2), url, map_location='cpu')
    assert not marker.exists()
    assert osp.isfile(osp.join(torch.hub.get_dir(), 'checkpoints', 'evil.pth'))


def test_mmengine_checkpoint_from_url_loads(served):
    www, base = served
    source = nn.Linear(3, 2)
    torch.save(linear_checkpoint(source), www / 'good.pth')
    loaded = CheckpointLoader.load_checkpoint(f'{base}/good.pth', map_location='cpu')
    assert loaded['meta']['arr'].tolist() == [0., 1., 2.] and loaded['meta']['seed'] == 5
    history = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer) and history.mean() == 2.0
    target = nn.Linear(3, 2)
    load_checkpoint(target, f'{base}/good.pth', map_location='cpu', strict=True)
    torch.testing.assert_close(target.weight, source.weight)


class _Pretrained(BaseModule):

    def __init__(self, url):
        super().__init__(init_cfg=dict(type='Pretrained', checkpoint=url))
        self.fc = nn.Linear(3, 2)


def test_url_through_pretrained_init_and_distiller_teacher(served, crafted):
    www, base = served
    path, marker = crafted
    (www / 'evil.pth').write_bytes(path.read_bytes())
    with pytest.raises(UnsafePickleError, match='refused to unpickle exec'):
        _Pretrained(f'{base}/evil.pth').init_weights()
    with pytest.raises(UnsafePickleError, match='teacher checkpoint: refused to unpickle exec'):
        build(teacher=dict(config=classifier(50, 512), checkpoint=f'{base}/evil.pth'))
    assert not marker.exists()

    source = _Pretrained(None)
    torch.save(dict(state_dict=source.state_dict(), meta=dict(arr=np.ones(2))), www / 'fc.pth')
    model = _Pretrained(f'{base}/fc.pth')
    model.init_weights()
    torch.testing.assert_close(model.fc.weight, source.fc.weight)
    from mmkd.registry import MODELS
    teacher = MODELS.build(classifier(50, 512))
    torch.save(dict(state_dict=teacher.state_dict()), www / 'teacher.pth')
    model = build(teacher=dict(config=classifier(50, 512), checkpoint=f'{base}/teacher.pth'))
    torch.testing.assert_close(model.teacher.backbone.conv1.weight, teacher.backbone.conv1.weight)


def test_model_zoo_schemes_go_through_the_weights_only_loader(served, crafted, tmp_path, monkeypatch):
    from mmengine.runner import checkpoint as mmengine_checkpoint
    www, base = served
    path, marker = crafted
    (www / 'evil.pth').write_bytes(path.read_bytes())
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    (home / 'evil_local.pth').write_bytes(path.read_bytes())
    zoo = dict(evil=f'{base}/evil.pth', evil_local='evil_local.pth')
    for table in ('get_external_models', 'get_torchvision_models', 'get_mmcls_models'):
        monkeypatch.setattr(mmengine_checkpoint, table, lambda: zoo)
    monkeypatch.setattr(mmengine_checkpoint, 'get_deprecated_model_names', dict)
    monkeypatch.setattr(mmengine_checkpoint, '_get_mmengine_home', lambda: str(home))
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    for name in ('open-mmlab://evil', 'openmmlab://evil', 'open-mmlab://evil_local', 'torchvision://evil',
                 'modelzoo://evil', 'mmcls://evil'):
        with pytest.raises(UnsafePickleError, match='refused to unpickle exec'):
            CheckpointLoader.load_checkpoint(name, map_location='cpu')
    assert not marker.exists()


def test_import_mmkd_alone_secures_url_checkpoints(served, crafted):
    www, base = served
    path, marker = crafted
    (www / 'evil.pth').write_bytes(path.read_bytes())
    code = ('import mmkd\n'
            'from mmengine.runner import CheckpointLoader\n'
            'from mmkd.utils.safe_pickle import UnsafePickleError\n'
            'try:\n'
            f'    CheckpointLoader.load_checkpoint({base + "/evil.pth"!r}, map_location="cpu")\n'
            'except UnsafePickleError as err:\n'
            '    print("REFUSED", err)\n')
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'REFUSED refused to unpickle exec' in proc.stdout
    assert not marker.exists()


# ----------------------------------------------------------------------------- local checkpoints
def test_crafted_local_checkpoint_is_refused_not_called_corrupt(crafted, monkeypatch):
    path, marker = crafted
    with pytest.raises(UnsafePickleError, match='teacher checkpoint: refused to unpickle exec from') as err:
        load_weights(nn.Linear(2, 2), str(path), 'teacher')
    assert 'corrupt' not in str(err.value) and TRUST_HINT in str(err.value)
    # torch's opt-out of weights-only loading does not reach mmkd's loader
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(UnsafePickleError, match='refused to unpickle exec'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_checkpoint_errors_name_what_went_wrong(tmp_path, served):
    www, base = served
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_checkpoint_file(missing, 'teacher')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        CheckpointLoader.load_checkpoint(missing)

    garbage = tmp_path / 'garbage.pth'
    buf = io.BytesIO()
    torch.save(dict(w=torch.ones(3)), buf)
    for blob in (b'not a checkpoint at all', b'hello world', buf.getvalue()[:-40]):
        garbage.write_bytes(blob)
        with pytest.raises(RuntimeError, match='teacher checkpoint .*garbage.pth is corrupt') as err:
            load_checkpoint_file(str(garbage), 'teacher')
        assert 'refused' not in str(err.value)
        with pytest.raises(CorruptCheckpointError, match='is corrupt or not a PyTorch checkpoint'):
            CheckpointLoader.load_checkpoint(str(garbage))

    unreachable = f'http://127.0.0.1:{free_port()}/teacher.pth'
    with pytest.raises(CheckpointDownloadError,
                       match=r'teacher checkpoint: could not download checkpoint http://127\.0\.0\.1:\d+/'
                       r'teacher\.pth \(URLError: .*\)\. Check the URL'):
        load_checkpoint_file(unreachable, 'teacher')
    with pytest.raises(CheckpointDownloadError, match='HTTP Error 404'):
        CheckpointLoader.load_checkpoint(f'{base}/absent.pth')
    (www / 'garbage.pth').write_bytes(garbage.read_bytes())
    with pytest.raises(CorruptCheckpointError, match=r'http://127\.0\.0\.1:\d+/garbage\.pth is corrupt'):
        CheckpointLoader.load_checkpoint(f'{base}/garbage.pth')


# ----------------------------------------------------------------------------- CIFAR python files
def toy_cifar(root, n=4, classes=3):
    """A CIFAR-format folder written like the toy generator (protocol 2, Python 2 strings)."""
    os.makedirs(root, exist_ok=True)
    data = np.arange(n * 3 * 4 * 4, dtype=np.uint8).reshape(n, 48)
    write_cifar_pickle(osp.join(root, 'meta'),
                       {b'fine_label_names': [f'c{i}'.encode() for i in range(classes)]})
    write_cifar_pickle(osp.join(root, 'train'), {
        b'batch_label': b'training batch 1 of 1', b'fine_labels': [i % classes for i in range(n)],
        b'filenames': [f'{i}.png'.encode() for i in range(n)], b'data': data})
    return data


def test_crafted_cifar_file_is_refused_without_running_code(tmp_path):
    root = str(tmp_path / 'cifar')
    toy_cifar(root)
    marker = tmp_path / 'code_ran'
    write_cifar_pickle(osp.join(root, 'test'), {b'data': RunsCode(marker), b'fine_labels': [0]})
    with pytest.raises(UnsafePickleError, match=r'refused to unpickle \S*exec from .*test: not an allowed '
                       'type;') as err:
        CIFAR100Dataset(data_root=root, split='test')
    assert 'corrupt' not in str(err.value) and TRUST_HINT in str(err.value)
    with pytest.raises(UnsafePickleError, match='exec'):
        _load_pickle(osp.join(root, 'test'))
    with open(osp.join(root, 'train'), 'wb') as f:
        pickle.dump({b'data': RunsCode(marker)}, f, protocol=2)
    with pytest.raises(UnsafePickleError, match='exec'):
        load_cifar_pickle(osp.join(root, 'train'))
    assert not marker.exists()


def test_valid_cifar_files_still_load(tmp_path):
    root = str(tmp_path / 'cifar')
    data = toy_cifar(root)
    ds = CIFAR100Dataset(data_root=root, split='train')
    assert ds.metainfo['classes'] == ('c0', 'c1', 'c2') and len(ds) == 4
    rgb = data[1].reshape(3, 4, 4).transpose(1, 2, 0)
    np.testing.assert_array_equal(ds[1]['img'], rgb[..., ::-1])
    assert _load_pickle(osp.join(root, 'train'))['fine_labels'] == [0, 1, 2, 0]
    # arrays pickled by Python 3 at any protocol up to 4 (protocol 2 goes through _codecs.encode)
    for protocol in (2, 3, 4):
        path = tmp_path / f'p{protocol}'
        with open(path, 'wb') as f:
            pickle.dump({'data': data, 'labels': [1, 2]}, f, protocol=protocol)
        loaded = load_array_pickle(str(path))
        np.testing.assert_array_equal(loaded['data'], data)


def test_corrupt_cifar_file_is_reported_as_corrupt(tmp_path):
    root = str(tmp_path / 'cifar')
    toy_cifar(root)
    with open(osp.join(root, 'train'), 'rb') as f:
        blob = f.read()
    with open(osp.join(root, 'train'), 'wb') as f:
        f.write(blob[:len(blob) // 2])
    with pytest.raises(ValueError, match='train could not be unpickled .*corrupt') as err:
        CIFAR100Dataset(data_root=root, split='train')
    assert 'refused' not in str(err.value)
