# Toy shapes detection data in the real PASCAL VOC layout (made by tools/misc/make_toy_data.py), with
# the same SSD300 pipelines, datasets and metric as the VOC 07+12 base: only the root, the six classes
# and CPU-sized loaders differ. Another root: --cfg-options on the four `data_root` entries below
# (train_dataloader.dataset.datasets.0/1, val_dataloader.dataset, test_dataloader.dataset).
_base_ = './voc0712_det.py'

data_root = 'data/toy/VOCdevkit/'
# classes in label order; one colour (RGB) per class for the visualizer
metainfo = dict(
    classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross'),
    palette=[(220, 20, 60), (0, 128, 255), (0, 170, 0), (255, 170, 0), (160, 32, 240), (0, 200, 200)])

# Small loaders for 2 CPU cores; an endless sampler for the iteration-based toy schedules, and no
# aspect-ratio grouping (every image is resized to 300x300 anyway). No RepeatDataset either: the
# schedule counts iterations, not epochs.
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type='VOCDataset',
                data_root=data_root,
                metainfo=metainfo,
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2007/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline={{_base_.train_pipeline}}),
            dict(
                type='VOCDataset',
                data_root=data_root,
                metainfo=metainfo,
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2012/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline={{_base_.train_pipeline}})
        ]))
# VOC2007 test, evaluated with the base's VOCMetric (mAP at IoU 0.5, 11-point AP as for VOC2007)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
