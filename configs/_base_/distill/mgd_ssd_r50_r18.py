# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD300 ResNet-50 -> ResNet-18.
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions: the six SSD neck outputs (the detector's FPN counterpart), one point per level; channels
# 128/256/512/256/256/256 student, 512/1024/512/256/256/256 teacher (the 1x1 align conv exists only where they
# differ). alpha = 2e-5, lambda = 0.65: the paper's detection setting (per FPN level). Added to the detector's
# losses.
# Shared by the toy and real twins configs/mgd/mgd_ssd_r50_r18_{toy,voc0712}.py (SSD300: `mgd_points`); what
# differs between them (data) is said in their headers. The easy toy twin mgd_ssd_r50_r18_toy_easy.py takes
# `mgd_points_toy_easy`: SSD160's five neck levels (20, 10, 5, 3, 1 px; the channels of SSD300's first five).
# The loss is summed over the feature, so at other map sizes a level's alpha is scaled by (H W at 300 px) / (H W)
# (docs/method_zoo.md, "Loss weights at other feature sizes"): x3.61, 3.61, 4, 2.78, 9 for SSD160's levels
# against SSD300's 38, 19, 10, 5, 3 px.

# student and teacher channels of the six neck levels
S_CHANNELS = (128, 256, 512, 256, 256, 256)
T_CHANNELS = (512, 1024, 512, 256, 256, 256)


def mgd_points_at(sides):
    """One MGD point per neck level of map side in `sides`, alpha 2e-5 x (side at 300 px / side)^2."""
    return {
        f'neck{i}': dict(
            student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
            loss=dict(type='mmkd.MGDLoss', student_channels=S_CHANNELS[i], teacher_channels=T_CHANNELS[i],
                      alpha_mgd=2e-5 * (recipe / side) ** 2, lambda_mgd=0.65))
        for i, (recipe, side) in enumerate(zip((38, 19, 10, 5, 3, 1), sides))
    }


mgd_points = mgd_points_at((38, 19, 10, 5, 3, 1))
mgd_points_toy_easy = mgd_points_at((20, 10, 5, 3, 1))
