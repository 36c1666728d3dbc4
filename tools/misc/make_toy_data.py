"""Generate mmkd's toy data sets (PASCAL VOC, CIFAR-100, COCO and Cityscapes formats), or check one.

Examples:
    python tools/misc/make_toy_data.py --out data/toy --seed 0
    python tools/misc/make_toy_data.py --formats coco,cityscapes --out data/toy --seed 0
    python tools/misc/make_toy_data.py --profile easy --out data/toy_easy --seed 0
    python tools/misc/make_toy_data.py --out data/toy --check

The same seed gives byte-identical files. See docs/toy_data.md for the layout and the classes.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.datasets.toy_generator import (DEFAULT_FORMATS, FORMAT_FOLDERS, FORMATS,  # noqa: E402
                                         PROFILES, format_summary, generate_toy_data,
                                         summarize_toy_data)

# Split sizes per profile. The easy set is larger: its images are small and its models are meant to
# learn it, so more images (not more epochs over few) keep validation numbers honest. Its detection
# test split has 1000 images: on 200, mAP@0.5 of one SSD checkpoint moved by about 2 points with the
# sample of images, as much as the differences the tables are meant to show.
SPLIT_DEFAULTS = dict(
    hard=dict(voc07_trainval=160, voc07_test=80, voc12_trainval=160, seg_train=160, seg_val=60,
              cifar_train=3000, cifar_test=1000, coco_train=160, coco_val=80, cityscapes_train=160,
              cityscapes_val=60),
    easy=dict(voc07_trainval=1000, voc07_test=1000, voc12_trainval=1000, seg_train=1000, seg_val=200,
              cifar_train=10000, cifar_test=1000, coco_train=1000, coco_val=200,
              cityscapes_train=1000, cityscapes_val=200))


def _formats(text: str) -> tuple:
    names = tuple(name.strip() for name in text.split(',') if name.strip())
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f'expected a comma-separated list of {", ".join(FORMATS)}; got {text!r}')
    return names


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the toy VOC2007/VOC2012, CIFAR, COCO and Cityscapes-format data sets '
        '(deterministic).')
    parser.add_argument('--out', help='output folder (default: data/toy, or data/toy_easy with '
                        '--profile easy)')
    parser.add_argument('--profile', choices=sorted(PROFILES), default='hard',
                        help='hard: the cluttered original (default); easy: few large objects on '
                        'small images, the set short CPU schedules learn (docs/toy_data.md)')
    parser.add_argument('--formats', type=_formats,
                        help=f'comma-separated formats to write or check, of {",".join(FORMATS)} '
                        f'(folders {", ".join(f + "/" for f in FORMAT_FOLDERS.values())}); default: '
                        f'{",".join(DEFAULT_FORMATS)} when writing, every one present with --check')
    parser.add_argument('--seed', type=int, default=0, help='non-negative seed (default: 0)')
    parser.add_argument('--check', action='store_true',
                        help='generate nothing: re-read --out, validate it and print its counts')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the existing folders of the formats to write in --out')
    counts = parser.add_argument_group('split sizes (images; defaults hard / easy)')
    for name in SPLIT_DEFAULTS['hard']:
        hard, easy = SPLIT_DEFAULTS['hard'][name], SPLIT_DEFAULTS['easy'][name]
        counts.add_argument(f'--{name.replace("_", "-")}', type=int, help=f'default: {hard} / {easy}')
    args = parser.parse_args(argv)
    for name, default in SPLIT_DEFAULTS[args.profile].items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.out is None:
        args.out = 'data/toy' if args.profile == 'hard' else f'data/toy_{args.profile}'
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        if args.check:
            summary = summarize_toy_data(args.out, args.formats)
        else:
            sizes = {name: getattr(args, name) for name in SPLIT_DEFAULTS['hard']}
            summary = generate_toy_data(
                args.out,
                seed=args.seed,
                overwrite=args.overwrite,
                profile=args.profile,
                formats=args.formats or DEFAULT_FORMATS,
                **sizes)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        print(f'make_toy_data: error: {err}', file=sys.stderr)
        return 1
    print(format_summary(summary))
    by_task = {}
    for split in summary['splits']:
        by_task[split['task']] = by_task.get(split['task'], 0) + split['images']
    parts = ', '.join(f'{task} {num}' for task, num in by_task.items())
    verb = 'checked' if args.check else f'wrote ({args.profile} profile, seed {args.seed})'
    print(f'{verb} {args.out}: {parts} images in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
