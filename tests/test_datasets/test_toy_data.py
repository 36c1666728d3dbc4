"""The toy data generator (VOC / CIFAR-100 formats), its CLI, and CIFAR100Dataset."""
import importlib.util
import os
import os.path as osp
import pickle
import shutil
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from conftest import REPO, tree_hash
from mmkd.datasets import CIFAR100Dataset
from mmkd.datasets.toy_generator import (CIFAR_TOY_CLASSES, CIFAR_TOY_COARSE_CLASSES,
                                         CIFAR_TOY_COARSE_OF, TOY_CLASSES, TOY_SEG_CLASSES,
                                         TOY_SEG_PALETTE, add_boundary_band, generate_toy_data,
                                         render_cifar_image, render_scene, summarize_toy_data,
                                         voc_colormap)
from mmkd.datasets.toy_generator import EASY_PROFILE, HARD_PROFILE, get_profile
from mmkd.registry import DATASETS

SMALL = dict(voc07_trainval=3, voc07_test=2, voc12_trainval=2, seg_train=2, seg_val=2, cifar_train=20,
             cifar_test=10)
TINY = dict(voc07_trainval=1, voc07_test=1, voc12_trainval=1, seg_train=1, seg_val=0, cifar_train=10,
            cifar_test=10)


def _read_ids(path):
    with open(path) as f:
        return f.read().split()


def _xml_objects(path):
    root = ET.parse(path).getroot()
    return [(obj.find('name').text,
             [int(obj.find(f'bndbox/{k}').text) for k in ('xmin', 'ymin', 'xmax', 'ymax')])
            for obj in root.findall('object')]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    generate_toy_data(out, seed=0, **SMALL)
    return out


# ----------------------------------------------------------------------------- building blocks
def test_voc_colormap_is_the_standard_one():
    cmap = voc_colormap()
    assert cmap.shape == (256, 3) and cmap.dtype == np.uint8
    expected = {0: (0, 0, 0), 1: (128, 0, 0), 2: (0, 128, 0), 3: (128, 128, 0), 4: (0, 0, 128),
                5: (128, 0, 128), 6: (0, 128, 128), 7: (128, 128, 128), 8: (64, 0, 0),
                15: (192, 128, 128), 255: (224, 224, 192)}
    for index, colour in expected.items():
        assert tuple(cmap[index]) == colour
    assert TOY_SEG_PALETTE == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
                               [128, 0, 128], [0, 128, 128]]
    assert TOY_SEG_CLASSES == ('background', 'circle', 'square', 'triangle', 'star', 'ring', 'cross')


def test_boundary_band_by_hand():
    label = np.zeros((12, 12), np.uint8)
    label[4:8, 4:8] = 3
    # 3x3 window: void where the window sees both labels, i.e. within one pixel of the edge
    expected = label.copy()
    expected[3:9, 3:9] = 255
    expected[5:7, 5:7] = 3
    np.testing.assert_array_equal(add_boundary_band(label, width=3), expected)
    # 5x5 window: the 4x4 square is entirely within two pixels of its edge
    expected = label.copy()
    expected[2:10, 2:10] = 255
    np.testing.assert_array_equal(add_boundary_band(label, width=5), expected)
    assert label.max() == 3  # input untouched
    with pytest.raises(ValueError, match='odd'):
        add_boundary_band(label, width=4)


def test_scenes_vary_in_size_class_and_truncation():
    sides, ratios, classes, truncated = [], [], set(), 0
    for i in range(8):
        img, label_map, instances = render_scene(np.random.default_rng([7, i]), 260, 300)
        assert img.shape == (260, 300, 3) and img.dtype == np.uint8
        assert len(instances) >= 1 and len({inst['label'] for inst in instances}) >= min(2, len(instances))
        for inst in instances:
            x0, y0, x1, y1 = inst['bbox']
            assert 0 <= x0 <= x1 < 300 and 0 <= y0 <= y1 < 260
            ratios.append(max(x1 - x0 + 1, y1 - y0 + 1) / 260)
            classes.add(inst['label'])
            truncated += inst['truncated']
            # the label map holds exactly this class inside the box (other objects may overlap it)
            assert (label_map[y0:y1 + 1, x0:x1 + 1] == inst['label'] + 1).any()
        sides.append(len(instances))
    assert min(ratios) < 0.15 and max(ratios) > 0.35
    assert len(classes) >= 5 and truncated >= 1 and max(sides) >= 4


