"""mmkd.utils.run_cache and tools/misc/cached_train.py: runs trained once, keyed by what decides them."""
import json
import os
import os.path as osp

import pytest
import torch

from conftest import REPO, run_tool
from mmkd.utils.config import load_config
from mmkd.utils.run_cache import cached_run, run_dir, run_key, schedule_options

CLS = 'configs/cls/cls_r18_toy.py'


def test_schedule_options_rescale_every_iteration_count():
    opts = schedule_options(CLS, 50)
    assert opts[:3] == ['train_cfg.max_iters=50', 'train_cfg.val_interval=50',
                        'default_hooks.checkpoint.interval=50']
    # the cosine phase of the toy schedule: begin 10, end 200 -> end 50, T_max 40
    assert 'param_scheduler.1.end=50' in opts and 'param_scheduler.1.T_max=40' in opts
    with pytest.raises(ValueError, match='begins at iteration 10; a schedule of 10 iterations'):
        schedule_options(CLS, 10)


def test_key_follows_config_iterations_seed_weights_and_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs('data/toy/cifar-toy')
    with open('data/toy/cifar-toy/train', 'wb') as f:
        f.write(b'x' * 10)
    with open('w.pth', 'wb') as f:
        f.write(b'weights-1')
    cfg = load_config(osp.join(REPO, CLS))
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint='w.pth')
    base = run_key(cfg, 100, 0)
    assert run_key(cfg, 100, 0) == base
    assert run_key(cfg, 200, 0) != base and run_key(cfg, 100, 1) != base
    with open('w.pth', 'wb') as f:  # same path, other weights
        f.write(b'weights-2')
    assert run_key(cfg, 100, 0) != base
    changed = run_key(cfg, 100, 0)
    with open('data/toy/cifar-toy/test', 'wb') as f:  # the data changed
        f.write(b'y')
    assert run_key(cfg, 100, 0) != changed
    cfg.merge_from_dict({'optim_wrapper.optimizer.lr': 0.5})
    assert len({run_key(cfg, 100, 0), changed, base}) == 3


def test_lookup_without_training_and_reuse(tmp_path):
    cache = str(tmp_path / 'cache')
    assert cached_run(CLS, 11, 0, cache_dir=cache, train=False) is None
    work_dir, options, key = run_dir(CLS, 11, 0, ['model.head.num_classes=10'], cache)
    assert work_dir.endswith(f'cls_r18_toy_11it_seed0_{key}') and 'randomness.seed=0' in options
    assert options[-1] == 'model.head.num_classes=10'
    os.makedirs(work_dir)
    with open(osp.join(work_dir, 'run.json'), 'w') as f:
        json.dump(dict(metrics={'accuracy/top1': 42.0}, checkpoint='c.pth'), f)
    # a finished run is returned as stored, whether or not training is allowed
    for train in (False, True):
        got = cached_run(CLS, 11, 0, ['model.head.num_classes=10'], cache, train=train)
        assert got['metrics'] == {'accuracy/top1': 42.0} and got['work_dir'] == work_dir
    assert cached_run(CLS, 11, 1, ['model.head.num_classes=10'], cache, train=False) is None


@pytest.mark.slow
def test_cached_train_trains_once_links_and_pretrained_init_loads_it(toy_workspace, tmp_path):
    """The pretraining path of the easy toy set: a classifier run in the cache, linked, then a dense
    config's `Pretrained` init (prefix `backbone.`) starts from exactly its backbone weights."""
    cache = str(tmp_path / 'runs')
    run_tool(toy_workspace, 'tools/misc/make_toy_data.py', '--profile', 'easy', '--out', 'data/toy_easy',
             '--voc07-trainval', '4', '--voc07-test', '2', '--voc12-trainval', '4', '--seg-train', '4',
             '--seg-val', '2', '--cifar-train', '64', '--cifar-test', '20')
    args = ['configs/pretrain/resnet18_v1c_toy_easy.py', '--iters', '21', '--cache-dir', cache, '--link',
            'data/toy_easy/pretrained/resnet18_v1c.pth', '--cfg-options', 'train_dataloader.num_workers=0',
            'val_dataloader.num_workers=0', 'train_dataloader.batch_size=2']
    first = run_tool(toy_workspace, 'tools/misc/cached_train.py', *args)
    assert 'tools/train.py' in first
    result = json.loads(first[first.index('{\n'):])
    link = toy_workspace / 'data/toy_easy/pretrained/resnet18_v1c.pth'
    assert osp.realpath(link) == result['checkpoint'] and 'accuracy/top1' in result['metrics']
    again = run_tool(toy_workspace, 'tools/misc/cached_train.py', *args)
    assert 'tools/train.py' not in again and json.loads(again[again.index('{\n'):]) == result

    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = load_config(str(toy_workspace / 'configs/deeplabv3plus/deeplabv3plus_r18_toy_easy.py'))
    cfg.model.backbone.init_cfg.checkpoint = str(link)
    model = MODELS.build(cfg.model)
    model.init_weights()
    pretrained = torch.load(link, map_location='cpu')['state_dict']
    backbone = model.backbone.state_dict()
    loaded = [k for k in backbone if f'backbone.{k}' in pretrained]
    assert len(loaded) == len(backbone)
    for k in loaded:
        torch.testing.assert_close(backbone[k], pretrained[f'backbone.{k}'])
