"""FeatureDistiller on small classifiers: freezing, BN modes, gradients, errors, schedules."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from conftest import NUM_CLASSES, batch, build, classifier, distiller_cfg, logged_messages
from mmkd.models import FeatureDistiller


def test_teacher_hidden_from_parameters_state_dict_and_optimizer():
    model = build()
    teacher_params = {id(p) for p in model.teacher.parameters()}
    assert teacher_params.isdisjoint(id(p) for p in model.parameters())
    assert not any(k.startswith('teacher') for k in model.state_dict())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    assert {k.split('.')[0] for k in model.state_dict()} == {'student', 'distill_points'}


def test_channels_inferred_by_dry_forward():
    model = build()
    conv = model.distill_points['stage1'].connector.conv
    assert (conv.in_channels, conv.out_channels) == (64, 256)
    conv = model.distill_points['stage2'].connector.conv
    assert (conv.in_channels, conv.out_channels) == (128, 512)
    margin = model.distill_points['stage2'].teacher_transform.margin
    from mmkd.models.transforms.margin_relu import ofd_margin
    torch.testing.assert_close(margin, ofd_margin(model.teacher.backbone.layer2[3].bn3))


def train_steps(model, steps=2):
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    inputs, samples = batch()
    logs = []
    for it in range(steps):
        MessageHub.get_current_instance().update_info('iter', it)
        logs.append(model.train_step(dict(inputs=list(inputs * 255), data_samples=samples), optim))
    return logs


def test_teacher_untouched_in_train_bn_mode_and_uses_batch_statistics():
    model = build(teacher_bn='train')
    model.train()
    before = copy.deepcopy(model.teacher.state_dict())
    logs = train_steps(model)
    after = model.teacher.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), k
    bn = model.teacher.backbone.layer1[0].bn1
    assert bn.training and not bn.track_running_stats
    assert all(f'loss_distill_stage{i}' in logs[0] for i in (1, 2))
    # batch statistics: the teacher's BN output over the batch is standardised per channel
    recorded = {}

    def keep_output(module, args, output):
        recorded['out'] = output.detach().clone()

    handle = bn.register_forward_hook(keep_output)
    model.loss(*batch())
    handle.remove()
    out = recorded['out']
    gamma, beta = bn.weight.detach(), bn.bias.detach()
    normed = (out - beta[None, :, None, None]) / gamma[None, :, None, None]
    torch.testing.assert_close(normed.mean((0, 2, 3)), torch.zeros(out.shape[1]), atol=1e-4, rtol=0)


def test_teacher_eval_bn_mode_uses_running_statistics():
    model = build(teacher_bn='eval')
    model.train()
    assert not model.teacher.training
    assert all(not m.training for m in model.teacher.modules())


def test_gradients_reach_only_student_and_connectors():
    model = build()
    model.train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    distill = sum(v for k, v in losses.items() if k.startswith('loss_distill'))
    distill.backward()
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.distill_points['stage1'].connector.conv.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    # the student head is after the last distillation point: distillation alone leaves it alone
    assert model.student.head.fc.weight.grad is None


def test_distill_loss_matches_hand_computation():
    model = build()
    model.eval()  # connector BN in eval mode makes the connector a fixed affine map
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    s = model.student_recorders.get('stage2')
    t = model.teacher_recorders.get('stage2')
    point = model.distill_points['stage2']
    s = point.connector(s)
    t = torch.max(t, point.teacher_transform.margin[None, :, None, None])
    keep = ~((s <= t) & (t <= 0))
    expected = ((s - t) ** 2 * keep).sum() / inputs.shape[0] * 1e-3
    torch.testing.assert_close(losses['loss_distill_stage2'], expected)


def test_loss_weight_schedule_warmup_and_stop():
    model = build(loss_weight_schedule=dict(warmup_iters=4, stop_iter=10))
    model.eval()
    hub = MessageHub.get_current_instance()
    values = {}
    for it in (0, 3, 10):
        hub.update_info('iter', it)
        values[it] = model.loss(*batch())['loss_distill_stage1']
    torch.testing.assert_close(values[0] * 4, values[3])
    assert values[10] == 0
    hub.update_info('iter', 0)


def test_predict_and_tensor_modes_are_the_students():
    model = build()
    model.eval()
    inputs, samples = batch()
    torch.testing.assert_close(model(inputs, samples, mode='tensor'),
                               model.student(inputs, samples, mode='tensor'))
    with model.predict_with_teacher():
        torch.testing.assert_close(model(inputs, samples, mode='tensor'),
                                   model.teacher(inputs, samples, mode='tensor'))
    preds = model.val_step(dict(inputs=list(inputs * 255), data_samples=samples))
    assert len(preds) == 4 and preds[0].pred_score.shape == (NUM_CLASSES, )


def test_teacher_inputs_renormalised_when_preprocessors_differ():
    teacher = classifier(50, 512)
    teacher['data_preprocessor'] = dict(type='ImgDataPreprocessor', mean=[10., 20., 30.], std=[2., 4., 8.])
    model = build(teacher=dict(config=teacher, checkpoint=None))
    raw = torch.rand(1, 3, 8, 8) * 255
    student_in = raw  # student mean 0, std 1
    expected = (raw - torch.tensor([10., 20., 30.]).view(1, 3, 1, 1)) / torch.tensor([2., 4., 8.]).view(1, 3, 1, 1)
    torch.testing.assert_close(model.teacher_inputs(student_in), expected)


def test_teacher_inputs_reordered_when_one_preprocessor_reads_bgr():
    """A caffe-style teacher (mmdet's FCOS R-50: BGR, caffe means, std 1) under a torchvision-style student (BGR
    images turned to RGB, ImageNet mean and std): the teacher gets what its own preprocessor makes of the image."""
    from mmengine.model import ImgDataPreprocessor
    caffe = dict(type='ImgDataPreprocessor', mean=[102.98, 115.95, 122.77], std=[1., 1., 1.], bgr_to_rgb=False)
    imagenet = dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                    bgr_to_rgb=True)
    for student_pre, teacher_pre in ((imagenet, caffe), (caffe, imagenet)):
        student, teacher = classifier(18, 128), classifier(50, 512)
        student['data_preprocessor'], teacher['data_preprocessor'] = student_pre, teacher_pre
        model = build(student=student, teacher=dict(config=teacher, checkpoint=None))
        bgr = [torch.rand(3, 8, 8) * 255 for _ in range(2)]
        student_in = model.data_preprocessor(dict(inputs=bgr))['inputs']
        expected = ImgDataPreprocessor(**{k: v for k, v in teacher_pre.items() if k != 'type'})(
            dict(inputs=bgr))['inputs']
        torch.testing.assert_close(model.teacher_inputs(student_in), expected)
        assert not torch.allclose(student_in, expected, atol=1)
    # the same channel order and normalisation: the student's inputs as they are
    model = build()
    inputs = torch.rand(2, 3, 8, 8)
    assert model.teacher_inputs(inputs) is inputs


def test_bad_position_names_the_nearest_modules():
    points = distiller_cfg()['distill_points']
    points['stage1']['teacher']['source'] = 'backbone.layer1.2.rleu'
    with pytest.raises(ValueError, match=r'not a module of the teacher.*backbone\.layer1\.2\.relu'):
        build(distill_points=points)


def test_connector_channel_mismatch_is_reported_before_training():
    points = distiller_cfg()['distill_points']
    points['stage1']['connector'] = dict(type='mmkd.ConvBNConnector', in_channels=32)
    with pytest.raises(ValueError, match=r"stage1.*in_channels=32.*has 64 channels"):
        build(distill_points=points)
    points['stage1']['connector'] = dict(type='mmkd.ConvBNConnector', out_channels=100)
    with pytest.raises(ValueError, match=r"stage1.*out_channels"):
        build(distill_points=points)


def test_spatial_mismatch_needs_a_declared_resize():
    points = distiller_cfg()['distill_points']
    points['stage1']['teacher'] = dict(source='backbone.layer2.3.relu', io='input', call=-1)
    points['stage1']['teacher_transform'] = None
    with pytest.raises(ValueError, match='resize'):
        build(distill_points=points)
    points['stage1']['connector'] = dict(type='mmkd.ConvBNConnector', resize='bilinear')
    model = build(distill_points=points)
    model.eval()
    assert torch.isfinite(model.loss(*batch())['loss_distill_stage1'])


def test_teacher_checkpoint_missing_corrupt_or_unfit(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        build(teacher=dict(config=classifier(50, 512), checkpoint=str(tmp_path / 'none.pth')))
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'not a checkpoint at all')
    with pytest.raises(RuntimeError, match='corrupt'):
        build(teacher=dict(config=classifier(50, 512), checkpoint=str(corrupt)))
    from mmkd.registry import MODELS
    other = MODELS.build(classifier(18, 128))
    unfit = tmp_path / 'unfit.pth'
    torch.save(dict(state_dict=other.state_dict()), unfit)
    with pytest.raises(RuntimeError, match='does not fit the teacher'):
        build(teacher=dict(config=classifier(50, 512), checkpoint=str(unfit)))


def test_teacher_and_student_checkpoints_are_loaded(tmp_path):
    from mmkd.registry import MODELS
    teacher = MODELS.build(classifier(50, 512))
    student = MODELS.build(classifier(18, 128))
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict(iter=3)), tmp_path / 't.pth')
    torch.save(dict(state_dict=student.state_dict()), tmp_path / 's.pth')
    model = build(teacher=dict(config=classifier(50, 512), checkpoint=str(tmp_path / 't.pth')),
                  student_checkpoint=str(tmp_path / 's.pth'))
    torch.testing.assert_close(model.teacher.backbone.conv1.weight, teacher.backbone.conv1.weight)
    model.init_weights()
    torch.testing.assert_close(model.student.backbone.conv1.weight, student.backbone.conv1.weight)


def test_config_typos_are_rejected():
    with pytest.raises(ValueError, match='unknown keys'):
        build(distill_points=dict(a=dict(distill_points_typo=1, student='x', teacher='y', loss={})))
    with pytest.raises(ValueError, match='teacher must be dict'):
        build(teacher=dict(cfg=classifier(50, 512), checkpoint=None))
    with pytest.raises(ValueError, match="teacher_bn must be"):
        build(teacher_bn='frozen')
    with pytest.raises(ValueError, match='teacher_compile must be True or False'):
        build(teacher_compile='inductor')
    with pytest.raises(ValueError, match='truncate_teacher=True cannot be combined with teacher_compile=True'):
        build(teacher_compile=True, truncate_teacher=True)
    assert build(teacher_compile=True).frozen_teacher.truncate is False  # a compiled teacher runs whole


def sync_bn(model_cfg):
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone']['norm_cfg'] = dict(type='SyncBN', requires_grad=True)
    return model_cfg


def test_sync_bn_becomes_bn_in_both_models_before_the_recorders_hook_them():
    """mmseg's real configs use SyncBN. Without a process group the distiller turns it into BN in the student
    and in the teacher (the Runner only reaches the student, and after the recorders hooked it): a point on a
    norm layer still records after the Runner's own revert_sync_batchnorm, which then finds nothing to do."""
    from mmengine.model import revert_sync_batchnorm
    from torch.nn import SyncBatchNorm
    cfg = distiller_cfg(student=sync_bn(classifier(18, 128)), teacher_bn='train',
                        teacher=dict(config=sync_bn(classifier(50, 512)), checkpoint=None))
    assert cfg['teacher']['config']['backbone']['norm_cfg']['type'] == 'SyncBN'
    from mmkd.registry import MODELS
    plain = MODELS.build(cfg['student'])
    assert any(isinstance(m, SyncBatchNorm) for m in plain.modules())  # what the config builds alone
    cfg['distill_points']['bn'] = dict(student='backbone.layer1.0.bn1', teacher='backbone.layer1.0.bn1',
                                       connector=dict(type='mmkd.ConvBNConnector'),
                                       loss=dict(type='mmkd.PartialL2Loss'))
    model = MODELS.build(cfg)
    for side in (model.student, model.teacher):
        norms = [m for m in side.modules() if isinstance(m, _BatchNorm)]
        assert norms and not any(isinstance(m, SyncBatchNorm) for m in norms)
    bn = model.student.backbone.layer1[0].bn1
    assert revert_sync_batchnorm(model) is model and model.student.backbone.layer1[0].bn1 is bn
    model.train()
    losses = model.loss(*batch())
    assert torch.isfinite(losses['loss_distill_bn']) and losses['loss_distill_bn'] > 0
    teacher_bn = model.teacher.backbone.layer1[0].bn1
    assert teacher_bn.training and not teacher_bn.track_running_stats  # teacher_bn='train' reaches the new layers


