"""Print the markdown table of ``tools/analysis/literature_toy_table.sh``'s runs (top-1 per seed, mean +- std).

    python tools/analysis/literature_toy_table.py work_dirs/literature_table --seeds 0 1 2
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from seed_table import row  # noqa: E402  (the same row format as the other toy tables)

# (row label, json file under WORK_DIR with {s} for the seed, key path inside it)
ROWS = [
    ('student alone', 'alone_seed{s}/test.json', ()),
    ('label smoothing 0.1 (control)', 'ls_seed{s}/test.json', ()),
    ('Hinton KD from the ResNet-50 teacher', 'kd_seed{s}/test.json', ()),
    ('HKD step 1 (iter 200): auxiliary 2x-wide ResNet-18', 'hkd_seed{s}/test_aux.json', ()),
    ('HKD step 2 (iter 400): ResNet-18 from the auxiliary', 'hkd_seed{s}/test.json', ()),
    ('KDCL (min-logit ensemble), peer a', 'kdcl_cls_r18_r18_toy_seed{s}/test_a.json', ()),
    ('KDCL, peer b', 'kdcl_cls_r18_r18_toy_seed{s}/test_b.json', ()),
    ('OKDDip (3 peers), leader', 'okddip_seed{s}/test_leader.json', ()),
    ('DCM, peer a', 'dcm_cls_r18_r18_toy_seed{s}/test_a.json', ()),
    ('DCM, peer b', 'dcm_cls_r18_r18_toy_seed{s}/test_b.json', ()),
    ('DCM, pair KL averaged (loss_weight 1/9), peer a', 'dcm_w0.111_seed{s}/test_a.json', ()),
    ('codistillation (2 ranks), rank 0 peer', 'codist_seed{s}/test_rank0.json', ()),
    ('codistillation, rank 1 peer', 'codist_seed{s}/test_rank1.json', ()),
    ('specialists: generalist (= student alone)', 'spec_seed{s}/summary.json', ('generalist', )),
    ('specialists: generalist + specialists', 'spec_seed{s}/summary.json', ('ensemble', )),
]


def value(path: str, keys: tuple, metric: str):
    if not osp.isfile(path):
        return None
    with open(path) as f:
        res = json.load(f)
    for k in keys:
        res = res[k]
    return float(res[metric])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--metric', default='accuracy/top1')
    args = parser.parse_args()
    seeds = ' | '.join(f'seed {s}' for s in args.seeds)
    print(f'| ResNet-18 (200 iterations) | {seeds} | mean ± std |')
    print('| --- |' + ' ---: |' * (len(args.seeds) + 1))
    for label, pattern, keys in ROWS:
        vals = [value(osp.join(args.work_dir, pattern.format(s=s)), keys, args.metric) for s in args.seeds]
        print(row(label, vals))


if __name__ == '__main__':
    main()
