"""Train a teacher once, then a baseline student and distilled students over several seeds; print a table.

Every run is an ordinary ``tools/train.py`` + ``tools/test.py`` call (printed before it runs, so the table
can be reproduced by hand); finished runs are reused, so an interrupted table resumes. The teacher is
trained once per machine in the run cache outside the clone (``mmkd.utils.run_cache``, keyed by its
resolved config, iterations, seed, starting weights and data) and reused by every table. The iteration
schedule of each config is rescaled to ``--iters`` (``max_iters``, ``val_interval``, the checkpoint
interval and every iteration-based scheduler's ``end`` / ``T_max``). Distillation runs do not evaluate
their teacher before training (``teacher_eval=False``): the table's teacher row is that evaluation.

Example (the classification OFD table of docs/results.md)::

    python tools/analysis/seed_table.py --teacher configs/cls/cls_r50_toy.py --teacher-iters 2000 \\
        --student configs/cls/cls_r18_toy.py --iters 500 --seeds 0 1 2 \\
        --distill configs/overhaul_cls_r50_r18_toy.py --metric accuracy/top1
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
from typing import Optional

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.utils import run_cache  # noqa: E402
from mmkd.utils.config import load_config  # noqa: E402
from mmkd.utils.run_cache import cached_run  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--teacher', required=True, help='teacher training config')
    parser.add_argument('--teacher-iters', type=int, required=True, help='teacher training iterations')
    parser.add_argument('--teacher-seed', type=int, default=0)
    parser.add_argument('--student', required=True, help='baseline student training config')
    parser.add_argument('--distill', nargs='+', default=[], help='distillation configs (the teacher '
                        'checkpoint is set with model.teacher.checkpoint)')
    parser.add_argument('--variant', nargs='+', action='append', default=[], metavar='LABEL CONFIG [OPT]',
                        help='a distillation run with extra cfg-options, e.g. --variant ofd_bf16 '
                        'configs/overhaul_cls_r50_r18_toy.py model.teacher_precision=bf16 (repeatable)')
    parser.add_argument('--iters', type=int, required=True, help='student training iterations')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--metric', required=True, help='metric key in the test json, e.g. accuracy/top1')
    parser.add_argument('--scale', type=float, default=1.0, help='multiply the metric (100 for mIoU 0-1)')
    parser.add_argument('--work-dir', default='work_dirs/seed_table')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='extra options for every run')
    parser.add_argument('--out', help='also write the markdown table here')
    parser.add_argument('--json', help='also write every run as JSON here: label, config, seed, iterations, '
                        'metric value, teacher checkpoint and its SHA-256')
    parser.add_argument('--cache-dir', help='teacher run cache (default: $MMKD_CACHE/runs)')
    parser.add_argument('--skip-teacher', action='store_true', help='train no teacher: run the baseline '
                        'rows (e.g. in a second process while the teacher trains); --distill and --variant '
                        'rows need the teacher already trained')
    parser.add_argument('--report-only', action='store_true', help='train and test nothing: print the table '
                        'of the runs already finished in --work-dir (missing runs are blank cells)')
    return parser.parse_args()


def train_and_test(config: str, work_dir: str, iters: int, seed: int, extra: list,
                   report_only: bool = False) -> Optional[dict]:
    """The test metrics of one run, training and testing it first unless done (or ``report_only``: None)."""
    if report_only and not osp.isfile(osp.join(work_dir, 'test.json')):
        return None
    return run_cache.train_and_test(config, work_dir, iters, seed, extra, cwd=ROOT)


def row(name: str, values: list, gap: Optional[tuple] = None) -> str:
    """A markdown row: one cell per seed (blank where the run is missing), mean ± sample std, and with
    ``gap = (baseline mean, teacher)`` a last cell with the share of the teacher-student gap the mean
    closes, (mean - baseline) / (teacher - baseline) (blank for ``gap=()`` or an unknown baseline/teacher)."""
    cells = ' | '.join('' if v is None else f'{v:.1f}' for v in values)
    done = [v for v in values if v is not None]
    if len(done) > 1:
        spread = f'{statistics.mean(done):.1f} ± {statistics.stdev(done):.1f}'
    else:
        spread = f'{done[0]:.1f}' if done else '-'
    if gap is None:
        return f'| {name} | {cells} | {spread} |'
    closed = ''
    if len(gap) == 2 and done and None not in gap and gap[1] != gap[0]:
        closed = f'{round(100 * (statistics.mean(done) - gap[0]) / (gap[1] - gap[0]))}%'
    return f'| {name} | {cells} | {spread} | {closed} |'


def main():
    args = parse_args()
    work = osp.join(ROOT, args.work_dir) if not osp.isabs(args.work_dir) else args.work_dir
    stem = lambda path: osp.splitext(osp.basename(path))[0]  # noqa: E731

    def metric(res: Optional[dict], where: str) -> Optional[float]:
        if res is None:
            return None
        if args.metric not in res:
            raise KeyError(f'{where}: no metric {args.metric!r} in {sorted(res)}; pass --metric')
        return res[args.metric] * args.scale

    teacher_run = cached_run(args.teacher, args.teacher_iters, args.teacher_seed, args.cfg_options,
                             args.cache_dir, train=not (args.report_only or args.skip_teacher))
    teacher = metric(teacher_run and teacher_run['metrics'], args.teacher)
    teacher_ckpt = teacher_run and teacher_run['checkpoint']
    if args.skip_teacher and (args.distill or args.variant) and teacher_run is None:
        raise FileNotFoundError(f'--skip-teacher with --distill / --variant needs the trained teacher '
                                f'({args.teacher}, {args.teacher_iters} iterations, seed '
                                f'{args.teacher_seed}) in the run cache; drop those rows, or train the '
                                'teacher first (without --skip-teacher)')

    runs = [(stem(args.student), args.student, None)] + [(stem(c), c, []) for c in args.distill]
    for variant in args.variant:
        if len(variant) < 2:
            raise ValueError('--variant needs LABEL CONFIG [cfg-options...]')
        runs.append((variant[0], variant[1], variant[2:]))
    rows, records = [], []
    teacher_sha = teacher_run and teacher_run['checkpoint_sha256']
    if teacher_run is not None:
        records.append(dict(label='teacher', config=args.teacher, seed=args.teacher_seed,
                            iterations=args.teacher_iters, metric=args.metric, value=teacher,
                            checkpoint=teacher_ckpt, checkpoint_sha256=teacher_sha))
    for label, config, options in runs:
        values = []
        for seed in args.seeds:
            run_dir = osp.join(work, f'{label}_{args.iters}it_seed{seed}')
            extra = list(args.cfg_options)
            if options is not None:  # a distillation run
                if teacher_ckpt is None and not args.report_only:
                    raise FileNotFoundError('distillation rows need the teacher; it is not trained')
                extra += [f'model.teacher.checkpoint={teacher_ckpt}'] + options
                if not args.report_only and 'teacher_eval' in load_config(config):  # the teacher row is that
                    extra.append('teacher_eval=False')
            value = metric(train_and_test(config, run_dir, args.iters, seed, extra, args.report_only),
                           config)
            values.append(value)
            if value is not None:
                records.append(dict(label=label, config=config, seed=seed, iterations=args.iters,
                                    metric=args.metric, value=value, options=options or [],
                                    teacher_checkpoint_sha256=teacher_sha if options is not None
                                    else None))
        if options is None:
            done = [v for v in values if v is not None]
            baseline = statistics.mean(done) if done else None
        rows.append(row(label, values, () if options is None else (baseline, teacher)))

    seeds = ' | '.join(f'seed {s}' for s in args.seeds)
    lines = [f'teacher {stem(args.teacher)} ({args.teacher_iters} iterations, seed {args.teacher_seed}): '
             f'{args.metric} ' + ('not trained' if teacher is None else f'{teacher:.1f}'), '',
             f'| student ({args.iters} iterations) | {seeds} | mean ± std | gap closed |',
             '| --- |' + ' ---: |' * (len(args.seeds) + 2)] + rows
    text = '\n'.join(lines)
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(teacher_checkpoint_sha256=teacher_sha, runs=records), f, indent=1)


if __name__ == '__main__':
    main()
