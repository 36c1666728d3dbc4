"""Train-once cache for runs that many experiments reuse (pretrained toy backbones, teachers).

A run is ``tools/train.py CONFIG`` then ``tools/test.py`` (run in the current directory, which relative
paths in the config refer to) with its schedule set to ``iters`` iterations
and ``randomness.seed=seed``. It lives outside the clone, in ``$MMKD_CACHE/runs`` (default
``~/.cache/mmkd/runs``), in a folder named after the config, iterations and seed plus a key over
everything that decides the result:

* the resolved config text, after the schedule, seed and extra ``--cfg-options`` are merged;
* the content (SHA-256) of every local file that a ``checkpoint``, ``pretrained`` or ``load_from`` value
  of the config names, so a run on top of another run's weights is redone when those weights change;
* the listing (relative path and size of every file) of every ``data_root`` of the config.

A finished run holds ``run.json``: config, iterations, seed, options, key, the test metrics and the
checkpoint's SHA-256. Two processes asking for the same run wait on one lock; the second reuses it.
"""
import fcntl
import hashlib
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
from typing import Iterable, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .config import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FILE_KEYS = ('checkpoint', 'pretrained', 'load_from')
RESUME_INTERVAL = 250  # iterations between the checkpoints a cached run can resume from


def cache_root() -> str:
    """``$MMKD_CACHE/runs``, ``~/.cache/mmkd/runs`` by default."""
    return osp.join(os.environ.get('MMKD_CACHE', osp.expanduser('~/.cache/mmkd')), 'runs')


def schedule_options(config: str, iters: int) -> List[str]:
    """cfg-options that turn the config's iteration-based schedule into one of ``iters`` iterations.

    Sets ``max_iters``, ``val_interval`` and the checkpoint interval, and rescales every iteration-based
    scheduler's ``end`` / ``T_max`` and every distillation stage's ``end_iter``.
    """
    cfg = load_config(config)
    old = cfg.train_cfg.get('max_iters')
    if old is None:
        raise ValueError(f'{config}: needs an iteration-based schedule (train_cfg.max_iters)')
    opts = [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}']
    for i, sched in enumerate(cfg.get('param_scheduler') or []):
        if sched.get('by_epoch', True):
            continue
        if sched.get('begin', 0) >= iters:
            raise ValueError(f'{config}: param_scheduler {i} ({sched.get("type")}) begins at iteration '
                             f'{sched["begin"]}; a schedule of {iters} iterations must be longer')
        if sched.get('end') == old:
            opts.append(f'param_scheduler.{i}.end={iters}')
        if 'T_max' in sched and sched['T_max'] == old - sched.get('begin', 0):
            opts.append(f'param_scheduler.{i}.T_max={iters - sched.get("begin", 0)}')
    for i, stage in enumerate(cfg.get('model', {}).get('stages') or []):
        if stage.get('end_iter') is not None:  # multi-stage methods keep their stage fractions
            opts.append(f'model.stages.{i}.end_iter={round(stage["end_iter"] * iters / old)}')
    return opts


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _walk(node, key=None) -> Iterable:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _walk(v, key)
    elif isinstance(node, str):
        yield key, node


def _tree_listing(root: str) -> List[str]:
    entries = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            entries.append(f'{osp.relpath(path, root)}:{osp.getsize(path)}')
    return sorted(entries)


def run_key(cfg: Config, iters: int, seed: int) -> str:
    """The 12-hex-digit cache key of a resolved config (see the module docstring)."""
    digest = hashlib.sha256(f'{iters}\n{seed}\n{cfg.pretty_text}'.encode())
    for key, value in sorted(set(_walk(cfg.to_dict()))):
        path = osp.abspath(value)
        if key in FILE_KEYS and osp.isfile(path):
            digest.update(f'{key}={value}:{file_sha256(path)}'.encode())
        elif key == 'data_root' and osp.isdir(path):
            digest.update(f'{key}={value}:'.encode() + '\n'.join(_tree_listing(path)).encode())
    return digest.hexdigest()[:12]


