# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015) on the SSD head's class
# scores, per anchor as Chen et al. ("Learning Efficient Object Detection Models with Knowledge
# Distillation", NeurIPS 2017) distil a detector's classifier: SSD300 ResNet-50 -> ResNet-18.
# Per anchor i of every level: tau^2 * KL(softmax(t_i / tau) || softmax(s_i / tau)) over its K scores (the
# classes and the background), averaged over the anchors of the batch, summed over the levels.
# Positions: the head's classification convolutions `bbox_head.cls_convs.<level>`, whose outputs (N, A * K,
# H, W) have the same anchors in teacher and student (same levels, anchors and classes), so no connector.
# tau = 1 (Chen et al.'s soft targets are the teacher's softmax as it is). Weight 10: most anchors are
# background that both networks score alike, so the mean KL per anchor is small (0.03 between the trained
# easy-toy teacher and a 300-iteration student); at 10 the KD gradient at the student's class convolutions
# equals the task's at the first iteration (0.1 of it at weight 1), 0.25 of it at the 300-iteration student
# (`tools/analysis/loss_terms.py configs/kd/kd_ssd_r50_r18_toy_easy.py --grads --grad-depth 2`; measure again
# for other data).
# Shared by the toy and real twins configs/kd/kd_ssd_r50_r18_{toy,voc0712}.py (SSD300: six levels); the easy
# toy twin kd_ssd_r50_r18_toy_easy.py takes `kd_points_toy_easy` (SSD160: five levels).


def kd_points_at(levels, num_classes, weight):
    """The KD point over the head's class scores of `levels` levels, `num_classes` + 1 scores per anchor."""
    return dict(
        kd=dict(
            student=[f'bbox_head.cls_convs.{i}' for i in range(levels)],
            teacher=[f'bbox_head.cls_convs.{i}' for i in range(levels)],
            loss=dict(type='mmkd.KDLoss', tau=1.0, scores_per_anchor=num_classes + 1, loss_weight=weight)))


kd_points = kd_points_at(6, 20, 10.0)
kd_points_toy = kd_points_at(6, 6, 10.0)
kd_points_toy_easy = kd_points_at(5, 6, 10.0)
