"""CrossKD (Wang et al., CVPR 2024): mmkd.TeacherModuleConnector runs a recorded student feature through
frozen teacher modules (wired by the distiller), mmkd.CrossKDLoss compares the cross-head predictions with
the teacher's; both against hand computation, on small RetinaNets."""
import copy

import pytest
import torch
import torch.nn.functional as F

from mmkd.models.connectors import TeacherModuleConnector, align_channel_statistics
from mmkd.models.losses import CrossKDLoss, aligned_giou, decode_unit_boxes, quality_focal_kd
from mmkd.registry import MODELS
from test_distill_configs import detection_samples

SIZE = (160, 160)


def retinanet(depth):
    """A RetinaNet with a narrow FPN and a two-conv head, random weights."""
    in_channels = [64, 128, 256, 512] if depth < 50 else [256, 512, 1024, 2048]
    return dict(
        type='mmdet.RetinaNet',
        data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
        backbone=dict(type='mmdet.ResNet', depth=depth, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=-1,
                      norm_eval=False, init_cfg=None),
        neck=dict(type='mmdet.FPN', in_channels=in_channels, out_channels=32, start_level=1,
                  add_extra_convs='on_input', num_outs=5),
        bbox_head=dict(
            type='mmdet.RetinaHead', num_classes=3, in_channels=32, stacked_convs=2, feat_channels=32,
            anchor_generator=dict(type='mmdet.AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                                  ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128]),
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                            target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        train_cfg=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0,
                                     ignore_iof_thr=-1),
                       sampler=dict(type='mmdet.PseudoSampler'), allowed_border=-1, pos_weight=-1, debug=False),
        test_cfg=dict(nms_pre=100, min_bbox_size=0, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=10))


def crosskd_point(level, align=True, modules_cls=('bbox_head.cls_convs.1', 'bbox_head.retina_cls')):
    """The student's pre-activation output of head conv 0 at ``level`` through the teacher's conv 1 and output
    convs, on both branches; against the teacher's class and box maps of that level."""
    def branch(modules, conv):
        return dict(type='mmkd.TeacherModuleConnector', modules=list(modules), act='relu',
                    align_to=dict(source=f'bbox_head.{conv}.0.conv', call=level) if align else None)
    return dict(
        student=[dict(source='bbox_head.cls_convs.0.conv', call=level),
                 dict(source='bbox_head.reg_convs.0.conv', call=level)],
        teacher=[dict(source='bbox_head.retina_cls', call=level), dict(source='bbox_head.retina_reg', call=level)],
        connector=[branch(modules_cls, 'cls_convs'),
                   branch(('bbox_head.reg_convs.1', 'bbox_head.retina_reg'), 'reg_convs')],
        loss=dict(type='mmkd.CrossKDLoss', loss_weight=1.0))


def build(points=None, **overrides):
    cfg = dict(type='mmkd.FeatureDistiller', student=retinanet(18), teacher=dict(config=retinanet(34), checkpoint=None),
               teacher_bn='eval', teacher_precision='fp32', input_size=SIZE,
               distill_points=points or {f'crosskd{i}': crosskd_point(i) for i in range(5)})
    cfg.update(overrides)
    return MODELS.build(cfg)


def batch(n=2):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 3, *SIZE, generator=g), detection_samples(n, SIZE)


# ------------------------------------------------------------------------------------------- connector
def test_connector_output_is_the_teacher_modules_on_the_student_feature():
    model = build(points=dict(crosskd2=crosskd_point(2, align=False)))
    model.train()
    inputs, samples = batch()
    model.teacher_features(inputs, samples)
    with model.student_recorders.recording():
        model.student(inputs, samples, mode='loss')
    point = model.distill_points['crosskd2']
    (s_cls, s_reg), (t_cls, t_reg), _ = point.recorded(model.student_recorders, model.teacher_recorders)
    connected, teacher = point.align([s_cls, s_reg], [t_cls, t_reg])
    head = model.teacher.bbox_head
    with torch.no_grad():
        expected_cls = head.retina_cls(head.cls_convs[1](F.relu(s_cls)))
        expected_reg = head.retina_reg(head.reg_convs[1](F.relu(s_reg)))
    torch.testing.assert_close(connected[0], expected_cls)
    torch.testing.assert_close(connected[1], expected_reg)
    # the recorded student feature is level 2's pre-activation conv output: 160 px / stride 32 = 5
    assert s_cls.shape == (2, 32, 5, 5) and connected[0].shape == t_cls.shape == (2, 9 * 3, 5, 5)
    # the teacher recorded its own level-2 predictions, which the teacher modules give on its own feature
    torch.testing.assert_close(teacher[0], t_cls)


