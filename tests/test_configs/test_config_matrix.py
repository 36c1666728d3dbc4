"""The config matrix keeps one definition of each shared block; the snapshot tool that checks a refactor of it.

tools/misc/config_snapshot.py resolves every config and compares two snapshots (values, tuple or list, key
order). The distiller bases wrap their student in the one block of configs/_base_/feature_distiller.py, the
OFD points fill in the one position of configs/_base_/distill/ofd.py, the FSP pairs and the one-stage FitNets
hint of all tasks are those of configs/_base_/distill/{fsp,fitnets-1stage}_resnet.py, and none of these
helpers is left in a resolved config. The OFD configs live in configs/overhaul/; the configs root keeps an
entry point of the same name for each.
"""
import functools
import glob
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
import config_snapshot  # noqa: E402

from mmkd.utils.config import load_config, strip_scope  # noqa: E402

DISTILLER_BASES = sorted(glob.glob(osp.join(REPO, 'configs', '_base_', 'distillers', '*.py')))
OFD_BASES = sorted(glob.glob(osp.join(REPO, 'configs', '_base_', 'distill', 'ofd_*.py')))
OVERHAUL = sorted(osp.basename(p) for p in glob.glob(osp.join(REPO, 'configs', 'overhaul', '*.py')))
HELPERS = ('distiller', 'distiller_hooks', 'ofd_point')


@pytest.fixture(scope='module', autouse=True)
def metafiles_read_once():
    """mmengine reads all of mmdet's and mmseg's metafiles for each package base it resolves; cache that."""
    from mmengine.config import utils
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(utils, '_get_cfg_metainfo', functools.lru_cache(maxsize=None)(utils._get_cfg_metainfo))
        yield


@functools.lru_cache(maxsize=None)
def _load(path):
    return Config.fromfile(path, import_custom_modules=False)


def load(path):
    return _load(path if osp.isabs(path) or '::' in path else osp.join(REPO, path))


def load_student(distiller_base):
    """The first base a distiller base lists: its student config."""
    base = Config._get_base_files(distiller_base)[0]
    if '::' in base:
        return load_config(base)
    return load(osp.normpath(osp.join(osp.dirname(distiller_base), base)))


# ------------------------------------------------------------------------------------------------
# The snapshot tool
# ------------------------------------------------------------------------------------------------
def test_snapshot_keeps_key_order_and_tuples():
    cfg = dict(model=dict(type='A', size=(3, 4), ids=[1, 2]), hooks=[dict(type='H')])
    assert config_snapshot.normalise(cfg) == dict(
        model=dict(type='A', size={'__tuple__': [3, 4]}, ids=[1, 2]), hooks=[dict(type='H')])
    assert list(config_snapshot.normalise(cfg)['model']) == ['type', 'size', 'ids']


def test_differences_names_values_types_order_and_missing_keys():
    before = config_snapshot.normalise(dict(model=dict(type='A', size=(3, 4), w=1.0), hooks=[dict(type='H')]))
    same = config_snapshot.normalise(dict(model=dict(type='A', size=(3, 4), w=1.0), hooks=[dict(type='H')]))
    assert config_snapshot.differences(before, same) == []
    changed = config_snapshot.normalise(dict(model=dict(type='A', size=[3, 4], w=0.5), hooks=[dict(type='G')]))
    assert config_snapshot.differences(before, changed) == ['hooks[0].type', 'model.size', 'model.w']
    reordered = config_snapshot.normalise(dict(model=dict(size=(3, 4), type='A', w=1.0), hooks=[dict(type='H')]))
    assert config_snapshot.differences(before, reordered) == [
        "model: key order ['type', 'size', 'w'] -> ['size', 'type', 'w']"]
    extra = config_snapshot.normalise(dict(model=dict(type='A', size=(3, 4), w=1.0), hooks=[dict(type='H')], x=1))
    assert config_snapshot.differences(before, extra) == ['x only in the second']


def test_compare_follows_moved_configs_and_reports_gone_and_broken_ones():
    entry = dict(config=dict(model=dict(type='A')))
    before = {'configs/a.py': entry, 'configs/m_x.py': entry, 'configs/gone.py': entry}
    after = {'configs/a.py': dict(error='KeyError: x'), 'configs/m/m_x.py': entry, 'configs/m_x.py': entry}
    assert config_snapshot.compare(before, after, ['configs/m_=configs/m/m_']) == [
        'configs/a.py: does not load any more: KeyError: x', 'configs/gone.py: not in the second snapshot']
    moved = {'configs/m/m_x.py': dict(config=dict(model=dict(type='B'))), 'configs/m_x.py': entry}
    assert config_snapshot.compare({'configs/m_x.py': entry}, moved, ['configs/m_=configs/m/m_']) == [
        'configs/m/m_x.py (was configs/m_x.py): config.model.type']


def test_dump_resolves_configs_outside_base_and_their_teachers(tmp_path):
    configs = tmp_path / 'configs'
    (configs / '_base_').mkdir(parents=True)
    (configs / 'kd').mkdir()
    (configs / '_base_' / 'student.py').write_text("model = dict(type='S', depth=18)\n")
    (configs / 'teacher.py').write_text("_base_ = './_base_/student.py'\nmodel = dict(depth=50)\n")
    (configs / 'kd' / 'kd.py').write_text(
        "_base_ = '../_base_/student.py'\n"
        "model = dict(_delete_=True, type='D', student={{_base_.model}}, teacher=dict(config='configs/teacher.py'))\n")
    (configs / 'kd' / 'broken.py').write_text("_base_ = '../_base_/missing.py'\n")
    snapshot = config_snapshot.dump(str(tmp_path / 'snapshot.json'), str(tmp_path))
    assert sorted(snapshot) == ['configs/kd/broken.py', 'configs/kd/kd.py', 'configs/teacher.py']
    assert snapshot['configs/kd/kd.py'] == dict(
        config=dict(model=dict(type='D', student=dict(type='S', depth=18), teacher=dict(config='configs/teacher.py'))),
        teacher_model=dict(type='S', depth=50))
    assert 'error' in snapshot['configs/kd/broken.py']


