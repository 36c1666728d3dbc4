"""Every distillation config builds (random teacher) and gives finite losses on a synthetic batch."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, detection_samples, segmentation_samples
from mmkd.registry import MODELS

CONFIGS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', 'overhaul', '*.py')))


# The map sides the published constants of the losses summed over a feature (OFD's partial L2, AB, MGD) hold
# for: 512x512 crops at output stride 8 (DeepLabV3+), 300x300 inputs (SSD300), RetinaNet's FPN levels at its
# 800x1333 input scale ((H, W) pairs); by point name. The easy toy
# twins scale each weight by (recipe H W) / (H W) (docs/method_zoo.md, "Loss weights at other feature sizes").
RECIPE_SIDES = dict(
    seg=dict(stage1=128, stage2=64, stage3=64, stage4=64, aspp=64, decoder=128, mgd=64),
    det=dict(stage1=75, stage2=38, stage3=19, conv4_3=38, fc7=19, **{f'neck{i}': s for i, s in enumerate((38, 19, 10, 5, 3, 1))},
             **{f'fpn{i}': hw for i, hw in enumerate(((100, 167), (50, 84), (25, 42), (13, 21), (7, 11)))}))


# the easy configs without a toy twin of their own and the toy config whose recipe weights they scale
RECIPE_TWIN = {'configs/overhaul/overhaul_ssd_r18_r18_toy_easy.py': 'configs/overhaul/overhaul_ssd_r50_r18_toy.py'}


def check_per_position_weights(model, recipe_points, task):
    """Each point's weight is the recipe's (``recipe_points``: the toy twin's points) x (recipe H W) / (H W), with
    H W the teacher map the point recorded last."""
    assert set(model.distill_points) <= set(recipe_points)
    for name, point in model.distill_points.items():
        h, w = model.teacher_recorders.get(name).shape[-2:]
        side = RECIPE_SIDES[task][name]
        rh, rw = side if isinstance(side, tuple) else (side, side)
        recipe = recipe_points[name].loss
        recipe_weight = recipe.get('loss_weight', recipe.get('alpha_mgd'))
        assert point.loss.loss_weight == pytest.approx(recipe_weight * rh * rw / (h * w)), name
        assert (rh, rw) != (h, w), f'{name}: the easy twin distils a map of the recipe\'s size'


@pytest.mark.parametrize('config', CONFIGS)
def test_distill_config_builds_and_trains_one_step(config, monkeypatch):
    monkeypatch.chdir(REPO)  # teacher config paths are relative to the repository root
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model)
    assert not any(k.startswith('teacher') for k in model.state_dict())
    model.train()
    size = tuple(cfg.model.input_size)
    if cfg.default_scope != 'mmdet':
        return  # built and checked; segmentation/classification steps run in tests/test_e2e/test_e2e_*_distill.py
    losses = model.loss(torch.randn(2, 3, *size), detection_samples(2, size))
    names = [k for k in losses if k.startswith('loss_distill_')]
    assert names == [f'loss_distill_{p}' for p in cfg.model.distill_points]
    assert all(torch.isfinite(losses[k]) for k in names)


@pytest.mark.slow
@pytest.mark.parametrize('config', [c for c in CONFIGS if c.endswith('_toy_easy.py')])
def test_easy_config_gives_finite_losses_with_the_recipes_weights_per_position(config, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model).train()
    size = tuple(cfg.model.input_size)
    task = 'seg' if cfg.default_scope == 'mmseg' else 'det'
    assert size == ((128, 128) if task == 'seg' else (160, 160))
    samples = segmentation_samples(2, size) if task == 'seg' else detection_samples(2, size)
    losses = model.loss(torch.randn(2, 3, *size), samples)
    names = [k for k in losses if k.startswith('loss_distill_')]
    assert names == [f'loss_distill_{p}' for p in cfg.model.distill_points]
    assert all(torch.isfinite(losses[k]) and losses[k].requires_grad for k in names)
    toy = Config.fromfile(RECIPE_TWIN.get(config, config.replace('_toy_easy.py', '_toy.py'))).model.distill_points
    check_per_position_weights(model, toy, task)


@pytest.mark.parametrize('config, scope, stages', [('overhaul_deeplabv3plus_r18_r18_toy.py', 'mmseg', 4),
                                                   ('overhaul_ssd_r18_r18_toy_easy.py', 'mmdet', 3)])
def test_resnet18_teacher_variant_records_each_basic_block_before_its_last_relu(config, scope, stages, monkeypatch):
    """The ResNet-18 teacher twins: the teacher stages are BasicBlocks; each recorded feature is
    `bn2(conv2(.)) + identity` (negative values kept), its ReLU is the block output, and the margin comes
    from that block's bn2."""
    from mmkd.models.transforms.margin_relu import ofd_margin
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(f'configs/overhaul/{config}')
    init_default_scope(scope)
    cfg.model.teacher.checkpoint = None
    cfg.model.truncate_teacher = False  # the last stage's block runs to its end, for its output
    model = MODELS.build(cfg.model)
    model.train()
    blocks = {f'stage{i}': model.teacher.backbone.get_submodule(f'layer{i}')[1] for i in range(1, stages + 1)}
    assert set(blocks) <= set(model.distill_points)
    outputs = {}
    handles = [block.register_forward_hook(lambda m, a, out, name=name: outputs.__setitem__(name, out))
               for name, block in blocks.items()]
    model.teacher_features(torch.randn(2, 3, *cfg.model.input_size), None)
    for handle in handles:
        handle.remove()
    for i, (name, block) in enumerate(blocks.items()):
        recorded = model.teacher_recorders.get(name)
        assert recorded.shape[1] == 64 * 2**i
        assert recorded.min() < 0
        torch.testing.assert_close(recorded.relu(), outputs[name])
        point = model.distill_points[name]
        conv = point.connector.conv
        assert (conv.in_channels, conv.out_channels) == (64 * 2**i, 64 * 2**i)
        torch.testing.assert_close(point.teacher_transform.margin, ofd_margin(block.bn2))
