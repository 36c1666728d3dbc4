# Toy classification data in the CIFAR-100 python format (made by tools/misc/make_toy_data.py): 32x32
# images of 10 classes under data/toy/cifar-toy/{train,test,meta}. Same pipelines and metric as
# CIFAR-100; smaller CPU loaders and an endless sampler for the iteration-based toy schedule.
# Another root: --cfg-options train_dataloader.dataset.data_root=... val_dataloader.dataset.data_root=...
# test_dataloader.dataset.data_root=...
_base_ = './cifar100.py'

data_root = 'data/toy/cifar-toy'

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
