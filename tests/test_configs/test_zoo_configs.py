"""The method-zoo configs (configs/<method>/): each builds with a random teacher and gives finite
distillation losses on a tiny synthetic batch; toy and real-dataset twins distil the same positions with
the same losses, and the easy toy twins those of their toy twins but where SSD160's levels differ;
multi-stage configs switch their points at the documented iteration; the numbers the config comments derive
from feature sizes and batch sizes match the features, and the easy twins' weights of losses summed over a
feature follow the per-position rule of docs/method_zoo.md; docs/method_zoo.md lists exactly these
configs."""
import copy
import functools
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from conftest import REPO, detection_samples, segmentation_samples
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from test_distill_configs import check_per_position_weights

METHODS = ('kd', 'dist', 'cwd', 'fitnets', 'at', 'fsp', 'ab', 'ft', 'pkd', 'mgd', 'rkd', 'irg', 'cckd', 'pkt', 'fgd',
           'fbkd', 'crosskd')
CONFIGS = sorted(osp.relpath(p, REPO) for m in METHODS for p in glob.glob(osp.join(REPO, 'configs', m, '*.py')))
# real-dataset twin of each task's toy config (SSD on VOC, the mmdet COCO detectors on COCO), and when the
# first of two stages ends there
REAL = {'cls': 'cifar100', 'seg': 'voc12aug', 'det': 'voc0712'}
COCO_DETECTORS = ('_retinanet_', '_fcos_', '_gfl_', '_faster-rcnn_')
# segmentors whose configs pair up on Cityscapes (DeepLabV3+ pairs on VOC12 aug)
CITYSCAPES_SEGMENTORS = ('_pspnet_', '_deeplabv3_')
STAGE1_END = {'toy': ('end_iter', 30), 'cifar100': ('end_epoch', 30), 'voc12aug': ('end_iter', 6000),
              'voc0712': ('end_epoch', 4), 'toy_easy': ('end_iter', 30)}
# documented stage names per method file and task (configs without stages have one implicit stage)
STAGES = {
    'fitnets': dict(cls=('hint', 'kd'), seg=('hint', 'kd'), det=('hint', 'task')),
    'fsp': dict(cls=('fsp', 'task'), seg=('fsp', 'task'), det=('fsp', 'task')),
    'ab': dict(cls=('ab', 'kd'), seg=('ab', 'task'), det=('ab', 'task')),
    'ft': dict(cls=('paraphraser', 'transfer'), seg=('paraphraser', 'transfer'), det=('paraphraser', 'transfer')),
}


def task_of(config):
    name = osp.basename(config)
    if '_cls_' in name:
        return 'cls'
    return 'seg' if any(s in name for s in ('_deeplabv3plus_', ) + CITYSCAPES_SEGMENTORS) else 'det'


def real_twin(config):
    """The real-dataset twin of a toy config."""
    name = osp.basename(config)
    if any(d in name for d in COCO_DETECTORS):
        return config.replace('_toy.py', '_coco.py')
    if any(s in name for s in CITYSCAPES_SEGMENTORS):
        return config.replace('_toy.py', '_cityscapes.py')
    return config.replace('_toy.py', f'_{REAL[task_of(config)]}.py')


def method_of(config):
    return osp.basename(config).split('_')[0]


def twin_of(config):
    """The data set a config is the twin for: the last `_` segment of its name, or `toy_easy`."""
    name = osp.basename(config)[:-3]
    return 'toy_easy' if name.endswith('_toy_easy') else name.rsplit('_', 1)[1]


def slow_unless_cls(configs):
    """Segmentation and detection builds take 10-30 s each on a loaded 2-core machine, and so does the
    classification FT config (its ResNet-50 layer4 paraphraser has ~130M parameters)."""
    return [c if task_of(c) == 'cls' and method_of(c) != 'ft' else pytest.param(c, marks=pytest.mark.slow)
            for c in configs]