def _run(cmd: Sequence[str], cwd: Optional[str]) -> None:
    print('+ ' + ' '.join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(list(cmd), check=True, cwd=cwd)


def train_and_test(config: str, work_dir: str, iters: int, seed: int = 0,
                   cfg_options: Sequence[str] = (), cwd: Optional[str] = None) -> dict:
    """Train one run into ``work_dir`` (unless its last checkpoint is there) and test it (unless its
    ``test.json`` is there); return the test metrics. ``cwd`` is where relative config paths resolve."""
    ckpt = osp.join(work_dir, f'iter_{iters}.pth')
    metrics_file = osp.join(work_dir, 'test.json')
    if not osp.isfile(metrics_file):
        if not osp.isfile(ckpt):
            options = schedule_options(config, iters) + [f'randomness.seed={seed}'] + list(cfg_options)
            # intermediate checkpoints and --resume let an interrupted long run continue where it stopped;
            # they do not change what is trained, so they are not part of the run's key
            options += [f'default_hooks.checkpoint.interval={min(iters, RESUME_INTERVAL)}',
                        'default_hooks.checkpoint.max_keep_ckpts=1']
            _run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir,
                  '--resume', '--cfg-options', *options], cwd)
        _run([sys.executable, osp.join(ROOT, 'tools', 'test.py'), config, ckpt, '--work-dir', work_dir,
              '--out', metrics_file] + (['--cfg-options', *cfg_options] if cfg_options else []), cwd)
    with open(metrics_file) as f:
        return json.load(f)


def run_dir(config: str, iters: int, seed: int = 0, cfg_options: Sequence[str] = (),
            cache_dir: Optional[str] = None) -> Tuple[str, List[str], str]:
    """Where a run lives in the cache: ``(work_dir, train options, key)``."""
    options = schedule_options(config, iters) + [f'randomness.seed={seed}'] + list(cfg_options)
    cfg = load_config(config)
    cfg.merge_from_dict(dict(_parse_option(o) for o in options))
    key = run_key(cfg, iters, seed)
    stem = osp.splitext(osp.basename(config))[0]
    return osp.join(cache_dir or cache_root(), f'{stem}_{iters}it_seed{seed}_{key}'), options, key


def cached_run(config: str, iters: int, seed: int = 0, cfg_options: Sequence[str] = (),
               cache_dir: Optional[str] = None, train: bool = True) -> Optional[dict]:
    """Train and test a run once; later calls with the same inputs return the stored result.

    Args:
        config (str): Training config.
        iters (int): Training iterations (the schedule is rescaled with :func:`schedule_options`).
        seed (int): ``randomness.seed``. Defaults to 0.
        cfg_options (Sequence[str]): Extra ``key=value`` options, also given to ``tools/test.py``.
        cache_dir (str, optional): Where runs live. Defaults to :func:`cache_root`.
        train (bool): False only looks the run up. Defaults to True.

    Returns:
        dict | None: ``run.json``'s content plus ``work_dir``: ``config``, ``iters``, ``seed``,
        ``options``, ``key``, ``checkpoint`` (absolute path), ``checkpoint_sha256`` and ``metrics``;
        None when ``train`` is False and the run is not in the cache.
    """
    work_dir, _, key = run_dir(config, iters, seed, cfg_options, cache_dir)
    record = osp.join(work_dir, 'run.json')
    if not train:
        if not osp.isfile(record):
            return None
        with open(record) as f:
            return dict(json.load(f), work_dir=work_dir)
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if osp.isfile(record):
            with open(record) as f:
                return dict(json.load(f), work_dir=work_dir)
        metrics = train_and_test(config, work_dir, iters, seed, cfg_options)
        ckpt = osp.join(work_dir, f'iter_{iters}.pth')
        result = dict(config=config, iters=iters, seed=seed, options=list(cfg_options), key=key,
                      checkpoint=ckpt, checkpoint_sha256=file_sha256(ckpt), metrics=metrics)
        tmp = record + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, record)
    return dict(result, work_dir=work_dir)


def _parse_option(option: str):
    """``'a.b=1'`` -> ``('a.b', 1)``, values parsed as mmengine's ``DictAction`` does."""
    from mmengine.config import DictAction
    key, value = option.split('=', 1)
    return key, DictAction._parse_iterable(value)


def link(src: str, dst: str) -> None:
    """Point ``dst`` at ``src`` with a symlink, replacing an older link or file at ``dst``."""
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = f'{dst}.tmp-{os.getpid()}'
    os.symlink(osp.abspath(src), tmp)
    os.replace(tmp, dst)
