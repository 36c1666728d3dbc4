"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config loading, runtime set-up."""
import argparse
import json
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mmkd import compat
from mmkd.utils.config import load_config


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local_rank``, as in every OpenMMLab tool."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, in xxx=yyy format (e.g. train_cfg.max_iters=10)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_tool_config(args: argparse.Namespace) -> Config:
    """The config with ``--cfg-options``, ``--launcher`` and the work dir applied."""
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def enable_amp(cfg: Config) -> None:
    """Turn on mixed precision: mmengine's ``AmpOptimWrapper`` on GPUs, bf16 autocast on the CPU; for every
    group's optim wrapper when the config has one per parameter group (``constructor`` and no ``optimizer``)."""
    wrapper = cfg.optim_wrapper
    if 'optimizer' not in wrapper and 'constructor' in wrapper:
        for group in wrapper.values():
            if isinstance(group, dict) and 'optimizer' in group:
                _amp_optim_wrapper(group)
    else:
        _amp_optim_wrapper(wrapper)


def _amp_optim_wrapper(wrapper: dict) -> None:
    if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'mmengine.OptimWrapper'):
        print_log(f'--amp: optim_wrapper type {wrapper["type"]} is kept as configured', logger='current')
        return
    if torch.cuda.is_available():
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic'
    else:
        wrapper['type'] = 'mmkd.CPUAmpOptimWrapper'


def init_cpu_distributed(cfg: Config) -> None:
    """Start a gloo process group for ``--launcher pytorch`` when torch has no accelerator.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``, which fails on a CPU
    build; with the group already started the Runner skips it. ``DeviceAgnosticDDP`` then wraps the model
    without ``device_ids``.
    """
    if cfg.launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    dist.init_process_group(backend='gloo')


GUARD_HOOK = 'mmkd.CheckpointGuardHook'


def add_checkpoint_guard(cfg: Config) -> None:
    """Add ``mmkd.CheckpointGuardHook`` to ``custom_hooks`` unless the config has it: no checkpoint with
    non-finite weights is saved, and distillers' teachers are recorded and checked on load."""
    hooks = list(cfg.get('custom_hooks') or [])

    def name(hook) -> str:
        kind = hook.get('type', '') if isinstance(hook, dict) else type(hook)
        return getattr(kind, '__name__', str(kind)).split('.')[-1]

    if not any(name(h) == GUARD_HOOK.split('.')[-1] for h in hooks):
        hooks.append(dict(type=GUARD_HOOK))
    cfg.custom_hooks = hooks


def prepare(cfg: Config) -> None:
    """Apply the stack fixes, add the checkpoint guard, start CPU distributed mode if asked, and pick the
    DDP wrapper."""
    compat.apply()
    add_checkpoint_guard(cfg)
    init_cpu_distributed(cfg)
    if cfg.launcher != 'none' and cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='mmkd.DeviceAgnosticDDP')
        if cfg.get('find_unused_parameters') is not None:
            cfg.model_wrapper_cfg.find_unused_parameters = cfg.find_unused_parameters


def fit_logger_interval(cfg: Config) -> None:
    """Lower ``default_hooks.logger.interval`` to ``train_cfg.max_iters`` when it is larger.

    mmengine 0.10.7's ``LoggerHook`` logs iteration-based training every ``interval`` iterations only, so a
    run shorter than the interval would log no training line at all; epoch-based runs log each epoch's last
    iteration already and are left as they are.
    """
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    logger = (cfg.get('default_hooks') or {}).get('logger')
    if not isinstance(max_iters, int) or max_iters < 1 or not isinstance(logger, dict):
        return
    interval = logger.get('interval', 10)
    if interval > max_iters:
        logger['interval'] = max_iters
        print_log(f'default_hooks.logger.interval {interval} > train_cfg.max_iters {max_iters}: '
                  f'logging every {max_iters} iteration(s)', logger='current')


def dump_metrics(metrics: dict, path: str) -> None:
    """Write the metrics ``Runner.test`` returned to a json file (rank 0 only)."""
    if dist.is_initialized() and dist.get_rank() != 0:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