def test_to_moves_the_hidden_teacher():
    model = build()
    model.to(torch.float64)
    assert next(model.teacher.parameters()).dtype == torch.float64
    assert isinstance(model, FeatureDistiller)


def test_teacher_config_from_a_package_path():
    from mmkd.utils.config import load_model_config
    model = load_model_config('mmdet::ssd/ssd300_coco.py')
    assert model.type == 'SingleStageDetector' and model._scope_ == 'mmdet'
    assert model.backbone.type == 'SSDVGG'
    patched = load_model_config('mmdet::ssd/ssd300_coco.py',
                                cfg_options={'model.bbox_head.num_classes': 6})
    assert patched.bbox_head.num_classes == 6
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_model_config('mmdet::ssd/no_such_config.py')


def test_truncated_teacher_skips_work_after_the_last_position_and_records_the_same():
    full = build(truncate_teacher=False)
    truncated = build(truncate_teacher=True)
    truncated.teacher.load_state_dict(full.teacher.state_dict())
    calls = []
    truncated.teacher.head.register_forward_hook(lambda *args: calls.append('head'))
    truncated.teacher.backbone.layer2.register_forward_hook(lambda *args: calls.append('layer2'))
    inputs, samples = batch()
    for model in (full, truncated):
        model.train()
        model.teacher_features(inputs, samples)
    # the last position is the input of layer2.3's last relu call: layer2 never returns, the head never runs
    assert calls == []
    for name in ('stage1', 'stage2'):
        torch.testing.assert_close(truncated.teacher_recorders.get(name), full.teacher_recorders.get(name))
    truncated.eval()
    with truncated.predict_with_teacher():
        truncated(inputs, samples, mode='tensor')  # prediction runs the whole teacher
    assert calls == ['layer2', 'head']