def test_easy_profile_scenes_have_few_large_objects():
    """1-3 objects of a quarter to half the side: visible extents about twice those of hard scenes."""
    counts, extents, hard_extents = [], [], []
    for i in range(40):
        img, _, instances = render_scene(np.random.default_rng([5, i]), 140, 150, 'easy')
        assert img.shape == (140, 150, 3)
        counts.append(len(instances))
        for inst in instances:
            x0, y0, x1, y1 = inst['bbox']
            extents.append(max(x1 - x0 + 1, y1 - y0 + 1) / 140)
        for inst in render_scene(np.random.default_rng([5, i]), 140, 150, 'hard')[2]:
            x0, y0, x1, y1 = inst['bbox']
            hard_extents.append(max(x1 - x0 + 1, y1 - y0 + 1) / 140)
    assert min(counts) >= 1 and max(counts) <= 3 and len(set(counts)) >= 2
    # diameters of 1/4-1/2 of the side; visible extents shrink by occlusion and the frame only
    assert 0.2 < np.median(extents) < 0.5 and max(extents) <= 0.5 * 1.2
    assert np.median(extents) > 1.8 * np.median(hard_extents)
    with pytest.raises(ValueError, match='Unknown toy profile'):
        get_profile('medium')


def test_easy_profile_files_load_with_the_real_readers(tmp_path):
    out = str(tmp_path / 'easy')
    summary = generate_toy_data(out, seed=0, profile='easy', **SMALL)
    assert [s['images'] for s in summary['splits']] == [3, 2, 2, 2, 2, 20, 10]
    for img_path in sorted(os.listdir(osp.join(out, 'VOCdevkit/VOC2007/JPEGImages'))):
        with Image.open(osp.join(out, 'VOCdevkit/VOC2007/JPEGImages', img_path)) as img:
            assert all(EASY_PROFILE.image_side[0] <= v <= EASY_PROFILE.image_side[1] for v in img.size)
    dataset = CIFAR100Dataset(data_root=osp.join(out, 'cifar-toy'), split='train')
    assert len(dataset) == 20 and dataset[0]['img'].shape == (64, 64, 3)
    assert HARD_PROFILE.cifar_side == 32 and EASY_PROFILE.cifar_side == 64
    # the mask is the scene's label map with a 3x3-window void band (2 px), drawn from image 0's stream
    labels = np.asarray(Image.open(osp.join(out, 'VOCdevkit/VOC2012/SegmentationClass/2012_000001.png')))
    rng = np.random.default_rng([0, 3, 0])
    height, width = (int(v) for v in rng.integers(128, 161, 2))
    _, label_map, _ = render_scene(rng, height, width, 'easy')
    np.testing.assert_array_equal(labels, add_boundary_band(label_map, 3))
    assert (labels == 255).any()


def test_no_colour_shortcut_in_classification_images():
    """Per-image colour statistics must not predict the class (nearest class mean ~ chance)."""
    rng = np.random.default_rng(0)
    labels = np.arange(300) % len(CIFAR_TOY_CLASSES)
    feats = np.array([
        np.concatenate([img.reshape(-1, 3).mean(0), img.reshape(-1, 3).std(0)])
        for img in (render_cifar_image(np.random.default_rng([11, i]), int(label))
                    for i, label in enumerate(labels))
    ])
    order = rng.permutation(300)
    train, test = order[:200], order[200:]
    means = np.stack([feats[train][labels[train] == c].mean(0) for c in range(10)])
    pred = np.argmin(((feats[test][:, None] - means[None])**2).sum(-1), axis=1)
    assert (pred == labels[test]).mean() < 0.25  # chance is 0.1


