"""Born-Again Networks (Furlanello et al., ICML 2018): train G generations of one architecture, each
distilled from the previous one, then evaluate every generation and the ensemble of all of them.

    python tools/born_again.py configs/ban/ban_cls_r18_toy.py --generations 3 --work-dir work_dirs/ban \
        [--seed 0] [--cfg-options train_cfg.max_iters=2 ...]

CONFIG is a born-again config (configs/ban/): data, schedule and runtime of every generation, plus
``student_config`` (the model), ``ban_point`` (the distillation point of generations 2+),
``ban_task_loss_weight`` and ``ban_distiller`` (further ``mmkd.FeatureDistiller`` arguments). Generation 1
trains the student model alone; generation k+1 trains a ``mmkd.FeatureDistiller`` with a freshly
initialised student of the same architecture and the generation-k checkpoint as teacher. Each generation
``k`` gets ``DIR/configs/gen<k>.py`` (a complete tools/train.py config) and ``DIR/gen<k>/``: the training
run, ``test.json`` (tools/test.py metrics) and ``generation.json`` (checkpoint, metrics, commands); the
commands are printed, so any generation can be rerun by hand. Generations already complete in DIR with
the same config are reused, so a second call with a larger ``--generations`` only trains the new ones.
Finally the ensemble of all generations (``mmkd.EnsembleClassifier``: mean of the softmax probabilities)
is evaluated with MMEngine's ``Runner.test`` in ``DIR/ensemble/`` (config: ``DIR/configs/ensemble.py``)
and a table is printed and written to ``DIR/summary.json``. Run it from the repository root (config paths
are relative to it).
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd.utils.tool_runs import (command_line, last_checkpoint, make_test_only, run,  # noqa: E402
                                  run_ensemble_test, shown, table)

TOOLS = osp.dirname(osp.abspath(__file__))
BAN_KEYS = ('student_config', 'ban_point', 'ban_task_loss_weight', 'ban_distiller')
GEN_INFO = 'generation.json'


def parse_args():
    parser = argparse.ArgumentParser(description='Born-Again Networks: sequential self-distillation')
    parser.add_argument('config', help='born-again config (e.g. configs/ban/ban_cls_r18_toy.py)')
    parser.add_argument('--generations', type=int, required=True, help='number of generations (>= 1)')
    parser.add_argument('--work-dir', required=True, help='folder of the generations and the ensemble')
    parser.add_argument('--seed', type=int,
                        help='generation k trains with seed + k - 1 (default: the config\'s randomness.seed '
                        'the same way, else a random seed per run)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the born-again config (data, schedule, runtime, ban_*), xxx=yyy')
    args = parser.parse_args()
    if args.generations < 1:
        parser.error('--generations must be at least 1')
    return args


def load_ban_config(path: str, cfg_options: dict = None) -> Config:
    """The born-again config with ``--cfg-options`` applied, checked."""
    from mmkd.utils.config import load_config
    cfg = load_config(path)
    if cfg_options:
        bad = [k for k in cfg_options if k == 'model' or k.startswith('model.')]
        if bad:
            raise ValueError(f'--cfg-options {bad}: the generations\' model is the `model` of student_config '
                             f'({cfg.get("student_config")}); change that config (or point student_config '
                             'at a variant) instead')
        cfg.merge_from_dict(cfg_options)
    missing = [k for k in ('student_config', 'ban_point') if k not in cfg]
    if missing:
        raise ValueError(f'{path} lacks {missing}: a born-again config names student_config=<config path> and '
                         "ban_point=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', "
                         '...)) (see configs/ban/)')
    if 'model' in cfg:
        print(f'note: the `model` of {path} is not used; every generation is the model of '
              f'{cfg.student_config}')
    return cfg


def generation_config(ban_cfg: Config, gen: int, teacher_checkpoint: str = None, seed: int = None) -> Config:
    """The tools/train.py config of generation ``gen`` (1-based): the student model alone for generation 1,
    a ``mmkd.FeatureDistiller`` from ``teacher_checkpoint`` (generation ``gen - 1``) after that."""
    from mmkd.utils.config import load_model_config
    cfg = ban_cfg.copy()
    for key in BAN_KEYS + ('model', 'work_dir'):
        cfg.pop(key, None)
    student = load_model_config(ban_cfg.student_config)
    if gen == 1:
        cfg.model = student
    else:
        if teacher_checkpoint is None:
            raise ValueError(f'generation {gen} needs the checkpoint of generation {gen - 1} as its teacher')
        model = dict(
            type='mmkd.FeatureDistiller',
            student=student,
            teacher=dict(config=ban_cfg.student_config, checkpoint=teacher_checkpoint),
            distill_points=dict(ban=ban_cfg.ban_point))
        model.update(ban_cfg.get('ban_distiller', {}))
        task_weight = ban_cfg.get('ban_task_loss_weight', 1.0)
        if task_weight != 1.0:
            model['stages'] = [dict(name='born_again', points=dict(ban=1.0), task_loss_weight=task_weight)]
        cfg.model = model
        cfg.data_preprocessor = None  # the distiller uses the student's own
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(type='mmkd.StudentCheckpointHook')]
    if seed is None and cfg.get('randomness', {}).get('seed') is not None:
        seed = cfg.randomness.seed
    if seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=seed + gen - 1)
    return cfg


def ensemble_config(ban_cfg: Config, checkpoints: list, work_dir: str) -> Config:
    """A test-only config: the ensemble of the generations' checkpoints on the born-again test set."""
    from mmkd.utils.config import load_model_config
    cfg = ban_cfg.copy()
    for key in BAN_KEYS + ('model',):
        cfg.pop(key, None)
    student = load_model_config(ban_cfg.student_config)
    cfg.data_preprocessor = None
    return make_test_only(cfg, dict(type='mmkd.EnsembleClassifier', models=[student] * len(checkpoints),
                                    checkpoints=list(checkpoints)), work_dir)


