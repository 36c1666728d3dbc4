# SSD300 with a ResNet-50 backbone in place of VGG16 (mmdet's SSD300 otherwise: neck extra layers,
# anchors, assigner, test settings). Dataset-agnostic, like mmdet's model bases (80 classes until a
# leaf config sets num_classes).
_base_ = 'mmdet::_base_/models/ssd300.py'

model = dict(
    # torchvision ResNets are trained on inputs normalised by the ImageNet mean *and* std (SSDVGG's
    # caffe weights only subtract the mean)
    data_preprocessor=dict(std=[58.395, 57.12, 57.375]),
    # Three stages only; stages 2 and 3 (out_indices 1, 2) have strides 8 and 16, i.e. 38x38 and
    # 19x19 maps at 300 px -- the two maps SSDVGG feeds the neck (conv4_3, fc7).
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(1, 2),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        # ImageNet weights, downloaded on first use
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    # Channel convention shared by every ResNet SSD300 here: the neck passes the two backbone maps
    # through and appends SSD300's four extra levels (512, 256, 256, 256 channels; 10, 5, 3, 1 px), so
    # out_channels = backbone channels + (512, 256, 256, 256) and the head reads the same six.
    # No L2Norm: ResNet features are already batch-normalised (VGG's conv4_3 needed the rescaling).
    neck=dict(
        in_channels=(512, 1024),
        out_channels=(512, 1024, 512, 256, 256, 256),
        l2_norm_scale=None),
    bbox_head=dict(in_channels=(512, 1024, 512, 256, 256, 256)))
