# The toy ResNet-18 classifier (cls_r18_toy.py) trained with label smoothing instead of the plain
# cross-entropy: the teacher-free control of Hinton KD (configs/kd/kd_cls_r50_r18_toy.py). The target is
# (1 - 0.1) * onehot(y) + 0.1 / C (Szegedy et al., CVPR 2016, epsilon = 0.1); everything else (data,
# 200-iteration schedule, seed) is the baseline's, so the three runs differ only in the target.
_base_ = './cls_r18_toy.py'

model = dict(head=dict(loss=dict(_delete_=True, type='mmkd.LabelSmoothingLoss', epsilon=0.1, loss_weight=1.0)))
