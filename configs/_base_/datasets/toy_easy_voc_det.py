# Easy toy detection set (tools/misc/make_toy_data.py --profile easy): the VOC 07+12 layout of
# toy_voc_det.py with 1-3 large shapes per 128-160 px image, under data/toy_easy. SSD's own augmentation
# (expand, min-IoU crop, photometric distortion) and 300x300 inputs, as for PASCAL VOC; evaluation on
# VOC2007 test with mmdet's VOCMetric (mAP at IoU 0.5, 11-point).
_base_ = './toy_voc_det.py'

data_root = 'data/toy_easy/VOCdevkit/'
voc_year = dict(
    type='VOCDataset',
    data_root=data_root,
    metainfo={{_base_.metainfo}},
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline={{_base_.train_pipeline}})

train_dataloader = dict(
    dataset=dict(datasets=[
        dict(voc_year, ann_file='VOC2007/ImageSets/Main/trainval.txt',
             data_prefix=dict(sub_data_root='VOC2007/')),
        dict(voc_year, ann_file='VOC2012/ImageSets/Main/trainval.txt',
             data_prefix=dict(sub_data_root='VOC2012/'))
    ]))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
