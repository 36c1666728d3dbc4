"""Plot the curves of one or more MMEngine runs into a PNG: one subplot per key, one curve per run.

Each run is a work dir (its newest ``<timestamp>/vis_data/scalars.json`` is read), a timestamp folder, or a
``scalars.json`` file itself. MMEngine's ``LocalVisBackend`` writes one JSON object per logged step:
training lines carry ``iter`` (``loss``, ``loss_cls``, ``loss_distill_<point>``, ``distill_kl``, ...),
validation lines carry the metrics (``accuracy/top1``, ``mIoU``, ``pascal_voc/mAP``) and a ``step`` that is
the epoch (0 for iteration-based runs), so a validation value is placed at the iteration of the training
line logged just before it (within one logging interval of where it was measured). A distiller's teacher,
evaluated before training by ``mmkd.TeacherEvalHook``, is logged as ``teacher/<metric>``: it is drawn as a
dashed horizontal line, in the run's colour, in the subplot of ``<metric>`` (``--no-teacher`` leaves it out).

Examples::

    python tools/analysis/plot_logs.py work_dirs/cls_r18_toy work_dirs/kd_cls_r50_r18_toy \\
        --legend baseline kd --out work_dirs/curves.png
    python tools/analysis/plot_logs.py work_dirs/kd_cls_r50_r18_toy --keys loss_distill_kd accuracy/top1
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

DIAGNOSTIC_KEYS = ('distill_kl', 'student_ce')
POSITION_KEYS = ('iter', 'step')
NOT_METRICS = ('data_time', 'time', 'epoch', 'lr', 'memory')
TEACHER_PREFIX = 'teacher/'

# key -> (xs, ys) of one run
Series = Dict[str, Tuple[List[float], List[float]]]


def find_scalars(path: str) -> str:
    """The ``scalars.json`` of a run given as that file, a timestamp folder or a work dir (newest run)."""
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path} is neither a scalars.json file nor a folder; pass a work dir '
                                '(e.g. work_dirs/cls_r18_toy) or its <timestamp>/vis_data/scalars.json')
    for pattern in ('scalars.json', 'vis_data/scalars.json', '*/vis_data/scalars.json'):
        found = sorted(glob.glob(osp.join(path, pattern)))
        if found:
            return found[-1]  # timestamp folders sort chronologically: the newest run
    raise FileNotFoundError(f'no vis_data/scalars.json under {path}: is it an MMEngine work dir of a run '
                            'that logged at least one step (LocalVisBackend in the config)?')


def load_scalars(path: str) -> Tuple[Series, List[str]]:
    """Read one run's scalars.json.

    Args:
        path (str): A ``scalars.json`` file, a timestamp folder or a work dir.

    Returns:
        tuple: ``series`` (key -> (iterations, values)) and the metric keys (those of validation lines).
    """
    path = find_scalars(path)
    series: Series = {}
    metrics: List[str] = []
    last_iter = None
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{lineno} is not a JSON object ({err}); is it a scalars.json '
                                 'written by LocalVisBackend?') from None
            if 'iter' in record:
                x = last_iter = record['iter']
                is_metric = False
            else:
                x = last_iter if last_iter is not None else record.get('step', 0)
                is_metric = True
            for key, value in record.items():
                if key in POSITION_KEYS or not isinstance(value, (int, float)) or isinstance(value, bool):
                    continue
                if is_metric and key not in NOT_METRICS and key not in metrics:
                    metrics.append(key)
                xs, ys = series.setdefault(key, ([], []))
                xs.append(x)
                ys.append(float(value))
    if not series:
        raise ValueError(f'{path} holds no scalar values to plot')
    return series, metrics


def default_keys(runs: Sequence[Tuple[Series, List[str]]], teacher: bool = True) -> List[str]:
    """Every loss key (``loss`` first, then task losses, then ``loss_distill_*``), the diagnostics and the
    validation metrics of any of the runs, in that order; a teacher's ``teacher/<metric>`` gives
    ``<metric>`` (its reference line goes there) unless ``teacher`` is False."""
    seen: List[str] = []
    for series, _ in runs:
        seen += [k for k in series if k not in seen]
    losses = [k for k in seen if k.startswith('loss')]
    losses.sort(key=lambda k: (k != 'loss', k.startswith('loss_distill'), seen.index(k)))
    diagnostics = [k for k in DIAGNOSTIC_KEYS if k in seen]
    metric_keys: List[str] = []
    for _, metrics in runs:
        for key in metrics:
            if key.startswith(TEACHER_PREFIX):
                if not teacher:
                    continue
                key = key[len(TEACHER_PREFIX):]
            if key not in metric_keys and key not in losses:
                metric_keys.append(key)
    return losses + diagnostics + metric_keys


def teacher_value(series: Series, key: str) -> Optional[float]:
    """The run's last ``teacher/<key>`` value (the teacher evaluated before training), or None."""
    if key.startswith(TEACHER_PREFIX) or TEACHER_PREFIX + key not in series:
        return None
    return series[TEACHER_PREFIX + key][1][-1]


