# Toy twin of rocket_cls_r18_cifar100.py: the same ResNet-18 light net with a ResNet-34 booster sharing
# the stem and stage 1 (hint weight 0.1, gradient block) on the 10-class toy CIFAR data, 200 iterations of
# batch 32 on the CPU, from random weights.
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/toy_cls.py',
    '../_base_/schedules/toy_cls_200it.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.RocketClassifier',
    shared_stages=1,
    kd_loss=dict(type='mmkd.HintLoss', loss_weight=0.2),  # 1/2 ||l - z||^2 per sample: lambda = 0.1
    gradient_block=True,
    predict_net='light',
    head=dict(num_classes=10),
    booster_backbone=dict(
        type='mmdet.ResNet',
        depth=34,
        num_stages=4,
        deep_stem=True,
        strides=(1, 1, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None))
