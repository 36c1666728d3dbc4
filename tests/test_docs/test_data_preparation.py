"""docs/data_preparation.md: the data root of each real-data config family and the keys that override it are
the configs' own, and the docs name them."""
import os.path as osp

import pytest

from conftest import REPO, parse

VOC = 'data/VOCdevkit/'
VOC12 = 'data/VOCdevkit/VOC2012'
CIFAR = 'data/cifar-100-python'
DET_KEYS = ('train_dataloader.dataset.dataset.datasets.0.data_root',
            'train_dataloader.dataset.dataset.datasets.1.data_root',
            'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root')
SEG_KEYS = ('train_dataloader.dataset.datasets.0.data_root', 'train_dataloader.dataset.datasets.1.data_root',
            'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root')
CLS_KEYS = ('train_dataloader.dataset.data_root', 'val_dataloader.dataset.data_root',
            'test_dataloader.dataset.data_root')
CASES = {
    'configs/overhaul_ssd_r50_r18.py': (VOC, DET_KEYS),
    'configs/overhaul_ssd_vgg16_r18.py': (VOC, DET_KEYS),
    'configs/ssd/ssd300_vgg16_voc0712.py': (VOC, DET_KEYS),
    'configs/overhaul_deeplabv3plus_r101_r18.py': (VOC12, SEG_KEYS),
    'configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py': (VOC12, SEG_KEYS),
    'configs/overhaul_cls_r50_r18.py': (CIFAR, CLS_KEYS),
}


def lookup(cfg, key):
    node = cfg
    for part in key.split('.'):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


@pytest.mark.parametrize('config', sorted(CASES))
def test_documented_data_root_and_override_keys(config):
    root, keys = CASES[config]
    cfg = parse(config)
    assert {k: lookup(cfg, k) for k in keys} == {k: root for k in keys}
    doc = open(osp.join(REPO, 'docs', 'data_preparation.md')).read()
    assert root in doc
    assert all(k in doc for k in keys)


def test_segmentation_training_reads_voc12_train_and_the_sbd_aug_split():
    train = parse('configs/overhaul_deeplabv3plus_r101_r18.py').train_dataloader.dataset.datasets
    assert [(d.ann_file, d.data_prefix.seg_map_path) for d in train] == [
        ('ImageSets/Segmentation/train.txt', 'SegmentationClass'),
        ('ImageSets/Segmentation/aug.txt', 'SegmentationClassAug')]


def test_docs_link_the_page():
    for page in ('README.md', 'docs/getting_started.md'):
        assert 'data_preparation.md' in open(osp.join(REPO, page)).read(), page