TOY = [c for c in CONFIGS if twin_of(c) == 'toy']
EASY = [c for c in CONFIGS if twin_of(c) == 'toy_easy']
NOT_TOY = [c for c in CONFIGS if twin_of(c) not in ('toy', 'toy_easy')]
# the pairs whose method-zoo configs have easy toy twins (configs/_base_/distillers/*_toy_easy.py; the SSDLite
# MobileNetV2 student has an easy twin of OFD only)
EASY_PAIRS = ('_deeplabv3plus_r101_r18_', '_ssd_r50_r18_', '_retinanet_r50_r18_')


@functools.lru_cache(maxsize=None)
def parse(config):
    return Config.fromfile(osp.join(REPO, config))


def load(config):
    cfg = copy.deepcopy(parse(config))
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    cfg.model.teacher.checkpoint = None
    return cfg


def synthetic_batch(task, size):
    """A tiny batch: 4 classification images (RKD's angle term needs 3 samples), 2 segmentation crops
    (BN of DeepLabV3+'s image pooling needs 2) or 2 detection images."""
    g = torch.Generator().manual_seed(0)
    if task == 'cls':
        return torch.randn(4, 3, *size, generator=g), [ClsDataSample().set_gt_label(i) for i in range(4)]
    if task == 'det':
        return torch.randn(2, 3, *size, generator=g), detection_samples(2, size)
    samples = segmentation_samples(2, size, g)
    return torch.randn(2, 3, *size, generator=g), samples


@pytest.fixture
def set_iter():
    """Set the runner's iteration/epoch the distiller reads its stage from; restored to 0 after."""
    hub = MessageHub.get_current_instance()

    def set_(it=0, epoch=0):
        hub.update_info('iter', it)
        hub.update_info('epoch', epoch)

    yield set_
    set_(0, 0)


def stage_losses(model, cfg, it, set_iter):
    set_iter(it)
    inputs, samples = synthetic_batch(task_of(cfg.filename), tuple(cfg.model.input_size))
    losses = model.loss(inputs, samples)
    return losses, model.current_stage()[0]


def check_losses(losses, stage):
    names = sorted(k for k in losses if k.startswith('loss_distill_'))
    assert names == sorted(f'loss_distill_{p}' for p in stage.points), (names, stage.points)
    for name in names:
        assert torch.isfinite(losses[name]) and losses[name].requires_grad, name
    # the student's own losses: tensors, or lists of per-image tensors (mmdet's SSD head)
    task = [(k, t) for k, v in losses.items() if 'loss' in k and not k.startswith('loss_distill_')
            for t in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(t, torch.Tensor)]
    assert task, 'the student logs its own losses in every stage'
    if stage.task_loss_weight == 0:
        attached = sorted({k for k, t in task if t.requires_grad})
        assert not attached, f'task loss weight 0, but {attached} still reach the student'


# ------------------------------------------------------------------------------------ cheap checks
def test_every_method_has_configs_and_every_toy_config_a_real_twin():
    assert {method_of(c).split('-')[0] for c in CONFIGS} == set(METHODS)
    toys = {real_twin(c) for c in TOY}
    assert toys == set(NOT_TOY)
    easy = {c.replace('_toy.py', '_toy_easy.py') for c in TOY if any(pair in c for pair in EASY_PAIRS)}
    assert easy == set(EASY)


# SSD160 (the easy detection twins) has five neck and head levels (20, 10, 5, 3, 1 px) where SSD300 has six
# (38, 19, 10, 5, 3, 1 px): the easy twins of the per-level methods keep the levels both have but the 1x1 one
# where its loss is constant (CWD, PKD: levels 0-3), and every level for MGD and KD on the head's scores (0-4);
# RetinaNet keeps its five FPN levels (the coarsest is 2x2 at 160 px)
EASY_DET_LEVELS = dict(cwd=4, pkd=4, mgd=5, kd=5)
# the methods whose SSD point is one point over a list of levels (the others: one point per level)
LIST_POINT = ('pkd', 'kd')


