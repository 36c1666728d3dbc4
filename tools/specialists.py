"""Ensemble of specialists (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015,
Sec. 5): cluster the classes a trained generalist confuses, train one specialist per cluster, and evaluate
the generalist against the generalist + specialists ensemble.

    python tools/specialists.py configs/specialists/specialists_cls_r18_toy.py --work-dir work_dirs/spec \
        [--generalist-checkpoint CKPT] [--seed 0] [--cfg-options train_cfg.max_iters=2 ...]

CONFIG is a specialists config (configs/specialists/): data, schedule and runtime of the specialists'
training, plus ``generalist_config`` (a tools/train.py config whose ``model`` is the generalist),
``generalist_checkpoint`` (None: the tool first trains ``generalist_config`` into ``DIR/generalist``,
with ``--cfg-options`` applied), ``specialist_clusters`` (:func:`mmkd.utils.specialists.cluster_classes`
arguments and ``split``: ``'train'`` or ``'val'``, the data the generalist predicts for the clustering),
``specialist_data`` (``cluster_fraction`` and ``seed`` of ``mmkd.SpecialistDataset``),
``specialist_ensemble`` (``mmkd.SpecialistEnsemble`` arguments: ``top_n``, ``steps``, ``lr``) and
``specialist_fc`` (the generalist's final linear layer, default ``'head.fc'``).

Steps: (1) the generalist predicts the ``split`` data; the clusters (covariance of its predictions,
K-means on its columns by default) go to ``DIR/clusters.json`` with each specialist's dustbin prior
correction; (2) specialist ``m`` gets ``DIR/specialist<m>/init.pth`` (the generalist's weights, head
re-sized to its classes + a dustbin) and ``DIR/configs/specialist<m>.py`` (a complete tools/train.py
config: data enriched to ``cluster_fraction`` of its classes, other classes relabelled as the dustbin,
``load_from`` the init weights); it is trained and tested (on its K + 1 classes) by subprocess, the
commands printed; (3) the generalist (``DIR/configs/generalist_test.py``, tools/test.py) and the ensemble
(``DIR/configs/ensemble.py``, MMEngine's ``Runner.test`` in ``DIR/ensemble``) are evaluated on the test
set; a table goes to stdout and ``DIR/summary.json``. Specialists already trained in DIR with the same
config are reused. Run it from the repository root (config paths are relative to it).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config, DictAction

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.utils.tool_runs import (command_line, last_checkpoint, make_test_only, run,  # noqa: E402
                                  run_ensemble_test, shown, table)

TOOLS = osp.dirname(osp.abspath(__file__))

SPEC_KEYS = ('generalist_config', 'generalist_checkpoint', 'specialist_clusters', 'specialist_data',
             'specialist_ensemble', 'specialist_fc')
CLUSTER_DEFAULTS = dict(num_clusters=2, source='covariance', method='kmeans', split='train', min_size=2,
                        seed=0)
INFO = 'specialist.json'


def parse_args():
    parser = argparse.ArgumentParser(description='Hinton et al. (2015): generalist + specialists ensemble')
    parser.add_argument('config', help='specialists config (e.g. configs/specialists/specialists_cls_r18_toy.py)')
    parser.add_argument('--work-dir', required=True, help='folder of the clusters, specialists and ensemble')
    parser.add_argument('--generalist-checkpoint', help='overrides generalist_checkpoint of the config')
    parser.add_argument('--seed', type=int, help='specialist m trains with seed + m (default: the config\'s '
                        'randomness.seed the same way, else a random seed per run)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the specialists config (data, schedule, runtime, specialist_*), xxx=yyy; '
        'also applied to the generalist\'s training when the tool trains it')
    return parser.parse_args()


def load_spec_config(path: str, cfg_options: dict = None) -> Config:
    """The specialists config with ``--cfg-options`` applied, checked."""
    from mmkd.utils.config import load_config
    cfg = load_config(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'generalist_config' not in cfg:
        raise ValueError(f'{path} lacks generalist_config=<config path of the generalist> (see configs/specialists/)')
    unknown = set(cfg.get('specialist_clusters', {})) - set(CLUSTER_DEFAULTS)
    if unknown:
        raise ValueError(f'specialist_clusters has unknown keys {sorted(unknown)}; allowed: {sorted(CLUSTER_DEFAULTS)}')
    if 'model' in cfg:
        print(f'note: the `model` of {path} is not used; the models are derived from {cfg.generalist_config}')
    return cfg


def cluster_settings(cfg: Config) -> dict:
    settings = dict(CLUSTER_DEFAULTS, **cfg.get('specialist_clusters', {}))
    if settings['split'] not in ('train', 'val'):
        raise ValueError(f"specialist_clusters.split must be 'train' or 'val', got {settings['split']!r}")
    return settings


def base_config(cfg: Config, work_dir: str = None) -> Config:
    """The specialists config without the tool's keys, as a start for the generated configs."""
    out = copy.deepcopy(cfg)  # deep: the generated configs replace nested entries
    for key in SPEC_KEYS + ('model', 'work_dir'):
        out.pop(key, None)
    if work_dir is not None:
        out.work_dir = work_dir
    return out


