# DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022): ResNet-50 -> ResNet-18.
# With P = softmax(z / tau) per sample: tau^2 * (beta * (1 - mean_i pearson(P_s[i, :], P_t[i, :])) + gamma *
# (1 - mean_c pearson(P_s[:, c], P_t[:, c]))), the inter-class relation of each sample and the intra-class
# relation of each class over the batch.
# Position: the logits (head.fc) on both sides. beta = gamma = 1, tau = 1: the paper's default (ImageNet)
# setting; DIST is added to the student's cross-entropy (weight 1), L = L_cls + L_DIST.
# Shared by the toy and real twins configs/dist/dist_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

dist_points = dict(
    dist=dict(student='head.fc', teacher='head.fc',
              loss=dict(type='mmkd.DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=1.0)))