def layout(cfg):
    return {name: (point.student, point.teacher, point.get('connector'), point.loss.type)
            for name, point in cfg.model.distill_points.items()}


@pytest.mark.parametrize('config', EASY)
def test_easy_twin_distils_the_toy_twins_positions_but_the_levels_ssd160_lacks(config):
    toy = layout(parse(config.replace('_toy_easy.py', '_toy.py')))
    easy_cfg = parse(config)
    levels = EASY_DET_LEVELS.get(method_of(config)) if '_ssd_' in config else None
    if levels is None:
        expected = toy
    elif method_of(config) in LIST_POINT:
        (name, (student, teacher, connector, loss)), = toy.items()
        expected = {name: (student[:levels], teacher[:levels], connector and connector[:levels], loss)}
    else:  # one point per level
        expected = dict(list(toy.items())[:levels])
    assert layout(easy_cfg) == expected
    assert '_toy_easy.py' in easy_cfg.model.teacher.config and easy_cfg.model.teacher.checkpoint.startswith(
        'data/toy_easy/teachers/')
    toy_cfg = parse(config.replace('_toy_easy.py', '_toy.py'))
    stages = [[(s.name, s.get('task_loss_weight', 1.0), s.get('end_iter')) for s in (c.model.get('stages') or [])]
              for c in (toy_cfg, easy_cfg)]
    assert stages[0] == stages[1]  # the easy student's schedule has the toy's 200 iterations
    assert easy_cfg.train_cfg.max_iters == toy_cfg.train_cfg.max_iters == 200


@pytest.mark.parametrize('config', TOY)
def test_real_twin_distils_the_same_positions_with_the_same_losses(config):
    toy_cfg, real_cfg = parse(config), parse(real_twin(config))
    assert layout(toy_cfg) == layout(real_cfg)
    assert toy_cfg.model.teacher.config != real_cfg.model.teacher.config
    stages = [[(s.name, s.get('task_loss_weight', 1.0)) for s in (c.model.get('stages') or [])]
              for c in (toy_cfg, real_cfg)]
    assert stages[0] == stages[1]


@pytest.mark.parametrize('config', CONFIGS)
def test_header_cites_the_paper_and_stages_are_as_documented(config):
    text = open(osp.join(REPO, config)).read()
    header = text.split('_base_')[0]
    assert header.startswith('# ') and re.search(r'(19|20)\d\d\)', header), 'comment header with the paper'
    cfg = parse(config)
    stages = cfg.model.get('stages')
    method, task = method_of(config), task_of(config)
    if method not in STAGES:
        assert not stages
        return
    assert tuple(s.name for s in stages) == STAGES[method][task]
    key, end = STAGE1_END[twin_of(config)]
    assert stages[0].get(key) == end and stages[0].task_loss_weight == 0
    assert f'{key}={end}' in header
    assert 'end_iter' not in stages[1] and 'end_epoch' not in stages[1]
    assert cfg.find_unused_parameters is True


def test_pkt_weight_is_the_benchmark_weight_over_the_batch_size():
    for config in (c for c in CONFIGS if method_of(c) == 'pkt'):
        cfg = parse(config)
        batch = cfg.train_dataloader.batch_size
        assert cfg.model.distill_points.pkt.loss.loss_weight * batch == pytest.approx(3e4)


def test_method_zoo_doc_lists_exactly_the_configs():
    text = open(osp.join(REPO, 'docs', 'method_zoo.md')).read()
    listed = set(re.findall(r'(?<!\w)configs/[\w/.-]+?\.py', text))
    zoo = {c for c in listed if c.split('/')[1] in METHODS}
    assert zoo == set(CONFIGS)
    assert all(osp.exists(osp.join(REPO, c)) for c in listed), sorted(c for c in listed
                                                                      if not osp.exists(osp.join(REPO, c)))


