# Easy toy segmentation set (tools/misc/make_toy_data.py --profile easy): the VOC 2012 layout of
# toy_voc_seg.py, with 1-3 large shapes per 128-160 px image, under data/toy_easy. Images are used at
# their own scale: random rescale 0.75-1.5x of a 128 px short side, a 128x128 crop, flip, photometric
# distortion; whole-image evaluation at a 128 px short side. The plain cross-entropy of the real recipe
# (no class weights): objects are a tenth of the pixels, as on the hard set, but few and large.
_base_ = './toy_voc_seg.py'

data_root = 'data/toy_easy/VOCdevkit/VOC2012'
crop_size = (128, 128)
class_weight = None

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(512, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
