# ResNet-50 image classifier for 32x32 inputs (CIFAR), trained from scratch (no ImageNet weights exist
# for this layout). 100 classes until a leaf config changes num_classes.
model = dict(
    type='mmkd.ImageClassifier',
    # CIFAR-100 training-set channel statistics (RGB, 0-255); images arrive BGR, as mmcv loads them
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        bgr_to_rgb=True),
    # mmdet's ResNet adapted to 32x32: its stem always downsamples by 4 (stride-2 conv + max-pool),
    # so the stem is the "deep" one (three 3x3 convs instead of a 7x7, which suits tiny images better)
    # and only stage 3 downsamples (strides 1, 1, 2, 1): stage maps are 8, 8, 4, 4 px, like the 4x4 last
    # map of the usual CIFAR ResNets. All four stage outputs are returned for feature distillers; the
    # head pools the last one.
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        deep_stem=True,
        strides=(1, 1, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    # global average pooling + one linear layer, cross-entropy; top-1/top-5 training accuracy logged
    head=dict(
        type='mmkd.LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
