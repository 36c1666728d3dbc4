"""The toy data in the COCO and Cityscapes formats: files, mmdet's CocoDataset / CocoMetric, mmseg's
Cityscapes reading / IoUMetric, the dataset base configs, the CLI, and (slow) training through tools/."""
import importlib.util
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from conftest import REPO, tree_hash
from mmkd.datasets.toy_generator import (CITYSCAPES_TOY_CITIES, COCO_FIRST_ID, EASY_PROFILE, HARD_PROFILE,
                                         TOY_CLASSES, TOY_SEG_CLASSES, TOY_SEG_PALETTE, add_boundary_band,
                                         cityscapes_name, generate_toy_data, render_scene,
                                         summarize_toy_data)

SIZES = dict(coco_train=4, coco_val=3, cityscapes_train=4, cityscapes_val=3)
# the VOC and CIFAR splits of the smallest set, for the checks that write them too
TINY_OLD = dict(voc07_trainval=1, voc07_test=1, voc12_trainval=1, seg_train=1, seg_val=0, cifar_train=10,
                cifar_test=10)
# the random stream of each split: fixed numbers, so that adding formats changes no existing file
STREAM = dict(train2017=6, val2017=7, train=8, val=9)


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    generate_toy_data(out, seed=0, formats=('coco', 'cityscapes'), **SIZES)
    return out


def _coco_scene(split, index, seed=0, profile=HARD_PROFILE):
    """What the generator drew for image ``index`` of a COCO split: (img, instances with masks)."""
    rng = np.random.default_rng([seed, STREAM[split], index])
    height, width = (int(v) for v in rng.integers(profile.image_side[0], profile.image_side[1] + 1, 2))
    img, _, instances = render_scene(rng, height, width, profile, with_masks=True)
    return img, instances


def _cityscapes_labels(split, index, seed=0, profile=HARD_PROFILE):
    width, height = profile.cityscapes_size
    img, label_map, _ = render_scene(np.random.default_rng([seed, STREAM[split], index]), height, width,
                                     profile)
    return img, add_boundary_band(label_map, profile.boundary_band)


def _coco_dataset(toy, split, with_mask=True):
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations
    return CocoDataset(
        data_root=osp.join(toy, 'coco'),
        ann_file=f'annotations/instances_{split}.json',
        data_prefix=dict(img=f'{split}/'),
        metainfo=dict(classes=TOY_CLASSES),
        pipeline=[LoadImageFromFile(), LoadAnnotations(with_bbox=True, with_mask=with_mask)],
        test_mode=True)


# ----------------------------------------------------------------------------- the scene renderer
def test_masks_draw_nothing_from_the_image_stream():
    """``with_masks`` only adds the masks: image, label map and boxes are those drawn without it, so the
    VOC files (rendered without masks) are unchanged; every mask is its object's pixels of the label map."""
    for i in range(3):
        img, label_map, plain = render_scene(np.random.default_rng([4, i]), 250, 310)
        img2, label_map2, masked = render_scene(np.random.default_rng([4, i]), 250, 310, with_masks=True)
        np.testing.assert_array_equal(img, img2)
        np.testing.assert_array_equal(label_map, label_map2)
        assert [{k: v for k, v in inst.items() if k != 'mask'} for inst in masked] == plain
        union = np.zeros(label_map.shape, bool)
        for inst in masked:
            mask = inst['mask']
            assert mask.shape == label_map.shape and mask.dtype == bool
            assert (label_map[mask] == inst['label'] + 1).all()
            ys, xs = np.nonzero(mask)
            assert (xs.min(), ys.min(), xs.max(), ys.max()) == inst['bbox']
            assert not (union & mask).any()  # visible pixels belong to one object
            union |= mask
        np.testing.assert_array_equal(union, label_map > 0)


