# Classification images of the easy toy profile (tools/misc/make_toy_data.py --profile easy): 64x64
# images of the 10 toy shapes in the CIFAR-100 python format under data/toy_easy/cifar-toy. They play
# ImageNet's part for the easy dense sets: backbones are pretrained on them once, then detectors and
# segmentors start from those weights, as the real recipes start from ImageNet.
_base_ = './toy_cls.py'

data_root = 'data/toy_easy/cifar-toy'

train_pipeline = [
    dict(type='mmkd.RandomCropPad', crop_size=64, padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmkd.PackClsInputs')
]
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
