"""Fixtures and helpers shared by the tests of every folder (``from conftest import ...``)."""
import functools
import hashlib
import math
import os
import os.path as osp
import pickle
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from mmkd import compat

compat.apply()  # the tests read checkpoints with torch.load, like the tools do

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(REPO, 'tests', 'data')
NUM_CLASSES = 5

if int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1')) > 1:
    # under pytest-xdist (tools/run_tests.sh) each worker, and the tools it starts, gets its share of the
    # cores, so that the workers do not oversubscribe them
    _threads = max(1, (os.cpu_count() or 1) // int(os.environ['PYTEST_XDIST_WORKER_COUNT']))
    torch.set_num_threads(_threads)
    os.environ['OMP_NUM_THREADS'] = str(_threads)


@pytest.fixture(autouse=True)
def mmkd_default_scope():
    """Each test starts in the ``mmkd`` scope, whatever scope an earlier test switched to."""
    init_default_scope('mmkd')


@pytest.fixture(scope='session')
def toy_workspace(tmp_path_factory):
    """A folder laid out like the repo root (configs/ linked, a small data/toy generated) for tools."""
    root = tmp_path_factory.mktemp('workspace')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--voc07-trainval', '24',
             '--voc07-test', '8', '--voc12-trainval', '16', '--seg-train', '24', '--seg-val', '8',
             '--cifar-train', '200', '--cifar-test', '40')
    return root


def run_tool(cwd, script, *args, launcher=None, timeout=900):
    """Run ``tools/<script>`` (or a shell launcher) in ``cwd``; return its output, fail with it."""
    path = osp.join(REPO, script)
    cmd = ['bash', path, *args] if script.endswith('.sh') else [sys.executable, path, *args]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.setdefault('OMP_NUM_THREADS', '2')
    if script.endswith('dist_train.sh'):
        env.setdefault('PORT', str(free_port()))  # tests running side by side each get their own rendezvous
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited {proc.returncode}:\n{out[-6000:]}')
    return out


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_fresh(script, *args, cwd):
    """Python ``script`` with ``args`` in a fresh interpreter that finds this checkout's mmkd as an installed
    package (and nothing else of the tests); its stdout, fail with its output."""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', script, *map(str, args)], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f'fresh interpreter exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-6000:]}')
    return proc.stdout


def total(losses):
    """The sum of a loss dict's entries whose key starts with ``loss``."""
    return sum(v for k, v in losses.items() if k.startswith('loss'))


def kl_by_hand(target_logits, logits, tau):
    """tau^2 * mean over rows of sum_c p_t log(p_t / p_s), with plain Python floats."""
    out = 0.0
    for t_row, s_row in zip(target_logits, logits):
        t_exp = [math.exp(v / tau) for v in t_row]
        s_exp = [math.exp(v / tau) for v in s_row]
        p_t = [v / sum(t_exp) for v in t_exp]
        p_s = [v / sum(s_exp) for v in s_exp]
        out += sum(a * math.log(a / b) for a, b in zip(p_t, p_s))
    return tau ** 2 * out / len(logits)


def ce_by_hand(logits, labels):
    """Mean cross-entropy of logits rows to integer labels, with plain Python floats."""
    return sum(math.log(sum(math.exp(v) for v in row)) - row[y] for row, y in zip(logits, labels)) / len(labels)


@functools.lru_cache(maxsize=None)
def parse(config):
    """The config at ``config`` (relative to the repository root), loaded once."""
    from mmkd.utils.config import load_config
    return load_config(osp.join(REPO, config))


