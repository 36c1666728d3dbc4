"""What the tools that chain training runs (``tools/born_again.py``, ``tools/specialists.py``) share: the
commands they print and run as subprocesses, the checkpoints those runs leave, the in-process test of their
ensemble and the metric table."""
import os
import os.path as osp
import shlex
import subprocess


def shown(path: str) -> str:
    """A path as the printed commands use it: relative to the current folder when inside it."""
    rel = osp.relpath(path)
    return path if rel.startswith('..') else rel


def command_line(cmd: list) -> str:
    """``[sys.executable, script, *args]`` as a shell line to rerun by hand: ``python``, paths shown."""
    return shlex.join(['python'] + [shown(c) if osp.isabs(c) and osp.exists(c) else c for c in cmd[1:]])


def run(cmd: list) -> None:
    """Print and run a command; ``SystemExit`` naming it when it fails."""
    print(f'$ {command_line(cmd)}', flush=True)
    proc = subprocess.run(cmd)
    if proc.returncode != 0:
        raise SystemExit(f'command failed with exit code {proc.returncode}: {command_line(cmd)}')


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished training run in ``work_dir`` names in its ``last_checkpoint`` file."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint file: the training run saved no '
                                'checkpoint (check default_hooks.checkpoint in the config)')
    with open(path) as f:
        return shown(f.read().strip())  # the Runner writes an absolute path


TRAINING_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler', 'val_dataloader',
                 'val_cfg', 'val_evaluator', 'auto_scale_lr')


def make_test_only(cfg, model: dict, work_dir: str):
    """``cfg`` (changed in place and returned) as a test-only config of ``model`` in ``work_dir``: no
    training or validation entries, no custom hooks, no launcher, nothing loaded but ``model``'s own."""
    cfg.model = model
    for key in TRAINING_KEYS:
        cfg[key] = None
    cfg.custom_hooks = []
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.load_from = None
    return cfg


def run_ensemble_test(cfg, work_dir: str, banner: str) -> dict:
    """Test ``cfg`` (a test-only config of an ensemble model) through ``Runner.test`` in this process: the
    config is dumped to ``work_dir/configs/ensemble.py``, the metrics written to ``cfg.work_dir/test.json``
    and returned as floats."""
    from mmengine.runner import Runner

    from mmkd.utils import setup_runtime
    os.makedirs(cfg.work_dir, exist_ok=True)
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    cfg.dump(osp.join(work_dir, 'configs', 'ensemble.py'))
    print(f'\n=== {banner}', flush=True)
    setup_runtime.prepare(cfg)
    metrics = Runner.from_cfg(cfg).test()
    setup_runtime.dump_metrics(metrics, osp.join(cfg.work_dir, 'test.json'))
    return {k: float(v) for k, v in metrics.items()}


def table(rows: list, heading: str = 'generation') -> str:
    """Rows of (label, metrics) as a text table, one column per metric of the first row, the labels under
    ``heading``."""
    keys = list(rows[0][1])
    header = [heading] + keys
    body = [[label] + [f'{metrics.get(k, float("nan")):.2f}' for k in keys] for label, metrics in rows]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + body]
    return '\n'.join([lines[0], '  '.join('-' * w for w in widths)] + lines[1:])
