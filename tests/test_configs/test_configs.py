"""The task configs: they load, build, keep the zoo's settings where they claim to, and train on toy data.

Real-dataset configs are loaded and their models built (no data, no weights). The toy configs also run
one ``loss`` forward on a two-image batch made by their own pipeline and data preprocessor from a tiny
toy data set written by ``tools/misc/make_toy_data.py``.
"""
import copy
import functools
import os.path as osp
import subprocess
import sys

import mmseg
import pytest
import torch
from mmengine.runner import set_random_seed
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, init_default_scope

from conftest import REPO
from mmkd.registry import MODELS
from mmkd.utils.config import load_config, strip_scope

TOY_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring', 'cross')

DET_REAL = ['ssd/ssd300_vgg16_voc0712.py', 'ssd/ssd300_r50_voc0712.py', 'ssd/ssd300_r18_voc0712.py']
DET_TOY = ['ssd/ssd300_vgg16_toy.py', 'ssd/ssd300_r50_toy.py', 'ssd/ssd300_r18_toy.py']
SEG_REAL = [
    'deeplabv3plus/deeplabv3plus_r101_voc12aug.py', 'deeplabv3plus/deeplabv3plus_r18_voc12aug.py',
    'deeplabv3plus/deeplabv3plus_mbv2_voc12aug.py'
]
SEG_TOY = [
    'deeplabv3plus/deeplabv3plus_r101_toy.py', 'deeplabv3plus/deeplabv3plus_r18_toy.py',
    'deeplabv3plus/deeplabv3plus_mbv2_toy.py'
]
CLS_REAL = ['cls/cls_r50_cifar100.py', 'cls/cls_r18_cifar100.py', 'cls/cls_mbv2_cifar100.py']
CLS_TOY = ['cls/cls_r50_toy.py', 'cls/cls_r18_toy.py', 'cls/cls_mbv2_toy.py']
TOY = DET_TOY + SEG_TOY + CLS_TOY
ALL = DET_REAL + DET_TOY + SEG_REAL + SEG_TOY + CLS_REAL + CLS_TOY
SCOPE = {'ssd': 'mmdet', 'deeplabv3plus': 'mmseg', 'cls': 'mmkd'}


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', name))


def load(name: str) -> Config:
    """A private copy of a config (parsed once per session)."""
    return copy.deepcopy(_load(name))


def build_model(cfg: Config):
    init_default_scope(cfg.default_scope)
    return MODELS.build(copy.deepcopy(cfg.model))