def test_gradient_reaches_the_student_and_not_the_teacher():
    model = build()
    model.train()
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    distill = sum(v for k, v in losses.items() if k.startswith('loss_distill_'))
    assert torch.isfinite(distill) and distill > 0
    distill.backward()
    student_head = model.student.bbox_head
    # the student's head convs before the cut (and the backbone) get the distillation gradient ...
    assert student_head.cls_convs[0].conv.weight.grad.abs().sum() > 0
    assert student_head.reg_convs[0].conv.weight.grad.abs().sum() > 0
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    # ... its own layers after the cut do not (only the task loss would reach them)
    assert student_head.cls_convs[1].conv.weight.grad is None and student_head.retina_cls.weight.grad is None
    # the teacher's modules are frozen references: no gradient, not trained, not in the distiller's state
    assert all(p.grad is None and not p.requires_grad for p in model.teacher.parameters())
    teacher_params = {id(p) for p in model.teacher.parameters()}
    assert teacher_params.isdisjoint(id(p) for p in model.parameters())
    assert not any('connector' in k for k in model.state_dict())
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, teacher_before[key])
    connector = model.distill_points['crosskd0'].connector[0]
    assert connector.teacher_modules[0] is model.teacher.bbox_head.cls_convs[1]


def test_align_to_gives_the_student_feature_the_teachers_channel_statistics():
    model = build(points=dict(crosskd1=crosskd_point(1)))
    model.train()
    inputs, samples = batch()
    model.teacher_features(inputs, samples)
    with model.student_recorders.recording():
        model.student(inputs, samples, mode='loss')
    (s_cls, _), _, (ref_cls, _) = model.distill_points['crosskd1'].recorded(model.student_recorders,
                                                                           model.teacher_recorders)
    # the reference is the teacher's own level-1 pre-activation feature of head conv 0
    assert ref_cls.shape == s_cls.shape
    aligned = align_channel_statistics(s_cls, ref_cls)
    torch.testing.assert_close(aligned.mean((0, 2, 3)), ref_cls.mean((0, 2, 3)), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(aligned.std((0, 2, 3)), ref_cls.std((0, 2, 3)), atol=1e-3, rtol=1e-3)
    by_hand = (s_cls - s_cls.mean((0, 2, 3), keepdim=True)) / (s_cls.std((0, 2, 3), keepdim=True) + 1e-6)
    by_hand = by_hand * ref_cls.std((0, 2, 3), keepdim=True) + ref_cls.mean((0, 2, 3), keepdim=True)
    torch.testing.assert_close(aligned, by_hand)
    connector = model.distill_points['crosskd1'].connector[0]
    head = model.teacher.bbox_head
    with torch.no_grad():
        torch.testing.assert_close(connector(s_cls, reference=ref_cls),
                                   head.retina_cls(head.cls_convs[1](F.relu(by_hand))))
    with pytest.raises(ValueError, match='needs the teacher feature there as reference='):
        connector(s_cls)


def test_unknown_teacher_module_is_a_clear_error():
    with pytest.raises(ValueError) as err:
        build(points=dict(crosskd0=crosskd_point(0, modules_cls=('bbox_head.cls_convs.3', 'bbox_head.retina_cls'))))
    message = str(err.value)
    assert "distill point 'crosskd0'" in message and 'TeacherModuleConnector' in message
    assert 'bbox_head.cls_convs.3 is not a module of the teacher' in message
    assert 'did you mean' in message and 'bbox_head.cls_convs.1' in message


def test_connector_used_without_a_teacher_says_how_to_bind_it():
    connector = TeacherModuleConnector(modules='head')
    with pytest.raises(RuntimeError, match='bind_teacher'):
        connector(torch.randn(1, 2, 3, 3))
    with pytest.raises(ValueError, match='act must be one of'):
        TeacherModuleConnector(modules='head', act='gelu')
    with pytest.raises(ValueError, match='modules must name'):
        TeacherModuleConnector(modules=[])
    teacher = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 1), torch.nn.Conv2d(4, 1, 1))
    connector.module_names = ['0', '1']
    connector.bind_teacher(teacher)
    x = torch.randn(1, 2, 3, 3)
    torch.testing.assert_close(connector(x), teacher(x))
    with pytest.raises(ValueError, match='pair the student position with the teacher position of the same level'):
        connector(x, target_size=(4, 4))


# ------------------------------------------------------------------------------------------------ loss
def test_quality_focal_kd_by_hand():
    s = torch.tensor([[2.0, -1.0]])
    t = torch.tensor([[0.0, 1.0]])
    p_s, p_t = torch.sigmoid(s), torch.sigmoid(t)
    bce = -(p_t * torch.log(p_s) + (1 - p_t) * torch.log(1 - p_s))
    torch.testing.assert_close(quality_focal_kd(s, t, beta=2.0), bce * (p_s - p_t).abs() ** 2)
    assert quality_focal_kd(t, t).abs().max() == 0  # the focal factor vanishes where the scores agree


