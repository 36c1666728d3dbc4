"""Record the input or output of one sub-module of a model with forward hooks."""
from collections import deque
from typing import Deque, List, Optional, Union

import torch
from torch import nn
from torch.nn.parallel import DataParallel, DistributedDataParallel

from mmkd.registry import MODELS
from mmkd.utils.modules import get_module


def unwrap_model(model: nn.Module) -> nn.Module:
    """Return the module inside a ``DataParallel``/``DistributedDataParallel`` wrapper.

    mmengine's ``MMDistributedDataParallel`` subclasses ``DistributedDataParallel``, so it is unwrapped too;
    any other model is returned as is.
    """
    while isinstance(model, (DataParallel, DistributedDataParallel)):
        model = model.module
    return model


@MODELS.register_module()
class ModuleRecorder:
    """Record what one sub-module receives or returns during a forward pass.

    The module named ``source`` (a path of ``model.named_modules()``, e.g. ``'backbone.layer4.1.relu'``) gets
    a forward hook (``io='output'``) or a forward pre-hook (``io='input'``). Only the ``call``-th call counts:
    modules such as the ``relu`` of mmdet's ResNet blocks are called several times per forward, and the
    pre-ReLU feature of a block is the *input of the last call* (``io='input', call=-1``).

    Recorded tensors are cloned at the moment of the call, so later in-place operations (in-place ReLU,
    ``out += identity``) do not change them; the clone keeps autograd, so a loss on a recorded student
    feature back-propagates into the student. Under ``torch.no_grad()`` (teacher) nothing is kept for
    autograd. Calls are only counted while the recorder is armed (see :class:`RecorderManager`); counting
    restarts when it is reset.

    Args:
        source (str): Name of the module in ``model.named_modules()`` (``''`` is the model itself).
        io (str): ``'output'`` records what the module returns, ``'input'`` a positional argument it
            receives. Defaults to ``'output'``.
        call (int): Which call within one recorded forward, 0-based; negative counts from the end
            (``-1`` is the last call). With ``call >= 0`` only that call is kept, with a negative ``call``
            only the last ``-call`` calls are kept. Defaults to -1.
        index (int, optional): For ``io='input'``, which positional argument to record (needed when the
            module takes several); for ``io='output'``, which element of a tuple/list output to record
            (needed when the output is a tuple/list). Defaults to None.
    """

    def __init__(self, source: str, io: str = 'output', call: int = -1, index: Optional[int] = None) -> None:
        if not isinstance(source, str):
            raise TypeError(f'source must be a module name (str), got {type(source).__name__}: {source!r}')
        if io not in ('input', 'output'):
            raise ValueError(f"io must be 'input' or 'output', got {io!r}")
        if isinstance(call, bool) or not isinstance(call, int):
            raise TypeError(f'call must be an int (0-based, negative counts from the end), got {call!r}')
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f'index must be an int or None, got {index!r}')
        self.source = source
        self.io = io
        self.call = call
        self.index = index
        self._module: Optional[nn.Module] = None
        self._handle = None
        self._armed = False
        self._num_calls = 0
        self._data: Union[List[torch.Tensor], Deque[torch.Tensor]] = self._new_store()

    def _new_store(self) -> Union[List[torch.Tensor], Deque[torch.Tensor]]:
        return [] if self.call >= 0 else deque(maxlen=-self.call)

    @property
    def prepared(self) -> bool:
        """bool: Whether :meth:`prepare` attached the hook to a module."""
        return self._handle is not None

    @property
    def num_calls(self) -> int:
        """int: How many calls of the module were counted since the last reset."""
        return self._num_calls

    def prepare(self, model: nn.Module, model_name: str = 'model') -> None:
        """Attach the hook to the module named ``source`` in ``model``.

        A ``DataParallel``/``DistributedDataParallel`` wrapper is looked through, so names are those of the
        wrapped model. Preparing again moves the hook to the new model.

        Args:
            model (nn.Module): The model that contains ``source``.
            model_name (str): How to call the model in error messages (e.g. ``'teacher'``).

        Raises:
            ValueError: If no module of ``model`` is named ``source``; the message lists the closest names.
        """
        if not isinstance(model, nn.Module):
            raise TypeError(f'prepare() needs the {model_name} as an nn.Module, got {type(model).__name__}')
        module = get_module(unwrap_model(model), self.source, model_name)
        self.remove()
        if self.io == 'output':
            self._handle = module.register_forward_hook(self._output_hook)
        else:
            self._handle = module.register_forward_pre_hook(self._input_hook)
        self._module = module

    def remove(self) -> None:
        """Remove the hook (if any) and drop recorded data."""
        if self._handle is not None:
            self._handle.remove()
        self._handle = None
        self._module = None
        self.reset()

    def reset(self) -> None:
        """Drop recorded data and restart counting calls."""
        self._num_calls = 0
        self._data = self._new_store()

    def arm(self) -> None:
        """Start counting and recording calls."""
        self._armed = True

    def disarm(self) -> None:
        """Stop counting and recording calls (recorded data is kept)."""
        self._armed = False

    def _check_tensor(self, value, what: str) -> torch.Tensor:
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'the recorded {what} of {self.source} is a {type(value).__name__}, not a Tensor')
        return value

    def _pick_output(self, output) -> torch.Tensor:
        if isinstance(output, (tuple, list)):
            if self.index is None:
                raise ValueError(f'the output of {self.source} is a {type(output).__name__} of {len(output)} '
                                 'elements; set index= in the recorder to pick one')
            if not -len(output) <= self.index < len(output):
                raise IndexError(f'index={self.index} is out of range for the {len(output)} elements of the '
                                 f'output of {self.source}')
            return self._check_tensor(output[self.index], 'output')
        if self.index is not None:
            raise ValueError(f'index={self.index} was given but the output of {self.source} is a '
                             f'{type(output).__name__}, not a tuple/list; drop index=')
        return self._check_tensor(output, 'output')

    def _pick_input(self, args: tuple) -> torch.Tensor:
        if self.index is None:
            if len(args) != 1:
                if not args:
                    raise ValueError(f'{self.source} was called without positional inputs; record its output '
                                     "(io='output') instead")
                raise ValueError(f'{self.source} was called with {len(args)} positional inputs; set index= in '
                                 'the recorder to pick one')
            return self._check_tensor(args[0], 'input')
        if not -len(args) <= self.index < len(args):
            raise IndexError(f'index={self.index} is out of range for the {len(args)} positional inputs of '
                             f'{self.source}')
        return self._check_tensor(args[self.index], 'input')

    def _store(self, value: torch.Tensor) -> None:
        call = self._num_calls
        self._num_calls += 1
        if self.call >= 0:
            if call == self.call:
                self._data.append(value.clone())
        else:
            self._data.append(value.clone())

    def _output_hook(self, module: nn.Module, args, output) -> None:
        if self._armed:
            self._store(self._pick_output(output))

    def _input_hook(self, module: nn.Module, args: tuple) -> None:
        if self._armed:
            self._store(self._pick_input(args))

    def get(self) -> torch.Tensor:
        """Return the recorded tensor.

        Raises:
            RuntimeError: If the recorder was not prepared, or the module was called fewer times than
                ``call`` needs since the last reset.
        """
        if not self.prepared:
            raise RuntimeError(f'the recorder of {self.source} is not attached to a model; call prepare(model)')
        needed = self.call + 1 if self.call >= 0 else -self.call
        if self._num_calls < needed:
            if self._num_calls == 0:
                happened = 'was not called'
            else:
                happened = f'was called {self._num_calls} time{"s" if self._num_calls > 1 else ""}'
            raise RuntimeError(
                f'{self.source} {happened} in the recorded forward, but call={self.call} needs at least '
                f'{needed} call{"s" if needed > 1 else ""}; check that the module is on the forward path, '
                'that the forward ran inside `with manager.recording():`, and the recorder\'s call=')
        return self._data[0]

    def __getstate__(self) -> dict:
        """Copies and pickles do not carry the recorded tensors (non-leaf tensors cannot be deep-copied)."""
        state = self.__dict__.copy()
        state['_data'] = self._new_store()
        state['_num_calls'] = 0
        return state

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(source={self.source!r}, io={self.io!r}, call={self.call}, '
                f'index={self.index})')