# ----------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_files(tmp_path, toy):
    generate_toy_data(str(tmp_path / 'a'), seed=0, **TINY)
    generate_toy_data(str(tmp_path / 'b'), seed=0, **TINY)
    generate_toy_data(str(tmp_path / 'c'), seed=1, **TINY)
    assert tree_hash(tmp_path / 'a') == tree_hash(tmp_path / 'b')
    assert tree_hash(tmp_path / 'a') != tree_hash(tmp_path / 'c')
    # an image depends only on (seed, split, index): other split sizes leave it unchanged
    for rel in ('VOCdevkit/VOC2007/JPEGImages/000001.jpg', 'VOCdevkit/VOC2012/Annotations/2012_000001.xml',
                'VOCdevkit/VOC2012/SegmentationClass/2012_000001.png'):
        with open(tmp_path / 'a' / rel, 'rb') as f1, open(osp.join(toy, rel), 'rb') as f2:
            assert f1.read() == f2.read()


def test_refuses_to_overwrite_and_validates_counts(tmp_path):
    generate_toy_data(str(tmp_path), seed=0, **TINY)
    with pytest.raises(FileExistsError, match='--overwrite'):
        generate_toy_data(str(tmp_path), seed=0, **TINY)
    with pytest.raises(ValueError, match='voc07_test'):
        generate_toy_data(str(tmp_path / 'x'), voc07_test=-1)
    summary = generate_toy_data(str(tmp_path), seed=2, overwrite=True, **dict(TINY, cifar_test=20))
    assert [s['images'] for s in summary['splits']] == [1, 1, 1, 1, 0, 10, 20]


# ----------------------------------------------------------------------------- file formats
def test_voc_layout_and_xml(toy):
    voc07, voc12 = osp.join(toy, 'VOCdevkit', 'VOC2007'), osp.join(toy, 'VOCdevkit', 'VOC2012')
    assert _read_ids(osp.join(voc07, 'ImageSets/Main/trainval.txt')) == ['000001', '000002', '000003']
    assert _read_ids(osp.join(voc07, 'ImageSets/Main/test.txt')) == ['000004', '000005']
    assert _read_ids(osp.join(voc12, 'ImageSets/Main/trainval.txt')) == ['2012_000001', '2012_000002']
    assert _read_ids(osp.join(voc12, 'ImageSets/Segmentation/train.txt')) == ['2012_000001', '2012_000002']
    assert _read_ids(osp.join(voc12, 'ImageSets/Segmentation/val.txt')) == ['2012_000003', '2012_000004']
    xmls = sorted(os.listdir(osp.join(voc12, 'Annotations')))
    assert xmls == [f'2012_00000{i}.xml' for i in range(1, 5)]
    for year_dir, folder in ((voc07, 'VOC2007'), (voc12, 'VOC2012')):
        for name in sorted(os.listdir(osp.join(year_dir, 'Annotations'))):
            img_id = name[:-4]
            root = ET.parse(osp.join(year_dir, 'Annotations', name)).getroot()
            assert root.tag == 'annotation'
            assert [c.tag for c in root][:5] == ['folder', 'filename', 'source', 'size', 'segmented']
            assert root.find('folder').text == folder and root.find('filename').text == f'{img_id}.jpg'
            img = cv2.imread(osp.join(year_dir, 'JPEGImages', f'{img_id}.jpg'))
            width, height = int(root.find('size/width').text), int(root.find('size/height').text)
            assert img.shape == (height, width, 3) and root.find('size/depth').text == '3'
            assert 240 <= width <= 360 and 240 <= height <= 360
            segmented = folder == 'VOC2012'
            assert root.find('segmented').text == str(int(segmented))
            objects = root.findall('object')
            assert len(objects) >= 1
            for obj in objects:
                assert [c.tag for c in obj] == ['name', 'pose', 'truncated', 'difficult', 'bndbox']
                assert obj.find('name').text in TOY_CLASSES
                assert obj.find('pose').text == 'Unspecified' and obj.find('difficult').text == '0'
                assert obj.find('truncated').text in ('0', '1')
                x0, y0, x1, y1 = (int(obj.find(f'bndbox/{k}').text)
                                  for k in ('xmin', 'ymin', 'xmax', 'ymax'))
                assert 1 <= x0 <= x1 <= width and 1 <= y0 <= y1 <= height


