"""The helpers that composite models share: mmkd.models.utils and the data-samples keywords of a loss call."""
import pytest
import torch
import torch.nn as nn

from mmkd.models.utils import (FORWARD_MODES, check_shared_preprocessor, dry_batch, dry_forward, eval_mode,
                               forward_by_mode)

PRE = dict(type='ImgDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3)


def test_shared_preprocessor_compares_without_scope_tags_and_names_the_odd_network():
    scoped = dict(PRE, _scope_='mmdet')
    check_shared_preprocessor('M', dict(a=PRE, b=scoped), given=scoped, role='peer')  # same but for _scope_
    other = dict(PRE, mean=[1.0] * 3)
    with pytest.raises(ValueError, match=r"M: the peers \['c'\] use another data_preprocessor than peer 'a'"):
        check_shared_preprocessor('M', dict(a=PRE, b=PRE, c=other), given=None, role='peer')
    with pytest.raises(ValueError, match=r"M uses the student's data_preprocessor, but another one was given"):
        check_shared_preprocessor('M', dict(student=PRE), given=other, role='student')
    with pytest.raises(ValueError, match=r"M uses its members' data_preprocessor"):
        check_shared_preprocessor('M', {0: PRE, 1: PRE}, given=other, role='member')


class Modes(nn.Module):
    """Records which method each mode reached."""

    def loss(self, inputs, data_samples):
        return ('loss', inputs, data_samples)

    def predict(self, inputs, data_samples):
        return ('predict', inputs, data_samples)

    def _forward(self, inputs, data_samples):
        return ('tensor', inputs, data_samples)


def test_forward_by_mode_runs_the_models_methods_or_the_evaluated_network():
    model, x, samples = Modes(), torch.zeros(1), ['s']
    for mode in FORWARD_MODES:
        assert forward_by_mode(model, x, samples, mode) == (mode, x, samples)

    def evaluated(inputs, data_samples, mode):
        return ('evaluated', mode)

    assert forward_by_mode(model, x, samples, 'loss', evaluated) == ('loss', x, samples)
    assert forward_by_mode(model, x, samples, 'predict', evaluated) == ('evaluated', 'predict')
    assert forward_by_mode(model, x, samples, 'tensor', evaluated) == ('evaluated', 'tensor')
    with pytest.raises(RuntimeError, match='invalid mode "train"; Modes supports "loss", "predict" and "tensor"'):
        forward_by_mode(model, x, samples, 'train')


def test_dry_forward_records_in_eval_mode_and_restores_the_mode():
    from mmkd.models.recorders import RecorderManager

    class Net(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.bn(self.conv(inputs))

    net = Net().train()
    recorders = RecorderManager(dict(feat=dict(type='mmkd.ModuleRecorder', source='conv')))
    recorders.prepare(net)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        state = torch.random.get_rng_state()
        out = dry_forward(net, (8, 6), recorders)
        assert torch.equal(torch.random.get_rng_state(), state)  # the global random state is untouched
    expected = torch.randn(2, 3, 8, 6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(dry_batch((8, 6)), expected)
    with torch.no_grad():
        assert torch.equal(recorders.get('feat'), net.conv(expected))
    assert out.shape == (2, 4, 4, 3) and not out.requires_grad
    assert net.training and net.bn.training
    assert int(net.bn.num_batches_tracked) == 0  # eval mode: running statistics untouched
    with eval_mode(net):
        assert not net.training and not net.bn.training
    assert net.training


def test_data_samples_kwargs_hand_samples_only_to_losses_that_want_them():
    from mmkd.models.losses import HintLoss, KDLoss
    from mmkd.models.losses.base import data_samples_kwargs

    class TakesSamples(nn.Module):

        def forward(self, student, teacher, data_samples=None):
            return student

    samples = ['s']
    assert data_samples_kwargs(KDLoss(), samples) == {}
    assert data_samples_kwargs(HintLoss(ignore_index=255), samples) == dict(data_samples=samples)
    assert data_samples_kwargs(TakesSamples(), samples) == dict(data_samples=samples)
    assert data_samples_kwargs(nn.MSELoss(), samples) == {}