def generalist_model(cfg: Config) -> dict:
    from mmkd.utils.config import load_model_config
    return load_model_config(cfg.generalist_config)


def specialist_model(cfg: Config, cluster_size: int) -> dict:
    """The generalist's model re-sized to ``cluster_size + 1`` outputs (the cluster's classes, the dustbin)."""
    from mmkd.models.classifiers.specialist_ensemble import SpecialistEnsemble
    return SpecialistEnsemble.specialist_config(generalist_model(cfg), cluster_size)


def specialist_config(cfg: Config, classes: list, init: str, seed: int = None) -> Config:
    """The tools/train.py config of one specialist: its classes + dustbin, enriched data, init weights."""
    data = dict(cfg.get('specialist_data', {}))
    out = base_config(cfg)
    out.model = specialist_model(cfg, len(classes))
    out.load_from = init
    out.train_dataloader.dataset = dict(
        type='mmkd.SpecialistDataset', dataset=copy.deepcopy(cfg.train_dataloader.dataset),
        classes=list(classes), cluster_fraction=data.get('cluster_fraction', 0.5), seed=data.get('seed', 0))
    for split in ('val', 'test'):
        if out.get(f'{split}_dataloader') is not None:
            out[f'{split}_dataloader'].dataset = dict(
                type='mmkd.SpecialistDataset', dataset=copy.deepcopy(cfg[f'{split}_dataloader'].dataset),
                classes=list(classes))
            out[f'{split}_evaluator'] = dict(type='mmkd.Accuracy', topk=(1, ))
    if seed is None and out.get('randomness', {}).get('seed') is not None:
        seed = out.randomness.seed
    if seed is not None:
        out.randomness = dict(out.get('randomness', {}), seed=seed)
    return out


def test_only(cfg: Config, model: dict, work_dir: str) -> Config:
    """A test-only config of ``model`` on the specialists config's test set."""
    return make_test_only(base_config(cfg), model, work_dir)


# ----------------------------------------------------------------------------------------- generalist
def train_generalist(cfg: Config, work_dir: str, cfg_options: dict) -> str:
    """Train ``generalist_config`` into ``work_dir/generalist`` (or reuse it); return its checkpoint."""
    from mmkd.utils.config import load_config
    gen_dir = osp.join(work_dir, 'generalist')
    ckpt_file = osp.join(gen_dir, 'last_checkpoint')
    if osp.isfile(ckpt_file):
        checkpoint = last_checkpoint(gen_dir)
        if osp.isfile(checkpoint):
            print(f'generalist: reusing {checkpoint}')
            return checkpoint
    gen_cfg = load_config(cfg.generalist_config)
    options = {k: v for k, v in (cfg_options or {}).items() if k.split('.')[0] not in SPEC_KEYS}
    if options:
        gen_cfg.merge_from_dict(options)
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    path = osp.join(work_dir, 'configs', 'generalist.py')
    gen_cfg.dump(path)
    print(f'\n=== generalist ({cfg.generalist_config})', flush=True)
    run([sys.executable, osp.join(TOOLS, 'train.py'), path, '--work-dir', gen_dir])
    return last_checkpoint(gen_dir)