def set_iter(it, epoch=0):
    """Set the iteration and epoch the message hub reports, as the training loop would."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', it)
    hub.update_info('epoch', epoch)


def classifier(depth, channels):
    """A two-stage ResNet-``depth`` classifier of ``NUM_CLASSES`` classes; ``channels`` of its last stage."""
    return dict(
        type='mmkd.ImageClassifier',
        backbone=dict(type='mmdet.ResNet', depth=depth, num_stages=2, strides=(1, 2), dilations=(1, 1),
                      out_indices=(1, ), norm_eval=False, init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=NUM_CLASSES, in_channels=channels),
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3, std=[1.] * 3))


def ofd_point(s_block, t_block, bn, weight=1e-3):
    """An OFD distillation point between the pre-ReLU inputs of two ResNet blocks."""
    return dict(
        student=dict(source=f'backbone.{s_block}.relu', io='input', call=-1),
        teacher=dict(source=f'backbone.{t_block}.relu', io='input', call=-1),
        connector=dict(type='mmkd.ConvBNConnector'),
        teacher_transform=dict(type='mmkd.MarginReLU', bn=f'backbone.{t_block}.{bn}'),
        loss=dict(type='mmkd.PartialL2Loss', loss_weight=weight))


def distiller_cfg(**overrides):
    """A tiny FeatureDistiller config (ResNet-50 -> ResNet-18, two OFD points), with ``overrides``."""
    cfg = dict(
        type='mmkd.FeatureDistiller',
        student=classifier(18, 128),
        teacher=dict(config=classifier(50, 512), checkpoint=None),
        teacher_precision='fp32',
        input_size=(32, 32),
        distill_points=dict(
            stage1=ofd_point('layer1.1', 'layer1.2', 'bn3'),
            stage2=ofd_point('layer2.1', 'layer2.3', 'bn3')))
    cfg.update(overrides)
    return cfg


def build(**overrides):
    """The tiny FeatureDistiller of ``distiller_cfg(**overrides)``, built."""
    from mmkd.registry import MODELS
    return MODELS.build(distiller_cfg(**overrides))


def batch(n=4, seed=0):
    """``n`` random 32x32 images and classification samples with labels ``i % NUM_CLASSES``."""
    from mmkd.structures import ClsDataSample
    g = torch.Generator().manual_seed(seed)
    inputs = torch.rand(n, 3, 32, 32, generator=g)
    samples = [ClsDataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)]
    return inputs, samples


def detection_samples(n, size):
    """``n`` mmdet samples of image size ``size``, each with one box of class ``i % 3``."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    samples = []
    for i in range(n):
        sample = DetDataSample(metainfo=dict(img_shape=size, pad_shape=size, ori_shape=size,
                                             scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 20., 120., 150.]]),
                                           labels=torch.tensor([i % 3]))
        samples.append(sample)
    return samples


def segmentation_samples(n, size, generator=None):
    """``n`` mmseg samples with random labels of the toy sets' 7 classes."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(n):
        sample = SegDataSample(metainfo=dict(img_shape=size, pad_shape=size, ori_shape=size))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, *size), generator=generator))
        samples.append(sample)
    return samples


def write_cifar(root, num=8):
    """``num`` random 32x32 images of 5 classes as CIFAR python files ``train``, ``test`` and ``meta``."""
    root.mkdir(parents=True)
    data = np.random.RandomState(0).randint(0, 256, (num, 3 * 32 * 32)).astype(np.uint8)
    for split in ('train', 'test'):
        with open(root / split, 'wb') as f:
            pickle.dump({'data': data, 'fine_labels': [i % 5 for i in range(num)]}, f, protocol=4)
    with open(root / 'meta', 'wb') as f:
        pickle.dump({'fine_label_names': list('abcde')}, f, protocol=4)
    return str(root)


def tree_hash(root):
    """SHA-256 over every file under ``root``: relative paths and contents, in sorted order."""
    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = osp.join(folder, name)
            digest.update(osp.relpath(path, root).encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


def logged_messages(run):
    """The messages mmengine's current logger emits while ``run()`` runs."""
    import logging

    from mmengine.logging import MMLogger
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        run()
    finally:
        logger.removeHandler(handler)
    return records