# ------------------------------------------------------------------------------------------------
# One distiller block
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('path', DISTILLER_BASES, ids=osp.basename)
def test_distiller_base_wraps_its_student_in_the_shared_block(path):
    cfg = load(path)
    student = load_student(path)
    shared = load('configs/_base_/feature_distiller.py')
    assert not set(HELPERS) & set(cfg), 'a helper of the shared block is left in the resolved config'
    model = cfg.model.to_dict()
    assert list(model) == [k for k in shared.distiller if k != '_delete_']
    assert strip_scope(model['student']) == strip_scope(student.model.to_dict())
    assert isinstance(model['teacher']['config'], str) and isinstance(model['teacher']['checkpoint'], str)
    assert len(model['input_size']) == 2
    assert (model['type'], model['teacher_bn'], model['distill_points']) == ('mmkd.FeatureDistiller', 'eval', {})
    assert strip_scope(cfg.custom_hooks) == strip_scope(student.get('custom_hooks', [])) + shared.distiller_hooks
    assert cfg.teacher_eval is True
    # every other key is the student config's (the segmentation bases drop the top-level preprocessor)
    for key in set(student) - {'model', 'custom_hooks', 'data_preprocessor'}:
        assert strip_scope(cfg[key]) == strip_scope(student[key]), key
    if 'data_preprocessor' in student:
        assert cfg.data_preprocessor is None or strip_scope(cfg.data_preprocessor) == strip_scope(
            student.data_preprocessor)


# ------------------------------------------------------------------------------------------------
# One OFD position, one set of FSP pairs
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('path', OFD_BASES, ids=osp.basename)
def test_ofd_points_fill_in_the_shared_position(path):
    cfg = load(path)
    template = load('configs/_base_/distill/ofd.py').ofd_point.to_dict()
    assert set(cfg) and all(key.startswith('ofd_points') for key in cfg), sorted(cfg)
    for name, point in (p for key in cfg for p in cfg[key].to_dict().items()):
        assert list(point) == list(template), name
        assert point['student'] and point['teacher']['source'], name
        for key in ('connector', 'teacher_transform', 'loss'):
            assert {k: point[key][k] for k in template[key]} == template[key], f'{name}.{key}'
        assert point['loss']['loss_weight'] > 0
        # the margin comes from the BN feeding the teacher's ReLU or is estimated where there is none
        assert ('bn' in point['teacher_transform']) != ('estimate_batches' in point['teacher_transform'])


def test_fsp_pairs_are_the_same_in_every_task():
    shared = load('configs/_base_/distill/fsp_resnet.py').fsp_points
    assert list(shared) == ['pair1', 'pair2', 'pair3', 'pair4']
    for stage, (name, point) in enumerate(shared.items(), 1):
        assert point.student == point.teacher == [f'backbone.layer{stage}.0', f'backbone.layer{stage}']
        assert point.loss.loss_weight == 1 / (256 * 2**(stage - 1))**2
    assert load('configs/_base_/distill/fsp_cls_r50_r18.py').fsp_points == shared
    assert load('configs/_base_/distill/fsp_deeplabv3plus_r101_r18.py').fsp_points == shared
    ssd = load('configs/_base_/distill/fsp_ssd_r50_r18.py').fsp_points
    assert list(ssd) == ['pair2', 'pair3'] and all(ssd[k] == shared[k] for k in ssd)


def test_one_stage_fitnets_hint_is_the_same_in_every_task():
    shared = load('configs/_base_/distill/fitnets-1stage_resnet.py').fitnets_1stage_points
    assert shared.hint.student == shared.hint.teacher == 'backbone.layer2'
    for task in ('cls_r50_r18', 'deeplabv3plus_r101_r18', 'ssd_r50_r18'):
        cfg = load(f'configs/_base_/distill/fitnets-1stage_{task}.py')
        assert list(cfg) == ['fitnets_1stage_points'] and cfg.fitnets_1stage_points == shared, task


# ------------------------------------------------------------------------------------------------
# The OFD configs in configs/overhaul/, their entry points at the configs root
# ------------------------------------------------------------------------------------------------
def test_every_ofd_config_has_its_root_entry_point_and_nothing_else_is_left_at_the_root():
    assert len(OVERHAUL) >= 19 and all(name.startswith('overhaul_') for name in OVERHAUL)
    root = sorted(osp.basename(p) for p in glob.glob(osp.join(REPO, 'configs', '*.py')))
    assert root == OVERHAUL
    for name in root:
        path = osp.join(REPO, 'configs', name)
        assert Config._get_base_files(path) == [f'./overhaul/{name}'], name
        code = [line for line in open(path).read().splitlines() if line and not line.startswith('#')]
        assert len(code) == 1, f'{name}: an entry point only names its config'


@pytest.mark.parametrize('name', ['overhaul_cls_r50_r18_toy.py', 'overhaul_ssd_r50_r18_toy.py'])
def test_root_entry_point_resolves_to_its_config(name):
    entry_point, moved = (config_snapshot.normalise(load(p).to_dict()) for p in (f'configs/{name}',
                                                                                 f'configs/overhaul/{name}'))
    assert config_snapshot.differences(entry_point, moved) == []
