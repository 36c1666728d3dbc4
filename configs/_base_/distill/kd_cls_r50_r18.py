# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015): ResNet-50 -> ResNet-18.
# Soft targets: tau^2 * KL(softmax(t / tau) || softmax(s / tau)) on the
# logits (head.fc), weight 0.9; hard targets: the student's own cross-entropy, weight 0.1 (tau = 4 and
# the 0.9 / 0.1 split of the common CIFAR-100 benchmark, Tian et al., ICLR 2020).
# Shared by the toy and real twins configs/kd/kd_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

kd_points = dict(
    kd=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=4.0, loss_weight=0.9)))