def test_segmentation_pngs_match_boxes(toy):
    voc12 = osp.join(toy, 'VOCdevkit', 'VOC2012')
    allowed = set(range(7)) | {255}
    for img_id in ['2012_000001', '2012_000002', '2012_000003', '2012_000004']:
        with Image.open(osp.join(voc12, 'SegmentationClass', f'{img_id}.png')) as png:
            assert png.mode == 'P'
            assert png.getpalette()[:21] == [v for c in TOY_SEG_PALETTE for v in c]
            label = np.asarray(png)
        img = cv2.imread(osp.join(voc12, 'JPEGImages', f'{img_id}.jpg'))
        assert label.shape == img.shape[:2]
        assert set(np.unique(label).tolist()) <= allowed and 255 in label
        objects = _xml_objects(osp.join(voc12, 'Annotations', f'{img_id}.xml'))
        for c, name in enumerate(TOY_CLASSES, start=1):
            inside = np.zeros(label.shape, bool)
            for obj_name, (x0, y0, x1, y1) in objects:
                if obj_name == name:
                    inside[y0 - 1:y1, x0 - 1:x1] = True
            assert not (label == c)[~inside].any(), f'{img_id}: {name} pixels outside its boxes'
        # the void band separates every two different labels (no 4-neighbours with different labels)
        for a, b in ((label[:, 1:], label[:, :-1]), (label[1:], label[:-1])):
            touching = (a != b) & (a != 255) & (b != 255)
            assert not touching.any()


def test_cifar_pickles_are_cifar100_format(toy):
    cifar = osp.join(toy, 'cifar-toy')
    with open(osp.join(cifar, 'train'), 'rb') as f:
        train = pickle.load(f, encoding='bytes')
    assert set(train) == {b'filenames', b'batch_label', b'fine_labels', b'coarse_labels', b'data'}
    data = train[b'data']
    assert isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.shape == (20, 3072)
    assert sorted(train[b'fine_labels']) == sorted(list(range(10)) * 2)  # balanced
    for fine, coarse, name in zip(train[b'fine_labels'], train[b'coarse_labels'], train[b'filenames']):
        assert coarse == CIFAR_TOY_COARSE_OF[CIFAR_TOY_CLASSES[fine]]
        assert name.startswith(CIFAR_TOY_CLASSES[fine].encode() + b'_s_') and name.endswith(b'.png')
    with open(osp.join(cifar, 'meta'), 'rb') as f:
        meta = pickle.load(f, encoding='bytes')
    assert meta[b'fine_label_names'] == [n.encode() for n in CIFAR_TOY_CLASSES]
    assert meta[b'coarse_label_names'] == [n.encode() for n in CIFAR_TOY_COARSE_CLASSES]
    # written with Python 2 strings like the real files: latin1 loading gives str keys
    with open(osp.join(cifar, 'test'), 'rb') as f:
        test = pickle.load(f, encoding='latin1')
    assert test['batch_label'] == 'testing batch 1 of 1' and test['data'].shape == (10, 3072)
    assert test['data'].dtype == np.uint8 and len(test['fine_labels']) == 10


