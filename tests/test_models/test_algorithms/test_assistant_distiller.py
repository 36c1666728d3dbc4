"""AssistantDistiller: teacher -> assistant (step 1) -> student (step 2) in one run, with per-step optimizers,
schedules counted from each step's start, predictions of the network being trained, and checkpoints that
resume in either step; and the information-flow KD configs built on it (configs/hkd/)."""
import json
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from mmkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmkd.structures import ClsDataSample
from mmkd.utils.checkpoint import load_checkpoint_file, student_checkpoint
from mmkd.utils.progress import progress_from, training_progress
from mmkd.utils.setup_runtime import enable_amp

STEP1 = 3


def classifier(base_channels, mean=0.0):
    """A ResNet-18 with ``base_channels`` (last stage 8x that) and a 3-class linear head, for 16 px inputs."""
    return dict(
        type='mmkd.ImageClassifier',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[mean] * 3, std=[1.0] * 3),
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=base_channels, out_indices=(3, ),
                      norm_eval=False, init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels=8 * base_channels, topk=(1, )))


def kd_point():
    return dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=2.0))


def hint_point():
    return dict(student='backbone.layer4', teacher='backbone.layer4', connector=dict(type='mmkd.ConvBNConnector'),
                loss=dict(type='mmkd.PartialL2Loss'))


def build(**overrides):
    cfg = dict(
        type='mmkd.AssistantDistiller',
        teacher=dict(config=classifier(8), checkpoint=None),
        assistant=classifier(4),
        student=classifier(2),
        assistant_points=dict(aux=hint_point()),
        distill_points=dict(kd=kd_point(), hint=hint_point()),
        stages=[dict(name='hint', points=['hint'], end_iter=2), dict(name='kd', points=['kd'])],
        assistant_iters=STEP1,
        input_size=(16, 16),
        teacher_bn='eval')
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.train()


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(4, 3, 16, 16, generator=g), [ClsDataSample().set_gt_label(i % 3) for i in range(4)]


def at_iter(it):
    MessageHub.get_current_instance().update_info('iter', it)
    MessageHub.get_current_instance().update_info('epoch', 0)


def grads(module):
    return [p.grad for p in module.parameters()]


def has_grad(module):
    return any(g is not None and g.abs().sum() > 0 for g in grads(module))


def test_progress_from_counts_from_the_origin():
    at_iter(10)
    assert training_progress() == (10, 0)
    with progress_from(4):
        assert training_progress() == (6, 0)
        with progress_from(8):
            assert training_progress() == (2, 0)
        assert training_progress() == (6, 0)
    assert training_progress() == (10, 0)


def test_step_one_trains_the_assistant_from_the_teacher_only():
    model = build()
    inputs, samples = batch()
    at_iter(0)
    losses = model.loss(inputs, samples)
    assert 'loss_distill_aux' in losses and not any('hint' in k or k == 'loss_distill_kd' for k in losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert has_grad(model.assistant) and has_grad(model.assistant_step.distill_points)
    assert all(g is None for g in grads(model.student) + grads(model.distill_points))
    assert int(model.step) == 0
    # the student's teacher has the assistant's architecture but not yet its weights
    assert model.teacher.head.fc.in_features == 32 and model.assistant.head.fc.in_features == 32
    assert not torch.equal(model.teacher.head.fc.weight, model.assistant.head.fc.weight)


def test_step_two_copies_the_assistant_and_counts_its_stages_from_its_start():
    model = build()
    inputs, samples = batch()
    at_iter(0)
    model.loss(inputs, samples)
    at_iter(STEP1)  # first iteration of step 2: stage 'hint' (its iteration 0)
    losses = model.loss(inputs, samples)
    assert int(model.step) == 1 and model.step2_origin.tolist() == [STEP1, 0]
    for name, value in model.assistant.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[name], value), name
    assert 'loss_distill_hint' in losses and 'loss_distill_kd' not in losses and 'loss_distill_aux' not in losses
    losses['loss_distill_hint'].backward()
    assert has_grad(model.student) and all(g is None for g in grads(model.assistant_step))
    at_iter(STEP1 + 1)
    assert 'loss_distill_hint' in model.loss(inputs, samples)
    at_iter(STEP1 + 2)  # stage 'hint' ends at step 2's iteration 2, not at the run's
    losses = model.loss(inputs, samples)
    assert 'loss_distill_kd' in losses and 'loss_distill_hint' not in losses


def test_predictions_are_those_of_the_network_being_trained():
    model = build().eval()
    inputs, _ = batch()
    assert torch.equal(model(inputs, mode='tensor'), model.assistant(inputs, mode='tensor'))
    with model.predict_with_teacher():
        assert torch.equal(model(inputs, mode='tensor'), model.assistant_step.teacher(inputs, mode='tensor'))
    model.step.fill_(1)
    assert torch.equal(model(inputs, mode='tensor'), model.student(inputs, mode='tensor'))