def train_generation(ban_cfg: Config, gen: int, work_dir: str, teacher: str, seed: int) -> dict:
    """Train and test generation ``gen`` in ``work_dir/gen<gen>`` (or reuse a complete identical run)."""
    gen_dir = osp.join(work_dir, f'gen{gen}')
    os.makedirs(gen_dir, exist_ok=True)
    # outside the run's work dir: the Runner writes its own copy of the config there, under the same name
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    cfg_path = osp.join(work_dir, 'configs', f'gen{gen}.py')
    text = generation_config(ban_cfg, gen, teacher, seed).pretty_text
    info_path = osp.join(gen_dir, GEN_INFO)
    if osp.isfile(info_path) and osp.isfile(cfg_path):
        with open(cfg_path) as f:
            same = f.read() == text
        with open(info_path) as f:
            info = json.load(f)
        if same and osp.isfile(info['checkpoint']):
            print(f'generation {gen}: reusing {shown(info["checkpoint"])} (same config, already tested)')
            return info
        if not same:
            raise SystemExit(f'{gen_dir} holds generation {gen} of another config or teacher; use another '
                             '--work-dir or delete that folder')
    with open(cfg_path, 'w') as f:
        f.write(text)
    print(f'\n=== generation {gen}' + (f' (teacher: {shown(teacher)})' if teacher else ' (student alone)'),
          flush=True)
    train_cmd = [sys.executable, osp.join(TOOLS, 'train.py'), cfg_path, '--work-dir', gen_dir]
    run(train_cmd)
    checkpoint = last_checkpoint(gen_dir)
    metrics_path = osp.join(gen_dir, 'test.json')
    test_cmd = [sys.executable, osp.join(TOOLS, 'test.py'), cfg_path, checkpoint, '--work-dir', gen_dir,
                '--out', metrics_path]
    run(test_cmd)
    with open(metrics_path) as f:
        metrics = json.load(f)
    info = dict(generation=gen, checkpoint=checkpoint, teacher=teacher, metrics=metrics,
                commands=[command_line(train_cmd), command_line(test_cmd)])
    with open(info_path, 'w') as f:
        json.dump(info, f, indent=2)
    return info


def evaluate_ensemble(ban_cfg: Config, checkpoints: list, work_dir: str) -> dict:
    """``mmkd.EnsembleClassifier`` of ``checkpoints`` through ``Runner.test`` in ``work_dir/ensemble``."""
    cfg = ensemble_config(ban_cfg, checkpoints, osp.join(work_dir, 'ensemble'))
    return run_ensemble_test(cfg, work_dir, f'ensemble of generations 1-{len(checkpoints)} (mean of '
                                'softmax probabilities)')


def main():
    args = parse_args()
    from mmkd import compat
    compat.apply()
    ban_cfg = load_ban_config(args.config, args.cfg_options)
    work_dir = args.work_dir
    os.makedirs(work_dir, exist_ok=True)
    infos, teacher = [], None
    for gen in range(1, args.generations + 1):
        info = train_generation(ban_cfg, gen, work_dir, teacher, args.seed)
        infos.append(info)
        teacher = info['checkpoint']
    ensemble = evaluate_ensemble(ban_cfg, [i['checkpoint'] for i in infos], work_dir)
    rows = [(str(i['generation']), i['metrics']) for i in infos]
    rows.append((f'ensemble (1-{len(infos)})', ensemble))
    summary = dict(config=args.config, generations=infos, ensemble=ensemble)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nBorn-again generations (each rerun by its printed commands):')
    for info in infos:
        print(f'  gen{info["generation"]}: ' + '\n        '.join(info['commands']))
    print('\n' + table(rows))
    print(f'\nsummary: {shown(osp.join(work_dir, "summary.json"))}')


if __name__ == '__main__':
    main()
