"""Generate mmkd's toy data sets (PASCAL VOC detection/segmentation and CIFAR-100 format), or check one.

Examples:
    python tools/misc/make_toy_data.py --out data/toy --seed 0
    python tools/misc/make_toy_data.py --out data/toy --check

The same seed gives byte-identical files. See docs/toy_data.md for the layout and the classes.
"""
import argparse
import sys
import time

from mmkd.datasets.toy_generator import format_summary, generate_toy_data, summarize_toy_data


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the toy VOC2007/VOC2012 and CIFAR-format data sets (deterministic).')
    parser.add_argument('--out', default='data/toy', help='output folder (default: data/toy)')
    parser.add_argument('--seed', type=int, default=0, help='non-negative seed (default: 0)')
    parser.add_argument('--check', action='store_true',
                        help='generate nothing: re-read --out, validate it and print its counts')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing VOCdevkit/ and cifar-toy/ folders in --out')
    counts = parser.add_argument_group('split sizes (images)')
    for name, default in (('voc07-trainval', 160), ('voc07-test', 80), ('voc12-trainval', 160),
                          ('seg-train', 160), ('seg-val', 60), ('cifar-train', 3000),
                          ('cifar-test', 1000)):
        counts.add_argument(f'--{name}', type=int, default=default, help=f'default: {default}')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        if args.check:
            summary = summarize_toy_data(args.out)
        else:
            summary = generate_toy_data(
                args.out,
                seed=args.seed,
                voc07_trainval=args.voc07_trainval,
                voc07_test=args.voc07_test,
                voc12_trainval=args.voc12_trainval,
                seg_train=args.seg_train,
                seg_val=args.seg_val,
                cifar_train=args.cifar_train,
                cifar_test=args.cifar_test,
                overwrite=args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        print(f'make_toy_data: error: {err}', file=sys.stderr)
        return 1
    print(format_summary(summary))
    by_task = {}
    for split in summary['splits']:
        by_task[split['task']] = by_task.get(split['task'], 0) + split['images']
    parts = ', '.join(f'{task} {num}' for task, num in by_task.items())
    verb = 'checked' if args.check else f'wrote (seed {args.seed})'
    print(f'{verb} {args.out}: {parts} images in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
