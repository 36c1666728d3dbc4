# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection", CVPR 2024):
# GFL ResNet-101 FPN -> ResNet-50 FPN.
# The student's head feature after its third conv (of four per branch), after that conv's GroupNorm and before
# its ReLU, is given the teacher's per-channel mean and std there, activated, and run through the teacher's
# fourth conv and output conv -- on the box branch also the teacher's per-level Scale (mmkd.TeacherModuleConnector:
# the teacher's modules, frozen; the gradient reaches the student's head convs 1-3, neck and backbone). These
# cross-head predictions mimic the teacher's own (mmkd.CrossKDLoss): a quality focal loss (beta 1, weight 1) on
# the sigmoid class scores at every location, divided by the ground-truth boxes of the batch; and on the box
# branch, whose output holds reg_max + 1 = 17 bin logits per box side (GFL's general distribution), the KL
# divergence between the teacher's and the cross-head softmax over the bins (temperature 1), mean over the 4
# sides, weighted by the teacher's largest class probability and divided by these weights summed over all
# levels (box_normalize='weight'), of weight 4. Values of the authors' GFL R-101 -> R-50 config
# (github.com/jbwang1997/CrossKD, configs/crosskd/crosskd_r50_gflv1_r101-2x-ms_fpn_1x_coco.py:
# reused_teacher_head_idx=3, KDQualityFocalLoss beta 1 weight 1, KnowledgeDistillationKLDivLoss T 1 summed
# over the bins, weight 4), for which the paper reports 43.7 box AP against 40.2 for the student alone.
# Positions: one point over the five FPN levels (strides 8-128), so that the box weights are summed over all of
# them as the authors' code does; the loss receives (cls, box) pairs level by level. A head calls each conv once
# per level, so call=i picks level i; the teacher's Scale of level i is called once.
# Shared by the toy and real twins configs/crosskd/crosskd_gfl_r101_r50_{toy,coco}.py; what differs between them
# (data) is said in their headers.


def _branch(convs, out, level, scale=False):
    modules = [f'bbox_head.{convs}.3', f'bbox_head.{out}'] + ([f'bbox_head.scales.{level}'] if scale else [])
    return dict(type='mmkd.TeacherModuleConnector', modules=modules, act='relu',
                align_to=dict(source=f'bbox_head.{convs}.2.gn', call=level))


crosskd_points = dict(
    head=dict(
        student=[dict(source=f'bbox_head.{convs}.2.gn', call=i) for i in range(5)
                 for convs in ('cls_convs', 'reg_convs')],
        teacher=[p for i in range(5)
                 for p in (dict(source='bbox_head.gfl_cls', call=i), dict(source=f'bbox_head.scales.{i}'))],
        connector=[c for i in range(5)
                   for c in (_branch('cls_convs', 'gfl_cls', i), _branch('reg_convs', 'gfl_reg', i, scale=True))],
        loss=dict(type='mmkd.CrossKDLoss', beta=1.0, cls_weight=1.0, box_weight=4.0, box_loss='distribution',
                  reg_max=16, tau=1.0, box_normalize='weight', loss_weight=1.0)))
