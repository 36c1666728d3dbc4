"""How far a distiller's teacher features are from fp32 in each precision, at every distillation point.

On ONE batch of the config's train dataloader, the distiller's teacher runs in fp32 and in each of
``--precisions``; the relative L2 error ||x - x_fp32|| / ||x_fp32|| is printed per distillation point, as
the losses see the teacher (after the point's teacher transform, e.g. OFD's margin ReLU), for each BN
mode asked. ``teacher_precision='auto'`` takes the first fast precision whose largest error is within
``teacher_precision_tolerance`` (1e-2) on the first training batch.

Example:
    python tools/analysis/teacher_precision.py configs/overhaul_ssd_r50_r18_toy.py --teacher-checkpoint none \
        --batch-size 8 --teacher-bn train eval
"""
import argparse
import copy
import json
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.utils import set_random_seed

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.registry import MODELS  # noqa: E402
from mmkd.utils.config import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Relative error of the teacher features per precision.')
    parser.add_argument('config', help='distillation config (a mmkd.FeatureDistiller)')
    parser.add_argument('--teacher-checkpoint', default=None,
                        help='override model.teacher.checkpoint; "none" = random weights from the teacher\'s '
                        'init_weights (default: the config\'s)')
    parser.add_argument('--batch-size', type=int, default=8, help='images in the batch (default: 8)')
    parser.add_argument('--precisions', nargs='+', default=['bf16', 'bf16-deep', 'fp16'],
                        help='precisions to compare with fp32 (default: bf16 bf16-deep fp16)')
    parser.add_argument('--teacher-bn', nargs='+', choices=['train', 'eval'], default=None,
                        help='BN modes to measure (default: the config\'s teacher_bn)')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    parser.add_argument('--seed', type=int, default=0, help='seed for weights and the batch (default: 0)')
    parser.add_argument('--json', metavar='OUT', default=None, help='also write the errors to OUT')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides, xxx=yyy')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('teacher_precision', log_level='WARNING')
    compat.apply()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    if args.teacher_checkpoint is not None:
        cfg.model.teacher.checkpoint = None if args.teacher_checkpoint.lower() == 'none' else args.teacher_checkpoint
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(batch_size=args.batch_size, num_workers=0, persistent_workers=False)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=args.seed)))
    results = {}
    for teacher_bn in args.teacher_bn or [cfg.model.get('teacher_bn', 'train')]:
        set_random_seed(args.seed)
        model = MODELS.build(dict(copy.deepcopy(cfg.model), teacher_bn=teacher_bn))
        if cfg.model.teacher.checkpoint is None:
            model.teacher.init_weights()
            model.load_teacher_state(model.teacher.state_dict())  # margins from the initialised BN
        model.train()
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        errors = model.measure_teacher_precisions(data['inputs'], data['data_samples'], args.precisions)
        results[teacher_bn] = errors
        positions = list(next(iter(errors.values())))
        print(f'\nteacher_bn={teacher_bn!r}: relative L2 error against fp32 (%), {args.batch_size} images')
        print(f'{"precision":12s}' + ''.join(f'{p:>10s}' for p in positions) + f'{"max":>10s}')
        for precision, errs in errors.items():
            print(f'{precision:12s}' + ''.join(f'{100 * errs[p]:10.2f}' for p in positions)
                  + f'{100 * max(errs.values()):10.2f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, teacher_checkpoint=cfg.model.teacher.checkpoint,
                           batch_size=args.batch_size, errors=results), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