def walk(obj, path=''):
    """Yield ``(path, key, value)`` for every dict item, recursively."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield path, k, v
            yield from walk(v, f'{path}.{k}')
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk(v, f'{path}.{i}')


# ------------------------------------------------------------------------------------------------
# Every config
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', ALL)
def test_config_is_complete(name):
    cfg = load(name)
    for key in ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator', 'train_cfg', 'val_cfg', 'test_cfg', 'optim_wrapper',
                'param_scheduler', 'default_hooks'):
        assert key in cfg, f'{name} lacks {key}'
    assert cfg.default_hooks.checkpoint.type == 'CheckpointHook'
    assert cfg.default_scope == SCOPE[name.split('/')[0]]
    assert cfg.get('work_dir') is None, 'tools set work_dir; configs must not'
    assert cfg.get('load_from') is None


@pytest.mark.parametrize('name', TOY)
def test_toy_config_needs_no_download_and_is_iteration_based(name):
    cfg = load(name)
    for path, key, value in walk(cfg.to_dict()):
        assert not (key == 'pretrained' and value), f'{name}: pretrained={value!r} at {path}'
        assert not (key == 'type' and value == 'Pretrained'), f'{name}: Pretrained init at {path}'
        assert not (key == 'type' and value == 'SyncBN'), f'{name}: SyncBN at {path} needs a process group'
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_iters == 200
    ckpt = cfg.default_hooks.checkpoint
    assert ckpt.by_epoch is False and 0 < ckpt.interval < cfg.train_cfg.max_iters
    assert cfg.log_processor.by_epoch is False
    # every scheduler ends within the schedule
    assert max(s.get('end', 0) for s in cfg.param_scheduler) == cfg.train_cfg.max_iters
    # `--cfg-options train_cfg.max_iters=2` is all a quick run needs
    cfg.merge_from_dict({'train_cfg.max_iters': 2})
    assert cfg.train_cfg.max_iters == 2 and cfg.train_cfg.type == 'IterBasedTrainLoop'


# ------------------------------------------------------------------------------------------------
# The real-dataset configs share the zoo's data/schedule/runtime
# ------------------------------------------------------------------------------------------------
SHARED_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator', 'test_evaluator',
               'train_cfg', 'val_cfg', 'test_cfg', 'optim_wrapper', 'param_scheduler', 'default_hooks',
               'custom_hooks', 'auto_scale_lr', 'log_processor', 'env_cfg', 'default_scope')


@pytest.mark.parametrize('zoo, name', [(DET_REAL[0], DET_REAL[1]), (DET_REAL[0], DET_REAL[2]),
                                       (SEG_REAL[0], SEG_REAL[1]), (SEG_REAL[0], SEG_REAL[2])])
def test_real_configs_match_the_zoo_outside_the_model(zoo, name):
    ref, cfg = load(zoo).to_dict(), load(name).to_dict()
    for key in SHARED_KEYS:
        assert strip_scope(cfg.get(key)) == strip_scope(ref.get(key)), f'{name}: {key} differs from {zoo}'
    # the parts of the model that are not the backbone stay the zoo's as well
    model, ref_model = strip_scope(cfg['model']), strip_scope(ref['model'])
    assert model['type'] == ref_model['type']
    if name.startswith('ssd'):
        assert model['bbox_head']['num_classes'] == 20
        assert model['bbox_head']['anchor_generator'] == ref_model['bbox_head']['anchor_generator']
        assert model['train_cfg'] == ref_model['train_cfg'] and model['test_cfg'] == ref_model['test_cfg']
    else:
        assert model['decode_head']['num_classes'] == model['auxiliary_head']['num_classes'] == 21
        assert model['data_preprocessor'] == ref_model['data_preprocessor']
        assert model['decode_head']['dilations'] == ref_model['decode_head']['dilations']


@pytest.mark.parametrize('name, zoo', [
    (SEG_REAL[1], 'deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py'),
    (SEG_REAL[2], 'mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb4-160k_ade20k-512x512.py'),
])
def test_segmentation_students_are_mmseg_models(name, zoo):
    """The r18/mbv2 DeepLabV3+ models are mmseg's (taken from other data sets' configs) but for classes."""

    def model_of(cfg):
        model = strip_scope(cfg.model.to_dict())
        model.pop('data_preprocessor')  # only the crop size differs
        for head in ('decode_head', 'auxiliary_head'):
            model[head].pop('num_classes')
        return model

    zoo_cfg = Config.fromfile(osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs', zoo))
    assert model_of(load(name)) == model_of(zoo_cfg)


def test_toy_twins_keep_the_real_models():
    """A toy twin differs from its real config only in classes, init and norm layers, and (segmentation)
    in the output stride and the background class weight, tested below."""
    pairs = list(zip(DET_REAL, DET_TOY)) + list(zip(SEG_REAL, SEG_TOY)) + list(zip(CLS_REAL, CLS_TOY))
    ignored = {'num_classes', 'init_cfg', 'pretrained', 'norm_cfg', 'norm_eval', 'frozen_stages', 'size'}
    seg_ignored = ignored | {'strides', 'dilations', 'class_weight'}

    def core(model, skip):
        return [(p, k, v) for p, k, v in walk(strip_scope(model)) if k not in skip
                and not any(f'.{i}' in p for i in skip) and not isinstance(v, dict)]

    for real, toy in pairs:
        skip = seg_ignored if real in SEG_REAL else ignored
        assert core(load(real).model.to_dict(), skip) == core(load(toy).model.to_dict(), skip), (real, toy)


@pytest.mark.parametrize('real,toy', list(zip(SEG_REAL, SEG_TOY)))
def test_toy_segmenters_run_at_output_stride_16_with_a_background_weight(real, toy):
    """The toy DeepLabV3+ twins: backbone output stride 16 where the real d8 model has 8 (a real forward),
    ASPP rates 6/12/18 instead of 12/24/36, and both losses weigh class 0 (background) 0.1."""
    cfgs, strides = {name: load(name) for name in (real, toy)}, {}
    for name, cfg in cfgs.items():
        cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=True)
        backbone = build_model(cfg).backbone
        backbone.eval()  # mmseg's ResNet.train() returns None, so no chaining
        with torch.no_grad():
            strides[name] = 128 // backbone(torch.rand(1, 3, 128, 128))[-1].shape[-1]
    assert (strides[real], strides[toy]) == (8, 16)
    real_cfg, toy_cfg = cfgs[real].model, cfgs[toy].model
    assert tuple(real_cfg.decode_head.dilations) == (1, 12, 24, 36)
    assert tuple(toy_cfg.decode_head.dilations) == (1, 6, 12, 18)
    for head in (toy_cfg.decode_head, toy_cfg.auxiliary_head):
        assert list(head.loss_decode.class_weight) == [0.1] + [1.0] * 6
    assert 'class_weight' not in real_cfg.decode_head.loss_decode


# ------------------------------------------------------------------------------------------------
# Models: channel layouts checked by real forwards (on the real configs' models; the toy twins build
# the same ones, see above, and run a training forward below)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', DET_REAL)
def test_ssd300_feature_maps(name):
    cfg = load(name)
    model = build_model(cfg).eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 300, 300))
        assert [f.shape[1] for f in feats] == list(cfg.model.neck.in_channels)
        outs = model.neck(feats)
        cls_scores, bbox_preds = model.bbox_head(outs)
    assert [f.shape[-1] for f in outs] == [38, 19, 10, 5, 3, 1]
    assert [f.shape[1] for f in outs] == list(cfg.model.bbox_head.in_channels)
    anchors_per_level = model.bbox_head.prior_generator.num_base_priors
    num_classes = cfg.model.bbox_head.num_classes
    assert [c.shape[1] for c in cls_scores] == [a * (num_classes + 1) for a in anchors_per_level]
    assert [b.shape[1] for b in bbox_preds] == [a * 4 for a in anchors_per_level]


def test_ssd160_vgg16_is_the_ssd300_vgg16_at_the_ssd160_resnet_levels_and_anchors():
    """The easy VGG16 teacher: mmdet's SSD300 VGG16 model but for five levels at 160 px (conv4_3 20 px, fc7
    10 px, extras 5, 3, 1 px, as SSD160 ResNet-50's) and the SSD160 anchors."""
    vgg, r50 = load('ssd/ssd160_vgg16_toy_easy.py'), load('ssd/ssd160_r50_toy_easy.py')
    ref = strip_scope(load('ssd/ssd300_vgg16_toy.py').to_dict()['model'])
    model = strip_scope(vgg.to_dict()['model'])
    assert model['backbone'].pop('init_cfg') == dict(
        type='Pretrained', checkpoint='data/toy_easy/pretrained/vgg16.pth', prefix='backbone.')
    ref['backbone'].pop('init_cfg')
    assert model['backbone'] == ref['backbone'] and model['data_preprocessor'] == ref['data_preprocessor']
    assert vgg.model.bbox_head.anchor_generator == r50.model.bbox_head.anchor_generator
    for key in ('out_channels', 'level_strides', 'level_paddings'):
        assert vgg.model.neck[key] == r50.model.neck[key]
    vgg.model.backbone.init_cfg = None
    model = build_model(vgg).eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 160, 160))
        outs = model.neck(feats)
    assert [tuple(f.shape[1:]) for f in feats] == [(512, 20, 20), (1024, 10, 10)]
    assert [f.shape[-1] for f in outs] == [20, 10, 5, 3, 1]
    assert [f.shape[1] for f in outs] == list(vgg.model.bbox_head.in_channels)


