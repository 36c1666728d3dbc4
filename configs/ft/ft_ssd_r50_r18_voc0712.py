# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC 07+12 (300x300).
# Stage 'paraphraser' until end_epoch=4 (4 of the 24 epochs, ~15% of the schedule).
# Points and stages: _base_/distill/ft_ssd_r50_r18.py, shared with the toy twin.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_r18_voc0712.py', '../_base_/distill/ft_ssd_r50_r18.py']

model = dict(
    distill_points={{_base_.ft_points}},
    stages={{_base_.ft_stages.voc0712}})

find_unused_parameters = True
