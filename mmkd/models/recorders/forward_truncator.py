"""Act on a forward pass as its recorders fill: stop it once every recorder has what it needs, or
switch it to low precision once the first recorder has."""
from contextlib import contextmanager
from typing import Dict, Iterator

import torch
from torch import nn

from mmkd.utils.modules import get_module
from .recorder_manager import RecorderManager


class StopForward(Exception):
    """Raised inside a forward hook to end a forward whose remaining work nobody reads."""


def calls_needed(recorders: RecorderManager, full_calls: Dict[str, int]) -> Dict[str, int]:
    """Calls of its module each recorder needs: ``c + 1`` for ``call=c >= 0``, ``n - k + 1`` for ``call=-k``
    where ``n`` is the number of calls in a full forward (``full_calls``, from the distiller's dry run)."""
    needed = {}
    for name, recorder in recorders.recorders.items():
        call = recorder.call
        needed[name] = call + 1 if call >= 0 else full_calls[name] + call + 1
    return needed


class ForwardTruncator:
    """End the teacher's forward once its recorders hold their features (no neck/head work when only
    backbone features are distilled).

    A recorder with ``call=c >= 0`` needs ``c + 1`` calls of its module; one with ``call=-k`` needs
    ``n - k + 1`` where ``n`` is the number of calls counted in a full forward (``full_calls``, from the
    distiller's dry run; a network's call count does not change between forwards). After each recorded
    call a hook checks all recorders and raises :class:`StopForward`; :meth:`run` swallows it.

    Args:
        model (nn.Module): the model the recorders are prepared on.
        recorders (RecorderManager): its recorders.
        full_calls (dict[str, int]): calls of each recorder's module in one full forward.
    """

    def __init__(self, model: nn.Module, recorders: RecorderManager, full_calls: Dict[str, int]):
        self._armed = False
        self._needed = calls_needed(recorders, full_calls)
        self._recorders = recorders.recorders
        self._handles = []
        for recorder in self._recorders.values():
            module = get_module(model, recorder.source)
            if recorder.io == 'input':
                self._handles.append(module.register_forward_pre_hook(self._check))
            else:
                self._handles.append(module.register_forward_hook(self._check))

    def _check(self, *args) -> None:
        if self._armed and all(self._recorders[name].num_calls >= needed
                               for name, needed in self._needed.items()):
            raise StopForward

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Within the context, a forward stops once every recorder is satisfied."""
        self._armed = True
        try:
            yield
        except StopForward:
            pass
        finally:
            self._armed = False

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


class AutocastAfterFirstRecord:
    """Run a forward in float32 until its first recorder holds its feature, then under autocast.

    Rounding errors made early in a network pass through every later layer; with batch-statistics
    BatchNorm each layer amplifies them (the batch mean it subtracts cancels part of the signal, not of
    the error). Computing the layers up to the first recorded feature in float32 keeps that feature exact
    and the deeper ones close to float32, while the deeper layers still run in bf16/fp16.

    A forward hook on each recorder's module turns autocast on after the call that completes the first
    satisfied recorder; leaving :meth:`armed` restores the autocast state of the caller.

    Args:
        model (nn.Module): the model the recorders are prepared on.
        recorders (RecorderManager): its recorders.
        full_calls (dict[str, int]): calls of each recorder's module in one full forward.
    """

    def __init__(self, model: nn.Module, recorders: RecorderManager, full_calls: Dict[str, int]):
        self._needed = calls_needed(recorders, full_calls)
        self._recorders = recorders.recorders
        self._device_type = None
        self._handles = [get_module(model, r.source).register_forward_hook(self._check)
                         for r in self._recorders.values()]

    def _check(self, *args) -> None:
        if self._device_type is not None and any(self._recorders[name].num_calls >= needed
                                                 for name, needed in self._needed.items()):
            torch.set_autocast_enabled(self._device_type, True)
            self._device_type = None

    @contextmanager
    def armed(self, device_type: str, dtype: torch.dtype) -> Iterator[None]:
        """Within the context a forward starts in float32 and switches to autocast with ``dtype``."""
        with torch.autocast(device_type, dtype=dtype, enabled=False):
            self._device_type = device_type
            try:
                yield
            finally:
                self._device_type = None

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
