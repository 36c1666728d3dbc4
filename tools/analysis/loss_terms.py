"""Each task loss and distillation term of a distillation config at the start of training, and their ratio.

The distiller is built from the config as a training run builds it (student ``init_weights``, teacher from
its checkpoint, teacher BN in the configured mode); the first ``--batches`` batches of the config's train
dataloader are forwarded in ``loss`` mode without gradients or optimizer steps. Printed per term: its mean and
standard deviation over the batches and its share of the task-loss sum; then the distillation sum over the
task-loss sum (the ratio the loss constants of docs/method_zoo.md are checked against). With ``--grads``, also
the L2 norm of each term's gradient at the student's parameters per top-level module (``--grad-depth 2``: per
backbone stage), and the distillation sum's over the task's: how hard each term pulls on each part of the
student, which the loss values alone do not show.

Example:
    python tools/analysis/loss_terms.py configs/overhaul_deeplabv3plus_r101_r18_toy_easy.py \\
        --teacher-checkpoint data/toy_easy/teachers/deeplabv3plus_r101.pth --batches 20
"""
import argparse
import json
import statistics
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.utils import set_random_seed

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.utils.config import load_config  # noqa: E402
from mmkd.utils.loss_terms import (DISTILL_PREFIX, build_distiller, measure_gradient_norms,  # noqa: E402
                                   measure_loss_terms, summarise, train_batches)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='distillation config (a mmkd.FeatureDistiller)')
    parser.add_argument('--teacher-checkpoint', help='override model.teacher.checkpoint; "none" = the '
                        "teacher's own initialisation (init_weights: its pretrained backbone, if any)")
    parser.add_argument('--batches', type=int, default=20, help='training batches to average (default: 20)')
    parser.add_argument('--iter', type=int, default=0, help='training iteration whose stage and loss-weight '
                        'schedule apply (default: 0)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the weights and the batches (default: 0)')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    parser.add_argument('--grads', action='store_true', help="also the L2 norm of each term's gradient at the "
                        "student's parameters, per top-level module (backward passes, no optimizer step)")
    parser.add_argument('--grad-depth', type=int, default=1, help='name parts that group the parameters for '
                        '--grads (default: 1, e.g. backbone / decode_head; 2 splits the backbone by stage)')
    parser.add_argument('--json', metavar='OUT', help='also write the summary to OUT')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides, xxx=yyy')
    return parser.parse_args(argv)


def print_grad_norms(norms: dict) -> None:
    """A table, one row per parameter group: the gradient norm of the task, of the distillation sum and of
    each point, then the distillation sum's over the task's."""
    terms = list(norms)
    groups = list(norms['task'])
    heads = [t[len(DISTILL_PREFIX):] if t.startswith(DISTILL_PREFIX) else t for t in terms]
    width = max(11, *(len(h) + 2 for h in heads))
    gwidth = max(len(g) for g in groups) + 2
    print(f'\ngradient L2 norm at the student, mean over the batches\n{"parameters":{gwidth}s}'
          + ''.join(f'{h:>{width}s}' for h in heads) + f'{"distill/task":>14s}')
    for group in groups:
        task, distill = norms['task'][group], norms.get('distill', {}).get(group, 0.0)
        print(f'{group:{gwidth}s}' + ''.join(f'{norms[t][group]:{width}.4g}' for t in terms)
              + f'{distill / task if task else float("nan"):14.3g}')


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.batches < 1:
        raise SystemExit(f'--batches must be at least 1, got {args.batches}')
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('loss_terms', log_level='WARNING')
    compat.apply()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    set_random_seed(args.seed)
    model = build_distiller(cfg, args.teacher_checkpoint)
    stage = model.stages.current(args.iter, 0).name if hasattr(model, 'stages') else None
    summary = summarise(measure_loss_terms(model, train_batches(cfg, args.batches, args.seed), args.iter))
    task_sum = summary['task_sum']
    print(f'{args.config}: {summary["batches"]} batches of {cfg.train_dataloader.batch_size}, iteration {args.iter}'
          + (f', stage {stage!r}' if stage is not None else ''))
    print(f'{"term":40s}{"mean":>12s}{"std":>12s}{"/ task sum":>12s}')
    for group in ('task', 'distill'):
        for key, s in summary[group].items():
            print(f'{key:40s}{s["mean"]:12.4g}{s["std"]:12.3g}{s["mean"] / task_sum:12.4g}')
    print(f'{"task sum":40s}{task_sum:12.4g}\n{"distillation sum":40s}{summary["distill_sum"]:12.4g}'
          f'\nratio distillation / task: {summary["ratio"]:.4g}')
    if args.grads:
        grads = measure_gradient_norms(model, train_batches(cfg, args.batches, args.seed), args.iter,
                                       args.grad_depth)
        summary['grad_norms'] = {term: {group: statistics.fmean(v) for group, v in groups.items()}
                                 for term, groups in grads.items()}
        print_grad_norms(summary['grad_norms'])
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, teacher_checkpoint=cfg.model.teacher.checkpoint
                           if args.teacher_checkpoint is None else args.teacher_checkpoint,
                           iteration=args.iter, **summary), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
