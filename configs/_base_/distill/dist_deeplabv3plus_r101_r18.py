# DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022): DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8.
# With P = softmax(z / tau) per pixel of the segmentation logits (decode_head.conv_seg): tau^2 * (beta * (1 -
# mean_i pearson(P_s[i, :], P_t[i, :])) + gamma * (1 - mean_c pearson(P_s[:, c], P_t[:, c]))), rows i = the
# pixels of the batch (the paper's segmentation variant).
# beta = gamma = 1, tau = 1, weight 1: the authors' segmentation release (DIST_KD/segmentation: lambda_kd 1 on
# the main logits), added to the student's cross-entropy. Their 0.4-weighted term on the auxiliary head is
# left out: the teacher runs in tensor mode, where mmseg does not call the auxiliary head.
# Shared by the toy and real twins configs/dist/dist_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data) is said in their headers.

dist_points = dict(
    dist=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
              loss=dict(type='mmkd.DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=1.0)))
