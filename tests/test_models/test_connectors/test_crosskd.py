"""CrossKD (Wang et al., CVPR 2024): mmkd.TeacherModuleConnector runs a recorded student feature through
frozen teacher modules (wired by the distiller), mmkd.CrossKDLoss compares the cross-head predictions with
the teacher's; both against hand computation, on small RetinaNets."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from conftest import REPO, detection_samples
from mmkd.models.connectors import TeacherModuleConnector, align_channel_statistics
from mmkd.models.losses import CrossKDLoss, aligned_giou, decode_unit_boxes, distribution_kd, quality_focal_kd
from mmkd.registry import MODELS

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


def test_distribution_kd_by_hand():
    import math
    s, t, tau = [0.5, -1.0, 2.0], [1.0, 0.0, -0.5], 2.0

    def softmax(v):
        e = [math.exp(x / tau) for x in v]
        return [x / sum(e) for x in e]
    p_s, p_t = softmax(s), softmax(t)
    expected = tau**2 * sum(pt * math.log(pt / ps) for pt, ps in zip(p_t, p_s))
    value = distribution_kd(torch.tensor(s, dtype=torch.float64), torch.tensor(t, dtype=torch.float64), tau)
    assert value.item() == pytest.approx(expected, rel=1e-12)
    # mmdet's KD loss per row averages over the bins; the authors' GFL box-distribution term sums over them
    from mmdet.models.losses.kd_loss import knowledge_distillation_kl_div_loss
    g = torch.Generator().manual_seed(0)
    rows_s, rows_t = torch.randn(6, 17, generator=g), torch.randn(6, 17, generator=g)
    reference = knowledge_distillation_kl_div_loss(rows_s, rows_t, T=tau, reduction='none') * 17
    torch.testing.assert_close(distribution_kd(rows_s, rows_t, tau), reference)


def test_crosskd_distribution_loss_over_levels_by_hand():
    """GFL's box branch: the KL between the teacher's and the cross-head bin distributions of each side, mean
    over the sides, weighted by the teacher's confidence and divided by the confidence summed over all levels;
    two levels, two priors per location (mmdet's prior-major, side-major channel layout)."""
    import math
    g = torch.Generator().manual_seed(0)
    n, a, k, reg_max, tau = 2, 2, 3, 2, 2.0
    bins = reg_max + 1
    sizes = [(2, 3), (1, 2)]
    student, teacher = [], []
    for h, w in sizes:
        for c in (a * k, a * 4 * bins):
            student.append(torch.randn(n, c, h, w, generator=g, dtype=torch.float64, requires_grad=True))
            teacher.append(torch.randn(n, c, h, w, generator=g, dtype=torch.float64))
    loss = CrossKDLoss(cls_weight=0.5, box_weight=4.0, box_loss='distribution', reg_max=reg_max, tau=tau,
                       normalize='batch', box_normalize='weight', loss_weight=2.0)
    value = loss(tuple(student), tuple(teacher))

    def sigmoid(x):
        return 1 / (1 + math.exp(-x))

    def log_softmax(v):
        m = max(v)
        lse = m + math.log(sum(math.exp(x - m) for x in v))
        return [x - lse for x in v]
    cls = box = weights = 0.0
    for level, (h, w) in enumerate(sizes):
        s_cls, s_reg = student[2 * level].detach(), student[2 * level + 1].detach()
        t_cls, t_reg = teacher[2 * level], teacher[2 * level + 1]
        for i in range(n):
            for y in range(h):
                for x in range(w):
                    for j in range(a):
                        scores = []
                        for c in range(k):
                            sc, tc = s_cls[i, j * k + c, y, x].item(), t_cls[i, j * k + c, y, x].item()
                            ps, pt = sigmoid(sc), sigmoid(tc)
                            cls += -(pt * math.log(ps) + (1 - pt) * math.log(1 - ps)) * abs(ps - pt)
                            scores.append(pt)
                        kl = 0.0
                        for side in range(4):
                            first = j * 4 * bins + side * bins
                            sv = [s_reg[i, first + b, y, x].item() / tau for b in range(bins)]
                            tv = [t_reg[i, first + b, y, x].item() / tau for b in range(bins)]
                            ls, lt = log_softmax(sv), log_softmax(tv)
                            kl += tau**2 * sum(math.exp(q) * (q - p) for q, p in zip(lt, ls))
                        box += max(scores) * kl / 4
                        weights += max(scores)
    expected = 2.0 * (0.5 * cls / n + 4.0 * box / weights)
    assert value.item() == pytest.approx(expected, rel=1e-10)
    value.backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in student)
    # identical bins: only the classification term is left
    same = loss(tuple(student[:1]) + (teacher[1], ) + tuple(student[2:3]) + (teacher[3], ), tuple(teacher))
    cls_only = CrossKDLoss(cls_weight=0.5, box_weight=0.0, normalize='batch', loss_weight=2.0)
    torch.testing.assert_close(same, cls_only(tuple(student), tuple(teacher)))
    with pytest.raises(ValueError, match=r'4 \* \(reg_max \+ 1\) = 12 channels per prior'):
        CrossKDLoss(box_loss='distribution', reg_max=2, normalize='sum')(
            (student[0], student[1][:, :10]), (teacher[0], teacher[1][:, :10]))
    with pytest.raises(ValueError, match=r'\(cls_0, reg_0, cls_1, reg_1, ...\)'):
        loss(tuple(student[:3]), tuple(teacher[:3]))
    with pytest.raises(ValueError, match='box_loss must be one of'):
        CrossKDLoss(box_loss='l1')


