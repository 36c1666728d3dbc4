# PKT (Passalis & Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer", ECCV 2018):
# ResNet-50 -> ResNet-18.
# 1/N sum_i KL(P_t[i] || P_s[i]), P[i, j] = K(f_i, f_j) / sum_{k != i} K(f_i, f_k) with the cosine kernel K =
# (cos + 1) / 2: the conditional probability of each sample's neighbours.
# Position: the penultimate embedding, the globally pooled last-stage feature that head.fc receives (512-d
# student, 2048-d teacher: relation losses compare N x N structures, so the dims may differ). Weight: 3e4 on
# the mean over the N x N entries in the CIFAR-100 benchmark of Tian et al. (ICLR 2020); this loss averages
# over the N rows only, so loss_weight = 3e4 / N with the batch size N (32 toy, 128 CIFAR-100). Added to the
# student's cross-entropy.
# Shared by the toy and real twins configs/pkt/pkt_cls_r50_r18_{toy,cifar100}.py.


def pkt_points_for(batch_size):
    """The PKT point, weighted 3e4 / N for the batch size N."""
    return dict(
        pkt=dict(student=dict(source='head.fc', io='input'), teacher=dict(source='head.fc', io='input'),
                 loss=dict(type='mmkd.PKTLoss', loss_weight=3e4 / batch_size)))


pkt_points = dict(toy=pkt_points_for(32), cifar100=pkt_points_for(128))
