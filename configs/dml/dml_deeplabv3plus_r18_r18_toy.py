# Deep Mutual Learning (Zhang et al., CVPR 2018) for segmentation: two DeepLabV3+ ResNet-18 peers trained
# together from random weights on the toy VOC segmentation data, each with its own losses (decode and
# auxiliary cross-entropy) plus loss_mutual_<peer> = KL(p_other || p_peer) per location of the decode
# head's class scores (decode_head.conv_seg, 1/4 of the crop), summed over classes and averaged over
# locations; tau 1, weight 1. Schedule, data and runtime: deeplabv3plus/deeplabv3plus_r18_toy.py.
# Validation evaluates peer `a`; `--cfg-options model.predict_peer=b` evaluates the other.
#   python tools/train.py configs/dml/dml_deeplabv3plus_r18_r18_toy.py
_base_ = ['../deeplabv3plus/deeplabv3plus_r18_toy.py']

# the peers carry their data_preprocessor (inside each peer config)
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.MutualLearning',
    peers=dict(a={{_base_.model}}, b={{_base_.model}}),
    logits='decode_head.conv_seg',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    predict_peer='a',
    input_size={{_base_.crop_size}})
