"""Forward hooks on every sub-module of a model that record each call and link norms to activations.

One forward (:func:`trace_model`) records, per module and call, the shape of the first tensor of the input
and of the output (the first tensor, depth first, of a tuple/list/dict output). It links:

* a norm (BatchNorm / SyncBatchNorm / GroupNorm / LayerNorm / InstanceNorm) to the activation call it
  feeds, by tensor identity first -- the activation receives the very tensor object the norm returned;
  in-place updates keep the object, so the norm before ``out += identity; out = relu(out)`` (mmdet/mmseg/
  torchvision ResNet blocks) counts -- and else by call order: the leaf-module call right before the
  activation call is a norm call with the same output shape as the activation input;
* a module to the activation call whose output tensor object it returns (blocks ending in an activation).

Activations are instances of ReLU-like or smooth activation classes (ReLU, ReLU6, LeakyReLU, PReLU, RReLU,
ELU, CELU, SELU, GELU, SiLU/Swish, Mish, Hardswish/HSwish, Softplus); gates (Sigmoid, HSigmoid, Tanh,
Softmax) are not. Activations applied as functions (``F.relu(x)``) are not modules: no hook sees them.
"""
import re
import weakref
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _NormBase

from mmkd.models.utils import dry_batch

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU, nn.GELU,
               nn.SiLU, nn.Mish, nn.Hardswish, nn.Softplus)
# activations of other libraries, matched by class name (mmcv's HSwish and Swish are not torch classes)
ACTIVATION_NAMES = {'HSwish', 'Swish', 'QuickGELU', 'HardSwish', 'MemoryEfficientSwish'}
NORMS = (_NormBase, nn.GroupNorm, nn.LayerNorm)
NORM_NAME = re.compile(r'(Batch|Group|Layer|Instance)Norm')


def is_activation(module: nn.Module) -> bool:
    return isinstance(module, ACTIVATIONS) or type(module).__name__ in ACTIVATION_NAMES


def is_norm(module: nn.Module) -> bool:
    return isinstance(module, NORMS) or bool(NORM_NAME.search(type(module).__name__))


def first_tensor(value) -> Optional[torch.Tensor]:
    """The first tensor in ``value``, searching tuples, lists and dict values depth first."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        for item in value:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


class CallTracer:
    """Forward hooks on every sub-module that record each call and link norms/activations.

    Tensors are tracked by object identity through weak references, so nothing is kept alive and a
    recycled ``id()`` can never match a dead tensor.
    """

    def __init__(self, model: nn.Module) -> None:
        self.modules = {name: m for name, m in model.named_modules() if name}
        self.calls: Dict[str, List[dict]] = defaultdict(list)
        self.inplace: Dict[str, bool] = {}
        self.feeds: Dict[str, List[Tuple[int, str, int, str]]] = defaultdict(list)
        self.fed_by: Dict[Tuple[str, int], Tuple[str, int, str]] = {}
        self.post_act: Dict[Tuple[str, int], Tuple[str, int]] = {}
        self._norm_outputs: Dict[int, Tuple[weakref.ref, str, int]] = {}
        self._act_outputs: Dict[int, Tuple[weakref.ref, str, int]] = {}
        self._stack: Dict[str, List[int]] = defaultdict(list)
        self._last_leaf: Optional[Tuple[str, int]] = None
        self._handles = []
        for name, module in self.modules.items():
            leaf = next(module.children(), None) is None
            self._handles.append(module.register_forward_pre_hook(
                self._pre_hook(name, leaf), with_kwargs=True))
            self._handles.append(module.register_forward_hook(self._hook(name, leaf), with_kwargs=True))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @staticmethod
    def _lookup(table: dict, tensor: Optional[torch.Tensor]):
        if tensor is None:
            return None
        entry = table.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            return None
        return entry[1:]

    @staticmethod
    def _remember(table: dict, tensor: Optional[torch.Tensor], name: str, call: int) -> None:
        if tensor is None:
            return
        try:
            ref = weakref.ref(tensor)
        except TypeError:
            return
        table[id(tensor)] = (ref, name, call)

    def _pre_hook(self, name: str, leaf: bool):
        def hook(module, args, kwargs):
            call = len(self.calls[name])
            inp = first_tensor(args)
            if inp is None:
                inp = first_tensor(kwargs)
            self.calls[name].append(dict(
                input_shape=list(inp.shape) if inp is not None else None,
                output_shape=None, output_kind='none'))
            self._stack[name].append(call)
            if is_activation(module):
                linked = self._lookup(self._norm_outputs, inp)
                how = 'identity'
                if linked is None and self._last_leaf is not None and inp is not None:
                    prev, prev_call = self._last_leaf
                    prev_shape = self.calls[prev][prev_call]['output_shape']
                    if is_norm(self.modules[prev]) and prev_shape == list(inp.shape):
                        linked, how = (prev, prev_call), 'order'
                if linked is not None:
                    self.fed_by[(name, call)] = (*linked, how)
                    self.feeds[linked[0]].append((linked[1], name, call, how))
            return None

        return hook

    def _hook(self, name: str, leaf: bool):
        def hook(module, args, kwargs, output):
            call = self._stack[name].pop()
            out = first_tensor(output)
            record = self.calls[name][call]
            if out is not None:
                record['output_shape'] = list(out.shape)
                kind = 'tensor' if isinstance(output, torch.Tensor) else type(output).__name__
                record['output_kind'] = kind
            if is_activation(module):
                inp = first_tensor(args)
                self.inplace[name] = (self.inplace.get(name, False) or bool(getattr(module, 'inplace', False))
                                      or (out is not None and out is inp))
                self._remember(self._act_outputs, out, name, call)
            else:
                if is_norm(module):
                    self._remember(self._norm_outputs, out, name, call)
                produced = self._lookup(self._act_outputs, out)
                if produced is not None:
                    self.post_act[(name, call)] = produced
            if leaf:
                self._last_leaf = (name, call)

        return hook


def trace_model(model: nn.Module, input_size: Tuple[int, int]) -> CallTracer:
    """One eval-mode, no-grad forward in ``mode='tensor'`` with every module traced."""
    model.eval()
    tracer = CallTracer(model)
    inputs = dry_batch(input_size, num=1)
    try:
        with torch.no_grad():
            model(inputs, None, mode='tensor')
    except Exception as err:
        raise RuntimeError(
            f"the dry forward of a (1, 3, {input_size[0]}, {input_size[1]}) input in mode='tensor' failed "
            f'({type(err).__name__}: {err}); pass --input-size H W that this model accepts (e.g. 300 300 '
            'for SSD300).') from err
    finally:
        tracer.remove()
    return tracer
