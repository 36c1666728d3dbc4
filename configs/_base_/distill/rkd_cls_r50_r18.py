# RKD (Park et al., "Relational Knowledge Distillation", CVPR 2019): ResNet-50 -> ResNet-18.
# lambda_D * Huber(psi_D(s), psi_D(t)) + lambda_A * Huber(psi_A(s), psi_A(t)), with psi_D the pairwise
# distances of the batch divided by their mean and psi_A the cosines of the angles of all triples.
# Position: the penultimate embedding, the globally pooled last-stage feature that head.fc receives (512-d
# student, 2048-d teacher: relation losses compare N x N structures, so the dims may differ), the paper's
# position for classification. lambda_D = 25, lambda_A = 50: the paper's values. Added to the student's
# cross-entropy.
# Shared by the toy and real twins configs/rkd/rkd_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

rkd_points = dict(
    rkd=dict(student=dict(source='head.fc', io='input'), teacher=dict(source='head.fc', io='input'),
             loss=dict(type='mmkd.RKDLoss', distance_weight=25.0, angle_weight=50.0)))
