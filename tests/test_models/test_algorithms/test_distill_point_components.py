"""The distiller's parts that read recorders: a point's positions and its loss from the recorder managers, the
log-only diagnostics point, and the protocol of teacher transforms derived from the teacher."""
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from conftest import batch, build, ofd_point
from mmkd.models import DiagnosticsPoint, DistillPoint, IdentityConnector, PointPositions
from mmkd.models.losses import HintLoss
from mmkd.models.transforms import MarginReLU, TeacherDerivedTransform, ofd_margin
from mmkd.registry import MODELS
from mmkd.utils.modules import get_module


def at_iter(it=0):
    MessageHub.get_current_instance().update_info('iter', it)
    MessageHub.get_current_instance().update_info('epoch', 0)


class Recorded:
    """A recorder manager's face (``get``) over a dict of tensors."""

    def __init__(self, features):
        self.features = features

    def get(self, name):
        return self.features[name]


def last_input(module):
    """Hook ``module`` and keep the first positional input of its last call (``io='input', call=-1``)."""
    seen = {}
    handle = module.register_forward_pre_hook(lambda m, args: seen.__setitem__('x', args[0].detach().clone()))
    return seen, handle


# --------------------------------------------------------------------------------------------- positions
def test_positions_of_a_multi_point_name_recorders_and_aligned_references():
    positions = PointPositions.from_cfg(
        'pair', ['backbone.layer1', dict(source='backbone.layer2', io='input')], ['backbone.layer1', 'backbone.layer2'],
        connector=[dict(type='mmkd.TeacherModuleConnector', modules=['x'], align_to='neck.conv'), None])
    assert positions.multi
    assert positions.student_keys == ['pair.0', 'pair.1'] and positions.teacher_keys == ['pair.0', 'pair.1']
    assert positions.reference_keys == ['pair.ref.0', None]
    assert positions.recorder_cfgs['student'] == {
        'pair.0': dict(source='backbone.layer1', type='mmkd.ModuleRecorder'),
        'pair.1': dict(source='backbone.layer2', io='input', type='mmkd.ModuleRecorder')}
    assert list(positions.recorder_cfgs['teacher']) == ['pair.0', 'pair.1', 'pair.ref.0']
    assert positions.recorder_cfgs['teacher']['pair.ref.0'] == dict(source='neck.conv', type='mmkd.ModuleRecorder')
    s0, s1, t0, t1, ref = (torch.full((1, ), float(v)) for v in range(5))
    student = Recorded({'pair.0': s0, 'pair.1': s1})
    teacher = Recorded({'pair.0': t0, 'pair.1': t1, 'pair.ref.0': ref})
    (a, b), (c, d) = positions.features(student, teacher)
    assert (a, b, c, d) == (s0, s1, t0, t1)
    got = positions.references(teacher)
    assert got[0] is ref and got[1] is None

    single = PointPositions.from_cfg('hint', 'backbone.layer1', 'backbone.layer2')
    assert not single.multi and single.reference_keys == [None]
    assert single.features(Recorded({'hint': s0}), Recorded({'hint': t0})) == (s0, t0)
    with pytest.raises(ValueError, match='student position list is empty'):
        PointPositions.from_cfg('hint', [], 'backbone.layer1')
    with pytest.raises(ValueError, match='1 connector configs for 2 positions'):
        PointPositions.from_cfg('pair', ['a', 'b'], ['a', 'b'], connector=[dict(type='mmkd.IdentityConnector')])


def test_point_computes_its_loss_from_the_recorder_managers():
    positions = PointPositions('hint', ['hint'], ['hint'])
    point = DistillPoint(IdentityConnector(), None, HintLoss(loss_weight=2.0), positions=positions)
    s, t = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    loss = point.compute(Recorded(dict(hint=s)), Recorded(dict(hint=t)))
    torch.testing.assert_close(loss, 2.0 * ((s - t) ** 2 / 2).sum() / 2)  # FitNets: w ||s - t||^2 / 2 / N
    assert not point.multi and 'positions' not in dict(point.named_children())
    assert list(point.state_dict()) == list(DistillPoint(IdentityConnector(), None, HintLoss()).state_dict())
    with pytest.raises(RuntimeError, match='positions=PointPositions'):
        DistillPoint(IdentityConnector(), None, HintLoss()).compute(Recorded({}), Recorded({}))
    with pytest.raises(ValueError, match='leave multi out'):
        DistillPoint(IdentityConnector(), None, HintLoss(), multi=True, positions=positions)


