"""The training progress (iteration, epoch) that mmkd's schedules read.

Loss-weight schedules, distillation stages and decaying losses read the runner's ``iter`` / ``epoch``
from MessageHub through :func:`training_progress`. A run made of consecutive steps (``AssistantDistiller``:
the assistant first, then the student) wraps a later step in :func:`progress_from`, so that step's
schedules count from its own start, exactly as they would in a run of its own.
"""
import math
from contextlib import contextmanager
from typing import List, Optional, Tuple

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


RAMP_BY = ('epoch', 'iter')


def sigmoid_rampup(step: float, length: float) -> float:
    """The sigmoid-shaped ramp ``exp(-5 (1 - t)^2)``, ``t = clip(step / length, 0, 1)``, of Laine & Aila
    ("Temporal Ensembling for Semi-Supervised Learning", ICLR 2017), which the ONE release applies to its KL
    term: ``exp(-5) ~ 0.0067`` at step 0, 1 from ``step = length`` on (and for ``length = 0``)."""
    if length <= 0:
        return 1.0
    phase = 1.0 - min(max(float(step), 0.0), float(length)) / float(length)
    return math.exp(-5.0 * phase * phase)


def check_rampup(rampup: Optional[dict], where: str) -> Optional[dict]:
    """Validate a ramp config ``dict(length=L, by='epoch' | 'iter')`` (None: no ramp); returns a copy."""
    if rampup is None:
        return None
    rampup = dict(rampup)
    rampup.setdefault('by', 'epoch')
    if set(rampup) != {'length', 'by'} or rampup['by'] not in RAMP_BY:
        raise ValueError(f"{where}: a ramp is dict(length=<epochs or iterations>, by='epoch' or 'iter'), got "
                         f'{rampup!r}')
    length = rampup['length']
    if isinstance(length, bool) or not isinstance(length, (int, float)) or length < 0:
        raise ValueError(f'{where}: the ramp length must be a number >= 0, got {length!r}')
    return rampup


def rampup_weight(rampup: Optional[dict]) -> float:
    """The current :func:`sigmoid_rampup` weight of a ramp config (1.0 without one), at the epoch or the
    iteration of :func:`training_progress`."""
    if rampup is None:
        return 1.0
    it, epoch = training_progress()
    return sigmoid_rampup(epoch if rampup['by'] == 'epoch' else it, rampup['length'])
