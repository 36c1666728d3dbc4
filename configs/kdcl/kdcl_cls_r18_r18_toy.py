# KDCL (Guo et al., "Online Knowledge Distillation via Collaborative Learning", CVPR 2020): two ResNet-18
# peers (32 px classifiers) trained together from scratch on the toy classification data. Each peer sees
# its own random pad-4 crop + horizontal flip of the batch (drawn in the model: peer_augment), so the
# training pipeline only packs the images. Loss of peer k: its cross-entropy plus
# loss_kd_<peer> = T^2 * KL(softmax(z_t / T) || softmax(z_k / T)), T = 2, with the detached ensemble z_t
# (ensemble='minlogit'; 'naive', 'linear', 'general' are the paper's other choices:
# --cfg-options model.ensemble=linear). Schedule, data and runtime: cls/cls_r18_toy.py (200 iterations of
# batch 32). Validation and tools/test.py evaluate peer `a` (model.predict_peer=b: the other).
#   python tools/train.py configs/kdcl/kdcl_cls_r18_r18_toy.py
_base_ = ['../cls/cls_r18_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.KDCL',
    peers=dict(a={{_base_.model}}, b={{_base_.model}}),
    logits='head.fc',
    ensemble='minlogit',
    loss=dict(type='mmkd.KDLoss', tau=2.0, loss_weight=1.0),
    peer_augment=dict(padding=4, flip_prob=0.5),
    predict_peer='a',
    input_size=(32, 32))

# the per-peer augmentation replaces the pipeline's crop and flip
train_dataloader = dict(dataset=dict(pipeline=[dict(type='mmkd.PackClsInputs')]))