def test_checkpoint_resumes_in_step_two_with_the_trained_assistant_as_teacher():
    model = build()
    inputs, samples = batch()
    at_iter(0)
    model.loss(inputs, samples)
    with torch.no_grad():
        for p in model.assistant.parameters():
            p.add_(0.5)  # "trained" in step 1
    at_iter(STEP1)
    model.loss(inputs, samples)
    state = model.state_dict()
    assert any(k.startswith('student.') for k in state) and any(k.startswith('assistant_step.student.') for k in state)
    assert not any(k.startswith('teacher.') for k in state)
    # the exported student is the student, not the assistant
    exported = student_checkpoint(dict(state_dict=state))['state_dict']
    assert exported['head.fc.weight'].shape == (3, 16)

    resumed = build()
    resumed.load_state_dict(state)
    assert int(resumed.step) == 1
    at_iter(STEP1 + 5)
    resumed.loss(inputs, samples)
    for name, value in model.assistant.state_dict().items():
        assert torch.equal(resumed.teacher.state_dict()[name], value), name


def test_one_optimizer_per_step():
    model = build()
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='mmkd.ModuleGroupsOptimWrapperConstructor',
        optim_wrapper_cfg=dict(assistant=dict(optimizer=dict(type='SGD', lr=0.1)),
                               student=dict(optimizer=dict(type='SGD', lr=0.2)))))
    wrappers = constructor(model)
    assert isinstance(wrappers, OptimWrapperDict) and set(wrappers.keys()) == {'assistant', 'student'}

    def ids(wrapper):
        return {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}

    assistant, student = ids(wrappers['assistant']), ids(wrappers['student'])
    assert not assistant & student
    assert assistant | student == {id(p) for p in model.parameters()}
    assert {id(p) for p in model.assistant.parameters()} <= assistant
    assert {id(p) for p in model.distill_points.parameters()} <= student
    at_iter(STEP1 - 1)
    assert model.active_optim_wrapper(wrappers) is wrappers['assistant']
    at_iter(STEP1)
    assert model.active_optim_wrapper(wrappers) is wrappers['student']
    with pytest.raises(ValueError, match='one config per group'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='mmkd.ModuleGroupsOptimWrapperConstructor',
            optim_wrapper_cfg=dict(assistant=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


def test_two_feature_distiller_steps_composed_under_one_set_of_keys():
    from mmkd.models import FeatureDistiller
    model = build()
    steps = (model.assistant_step, model.student_step)
    assert not isinstance(model, FeatureDistiller) and all(isinstance(s, FeatureDistiller) for s in steps)
    # step 2's student and points are the model's own sub-modules (keys student.*, distill_points.*) ...
    assert model.student is model.student_step.student and model.distill_points is model.student_step.distill_points
    assert model.data_preprocessor is model.student_step.data_preprocessor
    assert dict(model.named_children()).keys() == {'data_preprocessor', 'student', 'distill_points', 'assistant_step'}
    # ... its teacher, recorders, stages and diagnostics are shown as the model's
    assert model.teacher is model.student_step.teacher and model.frozen_teacher is model.student_step.frozen_teacher
    assert model.teacher_recorders is model.student_step.teacher_recorders
    assert model.stages is model.student_step.stages and model.teacher_identity is None
    with pytest.raises(AttributeError):
        model.no_such_attribute
    model.to(torch.float64)  # both hidden teachers follow
    assert next(model.teacher.parameters()).dtype == next(model.assistant_step.teacher.parameters()).dtype == \
        torch.float64
    model.eval()
    assert not model.student_step.training and not model.assistant_step.training and not model.student.training
    model.train()
    assert model.student_step.training and model.distill_points.training
    with pytest.raises(RuntimeError, match='AssistantDistiller supports "loss", "predict" and "tensor"'):
        model(torch.zeros(1, 3, 16, 16), mode='features')


def test_bad_configs_fail_at_build():
    with pytest.raises(ValueError, match='exactly one of assistant_iters / assistant_epochs'):
        build(assistant_epochs=2)
    with pytest.raises(ValueError, match='at least 1'):
        build(assistant_iters=0)
    with pytest.raises(ValueError, match=r"\['assistant'\] use another data_preprocessor than model 'student'"):
        build(assistant=classifier(4, mean=1.0))
    with pytest.raises(ValueError, match="AssistantDistiller uses the student's data_preprocessor"):
        build(data_preprocessor=classifier(4, mean=1.0)['data_preprocessor'])


# ------------------------------------------------------------------------------ information-flow KD
def hkd_model(monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile('configs/hkd/hkd_cls_r50_r18_toy.py')
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    cfg.model.teacher.checkpoint = None
    return cfg, MODELS.build(cfg.model).train()


def test_hkd_config_trains_the_auxiliary_network_then_the_student(monkeypatch):
    cfg, model = hkd_model(monkeypatch)
    assert model.teacher.head.fc.in_features == 1024 and model.assistant.head.fc.in_features == 1024
    assert model.assistant_step.teacher.head.fc.in_features == 2048 and model.student.head.fc.in_features == 512
    assert cfg.train_cfg.max_iters == 2 * cfg.model.assistant_iters
    assert cfg.param_scheduler.student[0].begin == cfg.model.assistant_iters
    inputs = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    samples = [ClsDataSample().set_gt_label(i % 2) for i in range(4)]
    at_iter(0)
    loss = model.loss(inputs, samples)['loss_distill_hkd_aux']
    assert torch.isfinite(loss) and loss > 0
    at_iter(cfg.model.assistant_iters + 40)  # two decays into step 2
    loss = model.loss(inputs, samples)['loss_distill_hkd']
    loss.backward()
    assert model.student.backbone.layer1[0].conv1.weight.grad.abs().sum() > 0
    hkd = model.distill_points['hkd'].loss
    assert hkd.last_matching == [0, 1, 2, 3, 4]
    with progress_from(cfg.model.assistant_iters):  # as the distiller runs step 2
        assert hkd._step() == 40
    assert hkd.layer_weights(5, 40) == pytest.approx([100 * 0.7**2] * 4 + [1])


@pytest.mark.slow
def test_hkd_config_end_to_end_with_resume_and_test(toy_workspace):
    short = ['model.teacher.checkpoint=None', 'model.assistant_iters=2', 'train_cfg.max_iters=4',
             'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
             'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
             'test_dataloader.num_workers=0', 'val_dataloader.dataset.indices=16',
             'test_dataloader.dataset.indices=16', 'custom_hooks.0.enabled=False']
    config = 'configs/hkd/hkd_cls_r50_r18_toy.py'
    run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', 'work_dirs/hkd', '--cfg-options',
             *short[:2], 'train_cfg.max_iters=3', *short[3:])
    wd = toy_workspace / 'work_dirs/hkd'
    assert (wd / 'iter_3.pth').is_file()
    log = run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', 'work_dirs/hkd', '--resume',
                   '--cfg-options', *short)
    assert 'resumed epoch: 0, iter: 3' in log and 'step 2 from iter 2' in log
    assert (wd / 'iter_4_student.pth').is_file()
    ckpt = load_checkpoint_file(str(wd / 'iter_4.pth'))
    assert int(ckpt['state_dict']['step']) == 1 and ckpt['state_dict']['step2_origin'].tolist() == [2, 0]
    assert set(ckpt['optimizer']) >= {'assistant', 'student'}
    out = toy_workspace / 'work_dirs/hkd/test.json'
    run_tool(toy_workspace, 'tools/test.py', config, str(wd / 'iter_4.pth'), '--work-dir', 'work_dirs/hkd',
             '--out', str(out), '--cfg-options', *short)
    plain = toy_workspace / 'work_dirs/hkd/test_student.json'
    run_tool(toy_workspace, 'tools/test.py', str(wd / 'student_config.py'), str(wd / 'iter_4_student.pth'),
             '--work-dir', 'work_dirs/hkd', '--out', str(plain), '--cfg-options', *short[9:12])
    assert json.loads(out.read_text()) == json.loads(plain.read_text())


@pytest.mark.slow
def test_hkd_config_two_processes(toy_workspace):
    out = run_tool(toy_workspace, 'tools/dist_train.sh', 'configs/hkd/hkd_cls_r50_r18_toy.py', '2',
                   '--work-dir', 'work_dirs/hkd_ddp', '--cfg-options', 'model.teacher.checkpoint=None',
                   'model.assistant_iters=2', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                   'default_hooks.logger.interval=1', 'custom_hooks.0.enabled=False', 'train_dataloader.batch_size=4',
                   'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8')
    assert 'Distributed training: True' in out and 'step 2 from iter 2' in out
    logged = re.findall(r'Iter\(train\) \[(\d)/4\].*?assistant\.lr: ([0-9.e-]+) student\.lr: ([0-9.e-]+)', out)
    assert [int(i) for i, _, _ in logged] == [1, 2, 3, 4]
    ckpt = load_checkpoint_file(str(toy_workspace / 'work_dirs/hkd_ddp/iter_4.pth'))
    assert int(ckpt['state_dict']['step']) == 1


def test_amp_switches_every_group_optim_wrapper():
    cfg = Config(dict(optim_wrapper=dict(constructor='mmkd.ModuleGroupsOptimWrapperConstructor',
                                         assistant=dict(optimizer=dict(type='SGD', lr=0.1)),
                                         student=dict(optimizer=dict(type='SGD', lr=0.1)))))
    enable_amp(cfg)
    expected = 'AmpOptimWrapper' if torch.cuda.is_available() else 'mmkd.CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.assistant.type == expected and cfg.optim_wrapper.student.type == expected
    assert 'type' not in cfg.optim_wrapper
