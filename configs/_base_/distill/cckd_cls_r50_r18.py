# CCKD (Peng et al., "Correlation Congruence for Knowledge Distillation", ICCV 2019): ResNet-50 -> ResNet-18.
# L = alpha CE + (1 - alpha) KD + beta ||C_s - C_t||_F^2 / N^2, with C the N x N correlation of the
# L2-normalised embeddings under the Gaussian RBF kernel, expanded to order P = 2, gamma = 0.4 (the paper's
# kernel).
# Instance congruence: Hinton KD on the logits (tau 4, weight 1 - alpha = 0.9; cross-entropy alpha = 0.1, as
# configs/kd/). Correlation congruence on the penultimate embedding, the globally pooled last-stage feature
# that head.fc receives (512-d student, 2048-d teacher: relation losses compare N x N structures, so the dims
# may differ); beta = 0.02, the CC weight of the CIFAR-100 benchmark of Tian et al. (ICLR 2020), which uses
# the same mean over the N x N entries.
# Shared by the toy and real twins configs/cckd/cckd_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

cckd_points = dict(
    kd=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=4.0, loss_weight=0.9)),
    cc=dict(student=dict(source='head.fc', io='input'), teacher=dict(source='head.fc', io='input'),
            loss=dict(type='mmkd.CCKDLoss', gamma=0.4, order=2, kernel='gaussian', loss_weight=0.02)))