def test_distiller_point_losses_are_the_points_on_the_recorded_features():
    torch.manual_seed(0)
    model = build(truncate_teacher=False).train()
    at_iter()
    inputs, samples = batch()
    student, s_handle = last_input(model.student.backbone.layer1[1].relu)
    teacher, t_handle = last_input(model.teacher.backbone.layer1[2].relu)
    losses = model.loss(inputs, samples)
    s_handle.remove()
    t_handle.remove()
    point = model.distill_points['stage1']
    assert (point.positions.student_keys, point.positions.teacher_keys) == (['stage1'], ['stage1'])
    recorded_s, recorded_t, references = point.recorded(model.student_recorders, model.teacher_recorders)
    assert torch.equal(recorded_s, student['x']) and torch.equal(recorded_t, teacher['x']) and references is None
    # OFD by hand: partial L2 between the connected student and max(t, m), except where s <= t <= 0
    with torch.no_grad():
        s = point.connector(student['x'])
        t = torch.maximum(teacher['x'], ofd_margin(model.teacher.backbone.layer1[2].bn3).view(1, -1, 1, 1))
        kept = ~((s <= t) & (t <= 0))
        expected = 1e-3 * ((s - t) ** 2 * kept).sum() / s.shape[0]
    torch.testing.assert_close(losses['loss_distill_stage1'].detach(), expected)
    again = point.compute(model.student_recorders, model.teacher_recorders, samples)
    assert torch.equal(again, losses['loss_distill_stage1'])
    assert losses['loss_distill_stage1'].requires_grad


# ------------------------------------------------------------------------------------------ diagnostics
def test_diagnostics_are_logged_and_never_optimised():
    diagnostics = dict(student='head.fc', teacher='head.fc', tau=2.0)
    torch.manual_seed(0)
    logged = build(diagnostics=diagnostics).train()
    torch.manual_seed(0)
    plain = build().train()
    assert list(logged.state_dict()) == list(plain.state_dict())
    assert isinstance(logged.diagnostics, DiagnosticsPoint) and not isinstance(logged.diagnostics, nn.Module)
    assert logged.diagnostics.positions.student_keys == ['_diagnostics'] and logged.diagnostics.tau == 2.0
    at_iter()
    inputs, samples = batch()
    results = {}
    for name, model in (('logged', logged), ('plain', plain)):
        losses = model.loss(inputs, samples)
        total, log_vars = model.parse_losses(losses)
        total.backward()
        results[name] = losses, total, log_vars, [p.grad.clone() for p in model.parameters() if p.grad is not None]
    losses, total, log_vars, grads = results['logged']
    _, plain_total, plain_vars, plain_grads = results['plain']
    assert set(log_vars) - set(plain_vars) == {'distill_kl', 'student_ce'}
    assert float(log_vars['distill_kl']) == pytest.approx(losses['distill_kl'].item())
    assert losses['distill_kl'] > 0 and not losses['distill_kl'].requires_grad
    assert torch.equal(total, plain_total)  # the optimised sum has no diagnostics in it
    assert total.item() == pytest.approx(sum(float(v) for k, v in plain_vars.items() if k.startswith('loss_')))
    assert len(grads) == len(plain_grads) and all(torch.equal(a, b) for a, b in zip(grads, plain_grads))
    assert not any('loss' in key for key in DiagnosticsPoint.KEYS)


def test_diagnostics_take_one_logits_position_per_side():
    with pytest.raises(ValueError, match='one position each'):
        DiagnosticsPoint(['head.fc', 'neck'], 'head.fc')
    with pytest.raises(ValueError, match='diagnostics must be'):
        DiagnosticsPoint.from_cfg(dict(student='head.fc', temperature=2.0))
    assert DiagnosticsPoint.from_cfg(None) is None


