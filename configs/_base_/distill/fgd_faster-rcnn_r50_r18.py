# FGD (Yang et al., "Focal and Global Knowledge Distillation for Detectors", CVPR 2022): Faster R-CNN
# ResNet-50 FPN -> ResNet-18 FPN.
# alpha L_fg + beta L_bg + gamma L_at + lambda L_global: the squared feature difference weighted by the
# teacher's spatial x channel attention (T 0.5) inside the ground-truth boxes and outside them, the L1
# distance of both attentions, and the squared difference of GcBlock relations of both features. The loss
# reads the boxes of the batch (its data samples) and scales them to each level.
# Positions: the FPN convs' outputs (neck.fpn_convs.0-3: strides 4-32, 256 channels on both sides), one point
# per level. alpha = 5e-5, beta = 2.5e-5, gamma = 5e-5, lambda = 5e-7, T = 0.5: the authors' two-stage
# setting (github.com/yzd-v/FGD, Faster R-CNN). Added to the detector's losses.
# Shared by the toy and real twins configs/fgd/fgd_faster-rcnn_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

fgd_points = {
    f'fpn{i}': dict(
        student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
        loss=dict(type='mmkd.FGDLoss', student_channels=256, teacher_channels=256, temperature=0.5,
                  alpha_fgd=5e-5, beta_fgd=2.5e-5, gamma_fgd=5e-5, lambda_fgd=5e-7))
    for i in range(4)
}