# ------------------------------------------------------------------------------------------- configs
def narrow(config, **changes):
    """The model of a toy detector config with a ResNet-18 and 32-channel FPN and heads, random weights."""
    from mmengine.config import Config
    model = Config.fromfile(osp.join(REPO, config)).model  # a ConfigDict: mmdet reads train_cfg.rpn
    model['_scope_'] = 'mmdet'
    model['backbone'].update(depth=18, init_cfg=None)
    model['neck'].update(in_channels=[64, 128, 256, 512], out_channels=32)
    for key, value in changes.items():
        model[key].update(value)
    return model


def points_of(base):
    from mmengine.config import Config
    return Config.fromfile(osp.join(REPO, 'configs/_base_/distill', base)).crosskd_points.to_dict()


def twin_distiller(model, points):
    """A distiller whose teacher is the student (its weights copied), BN on batch statistics on both sides:
    the teacher's head then reads the student's head feature as its own, and the cross-head predictions are
    the teacher's."""
    cfg = dict(type='mmkd.FeatureDistiller', student=copy.deepcopy(model),
               teacher=dict(config=copy.deepcopy(model), checkpoint=None), teacher_bn='train',
               teacher_precision='fp32', input_size=SIZE, distill_points=points)
    distiller = MODELS.build(cfg)
    distiller.load_teacher_state(distiller.student.state_dict())
    distiller.train()
    return distiller


def perturb(*convs):
    """Noise on the student's convs before the cut: its head feature is no longer the teacher's."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for conv in convs:
            conv.weight.add_(torch.randn(conv.weight.shape, generator=g) * conv.weight.std())


def distill_losses(distiller):
    inputs, samples = batch()
    losses = distiller.loss(inputs, samples)
    return {k: v for k, v in losses.items() if k.startswith('loss_distill_')}


def check_cross_head_is_the_teacher(distiller):
    """Every point's cross-head predictions equal the teacher's (up to the rounding of the alignment), and the
    losses are those of equal predictions (the rounding, summed over every anchor, leaves them near 0)."""
    inputs, samples = batch()
    distiller.teacher_features(inputs, samples)
    with distiller.student_recorders.recording():
        distiller.student(inputs, samples, mode='loss')
    losses = {}
    for name, point in distiller.distill_points.items():
        connected, teacher = point.align(*point.recorded(distiller.student_recorders, distiller.teacher_recorders))
        torch.testing.assert_close(connected, teacher, atol=1e-4, rtol=1e-4)
        losses[name] = point.loss(connected, teacher, data_samples=samples)
    distiller.teacher_recorders.reset()
    distiller.student_recorders.reset()
    return losses


def test_gfl_points_give_the_teachers_predictions_on_its_own_feature():
    """configs/_base_/distill/crosskd_gfl_r101_r50.py on a narrow GFL: with the student as its own teacher the
    cross-head class scores and bin logits (through the teacher's conv 4, output conv and per-level Scale) are
    the teacher's, and the loss vanishes; once the heads differ it does not, and its gradient stops at the
    student's third head conv."""
    head = dict(in_channels=32, feat_channels=32, num_classes=3)
    distiller = twin_distiller(narrow('configs/gfl/gfl_r50_fpn_toy.py', bbox_head=head),
                               points_of('crosskd_gfl_r101_r50.py'))
    with torch.no_grad():  # distinct per-level scales: a connector that skipped or mixed them would show
        for i, (s, t) in enumerate(zip(distiller.student.bbox_head.scales, distiller.teacher.bbox_head.scales)):
            s.scale.fill_(0.5 + 0.25 * i)
            t.scale.fill_(0.5 + 0.25 * i)
    equal = check_cross_head_is_the_teacher(distiller)['head']
    perturb(distiller.student.bbox_head.cls_convs[0].conv, distiller.student.bbox_head.reg_convs[0].conv)
    loss = distill_losses(distiller)['loss_distill_head']
    assert torch.isfinite(loss) and loss > 100 * equal
    loss.backward()
    student = distiller.student.bbox_head
    assert student.reg_convs[2].conv.weight.grad.abs().sum() > 0
    assert student.cls_convs[0].conv.weight.grad.abs().sum() > 0
    assert all(p.grad is None for m in (student.cls_convs[3], student.reg_convs[3], student.gfl_cls,
                                         student.gfl_reg, student.scales) for p in m.parameters())


def test_rpn_points_give_the_teachers_proposals_on_its_own_feature():
    """configs/_base_/distill/crosskd_faster-rcnn_r50_r18.py on a narrow Faster R-CNN: with the student as its
    own teacher the cross-head objectness and deltas are the teacher's RPN outputs at every level."""
    model = narrow('configs/faster_rcnn/faster-rcnn_r18_fpn_toy.py', rpn_head=dict(in_channels=32, feat_channels=32))
    model['roi_head']['bbox_roi_extractor']['out_channels'] = 32
    model['roi_head']['bbox_head'].update(in_channels=32, fc_out_channels=64)
    distiller = twin_distiller(model, points_of('crosskd_faster-rcnn_r50_r18.py'))
    equal = check_cross_head_is_the_teacher(distiller)
    assert sorted(equal) == [f'rpn{i}' for i in range(5)]
    perturb(distiller.student.rpn_head.rpn_conv)
    losses = distill_losses(distiller)
    assert all(torch.isfinite(losses[f'loss_distill_{k}']) and losses[f'loss_distill_{k}'] > 100 * v
               for k, v in equal.items()), (losses, equal)
