# SSD300 with a ResNet-18 backbone on PASCAL VOC 07+12 (the detection student): ssd300_r50_voc0712.py
# with the narrower backbone (neck/head input widths 128/256). ImageNet-pretrained ResNet-18 from
# torchvision, downloaded on first use.
_base_ = [
    '../_base_/models/ssd300_r18.py', '../_base_/datasets/voc0712_det.py',
    '../_base_/schedules/ssd300_voc0712_24e.py', '../_base_/default_runtime_det.py'
]

model = dict(bbox_head=dict(num_classes=20, anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