def plot_logs(logs: Sequence[str],
              keys: Optional[Sequence[str]] = None,
              legend: Optional[Sequence[str]] = None,
              title: Optional[str] = None,
              ncols: int = 3,
              teacher: bool = True):
    """Build the figure: one subplot per key, one curve per run that logged it, x = iteration.

    Args:
        logs (Sequence[str]): Runs (work dirs, timestamp folders or scalars.json files).
        keys (Sequence[str], optional): Keys to plot; default :func:`default_keys`.
        legend (Sequence[str], optional): One name per run; default the run paths.
        title (str, optional): Figure title.
        ncols (int): Subplots per row. Defaults to 3.
        teacher (bool): Draw each run's ``teacher/<key>`` as a dashed horizontal line in the subplot of
            ``<key>``. Defaults to True.

    Returns:
        matplotlib.figure.Figure: The figure; ``fig.axes[i]`` holds the curves of ``keys[i]`` (a run that
        did not log a key has no curve there; each run keeps its colour in every subplot) and the teacher
        reference lines, labelled ``<run> teacher``.
    """
    if not logs:
        raise ValueError('give at least one work dir or scalars.json')
    if legend is not None and len(legend) != len(logs):
        raise ValueError(f'--legend has {len(legend)} names for {len(logs)} runs: give one name per run')
    runs = [load_scalars(p) for p in logs]
    names = list(legend) if legend is not None else list(logs)
    available = default_keys(runs, teacher)
    every_key = list(available)
    for series, _ in runs:
        every_key += [k for k in series if k not in every_key]
        every_key += [k[len(TEACHER_PREFIX):] for k in series
                      if k.startswith(TEACHER_PREFIX) and k[len(TEACHER_PREFIX):] not in every_key]
    if keys is None:
        keys = available
        if not keys:
            raise ValueError(f'the runs logged no loss or metric keys; choose with --keys among: '
                             f'{", ".join(every_key)}')
    else:
        unknown = [k for k in keys if k not in every_key]
        if unknown:
            raise ValueError(f'unknown key(s) {", ".join(unknown)}: none of the runs logged them; '
                             f'available keys: {", ".join(every_key)}')
    keys = list(keys)
    ncols = max(1, min(ncols, len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 3.2 * nrows), squeeze=False)
    for i, key in enumerate(keys):
        ax = axes[i // ncols][i % ncols]
        for run, ((series, metrics), name) in enumerate(zip(runs, names)):
            if key in series:
                xs, ys = series[key]
                ax.plot(xs, ys, label=name, color=f'C{run % 10}', marker='o' if key in metrics else None,
                        markersize=3)
            reference = teacher_value(series, key) if teacher else None
            if reference is not None:
                ax.axhline(reference, color=f'C{run % 10}', linestyle='--', linewidth=1,
                           label=f'{name} teacher')
        ax.set_title(key)
        ax.set_xlabel('iter')
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    for j in range(len(keys), nrows * ncols):
        fig.delaxes(axes[j // ncols][j % ncols])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('logs', nargs='+', help='work dirs, timestamp folders or vis_data/scalars.json files')
    parser.add_argument('--keys', nargs='+', help='keys to plot (default: every loss key, the '
                        'distill_kl/student_ce diagnostics and the validation metrics)')
    parser.add_argument('--legend', nargs='+', help='one name per run (default: the paths)')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--ncols', type=int, default=3, help='subplots per row')
    parser.add_argument('--no-teacher', action='store_true',
                        help='leave out the teacher reference lines (teacher/<metric>)')
    parser.add_argument('--out', default='log_curves.png', help='output PNG')
    parser.add_argument('--dpi', type=int, default=100)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        fig = plot_logs(args.logs, keys=args.keys, legend=args.legend, title=args.title, ncols=args.ncols,
                        teacher=not args.no_teacher)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'error: {err}')
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi)
    plt.close(fig)
    print(f'saved {len(fig.axes)} plot(s) of {len(args.logs)} run(s) to {args.out}')


if __name__ == '__main__':
    main()
