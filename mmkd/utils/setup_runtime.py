"""What ``tools/train.py`` and ``tools/test.py`` do to a config before handing it to ``Runner``."""
import json
import os

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log

from mmkd import compat


def enable_amp(cfg: Config) -> None:
    """Turn on mixed precision: mmengine's ``AmpOptimWrapper`` on GPUs, bf16 autocast on the CPU."""
    wrapper = cfg.optim_wrapper
    if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'mmengine.OptimWrapper'):
        print_log(f'--amp: optim_wrapper type {wrapper.type} is kept as configured', logger='current')
        return
    if torch.cuda.is_available():
        wrapper.type = 'AmpOptimWrapper'
        wrapper.loss_scale = 'dynamic'
    else:
        wrapper.type = 'mmkd.CPUAmpOptimWrapper'


def init_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``--launcher pytorch`` when torch has no accelerator.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``, which fails on a CPU
    build; with the group already started the Runner skips it. ``DeviceAgnosticDDP`` then wraps the model
    without ``device_ids``.
    """
    if cfg.launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    dist.init_process_group(backend='gloo')


def prepare(cfg: Config) -> None:
    """Apply the stack fixes, start CPU distributed mode if asked, and pick the DDP wrapper."""
    compat.apply()
    init_cpu_distributed(cfg)
    if cfg.launcher != 'none' and cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='mmkd.DeviceAgnosticDDP')
        if cfg.get('find_unused_parameters') is not None:
            cfg.model_wrapper_cfg.find_unused_parameters = cfg.find_unused_parameters


def dump_metrics(metrics: dict, path: str) -> None:
    """Write the metrics ``Runner.test`` returned to a json file (rank 0 only)."""
    if dist.is_initialized() and dist.get_rank() != 0:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
