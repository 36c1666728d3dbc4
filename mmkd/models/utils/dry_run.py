from contextlib import contextmanager, nullcontext
from typing import Optional, Sequence

import torch
import torch.nn as nn

from ..recorders import RecorderManager


def dry_batch(input_size: Sequence[int], num: int = 2) -> torch.Tensor:
    """The batch of build-time dry forwards: ``(num, 3, H, W)`` standard-normal values drawn with seed 0, the
    same at every call, without touching the global random state."""
    return torch.randn(num, 3, *input_size, generator=torch.Generator().manual_seed(0))


@contextmanager
def eval_mode(module: nn.Module):
    """``module`` in eval mode within the block; ``module.train(<its mode before>)`` after it."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def dry_samples(model: nn.Module, inputs: torch.Tensor) -> Optional[list]:
    """Data samples for a ``tensor``-mode forward on random ``inputs``: None, except for mmdet detectors, whose
    two-stage ``tensor`` forward reads the image shapes to place the RPN's proposals."""
    try:
        from mmdet.models.detectors import BaseDetector
        from mmdet.structures import DetDataSample
    except ImportError:
        return None
    if not isinstance(model, BaseDetector):
        return None
    shape = tuple(inputs.shape[-2:])
    meta = dict(img_shape=shape, pad_shape=shape, batch_input_shape=shape, ori_shape=shape, scale_factor=(1., 1.))
    return [DetDataSample(metainfo=meta) for _ in range(inputs.shape[0])]


@torch.no_grad()
def dry_forward(model: nn.Module, input_size: Sequence[int], recorders: Optional[RecorderManager] = None):
    """One ``mode='tensor'`` forward of ``model`` on :func:`dry_batch`, in eval mode, without gradients and
    with ``recorders`` recording: it checks positions
    and gives feature shapes before training. Returns the model's output; the recorded features stay in
    ``recorders`` until their ``reset()``."""
    with eval_mode(model), (recorders.recording() if recorders is not None else nullcontext()):
        inputs = dry_batch(input_size)
        return model(inputs, dry_samples(model, inputs), mode='tensor')
