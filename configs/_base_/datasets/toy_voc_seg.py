# Toy shapes segmentation data in the PASCAL VOC 2012 layout (made by tools/misc/make_toy_data.py):
# JPEGImages/*.jpg, SegmentationClass/*.png (0 background, 1-6 shapes, 255 ignored),
# ImageSets/Segmentation/{train,val}.txt. mmseg's VOC 2012 base with everything scaled to the toy
# images (240-360 px): a 128x128 crop instead of 512x512, the same augmentations, small CPU loaders.
# Another root: --cfg-options train_dataloader.dataset.data_root=... val_dataloader.dataset.data_root=...
# test_dataloader.dataset.data_root=...
_base_ = 'mmseg::_base_/datasets/pascal_voc12.py'

# mmseg's PascalVOCDataset only accepts a subset of the 21 VOC class names (it remaps labels by name),
# so the toy classes use its parent, BaseSegDataset, which reads the same layout with the classes given
# here and no remapping.
dataset_type = 'BaseSegDataset'
data_root = 'data/toy/VOCdevkit/VOC2012'
# label order, and the first seven colours of the VOC palette for the visualizer
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle', 'star', 'ring', 'cross'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
             [0, 128, 128]])
crop_size = (128, 128)
# Background covers most of every toy image, so an unweighted cross-entropy sits at "all background"
# for hundreds of iterations (13.1 mIoU after 400, every shape class at 0; docs/results.md, "Segmentation
# on the hard toy set"); the toy model configs weigh the background class down in their losses with this.
class_weight = [0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]

# mmseg's VOC augmentation at a quarter of the scale: random rescale to a short side of 64-256 px (0.5-2x
# of 128), a 128x128 crop that no single class fills beyond 75%, flip, photometric distortion, and
# padding (image 0, label 255) when the rescaled image is smaller than the crop.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(512, 128), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
# whole-image evaluation at a 128 px short side; labels are loaded after Resize, so mIoU is computed at
# the original resolution (the model resizes its prediction back)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        pipeline=train_pipeline))
# one image per batch: test images keep their aspect ratio, hence differ in size
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
