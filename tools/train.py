"""Train a model (a plain mmdet/mmseg/mmkd model or a distiller) from a config with MMEngine's Runner."""
import argparse
import os.path as osp
import sys

from mmengine.runner import Runner

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.utils import setup_runtime, train_guard  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model or distil a student')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir if none is given')
    setup_runtime.add_common_args(parser)
    return setup_runtime.parse_args(parser)


def main():
    args = parse_args()
    cfg = setup_runtime.load_tool_config(args)
    if args.amp:
        setup_runtime.enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    setup_runtime.prepare(cfg)
    setup_runtime.fit_logger_interval(cfg)
    try:
        notes = train_guard.claim_work_dir(cfg, auto_resume=args.resume == 'auto')
    except train_guard.WorkDirBusyError as err:
        raise SystemExit(f'tools/train.py: {err}') from None
    runner = Runner.from_cfg(cfg)
    train_guard.check_runner(runner, notes)
    runner.train()


if __name__ == '__main__':
    main()
