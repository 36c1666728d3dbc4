# CIFAR-100 (python version, https://www.cs.toronto.edu/~kriz/cifar.html): `train`, `test` and `meta`
# pickles under data_root; 50k training and 10k test images of 32x32, 100 classes. The dataset yields
# decoded images (`img`, HxWx3 uint8 BGR), so the pipelines have no LoadImageFromFile.
dataset_type = 'mmkd.CIFAR100Dataset'
data_root = 'data/cifar-100-python'

# the standard CIFAR augmentation: pad 4 px on every border, random 32x32 crop, horizontal flip (mmcv)
train_pipeline = [
    dict(type='mmkd.RandomCropPad', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmkd.PackClsInputs')
]
test_pipeline = [dict(type='mmkd.PackClsInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, test_mode=False, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# top-1 / top-5 accuracy in percent, logged as accuracy/top1 and accuracy/top5
val_evaluator = dict(type='mmkd.Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
