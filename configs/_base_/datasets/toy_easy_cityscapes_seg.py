# Easy toy segmentation set in the Cityscapes layout (tools/misc/make_toy_data.py --profile easy
# --formats cityscapes): toy_cityscapes_seg.py with 1-3 large shapes per 256x128 frame, under
# data/toy_easy. Frames are used at their own scale: random rescale 0.75-1.5x of 256x128, a 128x256
# crop (the whole frame at 1x), flip, photometric distortion; whole-image evaluation at 256x128.
_base_ = './toy_cityscapes_seg.py'

data_root = 'data/toy_easy/cityscapes/'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=8, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
