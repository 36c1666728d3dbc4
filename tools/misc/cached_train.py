"""Train and test a config once, caching the run outside the clone; print its checkpoint and metrics.

The run is keyed by the resolved config, the iterations, the seed, the weights it starts from and its
data (mmkd.utils.run_cache), so pretrained toy backbones and teachers are trained once per machine and
reused by every table. Examples:

    python tools/misc/cached_train.py configs/pretrain/resnet18_v1c_toy_easy.py \\
        --link data/toy_easy/pretrained/resnet18_v1c.pth
    python tools/misc/cached_train.py configs/deeplabv3plus/deeplabv3plus_r101_toy_easy.py --iters 2000
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.utils.config import load_config  # noqa: E402
from mmkd.utils.run_cache import cached_run, link  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, help='training iterations (default: the config\'s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', help='default: $MMKD_CACHE/runs (~/.cache/mmkd/runs)')
    parser.add_argument('--link', help='also make this path a symlink to the checkpoint')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='key=value options for the run')
    args = parser.parse_args(argv)
    iters = args.iters or load_config(args.config).train_cfg.max_iters
    result = cached_run(args.config, iters, args.seed, args.cfg_options, args.cache_dir)
    if args.link:
        link(result['checkpoint'], args.link)
    print(json.dumps(dict(checkpoint=result['checkpoint'], sha256=result['checkpoint_sha256'],
                          metrics=result['metrics'], linked=args.link), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