@torch.no_grad()
def generalist_predictions(cfg: Config, checkpoint: str, split: str):
    """The generalist's softmax outputs (N, C) and the labels (N, ) on the ``split`` data (test pipeline)."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from mmkd.registry import MODELS
    from mmkd.utils.checkpoint import load_weights
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    model = MODELS.build(generalist_model(cfg))
    load_weights(model, checkpoint, 'generalist')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    loader = copy.deepcopy(cfg.val_dataloader)
    if split == 'train':
        loader.dataset = copy.deepcopy(cfg.train_dataloader.dataset)
        loader.dataset.pipeline = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    loader.persistent_workers = False
    loader = Runner.build_dataloader(loader)
    probs, labels = [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        probs.append(torch.softmax(model(data['inputs'], None, mode='tensor').float(), dim=1).cpu())
        labels.append(torch.cat([s.gt_label.reshape(-1)[:1] for s in data['data_samples']]).cpu())
    classes = loader.dataset.metainfo.get('classes')
    return torch.cat(probs).numpy(), torch.cat(labels).numpy(), list(classes) if classes else None


def train_labels(cfg: Config) -> np.ndarray:
    """The labels of the training set (its class frequencies are the priors of the dustbin correction)."""
    from mmengine.registry import init_default_scope

    from mmkd.datasets import dataset_labels
    from mmkd.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    return dataset_labels(DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset)))


def find_clusters(cfg: Config, checkpoint: str, work_dir: str) -> dict:
    """Cluster the classes from the generalist's predictions; write and return ``clusters.json``."""
    from mmkd.utils.specialists import cluster_classes, dustbin_logit_offset
    settings = cluster_settings(cfg)
    print(f'\n=== clustering the classes ({settings["source"]}, {settings["method"]}) from the generalist\'s '
          f'predictions on the {settings["split"]} set', flush=True)
    probs, labels, names = generalist_predictions(cfg, checkpoint, settings['split'])
    clusters = cluster_classes(probs, settings['num_clusters'], labels=labels, source=settings['source'],
                               method=settings['method'], min_size=settings['min_size'], seed=settings['seed'])
    if not clusters:
        raise SystemExit(f'no cluster has min_size={settings["min_size"]} classes: lower min_size or change '
                         'num_clusters in specialist_clusters')
    num_classes = probs.shape[1]
    counts = np.bincount(train_labels(cfg) if settings['split'] != 'train' else labels, minlength=num_classes)
    fraction = cfg.get('specialist_data', {}).get('cluster_fraction', 0.5)
    offsets = [dustbin_logit_offset(counts, c, fraction) for c in clusters]
    info = dict(generalist_checkpoint=checkpoint, settings=settings, num_images=int(len(labels)),
                generalist_accuracy=float((probs.argmax(axis=1) == labels).mean() * 100),
                clusters=clusters, names=[[names[c] for c in cl] for cl in clusters] if names else None,
                dustbin_offsets=offsets, class_counts=counts.tolist(), cluster_fraction=fraction)
    with open(osp.join(work_dir, 'clusters.json'), 'w') as f:
        json.dump(info, f, indent=2)
    for m, cl in enumerate(clusters):
        label = ', '.join(info['names'][m]) if names else ''
        print(f'  specialist {m}: classes {cl}' + (f' ({label})' if label else ''))
    return info


# ---------------------------------------------------------------------------------------- specialists
def train_specialist(cfg: Config, m: int, classes: list, gen_checkpoint: str, work_dir: str,
                     seed: int = None) -> dict:
    """Write the init weights and config of specialist ``m``; train and test it (or reuse a complete run)."""
    from mmkd.utils.checkpoint import extract_state_dict, load_checkpoint_file
    from mmkd.utils.specialists import specialist_state_dict
    spec_dir = osp.join(work_dir, f'specialist{m}')
    os.makedirs(spec_dir, exist_ok=True)
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    init = osp.join(spec_dir, 'init.pth')
    cfg_path = osp.join(work_dir, 'configs', f'specialist{m}.py')
    text = specialist_config(cfg, classes, shown(init), None if seed is None else seed + m).pretty_text
    info_path = osp.join(spec_dir, INFO)
    if osp.isfile(info_path) and osp.isfile(cfg_path):
        with open(cfg_path) as f:
            same = f.read() == text
        with open(info_path) as f:
            info = json.load(f)
        if same and osp.isfile(info['checkpoint']) and info.get('generalist') == gen_checkpoint:
            print(f'specialist {m}: reusing {shown(info["checkpoint"])} (same config, already tested)')
            return info
    state = extract_state_dict(load_checkpoint_file(gen_checkpoint, 'generalist'))
    torch.save(dict(meta=dict(generalist=gen_checkpoint, classes=list(classes)),
                    state_dict=specialist_state_dict(state, classes, cfg.get('specialist_fc', 'head.fc'))), init)
    with open(cfg_path, 'w') as f:
        f.write(text)
    print(f'\n=== specialist {m}: classes {classes} + dustbin, initialised from the generalist', flush=True)
    train_cmd = [sys.executable, osp.join(TOOLS, 'train.py'), cfg_path, '--work-dir', spec_dir]
    run(train_cmd)
    checkpoint = last_checkpoint(spec_dir)
    metrics_path = osp.join(spec_dir, 'test.json')
    test_cmd = [sys.executable, osp.join(TOOLS, 'test.py'), cfg_path, checkpoint, '--work-dir', spec_dir,
                '--out', metrics_path]
    run(test_cmd)
    with open(metrics_path) as f:
        metrics = json.load(f)
    info = dict(specialist=m, classes=list(classes), checkpoint=checkpoint, generalist=gen_checkpoint,
                metrics=metrics, commands=[command_line(train_cmd), command_line(test_cmd)])
    with open(info_path, 'w') as f:
        json.dump(info, f, indent=2)
    return info


