# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection", CVPR 2024):
# RetinaNet ResNet-50 FPN -> ResNet-18 FPN.
# The student's head feature after its third conv (of four per branch), before that conv's ReLU, is given the
# teacher's per-channel mean and std there, activated, and run through the teacher's fourth conv and output
# conv (mmkd.TeacherModuleConnector: the teacher's modules, frozen; the gradient reaches the student's
# head convs 1-3, neck and backbone). These cross-head predictions mimic the teacher's own (mmkd.CrossKDLoss):
# a quality focal loss (beta 1) on the sigmoid class scores at every anchor, and a GIoU loss on the boxes
# weighted by the teacher's largest class probability; both of weight 1, summed over the levels. Values of the
# authors' RetinaNet R-50 -> R-18 config (github.com/jbwang1997/CrossKD: reused_teacher_head_idx=3,
# KDQualityFocalLoss beta 1, GIoULoss, weights 1).
# Positions: one point per FPN level (strides 8-128); a head calls each conv once per level, so call=i picks
# level i.
# Shared by the toy and real twins configs/crosskd/crosskd_retinanet_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.


def _branch(convs, out, level):
    return dict(type='mmkd.TeacherModuleConnector', modules=[f'bbox_head.{convs}.3', f'bbox_head.{out}'],
                act='relu', align_to=dict(source=f'bbox_head.{convs}.2.conv', call=level))


crosskd_points = {
    f'head{i}': dict(
        student=[dict(source='bbox_head.cls_convs.2.conv', call=i), dict(source='bbox_head.reg_convs.2.conv', call=i)],
        teacher=[dict(source='bbox_head.retina_cls', call=i), dict(source='bbox_head.retina_reg', call=i)],
        connector=[_branch('cls_convs', 'retina_cls', i), _branch('reg_convs', 'retina_reg', i)],
        loss=dict(type='mmkd.CrossKDLoss', beta=1.0, cls_weight=1.0, box_weight=1.0, loss_weight=1.0))
    for i in range(5)
}
