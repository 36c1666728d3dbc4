# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): RetinaNet ResNet-50 FPN -> ResNet-18 FPN.
# alpha * 1/N sum (G(M * s) - t)^2: a random spatial mask M (ratio lambda) on the student feature, and a
# generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions: the five FPN outputs (strides 8-128, 256 channels on both sides, so no align conv), one point per
# level. alpha = 2e-5, lambda = 0.65: the paper's detection setting (MMRazor's RetinaNet MGD config). Added
# to the detector's losses.
# Shared by the toy and real twins configs/mgd/mgd_retinanet_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

mgd_points = {
    f'fpn{i}': dict(
        student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
        loss=dict(type='mmkd.MGDLoss', student_channels=256, teacher_channels=256, alpha_mgd=2e-5,
                  lambda_mgd=0.65))
    for i in range(5)
}