# ----------------------------------------------------------------------------------------- evaluation
def test_generalist(cfg: Config, checkpoint: str, work_dir: str) -> dict:
    out_dir = osp.join(work_dir, 'generalist_test')
    path = osp.join(work_dir, 'configs', 'generalist_test.py')
    test_only(cfg, generalist_model(cfg), out_dir).dump(path)
    print('\n=== generalist on the test set', flush=True)
    metrics_path = osp.join(out_dir, 'test.json')
    run([sys.executable, osp.join(TOOLS, 'test.py'), path, checkpoint, '--work-dir', out_dir, '--out',
         metrics_path])
    with open(metrics_path) as f:
        return json.load(f)


def ensemble_model(cfg: Config, gen_checkpoint: str, clusters: dict, infos: list) -> dict:
    return dict(type='mmkd.SpecialistEnsemble', generalist=generalist_model(cfg),
                generalist_checkpoint=gen_checkpoint,
                specialists=[dict(classes=i['classes'], checkpoint=i['checkpoint'],
                                  dustbin_offset=clusters['dustbin_offsets'][i['specialist']]) for i in infos],
                **cfg.get('specialist_ensemble', {}))


def test_ensemble(cfg: Config, gen_checkpoint: str, clusters: dict, infos: list, work_dir: str) -> dict:
    """``mmkd.SpecialistEnsemble`` through ``Runner.test`` in ``work_dir/ensemble``."""
    test_cfg = test_only(cfg, ensemble_model(cfg, gen_checkpoint, clusters, infos),
                         osp.join(work_dir, 'ensemble'))
    test_cfg.data_preprocessor = None
    return run_ensemble_test(test_cfg, work_dir, f'generalist + {len(infos)} specialists (KL combination)')


def main():
    args = parse_args()
    from mmkd import compat
    compat.apply()
    cfg = load_spec_config(args.config, args.cfg_options)
    work_dir = args.work_dir
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    gen_checkpoint = args.generalist_checkpoint or cfg.get('generalist_checkpoint')
    if gen_checkpoint is None:
        gen_checkpoint = train_generalist(cfg, work_dir, args.cfg_options)
    elif not osp.isfile(gen_checkpoint):
        raise SystemExit(f'generalist checkpoint {gen_checkpoint} not found: train {cfg.generalist_config} first '
                         '(tools/train.py), pass --generalist-checkpoint, or set generalist_checkpoint=None to '
                         'let this tool train it')
    clusters = find_clusters(cfg, gen_checkpoint, work_dir)
    infos = [train_specialist(cfg, m, classes, gen_checkpoint, work_dir, args.seed)
             for m, classes in enumerate(clusters['clusters'])]
    generalist = test_generalist(cfg, gen_checkpoint, work_dir)
    ensemble = test_ensemble(cfg, gen_checkpoint, clusters, infos, work_dir)
    summary = dict(config=args.config, generalist_checkpoint=gen_checkpoint, clusters=clusters['clusters'],
                   specialists=infos, generalist=generalist, ensemble=ensemble)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nSpecialists (each rerun by its printed commands; top-1 on its classes + dustbin):')
    for info in infos:
        top1 = info['metrics'].get('accuracy/top1', float('nan'))
        print(f'  specialist{info["specialist"]} {info["classes"]}: top-1 {top1:.2f}\n        '
              + '\n        '.join(info['commands']))
    print('\n' + table([('generalist', generalist), (f'ensemble (+{len(infos)} specialists)', ensemble)],
                       heading='model'))
    print(f'\nsummary: {shown(osp.join(work_dir, "summary.json"))}')


if __name__ == '__main__':
    main()
