# Deep Mutual Learning (Zhang et al., CVPR 2018) between two architectures: a ResNet-18 and a MobileNetV2
# peer (32 px classifiers, same data preprocessor) trained together from scratch on the toy
# classification data, each with its cross-entropy plus loss_mutual_<peer> = KL(p_other || p_peer) on the
# logits (head.fc of both), tau 1, weight 1. Schedule, data and runtime: cls/cls_r18_toy.py. The
# MobileNetV2 peer is the model of its own config (a path, read from the repository root). Validation
# evaluates `r18`; `--cfg-options model.predict_peer=mbv2` evaluates the other.
#   python tools/train.py configs/dml/dml_cls_r18_mbv2_toy.py
_base_ = ['../cls/cls_r18_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.MutualLearning',
    peers=dict(r18={{_base_.model}}, mbv2='configs/cls/cls_mbv2_toy.py'),
    logits='head.fc',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    predict_peer='r18',
    input_size=(32, 32))
