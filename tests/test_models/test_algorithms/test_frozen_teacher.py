"""FrozenTeacher on its own (build, weights, freezing, BN modes, input re-normalisation, recording, precision)
and as the distiller's component (kept out of its module tree, state_dict keys of earlier checkpoints)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.model import ImgDataPreprocessor
from torch.nn.modules.batchnorm import _BatchNorm

from conftest import DATA, logged_messages
from mmkd.models import FrozenTeacher
from mmkd.models.algorithms.frozen_teacher import without_teacher_weights
from mmkd.registry import MODELS
from mmkd.utils.teacher_identity import file_sha256

KEYS = osp.join(DATA, 'distiller_state_keys.json')


def classifier(mean=(0., 0., 0.), std=(1., 1., 1.), bgr_to_rgb=False):
    """A two-stage ResNet-18 with 4 base channels and a 3-class head."""
    return dict(
        type='mmkd.ImageClassifier',
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=4, num_stages=2, strides=(1, 2),
                      dilations=(1, 1), out_indices=(1, ), norm_eval=False, init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels=8, topk=(1, )),
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=list(mean), std=list(std), bgr_to_rgb=bgr_to_rgb))


def recording_teacher(recorders, **kwargs):
    kwargs.setdefault('precision', 'fp32')
    teacher = FrozenTeacher(classifier(), None, **kwargs)
    teacher.attach_recorders(recorders)
    teacher.dry_run((16, 16))
    return teacher


def images(n=4, seed=0):
    return torch.randn(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_built_from_a_classifier_config_and_frozen():
    teacher = FrozenTeacher.from_cfg(dict(config=classifier(), checkpoint=None), bn_mode='train')
    assert type(teacher.module).__name__ == 'ImageClassifier'
    assert teacher.identity is None and teacher.checkpoint is None
    assert all(not p.requires_grad for p in teacher.parameters())
    norms = [m for m in teacher.module.modules() if isinstance(m, _BatchNorm)]
    for mode in (True, False):  # frozen whatever mode it is asked for
        teacher.train(mode)
        assert not teacher.training and not teacher.module.training and not teacher.module.backbone.conv1.training
        assert all(m.training and not m.track_running_stats for m in norms)
    assert all(not m.training for m in FrozenTeacher(classifier(), None, bn_mode='eval').module.modules())
    with pytest.raises(ValueError, match='teacher must be dict'):
        FrozenTeacher.from_cfg(dict(config=classifier(), checkpoint=None, bn='eval'))
    with pytest.raises(ValueError, match="bn_mode must be 'train' or 'eval'"):
        FrozenTeacher(classifier(), None, bn_mode='frozen')
    with pytest.raises(ValueError, match='precision must be auto'):
        FrozenTeacher(classifier(), None, precision='int8')


def test_checkpoint_read_and_identified_unless_weights_are_skipped(tmp_path):
    source = MODELS.build(classifier())
    with torch.no_grad():
        for p in source.parameters():
            p.add_(1.0)
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=source.state_dict()), path)
    teacher = FrozenTeacher(classifier(), path)
    for name, value in source.state_dict().items():
        assert torch.equal(teacher.module.state_dict()[name], value), name
    assert teacher.identity == dict(checkpoint=path, sha256=file_sha256(path))
    with without_teacher_weights():
        skipped = FrozenTeacher(classifier(), path)
    assert skipped.identity is None
    assert not torch.equal(skipped.module.head.fc.weight, source.head.fc.weight)
    # replaced later: the precision is chosen again at the next record
    skipped._execution = 'bf16'
    skipped.load_state(source.state_dict())
    assert torch.equal(skipped.module.head.fc.weight, source.head.fc.weight) and skipped.execution is None


def test_inputs_renormalised_by_hand():
    """Student: RGB, mean (1, 2, 3), std 2; teacher: BGR, mean (10, 20, 30), std (5, 4, 2). A student input
    of c + 1 in channel c is the RGB image (3, 6, 9), the BGR image (9, 6, 3), the teacher input
    ((9 - 10) / 5, (6 - 20) / 4, (3 - 30) / 2)."""
    student = ImgDataPreprocessor(mean=[1., 2., 3.], std=[2., 2., 2.], bgr_to_rgb=True)
    teacher = FrozenTeacher(classifier(mean=(10., 20., 30.), std=(5., 4., 2.)), None,
                            student_preprocessor=student)
    x = torch.arange(1., 4.).view(1, 3, 1, 1).expand(2, 3, 4, 4)
    expected = torch.tensor([-0.2, -3.5, -13.5]).view(1, 3, 1, 1).expand(2, 3, 4, 4)
    torch.testing.assert_close(teacher.inputs(x), expected)
    same = FrozenTeacher(classifier(mean=(1., 2., 3.), std=(2., 2., 2.), bgr_to_rgb=True), None,
                         student_preprocessor=student)
    assert same.inputs(x) is x
    # without a student preprocessor the inputs are the teacher's as they are
    assert FrozenTeacher(classifier(mean=(10., 20., 30.), bgr_to_rgb=True), None).inputs(x) is x


def test_train_bn_mode_uses_batch_statistics_and_leaves_running_statistics():
    positions = dict(conv=dict(source='backbone.conv1'), bn=dict(source='backbone.bn1'))
    teacher = recording_teacher(positions, bn_mode='train')
    bn = teacher.module.backbone.bn1
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    before = {k: v.clone() for k, v in teacher.module.state_dict().items()}
    teacher.record(images(), None)
    for name, value in teacher.module.state_dict().items():
        assert torch.equal(value, before[name]), name
    conv, out = teacher.recorders.get('conv'), teacher.recorders.get('bn')
    mean = conv.mean(dim=(0, 2, 3), keepdim=True)
    var = conv.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    expected = (conv - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    # evaluated, the same teacher uses its running statistics; its frozen mode is back after
    with teacher.evaluating():
        assert not any(m.training for m in teacher.module.modules())
    assert bn.training and not bn.track_running_stats

    eval_teacher = recording_teacher(positions, bn_mode='eval')
    eval_teacher.module.load_state_dict(teacher.module.state_dict())
    eval_teacher.record(images(), None)
    conv, out = eval_teacher.recorders.get('conv'), eval_teacher.recorders.get('bn')
    expected = ((conv - bn.running_mean.view(1, -1, 1, 1)) / torch.sqrt(bn.running_var.view(1, -1, 1, 1) + bn.eps)
                * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1))
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)


def test_truncated_record_stops_after_the_last_recorded_feature():
    calls = {}
    for truncate in (True, False):
        teacher = recording_teacher(dict(stage1=dict(source='backbone.layer1')), truncate=truncate)
        calls[truncate] = []
        teacher.module.head.register_forward_hook(lambda *args, seen=calls[truncate]: seen.append('head'))
        teacher.record(images(), None)
        assert teacher.recorders.get('stage1').shape == (4, 4, 4, 4)  # after the stride-4 stem
        assert teacher.execution == dict(precision='fp32', channels_last=False, truncated=truncate, compiled=False)
    assert calls == {True: [], False: ['head']}
    with pytest.raises(RuntimeError, match=r'dry_run\(input_size\) first'):
        FrozenTeacher(classifier(), None).run(images(), None, 'fp32')


def test_measured_precisions_against_fp32():
    teacher = recording_teacher(dict(stage1=dict(source='backbone.layer1'), stage2=dict(source='backbone.layer2')),
                                bn_mode='eval', truncate=False)
    errors = teacher.measure_precisions(images(), None, ['fp32', 'bf16', 'bf16-deep'])
    assert errors['fp32'] == dict(stage1=0.0, stage2=0.0)
    assert 0 < errors['bf16']['stage1'] < 5e-2 and 0 < errors['bf16']['stage2'] < 5e-2
    # '-deep': float32 up to the first recorded feature (channels_last: only the summation order differs)
    assert errors['bf16-deep']['stage1'] < 1e-5 < errors['bf16-deep']['stage2']
    # a view picks what is compared: here twice stage2, whose relative error is stage2's

    def doubled_stage2():
        return dict(stage2=2 * teacher.recorders.get('stage2').float())

    viewed = teacher.measure_precisions(images(), None, ['bf16'], doubled_stage2)
    assert list(viewed['bf16']) == ['stage2']
    assert viewed['bf16']['stage2'] == pytest.approx(errors['bf16']['stage2'], rel=1e-6)


def test_distiller_keeps_the_teacher_out_of_its_tree_and_its_state_dict_keys():
    import test_assistant_distiller
    from conftest import build
    with open(KEYS) as f:
        expected = json.load(f)  # written by the distillers before the teacher became a component
    model = build(diagnostics=dict(student='head.fc', teacher='head.fc'))
    assert list(model.state_dict()) == expected['feature_distiller']
    assert isinstance(model.frozen_teacher, FrozenTeacher)
    assert not any(isinstance(m, FrozenTeacher) for m in model.modules())
    assert model.teacher is model.frozen_teacher.module and model.teacher_recorders is model.frozen_teacher.recorders
    assert model.teacher_bn == model.frozen_teacher.bn_mode == 'train'
    bn = model.teacher.backbone.bn1
    assert bn.training and not bn.track_running_stats and not model.teacher.training  # frozen once built
    model.eval()
    assert not model.training and bn.training  # the BN mode holds in eval too
    assistant = test_assistant_distiller.build()
    assert list(assistant.state_dict()) == expected['assistant_distiller']


# ------------------------------------------------------------------------------------------ compile
POSITIONS = dict(stage1=dict(source='backbone.layer1'), stage2=dict(source='backbone.layer2.1.relu', io='input'))


@pytest.mark.slow  # compiling takes 20-60 s on one core
def test_compiled_teacher_records_the_eager_features_and_runs_whole():
    eager = recording_teacher(POSITIONS, truncate=False)
    compiled = recording_teacher(POSITIONS, compile=True)
    compiled.module.load_state_dict(eager.module.state_dict())
    head_calls = []
    compiled.module.head.register_forward_hook(lambda *args: head_calls.append(1))
    for seed in (0, 1):  # the second batch reuses the compiled graph
        eager.record(images(seed=seed), None)
        compiled.record(images(seed=seed), None)
        for name in POSITIONS:
            torch.testing.assert_close(compiled.recorders.get(name), eager.recorders.get(name), rtol=1e-4, atol=1e-5)
    assert compiled.execution == dict(precision='fp32', channels_last=False, truncated=False, compiled=True)
    assert head_calls == [1, 1]  # whole forward: truncation cannot stop a compiled graph
    assert not any('_orig_mod' in key for key in compiled.state_dict())  # the compiled wrapper is off the tree


def test_compile_failure_falls_back_to_eager_with_a_warning(monkeypatch):
    def failing_compile(module, **kwargs):
        def forward(*args, **kw):
            module(*args, **kw)  # records part of the features, as a graph failing midway would
            raise RuntimeError('InductorError: C++ compiler not found\nmore lines')
        return forward

    monkeypatch.setattr(torch, 'compile', failing_compile)
    eager = recording_teacher(POSITIONS, truncate=False)
    teacher = recording_teacher(POSITIONS, compile=True)
    teacher.module.load_state_dict(eager.module.state_dict())
    logs = logged_messages(lambda: [teacher.record(images(), None) for _ in range(2)])
    eager.record(images(), None)
    for name in POSITIONS:  # the eager rerun's features, not the failed call's left in the recorders
        assert len(teacher.recorders.recorders[name]._data) == 1
        torch.testing.assert_close(teacher.recorders.get(name), eager.recorders.get(name))
    failures = [m for m in logs if 'torch.compile of the teacher failed' in m]
    assert len(failures) == 1  # tried once, eager from then on
    assert 'RuntimeError: InductorError: C++ compiler not found);' in failures[0]
    assert teacher.execution['compiled'] is False and not teacher.compiled


def test_compile_options_are_checked():
    assert recording_teacher(POSITIONS).execution is None
    assert recording_teacher(POSITIONS).truncate is True  # default: truncated unless compiled
    assert recording_teacher(POSITIONS, compile=True).truncate is False
    with pytest.raises(ValueError, match='compile must be True or False'):
        FrozenTeacher(classifier(), None, compile='yes')
    with pytest.raises(ValueError, match=r'truncate=True cannot be combined with compile=True.*Leave truncate unset'):
        FrozenTeacher(classifier(), None, compile=True, truncate=True)