# ----------------------------------------------------------------------------- real dataset classes
def test_mmdet_voc_dataset_loads_every_box(toy):
    from mmdet.datasets import VOCDataset
    from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
    data_root = osp.join(toy, 'VOCdevkit') + '/'
    for year, list_file in (('VOC2007', 'test.txt'), ('VOC2007', 'trainval.txt'),
                            ('VOC2012', 'trainval.txt')):
        ds = VOCDataset(
            data_root=data_root,
            ann_file=f'{year}/ImageSets/Main/{list_file}',
            data_prefix=dict(sub_data_root=f'{year}/'),
            metainfo=dict(classes=TOY_CLASSES),
            pipeline=[LoadImageFromFile(), LoadAnnotations(with_bbox=True), PackDetInputs()],
            test_mode=True)
        ids = _read_ids(osp.join(data_root, year, 'ImageSets/Main', list_file))
        assert len(ds) == len(ids)
        for i, img_id in enumerate(ids):
            info = ds.get_data_info(i)
            objects = _xml_objects(osp.join(data_root, year, 'Annotations', f'{img_id}.xml'))
            labels = [TOY_CLASSES.index(name) for name, _ in objects]
            assert [inst['bbox_label'] for inst in info['instances']] == labels
            boxes = [[v - 1 for v in box] for _, box in objects]
            assert [inst['bbox'] for inst in info['instances']] == boxes
            packed = ds[i]
            assert packed['inputs'].shape == (3, info['height'], info['width'])
            assert packed['data_samples'].gt_instances.bboxes.shape == (len(objects), 4)


def test_mmseg_datasets_load_the_masks(toy):
    from mmseg.datasets import BaseSegDataset, PascalVOCDataset
    from mmseg.datasets.transforms import LoadAnnotations
    voc12 = osp.join(toy, 'VOCdevkit', 'VOC2012')
    common = dict(
        data_root=voc12,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=[LoadImageFromFile(), LoadAnnotations()])
    # PascalVOCDataset reads the layout (with VOC's own class names: it only accepts a subset of them)
    voc = PascalVOCDataset(**common)
    # BaseSegDataset takes the toy class names as they are (configs/_base_/datasets/toy_voc_seg.py)
    toy_ds = BaseSegDataset(
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=dict(classes=TOY_SEG_CLASSES, palette=TOY_SEG_PALETTE),
        **common)
    assert toy_ds.metainfo['classes'] == TOY_SEG_CLASSES
    assert len(voc) == len(toy_ds) == 2
    for ds in (voc, toy_ds):
        for i in range(len(ds)):
            results = ds[i]
            seg = results['gt_seg_map']
            assert seg.shape == results['img'].shape[:2]
            assert set(np.unique(seg).tolist()) <= set(range(7)) | {255}
            png = osp.join(voc12, 'SegmentationClass', f'2012_00000{i + 3}.png')
            np.testing.assert_array_equal(seg, np.asarray(Image.open(png)))


def test_cifar100_dataset_items(toy):
    root = osp.join(toy, 'cifar-toy')
    ds = CIFAR100Dataset(data_root=root)
    assert len(ds) == 20 and ds.split == 'train'
    assert ds.metainfo['classes'] == CIFAR_TOY_CLASSES
    with open(osp.join(root, 'train'), 'rb') as f:
        raw = pickle.load(f, encoding='bytes')
    for i in (0, 7, 19):
        item = ds[i]
        rgb = raw[b'data'][i].reshape(3, 32, 32).transpose(1, 2, 0)
        assert item['img'].dtype == np.uint8 and item['img'].shape == (32, 32, 3)
        np.testing.assert_array_equal(item['img'], rgb[..., ::-1])  # BGR
        assert item['gt_label'] == raw[b'fine_labels'][i] and isinstance(item['gt_label'], int)
        assert item['coarse_label'] == raw[b'coarse_labels'][i]
        assert item['img_shape'] == item['ori_shape'] == (32, 32) and item['sample_idx'] == i
    assert len(CIFAR100Dataset(data_root=root, test_mode=True)) == 10
    assert len(CIFAR100Dataset(data_root=root, split='test')) == 10
    built = DATASETS.build(dict(type='CIFAR100Dataset', data_root=root, split='test', test_mode=True))
    assert isinstance(built, CIFAR100Dataset) and len(built) == 10
    names = tuple(f'c{i}' for i in range(10))
    assert CIFAR100Dataset(data_root=root, metainfo=dict(classes=names)).metainfo['classes'] == names
    with pytest.raises(ValueError, match='labels span'):
        CIFAR100Dataset(data_root=root, metainfo=dict(classes=('a', 'b')))


