# SSDLite with a MobileNetV2 backbone on PASCAL VOC 07+12 (the MobileNetV2 detection student), at 300x300
# like the other VOC detectors here (why 300 and not SSDLite's 320: _base_/models/ssdlite_mbv2.py). Data,
# schedule and runtime are those of ssd300_r18_voc0712.py. The backbone starts from mmdet's ImageNet-pretrained
# MobileNetV2 (open-mmlab://mmdet/mobilenet_v2, as mmdet's YOLOv3-MobileNetV2; downloaded on first use)
# rather than from scratch as mmdet's 600-epoch COCO SSDLite: the VOC schedule is 24 epochs, and the
# ResNet-18 student starts from ImageNet weights too.
_base_ = [
    '../_base_/models/ssdlite_mbv2.py', '../_base_/datasets/voc0712_det.py',
    '../_base_/schedules/ssd300_voc0712_24e.py', '../_base_/default_runtime_det.py'
]

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    bbox_head=dict(num_classes=20))
