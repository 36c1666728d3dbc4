"""FeatureDistiller: multi-position points, labels for losses, stages, diagnostics, stop epoch."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import batch, build, ofd_point, set_iter
from mmkd.models import LossWeightSchedule
from mmkd.registry import MODELS


@MODELS.register_module(force=True)
class _RecordingLoss(nn.Module):
    """Test loss: sum of mean squared differences of paired features; remembers what it was given."""

    def __init__(self):
        super().__init__()
        self.seen, self.stages = None, []

    def set_stage(self, name):
        self.stages.append(name)

    def forward(self, student, teacher):
        self.seen = (student, teacher)
        if isinstance(student, torch.Tensor):
            return (student - teacher).pow(2).mean()
        return sum((s - t).pow(2).mean() for s, t in zip(student, teacher))


@MODELS.register_module(force=True)
class _LabelLoss(nn.Module):
    def forward(self, student, teacher, data_samples=None):
        self.labels = [int(s.gt_label) for s in data_samples]
        return student.sum() * 0


def multi_point(connector=dict(type='mmkd.ConvBNConnector')):
    return dict(student=['backbone.layer1', 'backbone.layer2'], teacher=['backbone.layer1', 'backbone.layer2'],
                connector=connector, loss=dict(type='_RecordingLoss'))


def test_multi_position_point_hands_tuples_and_infers_channels_per_position():
    model = build(distill_points=dict(pairs=multi_point()))
    conns = model.distill_points['pairs'].connector
    assert [(c.conv.in_channels, c.conv.out_channels) for c in conns] == [(64, 256), (128, 512)]
    set_iter(0)
    model.train()
    losses = model.loss(*batch())
    student, teacher = model.distill_points['pairs'].loss.seen
    assert isinstance(student, tuple) and len(student) == 2
    assert [tuple(t.shape[1:]) for t in teacher] == [(256, 8, 8), (512, 4, 4)]
    # the loss on the recorded features equals the distiller's entry (weight 1, no schedule)
    expected = sum((s - t).pow(2).mean() for s, t in zip(student, teacher))
    torch.testing.assert_close(losses['loss_distill_pairs'], expected)
    assert model.student_recorders.names == ['pairs.0', 'pairs.1']


def test_multi_position_point_takes_a_connector_list_and_checks_its_length():
    point = multi_point([dict(type='mmkd.ConvBNConnector'), dict(type='mmkd.ConvBNConnector', kernel_size=3)])
    model = build(distill_points=dict(pairs=point))
    assert model.distill_points['pairs'].connector[1].conv.kernel_size == (3, 3)
    with pytest.raises(ValueError, match=r"pairs.*1 connector configs for 2 positions"):
        build(distill_points=dict(pairs=multi_point([dict(type='mmkd.ConvBNConnector')])))


def test_dry_check_reports_a_loss_that_cannot_take_the_shapes():
    point = dict(student='backbone.layer1', teacher='backbone.layer1', loss=dict(type='mmkd.PartialL2Loss'))
    with pytest.raises(ValueError, match=r"distill point 'p'.*backbone\.layer1.*out_channels"):
        build(distill_points=dict(p=point))


def test_loss_with_data_samples_receives_the_labels():
    point = dict(student='head.fc', teacher='head.fc', loss=dict(type='_LabelLoss'))
    model = build(distill_points=dict(logits=point))
    set_iter(0)
    inputs, samples = batch()
    model.loss(inputs, samples)
    assert model.distill_points['logits'].loss.labels == [int(s.gt_label) for s in samples]


def staged(**kw):
    points = dict(hint=dict(student='backbone.layer1', teacher='backbone.layer1',
                            connector=dict(type='mmkd.ConvBNConnector'), loss=dict(type='_RecordingLoss')),
                  stage2=ofd_point('layer2.1', 'layer2.3', 'bn3'))
    stages = [dict(name='hint', end_iter=2, points=dict(hint=2.0), task_loss_weight=0.0),
              dict(name='ofd', points=['stage2'])]
    return build(distill_points=points, stages=kw.get('stages', stages))


def test_stages_switch_points_task_loss_and_tell_the_losses():
    model = staged()
    model.train()
    hint_loss = model.distill_points['hint'].loss
    set_iter(1)
    losses = model.loss(*batch())
    assert set(k for k in losses if k.startswith('loss_distill')) == {'loss_distill_hint'}
    student, teacher = hint_loss.seen
    torch.testing.assert_close(losses['loss_distill_hint'], 2.0 * (student - teacher).pow(2).mean())
    assert not losses['loss_cls'].requires_grad  # logged, not trained
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.student.head.fc.weight.grad is None  # only the hint trains
    assert model.student.backbone.layer1[0].conv1.weight.grad.abs().sum() > 0
    assert model.student.backbone.layer2[0].conv1.weight.grad is None
    set_iter(2)
    losses = model.loss(*batch())
    assert set(k for k in losses if k.startswith('loss_distill')) == {'loss_distill_stage2'}
    assert losses['loss_cls'].requires_grad
    assert hint_loss.stages == ['hint', 'ofd']
    set_iter(0)  # e.g. a new run: the stage is derived from the iteration, so resuming is safe
    model.loss(*batch())
    assert hint_loss.stages == ['hint', 'ofd', 'hint']


@pytest.mark.parametrize('stages, match', [
    ([dict(name='a', end_iter=2, points=['nope']), dict(name='b')], r"\['nope'\].*hint, stage2"),
    ([dict(name='a', points=['hint']), dict(name='b')], 'exactly one of end_iter'),
    ([dict(name='a', end_iter=5), dict(name='b', end_iter=3), dict(name='c')], 'must increase'),
    ([dict(name='a', end_iter=5), dict(name='b', end_iter=7)], 'runs to the end'),
    ([dict(name='a', end_iter=5, typo=1), dict(name='b')], 'takes only'),
])
def test_stage_config_errors(stages, match):
    with pytest.raises(ValueError, match=match):
        staged(stages=stages)


def test_diagnostics_log_kl_and_student_ce():
    model = build(diagnostics=dict(student='head.fc', teacher='head.fc', tau=2.0), truncate_teacher=False)
    set_iter(0)
    model.train()
    inputs, samples = batch()
    logits = {}
    handles = [m.head.fc.register_forward_hook(lambda mod, a, out, k=k: logits.__setitem__(k, out.detach()))
               for k, m in (('s', model.student), ('t', model.teacher))]
    losses = model.loss(inputs, samples)
    for h in handles:
        h.remove()
    p_t = F.softmax(logits['t'] / 2, 1)
    kl = (p_t * (p_t.log() - F.log_softmax(logits['s'] / 2, 1))).sum(1).mean()
    torch.testing.assert_close(losses['distill_kl'], kl)
    labels = torch.tensor([int(s.gt_label) for s in samples])
    torch.testing.assert_close(losses['student_ce'], F.cross_entropy(logits['s'], labels))
    assert not losses['distill_kl'].requires_grad and 'loss' not in 'distill_kl'
    with pytest.raises(ValueError, match='diagnostics must be'):
        build(diagnostics=dict(student='head.fc'))


def test_loss_weight_schedule_stop_epoch():
    schedule = LossWeightSchedule(warmup_iters=4, stop_epoch=2)
    assert [schedule(it, epoch=0) for it in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert schedule(100, epoch=1) == 1.0 and schedule(100, epoch=2) == 0.0
    with pytest.raises(ValueError):
        LossWeightSchedule(stop_epoch=-1)


def test_train_step_releases_recorded_features_before_backward():
    from mmengine.optim import OptimWrapper
    model = build()
    model.train()
    set_iter(0)
    inputs, samples = batch()
    released = {}
    parse = model.parse_losses

    def spy(losses):
        out = parse(losses)
        released['calls'] = [r.num_calls for r in model.teacher_recorders.recorders.values()]
        return out

    model.parse_losses = spy
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.distill_points['stage1'].connector.conv.weight.detach().clone()
    model.train_step(dict(inputs=list(inputs * 255), data_samples=samples), optim)
    assert released['calls'] == [0, 0]  # dropped between the forward and the backward
    assert not torch.equal(before, model.distill_points['stage1'].connector.conv.weight)  # still trained


def test_fused_partial_l2_matches_the_elementwise_form():
    from mmkd.models.losses import partial_l2
    g = torch.Generator().manual_seed(0)
    s = torch.randn(2, 3, 4, 4, generator=g, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, generator=g)
    naive = ((s - t).pow(2) * ((s > t) | (t > 0))).sum()
    fused = partial_l2(s, t)
    torch.testing.assert_close(fused, naive)
    grad_naive, = torch.autograd.grad(naive, s)
    grad_fused, = torch.autograd.grad(fused, s)
    torch.testing.assert_close(grad_fused, grad_naive)


def test_stage_task_weight_reaches_list_losses_and_pointless_stages_skip_the_teacher(monkeypatch):
    model = staged(stages=[dict(name='hint', end_iter=2, points=['hint'], task_loss_weight=0.0),
                           dict(name='train', points=[], task_loss_weight=0.5)])
    model.train()
    per_image = [torch.tensor(1.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)]
    student_loss = model.student.loss  # the real forward (recorded), then mmdet-style per-image losses
    monkeypatch.setattr(model.student, 'loss',
                        lambda inputs, samples: student_loss(inputs, samples) and dict(loss_cls=list(per_image)))
    calls = []
    monkeypatch.setattr(model, 'teacher_features', lambda *a: calls.append(1) or FeatureDistillerRun(model, *a))
    set_iter(0)
    losses = model.loss(*batch())
    assert all(not v.requires_grad for v in losses['loss_cls'])  # mmdet's per-image lists detached too
    assert calls == [1]
    set_iter(5)
    losses = model.loss(*batch())
    assert [v.item() for v in losses['loss_cls']] == [0.5, 1.5] and calls == [1]  # no teacher forward
    assert not any(k.startswith('loss_distill') for k in losses)


def FeatureDistillerRun(model, inputs, samples):
    from mmkd.models import FeatureDistiller
    return FeatureDistiller.teacher_features(model, inputs, samples)
