# Toy shapes segmentation data in the real Cityscapes layout (tools/misc/make_toy_data.py --formats
# cityscapes): leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png (480x240, 2:1 like the real
# 2048x1024 frames) and gtFine/{train,val}/<city>/<name>_gtFine_labelTrainIds.png. mmseg's Cityscapes base
# with everything scaled to the toy images; only the root, the classes and CPU-sized loaders differ.
# Another root: --cfg-options train_dataloader.dataset.data_root=... val_dataloader.dataset.data_root=...
# test_dataloader.dataset.data_root=...
_base_ = 'mmseg::_base_/datasets/cityscapes.py'

# The train ids are the toy classes, not Cityscapes' 19: 0 background, 1-6 the shapes, 255 ignored (a
# band around every object outline). mmseg's CityscapesDataset reads these files, but with the toy
# names in `metainfo` it raises ValueError (it only accepts a subset of its 19 names, and remaps labels
# by name), so the toy classes use its parent, BaseSegDataset, with CityscapesDataset's two file
# suffixes: the same files, the same pairing of image and label, no remapping.
dataset_type = 'BaseSegDataset'
data_root = 'data/toy/cityscapes/'
img_suffix = '_leftImg8bit.png'
seg_map_suffix = '_gtFine_labelTrainIds.png'
# label order, and the first seven colours of the VOC palette for the visualizer (as for the VOC toy set)
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle', 'star', 'ring', 'cross'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
             [0, 128, 128]])
crop_size = (128, 256)
# Background covers most of every toy image; model configs weigh it down in their cross-entropy with
# this, as on the VOC toy set (toy_voc_seg.py).
class_weight = [0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]

# mmseg's Cityscapes augmentation at a quarter of its scale: random rescale of a 512x256 frame (instead
# of 2048x1024) by 0.5-2x, a 128x256 crop (instead of 512x1024) that no single class fills beyond 75%,
# flip, photometric distortion. Models pad smaller crops to crop_size in their data preprocessor.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(512, 256), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
# whole-image evaluation at 512x256; labels are loaded after Resize, so mIoU is computed at the original
# resolution (the model resizes its prediction back)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 256), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]

dataset = dict(
    type=dataset_type,
    data_root=data_root,
    metainfo=metainfo,
    img_suffix=img_suffix,
    seg_map_suffix=seg_map_suffix)
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(dataset, pipeline=train_pipeline))
# the base's IoUMetric (mIoU over the seven classes)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
