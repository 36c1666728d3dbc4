# PKT (Passalis & Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", ECCV 2018):
# ResNet-50 -> ResNet-18 on the toy classification data (10 classes, 32x32).
# 1/N sum_i KL(P_t[i] || P_s[i]), P[i, j] = K(f_i, f_j) / sum_{k != i} K(f_i, f_k) with the cosine kernel K =
# (cos + 1) / 2: the conditional probability of each sample's neighbours.
# Position: the penultimate embedding, the globally pooled last-stage feature that head.fc receives (512-d
# student, 2048-d teacher: relation losses compare N x N structures, so the dims may differ). Weight: 3e4 on
# the mean over the N x N entries in the CIFAR-100 benchmark of Tian et al. (ICLR 2020); this loss averages
# over the N rows only, so loss_weight = 3e4 / N with the batch size N = 32. Added to the student's
# cross-entropy.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py']

model = dict(
    distill_points=dict(
        pkt=dict(student=dict(source='head.fc', io='input'), teacher=dict(source='head.fc', io='input'),
                 loss=dict(type='mmkd.PKTLoss', loss_weight=3e4 / 32))),
    diagnostics=dict(student='head.fc', teacher='head.fc'))
