# Deep Mutual Learning (Zhang et al., CVPR 2018): two ResNet-18 peers (32 px classifiers) trained together
# from scratch on CIFAR-100, each with its cross-entropy plus loss_mutual_<peer> = KL(p_other || p_peer) on
# the logits (head.fc), tau 1, weight 1 (the paper's loss). Schedule, data and runtime:
# cls/cls_r18_cifar100.py (200 epochs, batch 128, SGD 0.1). Validation and tools/test.py evaluate peer `a`;
# `--cfg-options model.predict_peer=b` evaluates the other.
_base_ = ['../cls/cls_r18_cifar100.py']

model = dict(
    _delete_=True,
    type='mmkd.MutualLearning',
    peers=dict(a={{_base_.model}}, b={{_base_.model}}),
    logits='head.fc',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    predict_peer='a',
    input_size=(32, 32))
