# Toy twin of okddip_cls_r18_cifar100.py: the same OKDDip ResNet-18 (leader + 3 peers after stage 3,
# attention on the peers' pooled features, T = 3) on the 10-class toy CIFAR data, 200 iterations of batch 32
# on the CPU, from random weights.
#   python tools/train.py configs/okddip/okddip_cls_r18_toy.py
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/toy_cls.py',
    '../_base_/schedules/toy_cls_200it.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.OKDDipClassifier',
    num_peers=3,
    shared_stages=3,
    kd_loss=dict(type='mmkd.KDLoss', tau=3.0),
    leader_target='peer_mean',
    predict_branch=0,
    head=dict(num_classes=10))