def test_giou_matches_mmdet_and_unit_priors_match_real_anchors():
    from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder, DistancePointBBoxCoder
    from mmdet.structures.bbox import bbox_overlaps
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(50, 2, generator=g) * 50
    b1 = torch.cat([xy, xy + 1 + torch.rand(50, 2, generator=g) * 30], 1)
    xy = torch.rand(50, 2, generator=g) * 50
    b2 = torch.cat([xy, xy + 1 + torch.rand(50, 2, generator=g) * 30], 1)
    torch.testing.assert_close(aligned_giou(b1, b2), bbox_overlaps(b1, b2, mode='giou', is_aligned=True))
    # GIoU of boxes decoded from real anchors equals that of boxes decoded from the unit prior
    stds = (0.1, 0.1, 0.2, 0.2)
    coder = DeltaXYWHBBoxCoder(target_means=(0., 0., 0., 0.), target_stds=stds)
    d1, d2 = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    real = aligned_giou(coder.decode(b1, d1), coder.decode(b1, d2))
    unit = aligned_giou(decode_unit_boxes(d1, 'delta', stds=stds), decode_unit_boxes(d2, 'delta', stds=stds))
    torch.testing.assert_close(unit, real, atol=1e-5, rtol=1e-5)
    points, dist1, dist2 = xy, torch.rand(50, 4, generator=g) * 20, torch.rand(50, 4, generator=g) * 20
    point_coder = DistancePointBBoxCoder()
    real = aligned_giou(point_coder.decode(points, dist1), point_coder.decode(points, dist2))
    unit = aligned_giou(decode_unit_boxes(dist1.log(), 'distance', distance_act='exp'),
                        decode_unit_boxes(dist2.log(), 'distance', distance_act='exp'))
    torch.testing.assert_close(unit, real, atol=1e-5, rtol=1e-5)


def test_crosskd_loss_by_hand():
    g = torch.Generator().manual_seed(0)
    n, a, k, h, w = 2, 3, 4, 2, 3
    s_cls, t_cls = torch.randn(n, a * k, h, w, generator=g), torch.randn(n, a * k, h, w, generator=g)
    s_reg, t_reg = torch.randn(n, a * 4, h, w, generator=g), torch.randn(n, a * 4, h, w, generator=g)
    samples = detection_samples(n, (64, 64))  # one box each
    loss = CrossKDLoss(beta=1.0, cls_weight=0.5, box_weight=2.0, loss_weight=3.0)
    value = loss((s_cls, s_reg), (t_cls, t_reg), data_samples=samples)
    cls = 0.0
    box = 0.0
    for i in range(n):
        for y in range(h):
            for x in range(w):
                for j in range(a):
                    sc, tc = s_cls[i, j * k:(j + 1) * k, y, x], t_cls[i, j * k:(j + 1) * k, y, x]
                    pt = tc.sigmoid()
                    cls += (F.binary_cross_entropy_with_logits(sc, pt, reduction='none')
                            * (sc.sigmoid() - pt).abs()).sum()
                    sd, td = s_reg[i, j * 4:(j + 1) * 4, y, x], t_reg[i, j * 4:(j + 1) * 4, y, x]

                    def box_of(d):
                        wh = d[2:].clamp(-4.135166556742356, 4.135166556742356).exp()
                        return torch.cat([d[:2] - wh / 2, d[:2] + wh / 2])[None]
                    from mmdet.structures.bbox import bbox_overlaps
                    giou = bbox_overlaps(box_of(sd), box_of(td), mode='giou', is_aligned=True)[0]
                    box += pt.max() * (1 - giou)
    expected = 3.0 * (0.5 * cls + 2.0 * box) / 2  # two ground-truth boxes
    torch.testing.assert_close(value, expected)
    # identical predictions: nothing to learn
    assert loss((t_cls, t_reg), (t_cls, t_reg), data_samples=samples) == pytest.approx(0.0, abs=1e-5)
    # classification alone, per image
    alone = CrossKDLoss(normalize='batch')(s_cls, t_cls)
    torch.testing.assert_close(alone, cls / n)
    with pytest.raises(ValueError, match="normalize='batch'"):
        CrossKDLoss()((s_cls, s_reg), (t_cls, t_reg))
    with pytest.raises(ValueError, match='4 channels per prior'):
        CrossKDLoss(normalize='sum')((s_cls, s_reg[:, :5]), (t_cls, t_reg[:, :5]))
