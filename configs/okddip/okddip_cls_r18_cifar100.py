# OKDDip (Chen et al., "Online Knowledge Distillation with Diverse Peers", AAAI 2020) with ResNet-18 branches
# on CIFAR-100, from scratch, on the CIFAR-100 schedule of the other classifiers (200 epochs, batch 128).
# The stem and stages 1-3 are shared; stage 4 + pooling + fc is copied into a group leader (branch 0) and
# 3 auxiliary peers (branches 1-3). Peer i learns from t_i = sum_j a_ij z_j, a_ij = softmax_j(W_q h_i .
# W_k h_j) on the peers' pooled features; the leader learns from the mean of the peers' logits:
#   sum_b CE(z_b, y) + T^2 * (sum_i KL(softmax(t_i / T) || softmax(z_i / T)) + KL(t_L || z_L)),  T = 3.
# Evaluation uses the leader; tools/model_converters/online_to_single.py --branch 0 exports it as a plain
# ResNet-18.
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar100_200e.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.OKDDipClassifier',
    num_peers=3,
    shared_stages=3,
    kd_loss=dict(type='mmkd.KDLoss', tau=3.0),
    leader_target='peer_mean',
    predict_branch=0)
