"""Export one network of an online multi-branch model (ONE, collaborative learning, rocket launching) as a
plain single-network checkpoint (and, optionally, its config): an ``mmkd.ImageClassifier`` for the
classifiers, an mmseg ``EncoderDecoder`` for ``mmkd.ONEEncoderDecoder``.

    python tools/model_converters/online_to_single.py work_dirs/rocket_cls_r18_toy/iter_200.pth \
        light.pth --config configs/rocket/rocket_cls_r18_toy.py --out-config light_config.py [--branch 0]

``--branch`` picks the ONE branch / collaborative head (default 0); rocket launching exports its light
net (index 0). The result loads strictly into the model of ``--out-config`` and gives that branch's logits.
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.registry import MODELS  # noqa: E402
from mmkd.utils.checkpoint import load_weights  # noqa: E402
from mmkd.utils.config import load_config, standalone_config  # noqa: E402


def export_single(config: str, checkpoint: str, out: str, branch: int = 0,
                  out_config: str = None) -> str:
    """Write branch ``branch`` of the multi-branch model of ``config``/``checkpoint`` to ``out`` (and its
    single-network config to ``out_config``); return ``out``."""
    cfg = load_config(config)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'export_state_dict') or not hasattr(model, 'export_model_config'):
        raise TypeError(f'{config} builds a {type(model).__name__}; this tool exports the branches of '
                        'mmkd.ONEClassifier, mmkd.CollaborativeClassifier, mmkd.RocketClassifier and '
                        'mmkd.ONEEncoderDecoder.')
    meta = load_weights(model, checkpoint, 'multi-branch')
    meta = dict(meta, exported_from=f'{type(model).__name__} branch {branch} of {osp.basename(checkpoint)}')
    torch.save(dict(meta=meta, state_dict=model.export_state_dict(branch)), out)
    if out_config:
        single = cfg.copy()
        single.model = model.export_model_config(cfg.model)
        for key in ('load_from', 'resume'):
            single.pop(key, None)
        standalone_config(single).dump(out_config)
    return out


def main():
    parser = argparse.ArgumentParser(description='Export one branch of a multi-branch model')
    parser.add_argument('checkpoint', help='checkpoint of the multi-branch model (.pth)')
    parser.add_argument('out', nargs='?', help='output path (default: <checkpoint>_branch<N>.pth)')
    parser.add_argument('--config', required=True, help='the config the checkpoint was trained with')
    parser.add_argument('--out-config', help='where to write the single-network config')
    parser.add_argument('--branch', type=int, default=0,
                        help='ONE branch / collaborative head to export (rocket: 0, the light net)')
    args = parser.parse_args()
    compat.apply()
    out = args.out or f'{osp.splitext(args.checkpoint)[0]}_branch{args.branch}.pth'
    for path in (out, args.out_config):
        if path:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    export_single(args.config, args.checkpoint, out, args.branch, args.out_config)
    print(f'single-network checkpoint: {out}')
    if args.out_config:
        print(f'single-network config: {args.out_config}')


if __name__ == '__main__':
    main()
