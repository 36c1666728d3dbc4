# Toy shapes detection data in the real COCO layout (tools/misc/make_toy_data.py --formats coco):
# train2017/ and val2017/ JPEGs with annotations/instances_{train,val}2017.json (boxes and instance
# masks). mmdet's COCO detection base with its CocoDataset, pipelines and CocoMetric; only the root, the
# six classes, the image scale and CPU-sized loaders differ. For masks (Mask R-CNN), add
# with_mask=True to both LoadAnnotations and metric=['bbox', 'segm'] to the evaluators.
# Another root: --cfg-options on train_dataloader.dataset.data_root, val_dataloader.dataset.data_root,
# test_dataloader.dataset.data_root and val_evaluator.ann_file / test_evaluator.ann_file (the metric
# reads the JSON itself).
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

data_root = 'data/toy/coco/'
# the names of the JSON's categories (ids 1-6), in label order; one colour (RGB) per class for the
# visualizer
metainfo = dict(
    classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross'),
    palette=[(220, 20, 60), (0, 128, 255), (0, 170, 0), (255, 170, 0), (160, 32, 240), (0, 200, 200)])

# mmdet's COCO pipeline at 0.4 of its scale: images (240-360 px sides) resized to fit 533x320 (instead
# of 1333x800), keeping their aspect ratio, then flipped half of the time.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(533, 320), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(533, 320), keep_ratio=True),
    # annotations are loaded after Resize so the boxes stay in original-image coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

# Small loaders for 2 CPU cores; an endless sampler for the iteration-based toy schedules (mmdet's
# aspect-ratio batches are kept).
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
# val2017, evaluated with the base's CocoMetric (bbox mAP at IoU 0.50:0.95, COCO's 101-point AP)
val_dataloader = dict(
    num_workers=2,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
