# IRG (Liu et al., "Knowledge Distillation via Instance Relationship Graph", CVPR 2019): ResNet-50 ->
# ResNet-18.
# Vertices: the instances of the batch; L_V = 1/N sum_i ||v_s(i) - v_t(i)||^2 on the logits; edges: L_E =
# sum_l 1/N ||A_s^l - A_t^l||_F^2, A^l the max-normalised instance distance matrix of layer l; transformation:
# L_T = sum_l MSE(d_s^l, d_t^l), d^l(i) the max-normalised change of instance i from layer l to l + 1. Feature
# maps are globally average-pooled.
# Two points with lists of positions: 'irg' = the last stage (backbone.layer4) and the logits (head.fc), for
# the vertex term (logits, w_vertex 0.01) and the edges of both (w_edge 0.005); 'irg_t' = the outputs of
# stages 2-4 (backbone.layer2-4), for the transformations between consecutive stages (w_transform 0.005).
# 0.005: the edge and transformation weights of the authors' released configurations (see
# mmkd/models/losses/irg_loss.py). w_vertex 0.01, not 1: L_V sums the squared logit differences over the
# classes, about 276 per image at the start of the toy run against the trained teacher; with weight 1 that
# term swamped the cross-entropy and the student diverged to NaN within 40 iterations (measured,
# docs/results.md); 0.01 brings it to the size of the cross-entropy. Added to the student's cross-entropy.
# Shared by the toy and real twins configs/irg/irg_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

irg_points = dict(
    irg=dict(
        student=['backbone.layer4', 'head.fc'], teacher=['backbone.layer4', 'head.fc'],
        loss=dict(type='mmkd.IRGLoss', w_vertex=0.01, w_edge=0.005, w_transform=0.0)),
    irg_t=dict(
        student=['backbone.layer2', 'backbone.layer3', 'backbone.layer4'],
        teacher=['backbone.layer2', 'backbone.layer3', 'backbone.layer4'],
        loss=dict(type='mmkd.IRGLoss', w_vertex=0.0, w_edge=0.0, w_transform=0.005)))