def teacher_feature_errors(precision, teacher_bn):
    """Relative L2 error of low-precision teacher features against fp32 at each position."""
    fp32 = build(truncate_teacher=False, teacher_bn=teacher_bn)
    low = build(teacher_precision=precision, truncate_teacher=False, teacher_bn=teacher_bn)
    low.teacher.load_state_dict(fp32.teacher.state_dict())
    inputs = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))  # normalised images
    samples = batch()[1]
    for model in (fp32, low):
        model.train()
        model.teacher_features(inputs, samples)
    errors = {}
    for name in ('stage1', 'stage2'):
        reference = fp32.teacher_recorders.get(name).float()
        errors[name] = ((low.teacher_recorders.get(name).float() - reference).norm() / reference.norm()).item()
    return errors, low


@pytest.mark.parametrize('precision', ['bf16', 'fp16'])
def test_low_precision_teacher_features_within_2e_2_of_fp32(precision):
    errors, low = teacher_feature_errors(precision, teacher_bn='eval')
    assert max(errors.values()) < 2e-2, errors
    assert low.teacher_execution['channels_last']
    # the convolutions ran in low precision (the features differ from fp32), the BNs in float32, so the
    # pre-ReLU block outputs are recorded in float32
    assert min(errors.values()) > 1e-4
    assert all(low.teacher_recorders.get(n).dtype == torch.float32 for n in errors)
    # transforms and losses see float32
    losses = low.loss(*batch())
    assert all(losses[f'loss_distill_{n}'].dtype == torch.float32 for n in errors)