def test_ssd300_resnet_pair_differs_only_in_backbone_width():
    r50, r18 = load(DET_TOY[1]).model, load(DET_TOY[2]).model
    assert r50.neck.out_channels[2:] == r18.neck.out_channels[2:] == (512, 256, 256, 256)
    assert r50.neck.in_channels == (512, 1024) and r18.neck.in_channels == (128, 256)
    assert r50.neck.l2_norm_scale is None and r18.neck.l2_norm_scale is None
    for cfg in (r50, r18):
        assert cfg.bbox_head.in_channels == cfg.neck.out_channels
        assert cfg.backbone.num_stages == 3 and cfg.backbone.out_indices == (1, 2)


@pytest.mark.parametrize('name', SEG_REAL)
def test_deeplabv3plus_head_channels_match_backbone(name):
    cfg = load(name)
    model = build_model(cfg).eval()
    head, aux = cfg.model.decode_head, cfg.model.auxiliary_head
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 64, 64))
    assert feats[head.in_index].shape[1] == head.in_channels
    assert feats[0].shape[1] == head.c1_in_channels
    assert feats[aux.in_index].shape[1] == aux.in_channels
    # output stride 8 at the ASPP input, 4 at the low-level branch
    assert feats[head.in_index].shape[-1] == 8 and feats[0].shape[-1] == 16
    assert model.decode_head.num_classes == model.auxiliary_head.num_classes == 21


