# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Position: the last backbone stage (backbone.layer4: 512 channels student, 2048 teacher, stride 8), as the
# authors' segmentation release; alpha = 2e-5, lambda = 0.75: its segmentation setting. Added to the student's
# cross-entropy. The loss is summed over the feature, so at other map sizes alpha is scaled by (H W at the 512x512
# crops, output stride 8) / (H W) (docs/method_zoo.md, "Loss weights at other feature sizes").
# Shared by the toy and real twins configs/mgd/mgd_deeplabv3plus_r101_r18_{toy,voc12aug}.py (`mgd_points`, the
# recipe's alpha); what differs between them (data) is said in their headers. The easy toy twin takes
# `mgd_points_toy_easy`: alpha x 64 for its 8x8 map (128x128 crops at output stride 16).


def mgd_points_at(side):
    """The MGD point at layer4, alpha 2e-5 x (64 / side)^2 for the map side `side`."""
    return dict(
        mgd=dict(student='backbone.layer4', teacher='backbone.layer4',
                 loss=dict(type='mmkd.MGDLoss', student_channels=512, teacher_channels=2048,
                           alpha_mgd=2e-5 * (64 / side) ** 2, lambda_mgd=0.75)))


mgd_points = mgd_points_at(64)
mgd_points_toy_easy = mgd_points_at(8)