# ------------------------------------------------------------------------ transforms derived from the teacher
class TeacherScale(TeacherDerivedTransform, nn.Module):
    """t * s, s = mean |w| of a teacher module's weight (derived from the teacher); ``seen`` counts training
    batches, an estimate that ``reset_estimates`` forgets."""

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.register_buffer('scale', torch.zeros(()))
        self.register_buffer('seen', torch.zeros((), dtype=torch.long))

    def derive_from_teacher(self, teacher, reset_estimates=False):
        self.scale.copy_(get_module(teacher, self.source, 'teacher').weight.abs().mean())
        if reset_estimates:
            self.seen.zero_()

    def forward(self, t):
        if self.training:
            self.seen += 1
        return t * self.scale


class DuckTypedMargin(nn.Module):
    """Has what the distiller once duck-typed (``bn``, ``init_from_bn``) but not the protocol."""
    bn = 'backbone.bn1'

    def init_from_bn(self, bn):
        raise AssertionError('the distiller calls only TeacherDerivedTransform.derive_from_teacher')

    def forward(self, t):
        return t


@pytest.fixture
def custom_transforms():
    names = ('TeacherScaleTest', 'DuckTypedMarginTest')
    for name, cls in zip(names, (TeacherScale, DuckTypedMargin)):
        MODELS.register_module(name=name, module=cls, force=True)
    yield
    for name in names:
        MODELS._module_dict.pop(name, None)


def test_a_custom_transform_is_derived_when_built_and_on_load_teacher_state(custom_transforms):
    point = dict(ofd_point('layer1.1', 'layer1.2', 'bn3'), teacher_transform=dict(type='TeacherScaleTest',
                                                                                 source='backbone.conv1'))
    duck = dict(ofd_point('layer2.1', 'layer2.3', 'bn3'), teacher_transform=dict(type='DuckTypedMarginTest'))
    model = build(distill_points=dict(stage1=point, stage2=duck)).train()
    transform = model.distill_points['stage1'].teacher_transform
    conv1 = model.teacher.backbone.conv1.weight
    torch.testing.assert_close(transform.scale, conv1.abs().mean())
    at_iter()
    model.loss(*batch())
    assert int(transform.seen) == 1
    state = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    state['backbone.conv1.weight'] = 3 * state['backbone.conv1.weight']
    model.load_teacher_state(state)
    torch.testing.assert_close(model.teacher.backbone.conv1.weight, state['backbone.conv1.weight'])
    torch.testing.assert_close(transform.scale, state['backbone.conv1.weight'].abs().mean())
    assert int(transform.seen) == 1  # new weights: derived state set, estimates kept
    derived = model.teacher_derived_state()  # another teacher's checkpoint: estimates start over, on a copy
    assert set(derived) == {'distill_points.stage1.teacher_transform.scale',
                            'distill_points.stage1.teacher_transform.seen'}
    torch.testing.assert_close(derived['distill_points.stage1.teacher_transform.scale'], transform.scale)
    assert int(derived['distill_points.stage1.teacher_transform.seen']) == 0 and int(transform.seen) == 1


def test_margin_relu_derives_its_margin_from_the_teacher():
    teacher = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    nn.init.normal_(teacher[1].weight)
    nn.init.normal_(teacher[1].bias)
    from_bn = MarginReLU(bn='1')
    from_bn.derive_from_teacher(teacher)
    torch.testing.assert_close(from_bn.margin, ofd_margin(teacher[1]))
    estimated = MarginReLU(estimate_batches=2).train()
    estimated(-torch.rand(2, 4, 3, 3) - 1)
    estimated.derive_from_teacher(teacher)
    assert int(estimated.batches_seen) == 1 and bool((estimated.margin < -1).all())
    estimated.derive_from_teacher(teacher, reset_estimates=True)
    assert int(estimated.batches_seen) == 0 and not estimated.margin.any()
    with pytest.raises(ValueError, match='2 is not a module of the teacher'):
        MarginReLU(bn='2').derive_from_teacher(teacher)
