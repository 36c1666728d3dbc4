# FBKD (Zhang & Ma, "Improve Object Detection with Feature-based Knowledge Distillation: Towards Accurate
# and Efficient Detectors", ICLR 2021): Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN.
# alpha L_AT + beta L_AM + gamma L_NLD: the L2 distance of student and teacher spatial and channel attention,
# the feature difference weighted by the attention masks (softmax at T 0.5), and the L2 distance of
# non-local block outputs on both features. The masks come from the features: no labels needed.
# Positions: the FPN convs' outputs (neck.fpn_convs.0-3: strides 4-32, 256 channels on both sides), one point
# per level, as MMRazor's FBKD Faster R-CNN config. alpha = 4e-3, beta = 7e-5, gamma = 7e-5, T = 0.5: the
# paper's detection setting. The non-local keys are max-pooled 8x at stride 4, 4x at stride 8 and 2x on the
# coarser levels, as that config pools them, to keep the H W x H W relation affordable.
# Shared by the toy and real twins configs/fbkd/fbkd_faster-rcnn_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.

SUB_SAMPLE = (8, 4, 2, 2)

fbkd_points = {
    f'fpn{i}': dict(
        student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
        loss=dict(type='mmkd.FBKDLoss', student_channels=256, teacher_channels=256, temperature=0.5,
                  alpha=4e-3, beta=7e-5, gamma=7e-5, sub_sample=SUB_SAMPLE[i]))
    for i in range(4)
}