# ----------------------------------------------------------------------------- COCO
def test_coco_layout_and_json(toy):
    coco = osp.join(toy, 'coco')
    assert sorted(os.listdir(coco)) == ['annotations', 'train2017', 'val2017']
    assert sorted(os.listdir(osp.join(coco, 'annotations'))) == ['instances_train2017.json',
                                                                 'instances_val2017.json']
    for split, count in (('train2017', 4), ('val2017', 3)):
        with open(osp.join(coco, 'annotations', f'instances_{split}.json')) as f:
            content = json.load(f)
        assert list(content) == ['info', 'licenses', 'images', 'annotations', 'categories']
        assert content['categories'] == [
            dict(supercategory=s, id=i + 1, name=n)
            for i, (n, s) in enumerate(zip(TOY_CLASSES, ('round', 'polygon', 'polygon', 'spiky', 'round',
                                                           'spiky')))]
        ids = [COCO_FIRST_ID[split] + i for i in range(count)]
        assert [img['id'] for img in content['images']] == ids
        assert sorted(os.listdir(osp.join(coco, split))) == [f'{i:012d}.jpg' for i in ids]
        ann_ids = [ann['id'] for ann in content['annotations']]
        assert len(set(ann_ids)) == len(ann_ids) and min(ann_ids) == COCO_FIRST_ID[split]
        for image in content['images']:
            img = cv2.imread(osp.join(coco, split, image['file_name']))
            assert img.shape == (image['height'], image['width'], 3)
        for ann in content['annotations']:
            assert set(ann) == {'segmentation', 'area', 'iscrowd', 'image_id', 'bbox', 'category_id', 'id'}
            assert ann['iscrowd'] == 0 and isinstance(ann['segmentation']['counts'], str)
    assert COCO_FIRST_ID == dict(train2017=1, val2017=1_000_001)


