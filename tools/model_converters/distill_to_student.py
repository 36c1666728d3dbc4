"""Export the student of a distillation checkpoint (or one peer of a mutual-learning checkpoint) as a
plain checkpoint (and, optionally, its config).

    python tools/model_converters/distill_to_student.py work_dirs/x/iter_200.pth student.pth \
        --config configs/overhaul_ssd_r50_r18_toy.py --out-config student_config.py
    python tools/model_converters/distill_to_student.py work_dirs/dml/iter_200.pth b.pth --peer b \
        --config configs/dml/dml_cls_r18_r18_toy.py --out-config b_config.py

Missing output folders are created. The result loads with ``mmdet.apis.init_detector(student_config,
student.pth)`` (or mmseg's ``init_model``, or ``tools/test.py``) with no missing or unexpected keys, in a
fresh Python process too: the config imports ``mmkd.models`` (``custom_imports``).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.engine.hooks.student_checkpoint_hook import student_config  # noqa: E402
from mmkd.models.algorithms.mutual_learning import export_peer, peer_config, peer_names  # noqa: E402
from mmkd.utils.checkpoint import export_student, load_checkpoint_file  # noqa: E402
from mmkd.utils.config import load_config  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description='Export the student of a distillation checkpoint')
    parser.add_argument('checkpoint', help='distillation or mutual-learning checkpoint (.pth)')
    parser.add_argument('out', nargs='?',
                        help='output path (default: <checkpoint>_student.pth, or <checkpoint>_<peer>.pth)')
    parser.add_argument('--config', help='the distillation config, to also write the student config')
    parser.add_argument('--out-config', help='where to write the student config')
    parser.add_argument('--peer', help='export this peer of a mutual-learning (mmkd.MutualLearning) '
                        'checkpoint instead of a distiller\'s student')
    args = parser.parse_args()
    if bool(args.config) != bool(args.out_config):
        parser.error('--config and --out-config go together')
    compat.apply()
    for path in (args.out, args.out_config):
        if path:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if args.peer:
        out = export_peer(args.checkpoint, args.peer, args.out)
        print(f'peer {args.peer} checkpoint: {out}')
        if args.config:
            peer_config(load_config(args.config), args.peer).dump(args.out_config)
            print(f'peer {args.peer} config: {args.out_config}')
        return
    try:
        out = export_student(args.checkpoint, args.out)
    except ValueError:
        names = peer_names(load_checkpoint_file(args.checkpoint, 'distillation'))
        if names:
            parser.error(f'{args.checkpoint} is a mutual-learning checkpoint with peers {", ".join(names)}: '
                         'choose one with --peer NAME')
        raise
    print(f'student checkpoint: {out}')
    if args.config:
        student_config(load_config(args.config)).dump(args.out_config)
        print(f'student config: {args.out_config}')


if __name__ == '__main__':
    main()