def test_auto_precision_is_the_first_fast_one_within_tolerance_of_fp32(monkeypatch):
    from mmkd.models.algorithms import frozen_teacher

    def first_step(fast, **overrides):
        monkeypatch.setattr(frozen_teacher, 'fast_low_precisions', lambda device: list(fast))
        model = build(teacher_precision='auto', **overrides)
        model.train()
        assert model.teacher_execution is None  # chosen at the first training step
        logs = logged_messages(lambda: model.teacher_features(*batch()))
        return model, [m for m in logs if m.startswith('teacher forward on cpu')]

    # a device without fast low precision: fp32, nothing measured
    model, logs = first_step([])
    assert model.teacher_execution == dict(precision='fp32', channels_last=False, truncated=True, compiled=False)
    assert model.teacher_precision_errors == {} and 'computes neither bf16 nor fp16' in logs[0]

    # running BN statistics: bf16 is within 1e-2 of fp32 at both points and chosen
    model, logs = first_step(['bf16'], teacher_bn='eval')
    assert model.teacher_execution == dict(precision='bf16', channels_last=True, truncated=True, compiled=False)
    assert list(model.teacher_precision_errors) == ['bf16']
    assert 0 < max(model.teacher_precision_errors['bf16'].values()) < 1e-2
    assert len(logs) == 1 and "bf16 (teacher_precision='auto'" in logs[0] and "at 'stage" in logs[0]

    # a tolerance nothing meets: both forms measured, fp32 kept; '-deep' is exact up to the first point
    model, logs = first_step(['bf16'], teacher_precision_tolerance=1e-9)
    assert model.teacher_execution['precision'] == 'fp32'
    errors = model.teacher_precision_errors
    assert list(errors) == ['bf16', 'bf16-deep']
    # (fp32 in channels_last differs from the contiguous reference only in summation order)
    assert errors['bf16-deep']['stage1'] < 1e-5 < errors['bf16']['stage1'] and errors['bf16-deep']['stage2'] > 1e-4
    assert 'no fast precision within 1e-09' in logs[0]
    assert model.teacher_recorders.get('stage2').dtype == torch.float32  # the step itself ran in fp32

    # a new teacher (load_teacher_state) is measured anew at the next step
    model.load_teacher_state(model.teacher.state_dict())
    assert model.teacher_execution is None

    with pytest.raises(ValueError, match='teacher_precision must be'):
        build(teacher_precision='int8')
    with pytest.raises(ValueError, match='teacher_precision_tolerance must be > 0'):
        build(teacher_precision_tolerance=0)


