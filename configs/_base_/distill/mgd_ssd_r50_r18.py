# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD300 ResNet-50 -> ResNet-18.
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions: the six SSD neck outputs (the detector's FPN counterpart), one point per level; channels
# 128/256/512/256/256/256 student, 512/1024/512/256/256/256 teacher (the 1x1 align conv exists only where they
# differ). alpha = 2e-5, lambda = 0.65: the paper's detection setting (per FPN level). Added to the detector's
# losses.
# Shared by the toy and real twins configs/mgd/mgd_ssd_r50_r18_{toy,voc0712}.py; what differs
# between them (data) is said in their headers.

# student and teacher channels of the six neck levels
S_CHANNELS = (128, 256, 512, 256, 256, 256)
T_CHANNELS = (512, 1024, 512, 256, 256, 256)

mgd_points = {
    f'neck{i}': dict(
        student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
        loss=dict(type='mmkd.MGDLoss', student_channels=S_CHANNELS[i], teacher_channels=T_CHANNELS[i],
                  alpha_mgd=2e-5, lambda_mgd=0.65))
    for i in range(6)
}
