"""The training progress (iteration, epoch) that mmkd's schedules read.

Loss-weight schedules, distillation stages and decaying losses read the runner's ``iter`` / ``epoch``
from MessageHub through :func:`training_progress`. A run made of consecutive steps (``AssistantDistiller``:
the assistant first, then the student) wraps a later step in :func:`progress_from`, so that step's
schedules count from its own start, exactly as they would in a run of its own.
"""
from contextlib import contextmanager
from typing import List, Tuple

from mmengine.logging import MessageHub

_ORIGINS: List[Tuple[int, int]] = []


def training_progress() -> Tuple[int, int]:
    """(iteration, epoch) of the current training step, counted from the innermost :func:`progress_from`."""
    hub = MessageHub.get_current_instance()
    it, epoch = int(hub.get_info('iter', 0)), int(hub.get_info('epoch', 0))
    if _ORIGINS:
        origin_it, origin_epoch = _ORIGINS[-1]
        it, epoch = it - origin_it, epoch - origin_epoch
    return it, epoch


@contextmanager
def progress_from(iteration: int = 0, epoch: int = 0):
    """Within the context, :func:`training_progress` counts from ``(iteration, epoch)``."""
    _ORIGINS.append((int(iteration), int(epoch)))
    try:
        yield
    finally:
        _ORIGINS.pop()
