# Backbone pretraining on the easy toy classification set: 4500 iterations of batch 32 (14.4 epochs of the
# 10000 images), AdamW (lr 1e-3, weight decay 0.05) with a short warm-up and a cosine decay, evaluated and
# saved at the end. AdamW leaves the from-scratch plateau sooner than the SGD of the toy classification
# schedule. The length is what the dense models downstream depend on most: ResNet-18-V1c reaches 98% top-1
# on the 1000 test images after it (docs/results.md).
_base_ = './toy_cls_200it.py'

train_cfg = dict(max_iters=4500, val_interval=4500)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', T_max=4480, eta_min=1e-5, by_epoch=False, begin=20, end=4500)
]
default_hooks = dict(checkpoint=dict(interval=4500, max_keep_ckpts=1))
