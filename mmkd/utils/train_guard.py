"""What ``tools/train.py`` checks around the Runner: one training per work dir, ``--resume`` from the newest
readable checkpoint (or a clear word that there is none), and hook options checked before the first
iteration."""
import difflib
import fcntl
import glob
import inspect
import logging
import os
import os.path as osp
import re
import socket
import time
from typing import List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from mmkd.utils.atomic_io import remove_stale_temp_files
from mmkd.utils.checkpoint import checkpoint_problem

LOCK_NAME = '.mmkd_train.lock'
LAST_CHECKPOINT = 'last_checkpoint'
_CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')
_RANK_VARIABLES = dict(pytorch='RANK', slurm='SLURM_PROCID', mpi='OMPI_COMM_WORLD_RANK')
_held_locks = {}


class WorkDirBusyError(RuntimeError):
    """Another training holds the work dir."""


def launch_rank(launcher: str) -> int:
    """This process's global rank under ``launcher`` (0 without one), before the process group starts."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    variable = _RANK_VARIABLES.get(launcher)
    return int(os.environ.get(variable, 0)) if variable else 0


def lock_work_dir(work_dir: str, launcher: str = 'none') -> Optional[str]:
    """Hold an exclusive ``flock`` on ``work_dir`` until this process ends; the lock file's path.

    Rank 0 (or the only process) locks ``.mmkd_train.lock``, rank ``r > 0`` ``.mmkd_train.rank<r>.lock``,
    so the ranks of one distributed run do not block each other. The OS releases the lock when the process
    ends, however it ends. On a file system without ``flock`` a warning is logged and nothing is locked.

    Raises:
        WorkDirBusyError: Another process holds the lock: a training is running in ``work_dir``.
    """
    rank = launch_rank(launcher)
    path = osp.join(osp.abspath(work_dir), LOCK_NAME if rank == 0 else f'.mmkd_train.rank{rank}.lock')
    if path in _held_locks:
        return path
    os.makedirs(osp.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode(errors='replace').strip() or 'unknown process'
        os.close(fd)
        raise WorkDirBusyError(
            f'work dir {work_dir} is in use by another training ({holder}); two runs in one work dir '
            'overwrite each other\'s checkpoints and logs. Wait for it to end (then --resume continues it), '
            'stop it, or give this run another --work-dir.') from None
    except OSError as err:
        os.close(fd)
        print_log(f'work dir {work_dir} could not be locked ({err}); nothing stops a second training from '
                  'using it at the same time.', logger='current', level=logging.WARNING)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f'pid {os.getpid()} on {socket.gethostname()}, rank {rank}, started '
                 f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n'.encode())
    _held_locks[path] = fd
    return path


def _read_last_checkpoint(work_dir: str) -> Optional[str]:
    try:
        with open(osp.join(work_dir, LAST_CHECKPOINT)) as f:
            return f.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _saved_checkpoints(folder: str) -> List[str]:
    """``iter_N.pth`` / ``epoch_N.pth`` in ``folder``, newest first (by time, then N)."""
    found = []
    for path in glob.glob(osp.join(glob.escape(folder), '*.pth')):
        match = _CHECKPOINT_NAME.match(osp.basename(path))
        if match:
            found.append((osp.getmtime(path), int(match.group(1)), path))
    return [path for *_, path in sorted(found, reverse=True)]


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint ``--resume`` continues from, and what was skipped on the way.

    The file named by ``<work_dir>/last_checkpoint`` (as MMEngine's auto-resume) if it can be read;
    otherwise the newest readable ``iter_N.pth`` / ``epoch_N.pth`` in the work dir (and in the folder
    ``last_checkpoint`` points to). Returns ``(path or None, ['<path>: <why it was skipped>', ...])``.
    """
    named = _read_last_checkpoint(work_dir)
    candidates = [named] if named else []
    folders = [work_dir] + ([osp.dirname(named)] if named and '://' not in named and osp.dirname(named) else [])
    for folder in folders:
        candidates += _saved_checkpoints(folder)
    skipped, seen = [], set()
    for path in candidates:
        key = path if '://' in path else osp.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        problem = None if '://' in path else checkpoint_problem(path)
        if problem is None:
            return path, skipped
        skipped.append(f'{path}: {problem}')
    return None, skipped


def resolve_auto_resume(cfg: Config) -> List[str]:
    """Point ``cfg`` at the checkpoint ``--resume`` (without a path) continues from; the warnings to log.

    With no readable checkpoint in the work dir the run starts from scratch (``cfg.resume = False``), as a
    job that is launched with ``--resume`` every time (a preemptible queue) needs on its first start.
    """
    path, skipped = find_resume_checkpoint(cfg.work_dir)
    notes = [f'--resume: skipped {entry}' for entry in skipped]
    if path is None:
        cfg.resume, cfg.load_from = False, None
        notes.append(f'--resume: nothing to resume in {cfg.work_dir} (no readable checkpoint there); '
                     'training starts from scratch.')
    else:
        cfg.resume, cfg.load_from = True, path
        if skipped:
            notes.append(f'--resume: resuming from {path}, the newest readable checkpoint.')
    return notes


def claim_work_dir(cfg: Config, auto_resume: bool = False) -> List[str]:
    """Lock the work dir, clear temporary files of killed saves and, for ``--resume`` without a path (or
    ``resume = True`` without ``load_from``), pick the checkpoint; the warnings to log once the Runner has
    its logger (:func:`check_runner`).

    Raises:
        WorkDirBusyError: Another training runs in the work dir.
    """
    lock_work_dir(cfg.work_dir, cfg.get('launcher', 'none'))
    notes = []
    if launch_rank(cfg.get('launcher', 'none')) == 0:
        notes += [f'removed {path}, left by a save that was cut short'
                  for path in remove_stale_temp_files(cfg.work_dir)]
    if auto_resume or (cfg.get('resume') is True and cfg.get('load_from') is None):
        notes += resolve_auto_resume(cfg)
    return notes


def check_checkpoint_hook_options(runner) -> None:
    """Raise ``TypeError`` now for an option of a ``CheckpointHook`` that ``Runner.save_checkpoint`` would
    refuse at the first save (the hook passes the options it does not know on to it)."""
    from mmengine.hooks import CheckpointHook

    passed = {'out_dir', 'filename', 'file_client_args', 'save_optimizer', 'save_param_scheduler', 'meta',
              'by_epoch', 'backend_args'}
    params = inspect.signature(runner.save_checkpoint).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    accepted = {p.name for p in params} - passed
    known = [name for name in inspect.signature(CheckpointHook.__init__).parameters
             if name not in ('self', 'kwargs')] + sorted(accepted)
    configured = (runner.cfg.get('default_hooks') or {}).get('checkpoint') or {}
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook):
            continue
        for key in getattr(hook, 'args', {}):
            if key in accepted:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            where = 'default_hooks.checkpoint' if key in configured else type(hook).__name__
            raise TypeError(
                f'{where}: unknown option {key!r}' + (f' (did you mean {close[0]!r}?)' if close else '')
                + f'. {type(hook).__name__} passes the options it does not know to Runner.save_checkpoint, '
                'which would refuse it at the first save. Fix the key in the config or in --cfg-options.')


def check_runner(runner, notes: List[str] = ()) -> None:
    """Before training: check the hooks' options and log ``notes`` (from :func:`claim_work_dir`)."""
    check_checkpoint_hook_options(runner)
    for note in notes:
        runner.logger.warning(note)
