# Deep Mutual Learning (Zhang et al., CVPR 2018): two ResNet-18 peers (32 px classifiers) trained together
# from scratch on the toy classification data, each with its cross-entropy plus
# loss_mutual_<peer> = KL(p_other || p_peer) on the logits (head.fc), tau 1, weight 1 (the paper's loss).
# Schedule, data and runtime: cls/cls_r18_toy.py (200 iterations of batch 32). Validation and
# tools/test.py evaluate peer `a`; `--cfg-options model.predict_peer=b` evaluates the other.
#   python tools/train.py configs/dml/dml_cls_r18_r18_toy.py
_base_ = ['../cls/cls_r18_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.MutualLearning',
    peers=dict(a={{_base_.model}}, b={{_base_.model}}),
    logits='head.fc',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    predict_peer='a',
    input_size=(32, 32))
