# PASCAL VOC 07+12 for SSD300: train on VOC2007 trainval + VOC2012 trainval, test on VOC2007 test.
# mmdet's VOC base gives the datasets and the 11-point mAP metric; the SSD300 augmentation and loader
# settings below are those of mmdet's own `pascal_voc/ssd300_voc0712.py` (which keeps them in its leaf
# config, not in a base), restated here so any backbone can share them. tests/test_configs/test_configs.py checks
# that they stay equal to the zoo's.
_base_ = 'mmdet::_base_/datasets/voc0712.py'

# SSD300 photometric/geometric augmentation (Liu et al., "SSD: Single Shot MultiBox Detector", ECCV 2016):
# zoom out (Expand, filled with the data preprocessor's mean, RGB), IoU-constrained random crop, then a
# fixed 300x300 resize without keeping the aspect ratio.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 4)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=(300, 300), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(300, 300), keep_ratio=False),
    # annotations are loaded after Resize so the boxes stay in original-image coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

# 8 images per GPU; the 07+12 union is repeated 10 times so that mmdet's 24-epoch schedule means
# 240 passes over the data, as in the zoo.
train_dataloader = dict(
    batch_size=8,
    num_workers=3,
    dataset=dict(  # RepeatDataset
        times=10,
        dataset=dict(  # ConcatDataset; VOCDataset's per-year `dataset_type` meta differs, hence ignored
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    type={{_base_.dataset_type}},
                    data_root={{_base_.data_root}},
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32),
                    pipeline=train_pipeline),
                dict(
                    type={{_base_.dataset_type}},
                    data_root={{_base_.data_root}},
                    ann_file='VOC2012/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2012/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32),
                    pipeline=train_pipeline)
            ])))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