def test_coco_dataset_reads_the_generators_boxes_and_masks(toy):
    for split, count in (('train2017', 4), ('val2017', 3)):
        ds = _coco_dataset(toy, split)
        assert len(ds) == count and ds.metainfo['classes'] == TOY_CLASSES
        total = 0
        for index in range(count):
            img, instances = _coco_scene(split, index)
            item = ds[index]
            assert item['img_id'] == COCO_FIRST_ID[split] + index
            # the file is the rendered image, JPEG-encoded at quality 90
            jpeg = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
            np.testing.assert_array_equal(item['img'], cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
            # mmdet's boxes are (x0, y0, x1 + 1, y1 + 1) of the visible pixels (x1, y1 inclusive)
            expected = [[x0, y0, x1 + 1, y1 + 1] for x0, y0, x1, y1 in (i['bbox'] for i in instances)]
            np.testing.assert_array_equal(item['gt_bboxes'].numpy(), np.array(expected, np.float32))
            assert item['gt_bboxes_labels'].tolist() == [inst['label'] for inst in instances]
            assert not item['gt_ignore_flags'].any()
            masks = item['gt_masks'].to_ndarray()
            assert masks.shape == (len(instances), ) + img.shape[:2]
            for mask, inst in zip(masks, instances):
                np.testing.assert_array_equal(mask.astype(bool), inst['mask'])
            total += len(instances)
        assert total >= count  # every scene has objects


def test_coco_metric_gives_map_1_on_ground_truth_and_0_on_wrong_classes(toy):
    from mmdet.evaluation import CocoMetric

    ds = _coco_dataset(toy, 'val2017')

    def evaluate(shift_label):
        metric = CocoMetric(ann_file=osp.join(toy, 'coco/annotations/instances_val2017.json'),
                            metric=['bbox', 'segm'])
        metric.dataset_meta = ds.metainfo
        samples = []
        for i in range(len(ds)):
            item = ds[i]
            labels = (item['gt_bboxes_labels'] + shift_label) % len(TOY_CLASSES)
            samples.append(
                dict(
                    img_id=item['img_id'],
                    ori_shape=item['ori_shape'],
                    pred_instances=dict(
                        bboxes=item['gt_bboxes'].tensor,
                        scores=torch.ones(len(labels)),
                        labels=torch.as_tensor(labels),
                        masks=torch.from_numpy(item['gt_masks'].to_ndarray()).bool())))
        metric.process({}, samples)
        return metric.evaluate(len(samples))

    right = evaluate(0)
    assert right['coco/bbox_mAP'] == 1.0 and right['coco/segm_mAP'] == 1.0
    assert right['coco/bbox_mAP_50'] == 1.0
    wrong = evaluate(1)
    assert wrong['coco/bbox_mAP'] == 0.0 and wrong['coco/segm_mAP'] == 0.0


# ----------------------------------------------------------------------------- Cityscapes
def test_cityscapes_layout(toy):
    root = osp.join(toy, 'cityscapes')
    assert sorted(os.listdir(root)) == ['gtFine', 'leftImg8bit']
    for split, count in (('train', 4), ('val', 3)):
        assert sorted(os.listdir(osp.join(root, 'leftImg8bit', split))) == \
            sorted(CITYSCAPES_TOY_CITIES[split][:count])
        for index in range(count):
            city, stem = cityscapes_name(split, index)
            assert stem == f'{city}_{index:06d}_000019'
            with Image.open(osp.join(root, 'leftImg8bit', split, city, f'{stem}_leftImg8bit.png')) as img:
                assert img.mode == 'RGB' and img.size == (480, 240)
            path = osp.join(root, 'gtFine', split, city, f'{stem}_gtFine_labelTrainIds.png')
            with Image.open(path) as png:
                assert png.mode == 'L' and png.size == (480, 240)
                labels = np.asarray(png)
            # the scene's label map with the void band around outlines, as in the VOC masks
            np.testing.assert_array_equal(labels, _cityscapes_labels(split, index)[1])
            assert 255 in labels and set(np.unique(labels).tolist()) <= set(range(7)) | {255}
    assert HARD_PROFILE.cityscapes_size == (480, 240) and EASY_PROFILE.cityscapes_size == (256, 128)


def test_mmseg_cityscapes_datasets_read_the_files(toy):
    from mmseg.datasets import BaseSegDataset, CityscapesDataset
    from mmseg.datasets.transforms import LoadAnnotations
    common = dict(
        data_root=osp.join(toy, 'cityscapes'),
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=[LoadImageFromFile(), LoadAnnotations()])
    # CityscapesDataset pairs images and labels (with its own 19 class names)...
    cityscapes = CityscapesDataset(**common)
    # ...but refuses the toy names, hence BaseSegDataset with its suffixes in toy_cityscapes_seg.py
    with pytest.raises(ValueError, match='not a subset'):
        CityscapesDataset(metainfo=dict(classes=TOY_SEG_CLASSES), **common)
    toy_ds = BaseSegDataset(
        img_suffix='_leftImg8bit.png',
        seg_map_suffix='_gtFine_labelTrainIds.png',
        metainfo=dict(classes=TOY_SEG_CLASSES, palette=TOY_SEG_PALETTE),
        **common)
    assert toy_ds.metainfo['classes'] == TOY_SEG_CLASSES and len(cityscapes) == len(toy_ds) == 3
    # files are listed in path order: by city, then by name
    names = sorted(cityscapes_name('val', i) + (i, ) for i in range(3))
    for ds in (cityscapes, toy_ds):
        for item_index, (city, stem, index) in enumerate(names):
            item = ds[item_index]
            assert item['img_path'].endswith(f'leftImg8bit/val/{city}/{stem}_leftImg8bit.png')
            img, labels = _cityscapes_labels('val', index)
            np.testing.assert_array_equal(item['gt_seg_map'], labels)
            np.testing.assert_array_equal(item['img'], img)  # PNG: lossless


def test_iou_metric_gives_100_on_ground_truth(toy):
    from mmseg.evaluation import IoUMetric
    from mmseg.datasets import BaseSegDataset
    from mmseg.datasets.transforms import LoadAnnotations
    ds = BaseSegDataset(
        data_root=osp.join(toy, 'cityscapes'),
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        img_suffix='_leftImg8bit.png',
        seg_map_suffix='_gtFine_labelTrainIds.png',
        metainfo=dict(classes=TOY_SEG_CLASSES, palette=TOY_SEG_PALETTE),
        pipeline=[LoadAnnotations()])

    def evaluate(predict):
        metric = IoUMetric(iou_metrics=['mIoU'])
        metric.dataset_meta = ds.metainfo
        samples = []
        for i in range(len(ds)):
            gt = torch.from_numpy(ds[i]['gt_seg_map'].astype(np.int64))[None]
            samples.append(dict(gt_sem_seg=dict(data=gt), pred_sem_seg=dict(data=predict(gt))))
        metric.process({}, samples)
        return metric.evaluate(len(samples))

    assert evaluate(lambda gt: gt.clone())['mIoU'] == 100.0
    # all background: the background IoU stays high, every shape class present scores 0
    assert evaluate(torch.zeros_like)['mIoU'] < 20


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_and_the_old_formats_unchanged(tmp_path, toy):
    generate_toy_data(str(tmp_path / 'a'), seed=0, formats='coco,cityscapes', **SIZES)
    generate_toy_data(str(tmp_path / 'b'), seed=1, formats='coco,cityscapes', **SIZES)
    for folder in ('coco', 'cityscapes'):
        assert tree_hash(tmp_path / 'a' / folder) == tree_hash(osp.join(toy, folder))
        assert tree_hash(tmp_path / 'b' / folder) != tree_hash(osp.join(toy, folder))
    # one split's size leaves the other's files unchanged
    generate_toy_data(str(tmp_path / 'c'), seed=0, formats='coco,cityscapes',
                      **dict(SIZES, coco_train=1, cityscapes_train=1))
    for rel in ('coco/val2017/000001000002.jpg', 'coco/annotations/instances_val2017.json',
                'cityscapes/gtFine/val/starfield/starfield_000001_000019_gtFine_labelTrainIds.png',
                'cityscapes/leftImg8bit/val/ringmont/ringmont_000002_000019_leftImg8bit.png'):
        with open(tmp_path / 'c' / rel, 'rb') as f1, open(osp.join(toy, rel), 'rb') as f2:
            assert f1.read() == f2.read()
    # writing the new formats beside VOC and CIFAR leaves those byte for byte as written alone
    generate_toy_data(str(tmp_path / 'old'), seed=0, **TINY_OLD)
    summary = generate_toy_data(str(tmp_path / 'all'), seed=0, formats=('cityscapes', 'voc', 'coco', 'cifar'),
                                **TINY_OLD, **SIZES)
    assert sorted(os.listdir(tmp_path / 'old')) == ['VOCdevkit', 'cifar-toy']
    for folder in ('VOCdevkit', 'cifar-toy'):
        assert tree_hash(tmp_path / 'all' / folder) == tree_hash(tmp_path / 'old' / folder)
    for folder in ('coco', 'cityscapes'):
        assert tree_hash(tmp_path / 'all' / folder) == tree_hash(osp.join(toy, folder))
    assert [s['name'] for s in summary['splits']] == [
        'VOC2007 trainval', 'VOC2007 test', 'VOC2012 trainval', 'VOC2012 seg train', 'VOC2012 seg val',
        'cifar-toy train', 'cifar-toy test', 'COCO train2017', 'COCO val2017', 'cityscapes train',
        'cityscapes val'
    ]


def test_formats_are_validated_and_only_theirs_are_overwritten(tmp_path):
    with pytest.raises(ValueError, match='formats'):
        generate_toy_data(str(tmp_path), formats=('coco', 'kitti'))
    with pytest.raises(ValueError, match='coco_val'):
        generate_toy_data(str(tmp_path), formats='coco', coco_val=-1)
    out = str(tmp_path / 'x')
    generate_toy_data(out, seed=0, formats='coco', **dict(SIZES, coco_train=1, coco_val=1))
    with pytest.raises(FileExistsError, match='coco'):
        generate_toy_data(out, seed=0, formats='coco', **dict(SIZES, coco_train=1, coco_val=1))
    # another format beside it is fine, and --overwrite replaces the COCO folder only
    generate_toy_data(out, seed=0, formats='cityscapes', **dict(SIZES, cityscapes_train=1, cityscapes_val=1))
    summary = generate_toy_data(out, seed=0, formats='coco', overwrite=True,
                                **dict(SIZES, coco_train=2, coco_val=1))
    assert [(s['name'], s['images']) for s in summary['splits']] == [('COCO train2017', 2),
                                                                      ('COCO val2017', 1)]
    assert [s['images'] for s in summarize_toy_data(out)['splits']] == [2, 1, 1, 1]


# ----------------------------------------------------------------------------- summary and CLI
def _cli():
    path = osp.join(REPO, 'tools', 'misc', 'make_toy_data.py')
    spec = importlib.util.spec_from_file_location('make_toy_data', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_counts_objects_and_images_per_class(toy):
    splits = summarize_toy_data(toy)['splits']
    assert [(s['task'], s['name'], s['images']) for s in splits] == [
        ('detection', 'COCO train2017', 4), ('detection', 'COCO val2017', 3),
        ('segmentation', 'cityscapes train', 4), ('segmentation', 'cityscapes val', 3)]
    for split, summary in zip(('train2017', 'val2017'), splits[:2]):
        labels = [inst['label'] for i in range(summary['images']) for inst in _coco_scene(split, i)[1]]
        assert summary['instances'] == len(labels)
        assert summary['per_class'] == {name: labels.count(c) for c, name in enumerate(TOY_CLASSES)}
    for split, summary in zip(('train', 'val'), splits[2:]):
        present = [set(np.unique(_cityscapes_labels(split, i)[1]).tolist()) for i in range(summary['images'])]
        assert summary['per_class'] == {name: sum(c + 1 in p for p in present)
                                        for c, name in enumerate(TOY_CLASSES)}


def test_cli_writes_and_checks_the_new_formats(tmp_path, capsys):
    cli = _cli()
    assert cli.parse_args([]).formats is None  # writes voc,cifar; --check finds what is there
    assert cli.parse_args(['--profile', 'easy']).coco_train == 1000
    out = str(tmp_path / 'toy')
    args = ['--out', out, '--formats', 'coco,cityscapes', '--coco-train', '2', '--coco-val', '1',
            '--cityscapes-train', '2', '--cityscapes-val', '1']
    assert cli.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert sorted(os.listdir(out)) == ['cityscapes', 'coco']
    assert lines[0].startswith('detection      COCO train2017           2 images')
    assert lines[3].startswith('segmentation   cityscapes val           1 images | images with: circle=')
    assert lines[-1].startswith(f'wrote (hard profile, seed 0) {out}: detection 3, segmentation 3 images')
    assert cli.main(['--out', out, '--check']) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(
        f'checked {out}: detection 3, segmentation 3 images')
    # asking for a format that is not there names the command that writes it
    assert cli.main(['--out', out, '--check', '--formats', 'voc']) == 1
    assert 'VOCdevkit' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.parse_args(['--formats', 'coco,kitti'])
    assert 'kitti' in capsys.readouterr().err
    assert cli.main(['--out', str(tmp_path / 'empty'), '--check']) == 1
    assert 'holds none of VOCdevkit/, cifar-toy/, coco/, cityscapes/' in capsys.readouterr().err


def test_check_reports_broken_coco_and_cityscapes_files(toy, tmp_path):
    broken = str(tmp_path / 'broken')
    shutil.copytree(toy, broken)
    path = osp.join(broken, 'coco/annotations/instances_val2017.json')
    with open(path) as f:
        content = json.load(f)
    content['annotations'][0]['bbox'][2] += 1  # one column wider than its mask
    with open(path, 'w') as f:
        json.dump(content, f)
    with pytest.raises(ValueError, match='differ from those of its mask'):
        summarize_toy_data(broken, 'coco')
    content['annotations'][0]['bbox'][2] -= 1
    content['annotations'][0]['category_id'] = 7
    with open(path, 'w') as f:
        json.dump(content, f)
    with pytest.raises(ValueError, match='category_id 7'):
        summarize_toy_data(broken, 'coco')
    os.remove(osp.join(broken, 'coco/val2017/000001000001.jpg'))
    with pytest.raises(FileNotFoundError, match='--formats coco'):
        summarize_toy_data(broken, 'coco')
    city, stem = cityscapes_name('train', 1)
    png = osp.join(broken, f'cityscapes/gtFine/train/{city}/{stem}_gtFine_labelTrainIds.png')
    Image.fromarray(np.full((240, 480), 7, np.uint8)).save(png)
    with pytest.raises(ValueError, match=r'train ids \[7\]'):
        summarize_toy_data(broken, 'cityscapes')
    os.remove(png)
    with pytest.raises(FileNotFoundError, match='--formats cityscapes'):
        summarize_toy_data(broken, 'cityscapes')


# ----------------------------------------------------------------------------- dataset base configs
def _with_root(dataset_cfg, root):
    dataset_cfg = dataset_cfg.copy()
    dataset_cfg['data_root'] = root
    return dataset_cfg


@pytest.mark.parametrize('name, scale', [('toy_coco_det.py', (533, 320)), ('toy_easy_coco_det.py', (267, 160))])
def test_coco_base_configs(toy, name, scale):
    from mmdet.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    init_default_scope('mmdet')
    expected_root = 'data/toy_easy/coco/' if 'easy' in name else 'data/toy/coco/'
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'CocoDataset' and loader.dataset.data_root == expected_root
        assert loader.dataset.metainfo.classes == TOY_CLASSES
        assert [t for t in loader.dataset.pipeline if t.type == 'Resize'][0].scale == scale
    assert cfg.val_evaluator.type == 'CocoMetric' and cfg.val_evaluator.metric == 'bbox'
    assert cfg.val_evaluator.ann_file == expected_root + 'annotations/instances_val2017.json'
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train2017.json'
    root = osp.join(toy, 'coco')
    train = DATASETS.build(_with_root(cfg.train_dataloader.dataset, root))
    val = DATASETS.build(_with_root(cfg.val_dataloader.dataset, root))
    assert len(train) == 4 and len(val) == 3  # every toy image has objects and sides >= 32 px
    item = val[0]
    img, instances = _coco_scene('val2017', 0)
    factor = min(scale[0] / max(img.shape[:2]), scale[1] / min(img.shape[:2]))
    assert item['inputs'].shape[1:] == tuple(int(v * factor + 0.5) for v in img.shape[:2])
    assert item['data_samples'].gt_instances.bboxes.shape == (len(instances), 4)


@pytest.mark.parametrize('name, scale', [('toy_cityscapes_seg.py', (512, 256)),
                                         ('toy_easy_cityscapes_seg.py', (256, 128))])
def test_cityscapes_base_configs(toy, name, scale):
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    init_default_scope('mmseg')
    expected_root = 'data/toy_easy/cityscapes/' if 'easy' in name else 'data/toy/cityscapes/'
    for loader, split in ((cfg.train_dataloader, 'train'), (cfg.val_dataloader, 'val'),
                          (cfg.test_dataloader, 'val')):
        assert loader.dataset.type == 'BaseSegDataset' and loader.dataset.data_root == expected_root
        assert loader.dataset.data_prefix == dict(img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}')
        assert loader.dataset.metainfo.classes == TOY_SEG_CLASSES
    assert cfg.val_evaluator.type == 'IoUMetric' and cfg.crop_size == (128, 256)
    assert len(cfg.class_weight) == len(TOY_SEG_CLASSES)
    root = osp.join(toy, 'cityscapes')
    train = DATASETS.build(_with_root(cfg.train_dataloader.dataset, root))
    val = DATASETS.build(_with_root(cfg.val_dataloader.dataset, root))
    assert len(train) == 4 and len(val) == 3 and train.metainfo['classes'] == TOY_SEG_CLASSES
    crop = train[0]['inputs']
    assert crop.shape[0] == 3 and crop.shape[1] <= 128 and crop.shape[2] <= 256
    # test images (2:1) are resized to the pipeline's 2:1 frame, labels kept at the file's resolution
    assert [t for t in cfg.val_dataloader.dataset.pipeline if t.type == 'Resize'][0].scale == scale
    item = val[0]
    assert item['inputs'].shape[1:] == (scale[1], scale[0])
    assert item['data_samples'].gt_sem_seg.data.shape[1:] == (240, 480)


# ----------------------------------------------------------------------------- training through tools/
# The smallest students of mmdet's and mmseg's zoos on the toy sets, composed as the zoo composes them
# (model base + dataset base + schedule + runtime), from random weights, for a two-iteration run.
RETINANET_TOY = """
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py', '../configs/_base_/datasets/toy_coco_det.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512]),
    bbox_head=dict(num_classes=6),
    # keep every box: an untrained head scores below mmdet's 0.05 threshold
    test_cfg=dict(score_thr=0.0))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=2)]
optim_wrapper = dict(optimizer=dict(lr=0.005))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=2))
log_processor = dict(by_epoch=False)
"""
PSPNET_TOY = """
_base_ = [
    'mmseg::_base_/models/pspnet_r50-d8.py', '../configs/_base_/datasets/toy_cityscapes_seg.py',
    'mmseg::_base_/default_runtime.py', '../configs/_base_/schedules/toy_seg_200it.py'
]
norm_cfg = dict(type='BN', requires_grad=True)  # one process: no SyncBN
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=128, num_classes=7, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=7, norm_cfg=norm_cfg))
"""


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder laid out like the repo root: configs/ linked, a small COCO + Cityscapes toy set in data/toy."""
    from conftest import run_tool
    root = tmp_path_factory.mktemp('ws')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    (root / 'smoke').mkdir()
    (root / 'smoke/retinanet_r18_fpn_toy_coco.py').write_text(RETINANET_TOY)
    (root / 'smoke/pspnet_r18-d8_toy_cityscapes.py').write_text(PSPNET_TOY)
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--formats', 'coco,cityscapes',
             '--coco-train', '8', '--coco-val', '3', '--cityscapes-train', '8', '--cityscapes-val', '3')
    return root


@pytest.mark.slow
@pytest.mark.parametrize('config, options, metrics', [
    ('smoke/retinanet_r18_fpn_toy_coco.py', [], ['coco/bbox_mAP', 'coco/bbox_mAP_50']),
    ('smoke/pspnet_r18-d8_toy_cityscapes.py',
     ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1'], ['mIoU']),
])
def test_train_two_iterations_then_test(workspace, config, options, metrics):
    from conftest import run_tool
    name = osp.basename(config)[:-3]
    args = ['--cfg-options', *options] if options else []
    out = run_tool(workspace, 'tools/train.py', config, '--work-dir', f'work_dirs/{name}', *args)
    assert 'Iter(train) [2/2]' in out and all(m in out for m in metrics)
    out = run_tool(workspace, 'tools/test.py', config, f'work_dirs/{name}/iter_2.pth', '--work-dir',
                   f'work_dirs/{name}', '--out', f'work_dirs/{name}/test.json')
    result = json.loads((workspace / f'work_dirs/{name}/test.json').read_text())
    for metric in metrics:
        assert 0.0 <= result[metric] <= 100.0, result
    assert 'Iter(test) [3/3]' in out  # every val image evaluated
