"""Stop a forward pass as soon as every recorder has what it needs."""
from contextlib import contextmanager
from typing import Dict, Iterator

from torch import nn

from mmkd.utils.modules import get_module
from .recorder_manager import RecorderManager


class StopForward(Exception):
    """Raised inside a forward hook to end a forward whose remaining work nobody reads."""


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
        self._needed = {}
        self._recorders = recorders.recorders
        self._handles = []
        for name, recorder in self._recorders.items():
            call = recorder.call
            self._needed[name] = call + 1 if call >= 0 else full_calls[name] + call + 1
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
