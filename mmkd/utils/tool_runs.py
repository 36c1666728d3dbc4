"""What the tools that chain training runs (``tools/born_again.py``, ``tools/specialists.py``) share: the
commands they print and run as subprocesses, the checkpoints those runs leave and the metric table."""
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


def table(rows: list, heading: str = 'generation') -> str:
    """Rows of (label, metrics) as a text table, one column per metric of the first row, the labels under
    ``heading``."""
    keys = list(rows[0][1])
    header = [heading] + keys
    body = [[label] + [f'{metrics.get(k, float("nan")):.2f}' for k in keys] for label, metrics in rows]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + body]
    return '\n'.join([lines[0], '  '.join('-' * w for w in widths)] + lines[1:])
