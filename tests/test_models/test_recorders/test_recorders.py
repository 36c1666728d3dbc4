import copy
import pickle

import pytest
import torch
import torch.distributed as dist
from torch import nn

from mmkd.models.recorders import ModuleRecorder, RecorderManager
from mmkd.registry import MODELS


class ThreeCalls(nn.Module):
    """Calls ``lin`` three times; ``pair`` takes two inputs and returns a tuple."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.pair = Pair()

    def forward(self, x):
        x = self.lin(x)
        x = self.lin(x)
        x = self.lin(x)
        a, b = self.pair(x, 2 * x)
        return a + b


class Pair(nn.Module):

    def forward(self, a, b):
        return a - 1, b + 1


def manual_calls(model, x):
    outs = []
    for _ in range(3):
        x = model.lin(x)
        outs.append(x)
    return outs


@pytest.fixture
def toy():
    torch.manual_seed(0)
    return ThreeCalls(), torch.randn(2, 3)


@pytest.mark.parametrize('call,expected', [(0, 0), (1, 1), (2, 2), (-1, 2), (-2, 1), (-3, 0)])
def test_call_selection_output(toy, call, expected):
    model, x = toy
    manager = RecorderManager(dict(feat=dict(source='lin', io='output', call=call)))
    manager.prepare(model)
    with manager.recording():
        model(x)
    with torch.no_grad():
        outs = manual_calls(model, x)
    torch.testing.assert_close(manager.get('feat'), outs[expected])


def test_call_selection_input(toy):
    model, x = toy
    manager = RecorderManager(dict(first=dict(source='lin', io='input', call=0),
                                   last=dict(source='lin', io='input', call=-1)))
    manager.prepare(model)
    with manager.recording():
        model(x)
    with torch.no_grad():
        outs = manual_calls(model, x)
    torch.testing.assert_close(manager.get('first'), x)
    torch.testing.assert_close(manager.get('last'), outs[1])


def test_memory_keeps_only_needed_calls(toy):
    model, x = toy
    fixed = ModuleRecorder('lin', call=1)
    last_two = ModuleRecorder('lin', call=-2)
    manager = RecorderManager(dict(fixed=fixed, last_two=last_two))
    manager.prepare(model)
    with manager.recording():
        model(x)
    assert fixed.num_calls == 3 and last_two.num_calls == 3
    assert len(fixed._data) == 1
    assert len(last_two._data) == 2


def test_index_for_inputs_and_tuple_outputs(toy):
    model, x = toy
    manager = RecorderManager(dict(
        in0=dict(source='pair', io='input', index=0),
        in1=dict(source='pair', io='input', index=1),
        out1=dict(source='pair', io='output', index=-1)))
    manager.prepare(model)
    with manager.recording():
        model(x)
    a = manager.get('in0')
    torch.testing.assert_close(manager.get('in1'), 2 * a)
    torch.testing.assert_close(manager.get('out1'), 2 * a + 1)


@pytest.mark.parametrize('cfg,match', [
    (dict(source='pair', io='input'), 'called with 2 positional inputs; set index='),
    (dict(source='pair', io='output'), 'tuple of 2 elements; set index='),
    (dict(source='lin', io='output', index=0), 'not a tuple/list; drop index='),
    (dict(source='pair', io='input', index=2), 'out of range for the 2 positional inputs'),
])
def test_index_errors(toy, cfg, match):
    model, x = toy
    manager = RecorderManager(dict(feat=cfg))
    manager.prepare(model)
    with pytest.raises((ValueError, IndexError), match=match), manager.recording():
        model(x)


def test_recording_only_inside_context_and_cleared_on_entry(toy):
    model, x = toy
    manager = RecorderManager(dict(feat=dict(source='lin', call=0)))
    manager.prepare(model)
    model(x)
    with pytest.raises(RuntimeError, match='lin was not called'):
        manager.get('feat')
    with manager.recording():
        model(x)
    first = manager.get('feat').clone()
    model(x + 1)  # outside the context: must not replace the recorded call
    torch.testing.assert_close(manager.get('feat'), first)
    with manager.recording():
        model(x + 1)
    assert not torch.allclose(manager.get('feat'), first)
    with manager.recording():
        pass
    with pytest.raises(RuntimeError, match='was not called'):
        manager.get('feat')


def test_too_few_calls_says_how_many(toy):
    model, x = toy
    manager = RecorderManager(dict(pos=dict(source='lin', call=5), neg=dict(source='lin', call=-4)))
    manager.prepare(model)
    with manager.recording():
        model(x)
    with pytest.raises(RuntimeError, match=r'lin was called 3 times .* call=5 needs at least 6 calls'):
        manager.get('pos')
    with pytest.raises(RuntimeError, match=r'lin was called 3 times .* call=-4 needs at least 4 calls'):
        manager.get('neg')


def test_get_errors(toy):
    model, _ = toy
    manager = RecorderManager(dict(feat=dict(source='lin')))
    with pytest.raises(RuntimeError, match=r'call prepare\(model\)'):
        manager.get('feat')
    manager.prepare(model)
    with pytest.raises(KeyError, match="no recorder named 'nope'; the recorders are: feat"):
        manager.get('nope')


def test_unknown_source_lists_close_names():
    from mmdet.models import ResNet

    class Detector(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = ResNet(depth=18)

    manager = RecorderManager(dict(feat=dict(source='backbone.layer5.0.relu', io='input')))
    with pytest.raises(ValueError) as err:
        manager.prepare(Detector(), model_name='teacher')
    msg = str(err.value)
    assert msg.startswith('backbone.layer5.0.relu is not a module of the teacher; did you mean: ')
    assert 'backbone.layer4.0.relu' in msg


def test_remove_detaches_hooks(toy):
    model, x = toy
    manager = RecorderManager(dict(a=dict(source='lin'), b=dict(source='pair', io='input', index=0)))
    manager.prepare(model)
    assert len(model.lin._forward_hooks) == 1 and len(model.pair._forward_pre_hooks) == 1
    manager.remove()
    assert len(model.lin._forward_hooks) == 0 and len(model.pair._forward_pre_hooks) == 0
    with manager.recording():
        model(x)
    with pytest.raises(RuntimeError, match='prepare'):
        manager.get('a')


def test_prepare_again_moves_the_hook(toy):
    model, x = toy
    other = copy.deepcopy(model)
    with torch.no_grad():
        other.lin.weight.mul_(2)
    manager = RecorderManager(dict(feat=dict(source='lin', call=0)))
    manager.prepare(model)
    manager.prepare(other)
    assert len(model.lin._forward_hooks) == 0
    with manager.recording():
        other(x)
    torch.testing.assert_close(manager.get('feat'), other.lin(x))


def test_build_from_registry_and_types():
    recorder = MODELS.build(dict(type='mmkd.ModuleRecorder', source='a.b', io='input', call=2))
    assert isinstance(recorder, ModuleRecorder)
    assert (recorder.source, recorder.io, recorder.call) == ('a.b', 'input', 2)
    manager = RecorderManager(dict(x=dict(type='mmkd.ModuleRecorder', source='lin'), y=recorder))
    assert manager.names == ['x', 'y'] and 'y' in manager and len(manager) == 2
    with pytest.raises(TypeError, match='must be a dict'):
        RecorderManager(dict(x='lin'))
    with pytest.raises(ValueError, match="io must be 'input' or 'output'"):
        ModuleRecorder('lin', io='in')


def test_inplace_relu_input_is_kept():
    model = nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU(inplace=True))
    manager = RecorderManager(dict(pre=dict(source='1', io='input')))
    manager.prepare(model)
    x = torch.randn(1, 2, 4, 4)
    with manager.recording():
        out = model(x)
    pre = manager.get('pre')
    assert (pre < 0).any()
    torch.testing.assert_close(pre, model[0](x))
    torch.testing.assert_close(out, pre.clamp_min(0))


@pytest.mark.parametrize('block_type', ['BasicBlock', 'Bottleneck'])
def test_mmdet_block_pre_relu(block_type):
    from mmdet.models.backbones import resnet
    torch.manual_seed(0)
    if block_type == 'BasicBlock':
        block = resnet.BasicBlock(8, 8)
        num_calls = 2
    else:
        block = resnet.Bottleneck(8, 2)  # expansion 4: 8 -> 2 -> 8 channels
        num_calls = 3
    manager = RecorderManager(dict(pre=dict(source='relu', io='input', call=-1),
                                   first=dict(source='relu', io='input', call=0)))
    manager.prepare(block)
    x = torch.randn(2, 8, 5, 5)
    with manager.recording():
        out = block(x)
    assert manager.recorders['pre'].num_calls == num_calls
    pre = manager.get('pre')
    with torch.no_grad():
        h = block.relu(block.bn1(block.conv1(x)))
        if block_type == 'BasicBlock':
            expected = block.bn2(block.conv2(h)) + x
        else:
            h = block.relu(block.bn2(block.conv2(h)))
            expected = block.bn3(block.conv3(h)) + x
        first = block.bn1(block.conv1(x))
    torch.testing.assert_close(pre, expected)
    torch.testing.assert_close(manager.get('first'), first)
    assert (pre < 0).any() and (manager.get('first') < 0).any()
    torch.testing.assert_close(out, pre.clamp_min(0))
    pre.pow(2).sum().backward()
    for conv in (block.conv1, block.conv2):
        assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


@pytest.fixture(scope='module')
def resnet18():
    from mmdet.models import ResNet
    torch.manual_seed(0)
    return ResNet(depth=18, init_cfg=None)


def test_mmdet_resnet18_pre_relu_and_grad(resnet18):
    model = resnet18
    model.train()  # mmdet's ResNet.train() returns None
    model.zero_grad()
    manager = RecorderManager(dict(
        last=dict(source='layer4.1.relu', io='input', call=-1),
        stage1=dict(source='layer1.1.relu', io='input', call=-1)))
    manager.prepare(model, model_name='student')
    with manager.recording():
        outs = model(torch.randn(2, 3, 32, 32))
    last, stage1 = manager.get('last'), manager.get('stage1')
    assert last.shape == (2, 512, 1, 1) and stage1.shape == (2, 64, 8, 8)
    assert (last < 0).any() and (stage1 < 0).any()
    torch.testing.assert_close(outs[-1], last.clamp_min(0))
    torch.testing.assert_close(outs[0], stage1.clamp_min(0))
    (last.pow(2).mean() + stage1.pow(2).mean()).backward()
    assert model.conv1.weight.grad.abs().sum() > 0
    assert model.layer4[1].conv2.weight.grad.abs().sum() > 0
    manager.remove()


def test_no_grad_teacher(resnet18):
    model = resnet18
    model.eval()
    manager = RecorderManager(dict(last=dict(source='layer4.1.relu', io='input')))
    manager.prepare(model)
    x = torch.randn(1, 3, 32, 32)
    with manager.recording(), torch.no_grad():
        outs = model(x)
    last = manager.get('last')
    assert not last.requires_grad
    torch.testing.assert_close(outs[-1], last.clamp_min(0))
    manager.remove()


def test_autocast_records_low_precision_with_grad():
    from mmdet.models.backbones.resnet import BasicBlock
    torch.manual_seed(0)
    block = BasicBlock(4, 4)
    manager = RecorderManager(dict(pre=dict(source='relu', io='input')))
    manager.prepare(block)
    with manager.recording(), torch.autocast('cpu', dtype=torch.bfloat16):
        out = block(torch.randn(1, 4, 6, 6))
    pre = manager.get('pre')
    assert pre.dtype == torch.bfloat16 and pre.requires_grad
    torch.testing.assert_close(out, pre.clamp_min(0))
    pre.float().sum().backward()
    assert block.conv1.weight.grad.abs().sum() > 0


def test_deepcopy_and_pickle_after_recording(toy):
    model, x = toy
    manager = RecorderManager(dict(feat=dict(source='lin')))
    manager.prepare(model)
    with manager.recording():
        model(x)
    assert manager.get('feat').requires_grad  # a non-leaf tensor: not deep-copyable itself
    copied = copy.deepcopy(model)
    with manager.recording():
        copied(x)  # the copy's hooks belong to a copied recorder, not to this manager
    with pytest.raises(RuntimeError, match='was not called'):
        manager.get('feat')
    pickle.loads(pickle.dumps(ModuleRecorder('lin', io='input', call=-2)))


def test_ddp_wrapped_model(tmp_path, toy):
    model, x = toy
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    ddp = None
    try:
        ddp = nn.parallel.DistributedDataParallel(model)
        manager = RecorderManager(dict(feat=dict(source='lin', call=1)))
        manager.prepare(ddp)  # names are those of the wrapped model
        with manager.recording():
            ddp(x)
        with torch.no_grad():
            expected = manual_calls(model, x)[1]
        feat = manager.get('feat')
        torch.testing.assert_close(feat, expected)
        feat.sum().backward()
        assert model.lin.weight.grad.abs().sum() > 0
    finally:
        # DDP's reducer holds the process group: freed after destroy_process_group, the gloo group's
        # destructor can wait forever on its worker threads (seen hanging the suite), so free it first
        del ddp
        dist.destroy_process_group()
