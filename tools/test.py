"""Evaluate a checkpoint (a plain model, a distiller or an exported student) with MMEngine's Runner.

The checkpoint is loaded strictly: one that does not fit the config stops the tool with the config or file
that fits; a student-only checkpoint given with a distillation config is evaluated as the distiller's
student. A distiller's teacher checkpoint is not read: only the student is evaluated."""
import argparse
import os.path as osp
import sys

from mmengine.runner import Runner

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.models.algorithms.frozen_teacher import without_teacher_weights  # noqa: E402
from mmkd.utils import setup_runtime  # noqa: E402
from mmkd.utils.strict_loading import CheckpointMismatchError, load_test_checkpoint  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and evaluation results')
    parser.add_argument('--out', help='dump the evaluated metrics to this json file')
    setup_runtime.add_common_args(parser)
    return setup_runtime.parse_args(parser)


def main():
    args = parse_args()
    cfg = setup_runtime.load_tool_config(args)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist; pass the .pth file '
                                'written by tools/train.py (see its work dir).')
    cfg.load_from = None
    cfg.resume = False
    setup_runtime.prepare(cfg)
    with without_teacher_weights():
        runner = Runner.from_cfg(cfg)
    try:
        load_test_checkpoint(runner, args.checkpoint, args.config)
    except CheckpointMismatchError as err:
        raise SystemExit(f'tools/test.py: {err}') from None
    metrics = runner.test()
    if args.out:
        setup_runtime.dump_metrics(metrics, args.out)


if __name__ == '__main__':
    main()