def test_deep_precision_keeps_fp32_up_to_the_first_recorded_feature():
    fp32 = build(truncate_teacher=False)
    deep = build(teacher_precision='bf16-deep', truncate_teacher=False)
    deep.teacher.load_state_dict(fp32.teacher.state_dict())
    inputs, samples = batch()
    for model in (fp32, deep):
        model.train()
        model.teacher_features(inputs, samples)
    reference = fp32.teacher_recorders.get('stage1')  # (channels_last fp32: another summation order)
    torch.testing.assert_close(deep.teacher_recorders.get('stage1'), reference, rtol=1e-4, atol=1e-4)
    # after the first point the convolutions run in bf16 (BNs in float32: a float32 record, not fp32's value)
    stage2, reference = deep.teacher_recorders.get('stage2'), fp32.teacher_recorders.get('stage2')
    assert stage2.dtype == torch.float32 and (stage2 - reference).norm() / reference.norm() > 1e-4
    assert not torch.is_autocast_enabled('cpu')  # the switch ends with the forward
    assert deep.teacher_execution == dict(precision='bf16-deep', channels_last=True, truncated=False, compiled=False)


def test_fp16_teacher_that_overflows_falls_back_to_fp32():
    model = build(teacher_precision='fp16', teacher_bn='eval')
    with torch.no_grad():
        model.teacher.backbone.conv1.weight.mul_(1e6)  # activations far beyond float16's 65504
    model.train()
    logs = logged_messages(lambda: model.teacher_features(*batch()))
    assert any('overflowed float16' in m for m in logs)
    assert model.teacher_execution['precision'] == 'fp32'
    assert all(torch.isfinite(model.teacher_recorders.get(n)).all() for n in ('stage1', 'stage2'))
