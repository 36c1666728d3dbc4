"""Real-data distillation configs start from OpenMMLab's published teacher checkpoint where one exists for the
exact teacher architecture (the URL listed by the installed package for a zoo config of the same name, and the
teacher config builds that zoo model), and otherwise name the command that trains their teacher first."""
import functools
import glob
import os.path as osp
import re

import pytest
import yaml

from conftest import REPO, parse
from mmkd.utils.config import load_model_config
from mmkd.registry import MODELS

# teacher config -> (package, zoo config under the package's configs/) of the published model it is
PUBLISHED = {
    'configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py':
    ('mmseg', 'deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py'),
    'configs/ssd/ssd300_vgg16_voc0712.py': ('mmdet', 'pascal_voc/ssd300_voc0712.py'),
    'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py': ('mmdet', 'retinanet/retinanet_r50_fpn_1x_coco.py'),
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py': ('mmdet', 'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'),
    'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py': ('mmdet', 'fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'),
    'mmdet::gfl/gfl_r101_fpn_ms-2x_coco.py': ('mmdet', 'gfl/gfl_r101_fpn_ms-2x_coco.py'),
    'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py':
    ('mmseg', 'pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py'),
    'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py':
    ('mmseg', 'deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'),
}
# Published models whose page the installed wheel does not ship (mmdet 3.3.0 has no metafile for
# configs/pascal_voc; mmdet lists the model in configs/pascal_voc/README.md). Used only while no installed
# metafile lists the zoo config; the URL must then follow the zoo's naming: <dir>/<name>/<name>_<date>-<hash>.pth.
README_ONLY = {
    ('mmdet', 'pascal_voc/ssd300_voc0712.py'):
    'https://download.openmmlab.com/mmdetection/v2.0/pascal_voc/ssd300_voc0712/'
    'ssd300_voc0712_20220320_194658-17edda1b.pth',
}
# classes of each published teacher (VOC: 20 objects, segmentation adds the background; COCO: 80 objects;
# Cityscapes: 19 classes)
NUM_CLASSES = {'mmseg': 21, 'mmdet': 20, 'mmdet-coco': 80, 'mmseg-cityscapes': 19}


def real_distillation_configs():
    """Non-toy configs that distil from a teacher checkpoint (they inherit a distiller base)."""
    found = []
    for path in sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, REPO)
        if '_base_' in rel.split(osp.sep) or '_toy' in osp.basename(rel):
            continue
        code = ('\n' + open(path).read()).split('\n_base_ =', 1)[-1]  # the comments may name a base too
        if '_base_/distillers/' in code:
            found.append(rel)
    return found


CONFIGS = real_distillation_configs()


def package_root(package):
    module = __import__(package)
    return osp.join(osp.dirname(module.__file__), '.mim')


@functools.lru_cache(maxsize=None)
def metafile_weights(package, zoo_config):
    """The ``Weights`` URLs the installed package's metafiles list for ``zoo_config`` (by its name)."""
    name = osp.splitext(osp.basename(zoo_config))[0]
    urls = []
    for path in glob.glob(osp.join(package_root(package), 'configs', '**', 'metafile.y*ml'), recursive=True):
        with open(path) as f:
            meta = yaml.safe_load(f) or {}
        models = meta.get('Models', []) if isinstance(meta, dict) else meta
        urls += [m['Weights'] for m in models if m.get('Name') == name and m.get('Weights')]
    return tuple(urls)


def final_checkpoint(teacher_config):
    """Where ``python tools/train.py TEACHER_CONFIG`` writes its last checkpoint."""
    cfg = parse(teacher_config)
    stem = osp.splitext(osp.basename(teacher_config))[0]
    loop = cfg.train_cfg
    last = f"epoch_{loop['max_epochs']}.pth" if 'max_epochs' in loop else f"iter_{loop['max_iters']}.pth"
    return f'work_dirs/{stem}/{last}'


def test_every_real_distiller_base_is_covered():
    assert len(CONFIGS) >= 40
    bases = {osp.basename(p) for p in glob.glob(osp.join(REPO, 'configs/_base_/distillers/*.py'))
             if '_toy' not in p}
    used = {b for c in CONFIGS for b in bases if f'distillers/{b}' in open(osp.join(REPO, c)).read()}
    assert used == bases


@pytest.mark.parametrize('config', CONFIGS)
def test_teacher_is_published_or_its_training_command_is_in_the_config(config):
    text = open(osp.join(REPO, config)).read()
    header = text.split('\n_base_ =')[0]
    teacher = parse(config).model.teacher
    assert 'docs/data_preparation.md' in header, 'say where the data goes'
    if teacher.checkpoint.startswith('https://'):
        assert teacher.config in PUBLISHED, f'{teacher.checkpoint} is not a published model of {teacher.config}'
        package, zoo = PUBLISHED[teacher.config]
        listed = metafile_weights(package, zoo) or (README_ONLY[(package, zoo)], )
        assert teacher.checkpoint in listed
        assert 'published' in header and 'downloaded on first use' in header
    else:
        assert teacher.config not in PUBLISHED, 'a published checkpoint exists: use its URL'
        assert '://' not in teacher.checkpoint
        assert teacher.checkpoint == final_checkpoint(teacher.config)
        assert f'python tools/train.py {teacher.config}' in header
        assert teacher.checkpoint in header


@pytest.mark.parametrize('package, zoo', sorted(README_ONLY))
def test_readme_only_url_follows_the_zoo_naming_while_no_metafile_lists_it(package, zoo):
    assert osp.isfile(osp.join(package_root(package), 'configs', zoo))
    name = osp.splitext(osp.basename(zoo))[0]
    folder = osp.dirname(zoo)
    url = README_ONLY[(package, zoo)]
    assert re.fullmatch(rf'https://download\.openmmlab\.com/mmdetection/v2\.0/{folder}/{name}/'
                        rf'{name}_\d{{8}}_\d{{6}}-[0-9a-f]{{8}}\.pth', url)
    assert not metafile_weights(package, zoo) or url in metafile_weights(package, zoo)


def architecture(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize('teacher', sorted(PUBLISHED))
def test_published_teacher_config_builds_the_zoo_model(teacher, monkeypatch):
    """The teacher config is the metafile's config: same model dict, same state-dict keys and shapes (built
    with random weights; nothing is downloaded)."""
    monkeypatch.chdir(REPO)
    package, zoo = PUBLISHED[teacher]
    ours = load_model_config(teacher)
    theirs = load_model_config(f'{package}::{zoo}')
    assert ours == theirs
    head = theirs.get('decode_head') or theirs.get('bbox_head') or theirs.roi_head.bbox_head
    data = '-coco' if '_coco' in zoo else '-cityscapes' if '_cityscapes' in zoo else ''
    assert head.num_classes == NUM_CLASSES[package + data]
    assert architecture(MODELS.build(ours)) == architecture(MODELS.build(theirs))
