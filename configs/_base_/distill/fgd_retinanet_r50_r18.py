# FGD (Yang et al., "Focal and Global Knowledge Distillation for Detectors", CVPR 2022): RetinaNet ResNet-50
# FPN -> ResNet-18 FPN.
# alpha L_fg + beta L_bg + gamma L_at + lambda L_global: the squared feature difference weighted by the
# teacher's spatial x channel attention (T 0.5) inside the ground-truth boxes and outside them, the L1
# distance of both attentions, and the squared difference of GcBlock relations of both features. The loss
# reads the boxes of the batch (its data samples) and scales them to each level.
# Positions: the five FPN outputs (strides 8-128, 256 channels on both sides), one point per level.
# alpha = 1e-3, beta = 5e-4, gamma = 5e-4, lambda = 5e-6, T = 0.5: the authors' RetinaNet setting
# (github.com/yzd-v/FGD). Added to the detector's losses.
# Shared by the toy and real twins configs/fgd/fgd_retinanet_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

fgd_points = {
    f'fpn{i}': dict(
        student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
        loss=dict(type='mmkd.FGDLoss', student_channels=256, teacher_channels=256, temperature=0.5,
                  alpha_fgd=1e-3, beta_fgd=5e-4, gamma_fgd=5e-4, lambda_fgd=5e-6))
    for i in range(5)
}
