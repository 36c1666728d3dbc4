"""Export the student of a distillation checkpoint as a plain checkpoint (and, optionally, its config).

    python tools/model_converters/distill_to_student.py work_dirs/x/iter_200.pth student.pth \
        --config configs/overhaul_ssd_r50_r18_toy.py --out-config student_config.py

The result loads with ``mmdet.apis.init_detector(student_config, student.pth)`` (or mmseg's
``init_model``) with no missing or unexpected keys.
"""
import argparse

from mmkd import compat
from mmkd.engine.hooks.student_checkpoint_hook import student_config
from mmkd.utils.checkpoint import export_student
from mmkd.utils.config import load_config


def main():
    parser = argparse.ArgumentParser(description='Export the student of a distillation checkpoint')
    parser.add_argument('checkpoint', help='distillation checkpoint (.pth)')
    parser.add_argument('out', nargs='?', help='output path (default: <checkpoint>_student.pth)')
    parser.add_argument('--config', help='the distillation config, to also write the student config')
    parser.add_argument('--out-config', help='where to write the student config')
    args = parser.parse_args()
    if bool(args.config) != bool(args.out_config):
        parser.error('--config and --out-config go together')
    compat.apply()
    out = export_student(args.checkpoint, args.out)
    print(f'student checkpoint: {out}')
    if args.config:
        student_config(load_config(args.config)).dump(args.out_config)
        print(f'student config: {args.out_config}')


if __name__ == '__main__':
    main()