@pytest.mark.parametrize('name', CLS_REAL + CLS_TOY)
def test_classifier_on_32px_inputs(name):
    cfg = load(name)
    model = build_model(cfg).eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(2, 3, 32, 32))
        logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert feats[-1].shape[1] == cfg.model.head.in_channels
    assert tuple(feats[-1].shape[-2:]) == (4, 4)
    assert logits.shape == (2, 10 if name.endswith('_toy.py') else 100)


# ------------------------------------------------------------------------------------------------
# Toy configs on (tiny) toy data
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    tool = osp.join(REPO, 'tools', 'misc', 'make_toy_data.py')
    if not osp.isfile(tool):
        pytest.skip('tools/misc/make_toy_data.py is missing: no toy data to run the toy configs on')
    out = str(tmp_path_factory.mktemp('toy'))
    sizes = ['--voc07-trainval', '4', '--voc07-test', '2', '--voc12-trainval', '4', '--seg-train', '2',
             '--seg-val', '2', '--cifar-train', '20', '--cifar-test', '10']
    subprocess.run([sys.executable, tool, '--out', out, *sizes], check=True, capture_output=True, cwd=REPO)
    return out


def with_root(dataset_cfg: dict, root: str, name: str) -> dict:
    """The config's dataset with its data root moved into ``root``."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    sub = {'ssd': 'VOCdevkit/', 'deeplabv3plus': 'VOCdevkit/VOC2012', 'cls': 'cifar-toy'}
    new_root = osp.join(root, sub[name.split('/')[0]])
    for ds in dataset_cfg.get('datasets', [dataset_cfg]):
        ds['data_root'] = new_root
    return dataset_cfg


@pytest.mark.parametrize('name', TOY)
def test_toy_config_datasets_and_one_training_forward(name, toy_root):
    # the pipelines' random crops/expansions draw from numpy and random as well as torch
    set_random_seed(0)
    cfg = load(name)
    init_default_scope(cfg.default_scope)
    train_set = DATASETS.build(with_root(cfg.train_dataloader.dataset, toy_root, name))
    val_set = DATASETS.build(with_root(cfg.val_dataloader.dataset, toy_root, name))
    classes = tuple(train_set.metainfo['classes'])
    assert tuple(val_set.metainfo['classes']) == classes
    if name.startswith('ssd'):
        assert classes == TOY_CLASSES and len(train_set) == 8 and len(val_set) == 2
        assert cfg.model.bbox_head.num_classes == len(classes)
    elif name.startswith('deeplabv3plus'):
        assert classes == ('background', ) + TOY_CLASSES and len(train_set) == 2 and len(val_set) == 2
        assert len(train_set.metainfo['palette']) == 7
        assert cfg.model.decode_head.num_classes == len(classes)
    else:
        assert classes[:6] == TOY_CLASSES and len(train_set) == 20 and len(val_set) == 10
        assert cfg.model.head.num_classes == len(classes) == 10

    batch = pseudo_collate([train_set[0], train_set[1]])
    model = build_model(cfg)
    # as the Runner does before training: some parameters (SSD's L2Norm scale) hold uninitialised
    # memory until init_weights() sets them; toy configs have no pretrained weights to download
    model.init_weights()
    model.train()
    data = model.data_preprocessor(batch, True)
    if name.startswith('ssd'):
        assert tuple(data['inputs'].shape) == (2, 3, 300, 300)
    elif name.startswith('deeplabv3plus'):
        assert tuple(data['inputs'].shape) == (2, 3, 128, 128)
        assert tuple(data['data_samples'][0].gt_sem_seg.data.shape[-2:]) == (128, 128)
    else:
        assert tuple(data['inputs'].shape) == (2, 3, 32, 32)
    losses = model(**data, mode='loss')
    loss_terms = [v for k, v in losses.items() if 'loss' in k]
    total = sum(sum(v) if isinstance(v, list) else v for v in loss_terms)
    assert loss_terms and torch.isfinite(total) and total.item() > 0


# ------------------------------------------------------------------------------------------------
# The easy toy set: dense models start from backbones pretrained on its classification images
# ------------------------------------------------------------------------------------------------
EASY_PAIRS = [('deeplabv3plus/deeplabv3plus_r18_toy_easy.py', 'pretrain/resnet18_v1c_toy_easy.py'),
              ('deeplabv3plus/deeplabv3plus_r101_toy_easy.py', 'pretrain/resnet101_v1c_toy_easy.py'),
              ('ssd/ssd160_r18_toy_easy.py', 'pretrain/resnet18_v1c_toy_easy.py'),
              ('ssd/ssd160_r50_toy_easy.py', 'pretrain/resnet50_v1c_toy_easy.py'),
              ('ssd/ssd160_vgg16_toy_easy.py', 'pretrain/vgg16_toy_easy.py'),
              ('ssd/ssdlite_mbv2_toy_easy.py', 'pretrain/mobilenetv2_toy_easy.py'),
              ('deeplabv3plus/deeplabv3plus_mbv2_toy_easy.py', 'pretrain/mobilenetv2_mmseg_toy_easy.py'),
              ('retinanet/retinanet_r18_fpn_toy_easy.py', 'pretrain/resnet18_v1c_toy_easy.py'),
              ('retinanet/retinanet_r50_fpn_toy_easy.py', 'pretrain/resnet50_v1c_toy_easy.py')]


@pytest.mark.parametrize('dense, pretrain', EASY_PAIRS)
def test_easy_dense_backbone_loads_every_weight_of_its_pretraining(dense, pretrain):
    """Every backbone tensor of the dense model exists, with its shape, in the pretraining classifier's
    `backbone.` weights, and the dense config loads them with that prefix from the file the pretraining
    command links."""
    dense_cfg, pre_cfg = load(dense), load(pretrain)
    init = dense_cfg.model.backbone.init_cfg
    stem = osp.basename(pretrain)[:-len('_toy_easy.py')]
    assert init == dict(type='Pretrained', checkpoint=f'data/toy_easy/pretrained/{stem}.pth',
                        prefix='backbone.')
    assert f'--link data/toy_easy/pretrained/{stem}.pth' in open(osp.join(REPO, 'configs', pretrain)).read()
    dense_cfg.model.backbone.init_cfg = None
    backbone = build_model(dense_cfg).backbone.state_dict()
    classifier = build_model(pre_cfg).state_dict()
    pretrained = {k[len('backbone.'):]: v for k, v in classifier.items() if k.startswith('backbone.')}
    missing = [k for k in backbone if k not in pretrained]
    assert not missing, missing[:5]
    assert all(backbone[k].shape == pretrained[k].shape for k in backbone)
    # both normalise inputs the same way, so the pretrained filters see the same value range
    assert list(pre_cfg.model.data_preprocessor['mean']) == list(dense_cfg.model.data_preprocessor['mean'])
    assert list(pre_cfg.model.data_preprocessor['std']) == list(dense_cfg.model.data_preprocessor['std'])


# ------------------------------------------------------------ the toy twins of mmdet's and mmseg's zoo models
# toy twin -> the zoo config it stands for (an mmdet::/mmseg:: config, or this repository's real config)
ZOO_TWINS = {
    'fcos/fcos_r50-caffe_fpn_gn-head_toy.py': 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    'fcos/fcos_r18_fpn_gn-head_toy.py': 'fcos/fcos_r18_fpn_gn-head_1x_coco.py',
    'gfl/gfl_r101_fpn_toy.py': 'mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py',
    'gfl/gfl_r50_fpn_toy.py': 'mmdet::gfl/gfl_r50_fpn_1x_coco.py',
    'pspnet/pspnet_r101_toy.py': 'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    'pspnet/pspnet_r18_toy.py': 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'deeplabv3/deeplabv3_r101_toy.py': 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    'deeplabv3/deeplabv3_r18_toy.py': 'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',
}
# what a toy twin may change, as its header says: classes, initialisation, norm layers and their freezing, the
# output stride of the segmentors (backbone strides and dilations, ASPP rates), the padded crop and the class
# weights of the toy data
TOY_KEYS = {'num_classes', 'init_cfg', 'pretrained', 'frozen_stages', 'norm_eval', 'norm_cfg', 'strides',
            'dilations', 'size', 'class_weight'}


def without_toy_keys(obj):
    if isinstance(obj, dict):
        return {k: without_toy_keys(v) for k, v in obj.items() if k not in TOY_KEYS and k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return [without_toy_keys(v) for v in obj]
    return obj


@pytest.mark.parametrize('toy, zoo', list(ZOO_TWINS.items()))
def test_zoo_model_toy_twin_is_the_zoo_model(toy, zoo):
    zoo_cfg = load_config(zoo) if '::' in zoo else load(zoo)
    toy_cfg = load(toy)
    assert without_toy_keys(toy_cfg.model.to_dict()) == without_toy_keys(zoo_cfg.model.to_dict())
    head = toy_cfg.model.get('bbox_head') or toy_cfg.model.decode_head
    assert head.num_classes == (6 if 'bbox_head' in toy_cfg.model else 7)
    assert toy_cfg.model.backbone.get('init_cfg') is None and not toy_cfg.model.get('pretrained')
    assert toy_cfg.model.backbone.depth == zoo_cfg.model.backbone.depth


@pytest.mark.parametrize('base, zoo', [
    ('_base_/models/fcos_r50-caffe_fpn_gn-head.py', 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'),
    ('_base_/models/gfl_r50_fpn.py', 'mmdet::gfl/gfl_r50_fpn_1x_coco.py'),
])
def test_detector_model_bases_are_mmdets_models(base, zoo):
    assert strip_scope(load(base).model.to_dict()) == strip_scope(load_config(zoo).model.to_dict())


def test_configs_doc_lists_the_detector_and_segmentor_configs():
    """docs/configs.md names every task config of the mmdet COCO detectors and the mmseg Cityscapes segmentors."""
    import glob
    import re
    text = open(osp.join(REPO, 'docs', 'configs.md')).read()
    listed = set(re.findall(r'`([\w-]+/[\w.-]+\.py)`', text))
    folders = ('retinanet', 'faster_rcnn', 'fcos', 'gfl', 'pspnet', 'deeplabv3')
    configs = {osp.relpath(p, osp.join(REPO, 'configs')) for f in folders
               for p in glob.glob(osp.join(REPO, 'configs', f, '*.py'))}
    assert len(configs) == 16 and configs <= listed, sorted(configs - listed)
