# The five SSD levels of the 160 px detectors of the easy toy set (ssd/ssd160_*_toy_easy.py), popped into
# their neck and bbox_head: the backbone's two maps at 20 and 10 px (stride 8 and 16, 512 and 1024
# channels: conv4_3 and fc7 of VGG16, stages 2 and 3 of ResNet-50) and three extra levels at 5, 3 and 1 px
# (strides 2, 2, 1, paddings 1, 1, 0), in place of SSD300's six levels; one anchor size range per level,
# from 10% to 100% of the input side, square anchors and aspect ratios 2 and 3 as SSD300's middle levels.
ssd160_neck = dict(
    out_channels=(512, 1024, 512, 256, 256), level_strides=(2, 2, 1), level_paddings=(1, 1, 0))
ssd160_head = dict(
    in_channels=(512, 1024, 512, 256, 256),
    num_classes=6,
    anchor_generator=dict(
        input_size=160,  # the side of _base_/datasets/toy_easy_voc_det.py's image_scale
        strides=[8, 16, 32, 64, 160],
        ratios=[[2], [2, 3], [2, 3], [2], [2]],
        min_sizes=[16, 40, 64, 96, 128],
        max_sizes=[40, 64, 96, 128, 160],
        basesize_ratio_range=None))
