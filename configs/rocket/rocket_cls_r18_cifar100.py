# Rocket launching (Zhou et al., "Rocket Launching: A Universal and Efficient Framework for Training
# Well-performing Light Net", AAAI 2018) on CIFAR-100, from scratch, on the CIFAR-100 schedule of the other
# classifiers. Light net: the ResNet-18 classifier; booster: stages 2-4 of a ResNet-34 (same stem, strides
# and widths) reading the light net's stage-1 output, with its own fc. Loss:
#   CE(l, y) + CE(z, y) + lambda * mean_n ||l_n - stopgrad(z_n)||^2,   lambda = 0.1 (our choice),
# the booster logits detached in the hint (gradient block). Evaluation uses the light net; export it with
#   python tools/model_converters/online_to_single.py CKPT light.pth --config THIS --out-config light.py
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar100_200e.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.RocketClassifier',
    shared_stages=1,
    kd_loss=dict(type='mmkd.HintLoss', loss_weight=0.2),  # 1/2 ||l - z||^2 per sample: lambda = 0.1
    gradient_block=True,
    predict_net='light',
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
