"""Pictures of what each distillation point transfers.

For the first validation images of a distillation config, one PNG per point and image
(``<out>/<point>_<index>.png``) with five panels: the image, the teacher's feature, the transformed
teacher, the connected student and their difference, each normalised to its own range::

    python tools/analysis/show_features.py configs/overhaul_cls_r50_r18_toy.py \
        work_dirs/overhaul_cls_r50_r18_toy/iter_200.pth --out work_dirs/features --num-images 4
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first

from mmengine.config import DictAction  # noqa: E402

import mmkd.models  # noqa: E402,F401  (registers mmkd's modules)
from mmkd.utils.config import load_config  # noqa: E402
from mmkd.visualization.feature_maps import MODES, show_features  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw teacher / student features of each distillation point.')
    parser.add_argument('config', help='distillation config (an mmkd.FeatureDistiller model)')
    parser.add_argument('checkpoint', help='distillation checkpoint of that config (iter_N.pth / epoch_N.pth)')
    parser.add_argument('--out', required=True, help='folder for the PNGs')
    parser.add_argument('--num-images', type=int, default=4, help='first N validation images (default 4)')
    parser.add_argument('--mode', choices=MODES, default='mean',
                        help="'mean': |mean over channels|; 'attention': mean of squares over channels")
    parser.add_argument('--panel-size', type=int, default=192, help='panel width in pixels (default 192)')
    parser.add_argument('--teacher-bn', choices=('eval', 'train', 'config'), default='eval',
                        help="teacher BN statistics: 'eval' running ones (default; images go one at a time), "
                        "'train' the single image's, 'config' the config's teacher_bn")
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu' (default) or 'cuda'")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.num_images < 1 or args.panel_size < 32:
        raise SystemExit('--num-images must be at least 1 and --panel-size at least 32')
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    written = show_features(cfg, args.checkpoint, args.out, num_images=args.num_images, mode=args.mode,
                            panel_size=args.panel_size, device=args.device,
                            teacher_bn=None if args.teacher_bn == 'config' else args.teacher_bn)
    print(f'{len(written)} pictures written to {args.out}')
    for path in written:
        print(path)


if __name__ == '__main__':
    main()
