# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): RetinaNet ResNet-50 FPN -> ResNet-18 FPN.
# alpha * 1/N sum (G(M * s) - t)^2: a random spatial mask M (ratio lambda) on the student feature, and a
# generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions: the five FPN outputs (strides 8-128, 256 channels on both sides, so no align conv), one point per
# level. alpha = 2e-5, lambda = 0.65: the paper's detection setting (MMRazor's RetinaNet MGD config). Added
# to the detector's losses.
# Shared by the toy and real twins configs/mgd/mgd_retinanet_r50_r18_{toy,coco}.py (`mgd_points`); what
# differs between them (data) is said in their headers. The easy toy twin mgd_retinanet_r50_r18_toy_easy.py
# takes `mgd_points_toy_easy`. The loss is summed over the feature, so at other map sizes a level's alpha is
# scaled by (H W at the recipe's 800x1333 input) / (H W) (docs/method_zoo.md, "Loss weights at other feature
# sizes"): levels 100x167, 50x84, 25x42, 13x21, 7x11 there, 20, 10, 5, 3, 2 px square at the easy set's
# 160x160: x41.8, 42, 42, 30.3, 19.3.

RECIPE_MAPS = ((100, 167), (50, 84), (25, 42), (13, 21), (7, 11))


def mgd_points_at(maps):
    """One MGD point per FPN level of map (H, W) in `maps`, alpha 2e-5 x (recipe H W) / (H W)."""
    return {
        f'fpn{i}': dict(
            student=dict(source='neck', index=i), teacher=dict(source='neck', index=i),
            loss=dict(type='mmkd.MGDLoss', student_channels=256, teacher_channels=256,
                      alpha_mgd=2e-5 * (rh * rw) / (h * w), lambda_mgd=0.65))
        for i, ((rh, rw), (h, w)) in enumerate(zip(RECIPE_MAPS, maps))
    }


mgd_points = mgd_points_at(RECIPE_MAPS)
mgd_points_toy_easy = mgd_points_at(((20, 20), (10, 10), (5, 5), (3, 3), (2, 2)))
