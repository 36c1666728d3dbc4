"""A named group of :class:`ModuleRecorder` s that record together."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Union

import torch
from torch import nn

from mmkd.registry import MODELS
from .module_recorder import ModuleRecorder


class RecorderManager:
    """Hold named recorders of one model, attach them and read what they recorded.

    Example:
        >>> manager = RecorderManager(dict(
        ...     pre_relu=dict(source='backbone.layer4.1.relu', io='input', call=-1)))
        >>> manager.prepare(teacher, model_name='teacher')
        >>> with manager.recording(), torch.no_grad():
        ...     teacher(inputs)
        >>> feature = manager.get('pre_relu')

    Hooks only record inside ``with manager.recording():``; entering the context drops what was recorded
    before, and the data stays readable after the context is left.

    Args:
        recorders (dict[str, dict | ModuleRecorder]): Recorders by name. A dict without ``type`` holds the
            arguments of :class:`ModuleRecorder`; one with ``type`` is built from ``MODELS``.
    """

    def __init__(self, recorders: Dict[str, Union[dict, ModuleRecorder]]) -> None:
        if not isinstance(recorders, dict):
            raise TypeError('recorders must be a dict of name -> recorder config (dict) or ModuleRecorder, got '
                            f'{type(recorders).__name__}')
        self._recorders: Dict[str, ModuleRecorder] = {}
        for name, recorder in recorders.items():
            if isinstance(recorder, dict):
                cfg = dict(recorder)
                recorder = MODELS.build(cfg) if 'type' in cfg else ModuleRecorder(**cfg)
            if not isinstance(recorder, ModuleRecorder):
                raise TypeError(f'recorder {name!r} must be a dict (e.g. dict(source=..., io=..., call=...)) or a '
                                f'ModuleRecorder, got {type(recorder).__name__}')
            self._recorders[name] = recorder

    @property
    def names(self) -> List[str]:
        """list[str]: The recorder names, in the order they were given."""
        return list(self._recorders)

    @property
    def recorders(self) -> Dict[str, ModuleRecorder]:
        """dict[str, ModuleRecorder]: The recorders by name (a copy of the mapping)."""
        return dict(self._recorders)

    def prepare(self, model: nn.Module, model_name: str = 'model') -> None:
        """Attach every recorder to ``model`` (see :meth:`ModuleRecorder.prepare`).

        Args:
            model (nn.Module): The model the recorder sources name modules of.
            model_name (str): How to call the model in error messages (e.g. ``'student'``).
        """
        for recorder in self._recorders.values():
            recorder.prepare(model, model_name=model_name)

    def reset(self) -> None:
        """Drop all recorded data."""
        for recorder in self._recorders.values():
            recorder.reset()

    @contextmanager
    def recording(self) -> Iterator['RecorderManager']:
        """Record inside this context: drops earlier data on entry, stops recording on exit."""
        self.reset()
        for recorder in self._recorders.values():
            recorder.arm()
        try:
            yield self
        finally:
            for recorder in self._recorders.values():
                recorder.disarm()

    def get(self, name: str) -> torch.Tensor:
        """Return what the recorder ``name`` recorded (see :meth:`ModuleRecorder.get`)."""
        if name not in self._recorders:
            raise KeyError(f'no recorder named {name!r}; the recorders are: {", ".join(self._recorders)}')
        return self._recorders[name].get()

    def remove(self) -> None:
        """Remove every recorder's hook and drop recorded data."""
        for recorder in self._recorders.values():
            recorder.remove()

    def __len__(self) -> int:
        return len(self._recorders)

    def __contains__(self, name: str) -> bool:
        return name in self._recorders

    def __repr__(self) -> str:
        inner = ', '.join(f'{name}={recorder!r}' for name, recorder in self._recorders.items())
        return f'{self.__class__.__name__}({inner})'