# ------------------------------------------------------------------------- builds and loss steps
@pytest.mark.parametrize('config', slow_unless_cls(TOY + EASY))
def test_toy_config_builds_and_each_stage_gives_its_finite_losses(config, monkeypatch, set_iter):
    monkeypatch.chdir(REPO)  # teacher config paths are relative to the repository root
    cfg = load(config)
    model = MODELS.build(cfg.model)
    model.train()
    losses, stage = stage_losses(model, cfg, 0, set_iter)
    check_losses(losses, stage)
    if config in EASY and method_of(config) in ('ab', 'mgd'):  # losses summed over the feature
        check_per_position_weights(model, parse(config.replace('_toy_easy.py', '_toy.py')).model.distill_points,
                                   task_of(config))
    stages = cfg.model.get('stages')
    if stages:
        assert stage.name == stages[0].name
        losses, stage = stage_losses(model, cfg, stages[0].end_iter, set_iter)
        assert stage.name == stages[1].name
        check_losses(losses, stage)
    if method_of(config) == 'at':  # loss_weight = 1000 / (H W) of each position's attention map
        for name, point in model.distill_points.items():
            h, w = model.teacher_recorders.get(name).shape[-2:]
            assert point.loss.loss_weight == pytest.approx(1000 / (h * w)), name
    if method_of(config) == 'ft':  # transfer weight = 500 / (k H W) of the teacher factor
        ft = model.distill_points['ft'].loss
        h, w = model.teacher_recorders.get('ft').shape[-2:]
        assert model.stages.stages[1].points['ft'] == pytest.approx(500 / (ft.factor_channels * h * w))
        assert ft.stage == 'transfer'


@pytest.mark.parametrize('config', slow_unless_cls(NOT_TOY))
def test_real_config_builds_and_gives_finite_losses(config, monkeypatch, set_iter):
    monkeypatch.chdir(REPO)
    cfg = load(config)
    if task_of(config) == 'seg':
        # the dry forward checks positions, channels and the points on random features; at the toy crop it
        # checks the same things as at the 512x512 crop, in a quarter of the time
        cfg.model.input_size = (128, 128)
    model = MODELS.build(cfg.model)
    model.train()
    losses, stage = stage_losses(model, cfg, 0, set_iter)
    check_losses(losses, stage)


# ------------------------------------------------------------------- what the first stages train
def grads(module):
    return [p.grad is not None and bool(p.grad.abs().sum() > 0) for p in module.parameters() if p.requires_grad]


def test_fitnets_hint_stage_trains_the_student_up_to_the_guided_layer_only(monkeypatch, set_iter):
    monkeypatch.chdir(REPO)
    cfg = load('configs/fitnets/fitnets_cls_r50_r18_toy.py')
    model = MODELS.build(cfg.model).train()
    losses, stage = stage_losses(model, cfg, 0, set_iter)
    assert stage.name == 'hint'
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    backbone = model.student.backbone
    assert all(grads(backbone.layer1)) and all(grads(backbone.layer2))
    assert all(grads(model.distill_points['hint'].connector))
    assert not any(grads(backbone.layer3)) and not any(grads(backbone.layer4))
    assert not any(grads(model.student.head))


@pytest.mark.slow
def test_ft_paraphraser_stage_trains_only_the_paraphraser(monkeypatch, set_iter):
    monkeypatch.chdir(REPO)
    cfg = load('configs/ft/ft_cls_r50_r18_toy.py')
    model = MODELS.build(cfg.model).train()
    losses, stage = stage_losses(model, cfg, 0, set_iter)
    assert stage.name == 'paraphraser' and model.distill_points['ft'].loss.stage == 'paraphraser'
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(grads(model.distill_points['ft'].loss.paraphraser))
    assert not any(grads(model.student)) and not any(grads(model.distill_points['ft'].connector))