def test_cifar100_dataset_pipeline_and_subset(toy):
    root = osp.join(toy, 'cifar-toy')
    ds = CIFAR100Dataset(
        data_root=root,
        indices=[3, 4],
        pipeline=[
            dict(type='mmkd.RandomCropPad', crop_size=32, padding=4),
            dict(type='mmkd.PackClsInputs')
        ])
    full = CIFAR100Dataset(data_root=root)
    assert len(ds) == 2
    packed = ds[1]
    assert packed['inputs'].shape == (3, 32, 32) and packed['inputs'].dtype == torch.uint8
    assert packed['data_samples'].gt_label.tolist() == [full[4]['gt_label']]


def test_cifar100_dataset_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='make_toy_data.py') as err:
        CIFAR100Dataset(data_root=str(tmp_path))
    assert osp.join(str(tmp_path), 'meta') in str(err.value)
    with pytest.raises(FileNotFoundError, match='train'):
        CIFAR100Dataset(data_root=str(tmp_path), metainfo=dict(classes=('a', )))
    with pytest.raises(TypeError, match='split='):
        CIFAR100Dataset(data_root=str(tmp_path), ann_file='train')


# ----------------------------------------------------------------------------- CLI and --check
def _cli():
    path = osp.join(REPO, 'tools', 'misc', 'make_toy_data.py')
    spec = importlib.util.spec_from_file_location('make_toy_data', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_writes_and_checks(tmp_path, capsys):
    cli = _cli()
    out = str(tmp_path / 'toy')
    args = ['--out', out, '--seed', '3', '--voc07-trainval', '2', '--voc07-test', '1', '--voc12-trainval',
            '1', '--seg-train', '1', '--seg-val', '1', '--cifar-train', '10', '--cifar-test', '10']
    assert cli.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith(
        f'wrote (hard profile, seed 3) {out}: detection 4, segmentation 2, classification 20')
    assert 'cifar-toy train' in lines[5] and all(f'{n}=1' in lines[5] for n in CIFAR_TOY_CLASSES)
    total07 = sum(len(_xml_objects(osp.join(out, 'VOCdevkit/VOC2007/Annotations', f'00000{i}.xml')))
                  for i in (1, 2))
    assert f'2 images {total07:>5} objects' in lines[0]
    assert cli.main(args) == 1  # refuses to overwrite
    assert '--overwrite' in capsys.readouterr().err
    assert cli.main(['--out', out, '--check']) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(f'checked {out}: detection 4')


def test_cli_easy_profile_defaults(tmp_path, capsys):
    cli = _cli()
    args = cli.parse_args(['--profile', 'easy'])
    assert args.out == 'data/toy_easy' and args.seg_train == 1000 and args.cifar_train == 10000
    assert args.voc07_test == 1000 and cli.parse_args([]).voc07_test == 80
    assert cli.parse_args([]).out == 'data/toy' and cli.parse_args([]).seg_train == 160
    out = str(tmp_path / 'e')
    assert cli.main(['--profile', 'easy', '--out', out, '--voc07-trainval', '1', '--voc07-test', '1',
                     '--voc12-trainval', '1', '--seg-train', '1', '--seg-val', '1', '--cifar-train',
                     '10', '--cifar-test', '10']) == 0
    assert f'wrote (easy profile, seed 0) {out}' in capsys.readouterr().out


def test_check_reports_broken_files(toy, tmp_path):
    broken = str(tmp_path / 'broken')
    shutil.copytree(toy, broken)
    assert summarize_toy_data(broken)['splits'][0]['images'] == 3
    xml = osp.join(broken, 'VOCdevkit/VOC2007/Annotations/000002.xml')
    with open(xml) as f:
        text = f.read()
    with open(xml, 'w') as f:
        f.write(text.replace('<name>', '<name>not_', 1))
    with pytest.raises(ValueError, match='unknown class'):
        summarize_toy_data(broken)
    os.remove(osp.join(broken, 'VOCdevkit/VOC2007/JPEGImages/000002.jpg'))
    with pytest.raises(FileNotFoundError, match='make_toy_data.py'):
        summarize_toy_data(broken)
