# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection", CVPR 2024), on the
# RPN of Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN.
# What the paper covers: CrossKD on dense heads (RetinaNet, FCOS, ATSS, GFL). The authors' two-stage form
# (github.com/jbwang1997/CrossKD, branch faster-rcnn: CrossKDTwoStageDetector) runs the teacher's RoI head on the
# student's FPN features at the student's sampled RoIs and mimics the teacher's RoI head on its own features at
# those RoIs (KL of the class softmax at temperature 3, weight 0.5; L1 on the teacher's top-class box deltas,
# weighted by its top-class probability); the RPN is not distilled. mmkd's teacher runs its own forward, so its
# RoI head sees its own proposals, never the student's RoIs: that form is not built here.
# What this config does instead, the nearest form the cross-head connector gives: CrossKD on the RPN, a dense
# head. The student's RPN conv output, before its ReLU, is given the teacher's per-channel mean and std there,
# activated, and run through the teacher's rpn_cls and rpn_reg (mmkd.TeacherModuleConnector: the teacher's
# modules, frozen; the gradient reaches the student's RPN conv, neck and backbone). These cross-head proposal
# scores and deltas mimic the teacher's own (mmkd.CrossKDLoss): a quality focal loss (beta 1) on the sigmoid
# objectness of every anchor, and a GIoU loss on the boxes the deltas decode to (mmdet's RPN coder, stds 1),
# weighted by the teacher's objectness; both of weight 1, divided by the ground-truth boxes of the batch: the
# values of the authors' RetinaNet configs (no published value exists for the RPN). The R-CNN head learns from
# the ground truth alone, on the proposals of a distilled RPN.
# Positions: one point per FPN level (strides 4-64); the RPN calls each conv once per level, so call=i picks
# level i.
# Shared by the toy and real twins configs/crosskd/crosskd_faster-rcnn_r50_r18_{toy,coco}.py; what differs
# between them (data) is said in their headers.


def _branch(out, level):
    return dict(type='mmkd.TeacherModuleConnector', modules=[f'rpn_head.{out}'], act='relu',
                align_to=dict(source='rpn_head.rpn_conv', call=level))


crosskd_points = {
    f'rpn{i}': dict(
        student=[dict(source='rpn_head.rpn_conv', call=i), dict(source='rpn_head.rpn_conv', call=i)],
        teacher=[dict(source='rpn_head.rpn_cls', call=i), dict(source='rpn_head.rpn_reg', call=i)],
        connector=[_branch('rpn_cls', i), _branch('rpn_reg', i)],
        loss=dict(type='mmkd.CrossKDLoss', beta=1.0, cls_weight=1.0, box_weight=1.0, loss_weight=1.0))
    for i in range(5)
}
