# Easy toy detection set (tools/misc/make_toy_data.py --profile easy): the VOC 07+12 layout of
# toy_voc_det.py with 1-3 large shapes per 128-160 px image, under data/toy_easy. SSD's own augmentation
# (expand, min-IoU crop, photometric distortion) as for PASCAL VOC, but at 160x160 inputs: the images are
# 128-160 px, so SSD300's upsampling to 300 px would only multiply the cost (3.5x). Evaluation on
# VOC2007 test with mmdet's VOCMetric (mAP at IoU 0.5, 11-point).
_base_ = './toy_voc_det.py'

data_root = 'data/toy_easy/VOCdevkit/'
image_scale = (160, 160)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 4)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=image_scale, keep_ratio=False),
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
    dict(type='Resize', scale=image_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
voc_year = dict(
    type='VOCDataset',
    data_root=data_root,
    metainfo={{_base_.metainfo}},
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=train_pipeline)

train_dataloader = dict(
    dataset=dict(datasets=[
        dict(voc_year, ann_file='VOC2007/ImageSets/Main/trainval.txt',
             data_prefix=dict(sub_data_root='VOC2007/')),
        dict(voc_year, ann_file='VOC2012/ImageSets/Main/trainval.txt',
             data_prefix=dict(sub_data_root='VOC2012/'))
    ]))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
