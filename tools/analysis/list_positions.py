"""List the modules of a model that can serve as distillation positions, with shapes and roles.

Usage::

    python tools/analysis/list_positions.py CONFIG [--input-size H W] [--model student|teacher]
        [--filter REGEX] [--width N | --full-width] [--json OUT] [--write-points OUT.py]
        [--loss-weight W] [--cfg-options k=v ...]

CONFIG is a plain task config (mmdet / mmseg / mmkd classifier) or a distillation config whose
``model.type`` is ``mmkd.FeatureDistiller``; then ``--model`` picks ``model.student`` (default) or the
model of ``model.teacher.config``. The model is built with random weights: no checkpoint is loaded,
every ``init_cfg``/``pretrained`` in the model config is set to None and ``init_weights()`` is never
called, so nothing is downloaded. Input size: ``--input-size``, else the distiller's ``input_size``,
else the config's top-level ``input_size`` (mmdet SSD bases set 300) or ``crop_size`` (mmseg), else
224x224.

One forward of ``torch.randn(1, 3, H, W)`` runs in ``mode='tensor'``, in eval mode, under
``torch.no_grad()``, with a forward pre-hook and a forward hook on every sub-module. Per module and call
they record the shape of the first tensor of the input and of the output (the first tensor, depth
first, of a tuple/list/dict output). One row per module: name (a ``ModuleRecorder`` ``source``), type,
calls, output shape(s) (per call when they differ) and a role, found with these heuristics. Rows are
fitted to ``--width`` columns (default 120): a note that does not fit goes on indented lines under its
row, per-call shapes wrap in their column, long type names are shortened; ``--full-width`` prints
each row on one line.

* ``activation``: the module is an instance of a ReLU-like or smooth activation class (ReLU, ReLU6,
  LeakyReLU, PReLU, RReLU, ELU, CELU, SELU, GELU, SiLU/Swish, Mish, Hardswish/HSwish, Softplus).
  Gates (Sigmoid, HSigmoid, Tanh, Softmax) are not counted. ``(in-place)`` marks modules that overwrite
  their input (``inplace=True``, or an output that is the input tensor object): their input, the
  pre-activation, only exists until the call, so record it with ``io='input'`` -- ``ModuleRecorder``
  clones it in a pre-hook. The note gives that recorder for the last call. Activations applied as
  functions (``F.relu(x)``) are not modules: no hook sees them, so they appear nowhere.
* ``pre-act (norm)``: a BatchNorm / SyncBatchNorm / GroupNorm / LayerNorm / InstanceNorm module whose
  output feeds an activation call. Feeding is detected by tensor identity first: the activation
  receives the very tensor object the norm returned. In-place updates keep the object, so the norm
  before ``out += identity; out = relu(out)`` (mmdet/mmseg/torchvision ResNet blocks) counts: the
  activation then sees norm output + shortcut, which is what Overhaul distillation takes as the
  pre-ReLU feature and its BN. If no object matches (an out-of-place op came between), the fallback
  is call order: the leaf-module call right before the activation call is a norm call with the same
  output shape as the activation input. The note names the recorder of the activation input fed.
* ``post-act``: any other module whose (first) output tensor is the very object an activation call
  returned -- blocks and stages ending in an activation, e.g. a ResNet ``BasicBlock``. Outputs produced
  by other ops after an activation (pooling, ``x + y``) are ``-``, even when non-negative.
* ``container``: a module that is not called itself but some of its submodules are: a ``ModuleList`` /
  ``ModuleDict``, or a module whose parent calls a method other than ``forward`` (mmseg's
  ``EncoderDecoder`` runs ``decode_head.forward(x)``). No hook fires on it: record its submodules.
* ``-``: everything else, and modules not called in ``mode='tensor'`` (calls 0, no submodule called).

At the end, for mmdet/mmseg ResNet backbones and MobileNetV2 backbones, the Overhaul feature
distillation positions (Heo et al., ICCV 2019) are suggested with the BN that gives the teacher margin:
ResNet: for every stage, the input of the last call of the last block's ``relu`` (stage output before
its final ReLU) with that block's last BN (``bn3`` of a Bottleneck, ``bn2`` of a BasicBlock).
MobileNetV2 (mmdet's and mmseg's): for every backbone output (``out_indices``) and for the last layer at
each resolution (the one whose next layer downsamples), the pre-ReLU6 output of the expansion conv of the
next layer's first block (mmdet ``<layer>.0.expand_conv``, mmseg ``<layer>.0.conv.0``) -- the first op
that reads the layer output, before any stride, so the feature keeps that layer's resolution -- with that
conv's BN, as the official OFD MobileNetV2 code does; mmdet's final 1x1 ``conv2`` gives its own pre-ReLU6
input; an mmseg last layer has no following ReLU, so its own (linear) output is the position, with its
last BN.

``--write-points OUT.py`` (distillation configs only) traces the student and the teacher, pairs their
suggested positions by spatial size (per size the deepest of each side, in the teacher's stage order;
teacher stages whose size the student lacks are left out and named in the file; with no size in common,
stage by stage from the deepest, resized) and writes them as a config file holding
``ofd_points = dict(stage1=dict(student=..., teacher=..., connector=..., teacher_transform=..., loss=...),
...)``: a distillation config inherits it (``_base_ = [..., 'OUT.py']``, then
``model = dict(distill_points={{_base_.ofd_points}})``) or the dict is pasted into ``distill_points``.
Loss weights follow the recipe: ``--loss-weight`` (default 1e-4, the ImageNet-sized constant; 1e-3 for
CIFAR-sized inputs) halved per stage toward the shallow ones; a spatial size that differs between the
two sides gets ``resize='bilinear'`` in the connector.
"""
import argparse
import copy
import json
import os
import os.path as osp
import re
import sys
import textwrap
import weakref
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _NormBase

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU, nn.GELU,
               nn.SiLU, nn.Mish, nn.Hardswish, nn.Softplus)
# activations of other libraries, matched by class name (mmcv's HSwish and Swish are not torch classes)
ACTIVATION_NAMES = {'HSwish', 'Swish', 'QuickGELU', 'HardSwish', 'MemoryEfficientSwish'}
NORMS = (_NormBase, nn.GroupNorm, nn.LayerNorm)
NORM_NAME = re.compile(r'(Batch|Group|Layer|Instance)Norm')
DEFAULT_INPUT_SIZE = (224, 224)
DEFAULT_WIDTH = 120
TYPE_WIDTH = 22  # longer type names are shortened in width-limited tables
SHAPES_WIDTH = 20  # per-call shapes wrap to this width
NOTE_INDENT = '    '


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


def recorder(source: str, io: str, call: int) -> str:
    """The ``ModuleRecorder`` kwargs, as they would be written in a config."""
    return f"dict(source='{source}', io='{io}', call={call})"


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


def format_shape(shape: Optional[Sequence[int]]) -> str:
    return '-' if shape is None else '(' + ', '.join(str(s) for s in shape) + ')'


def signed_call(call: int, num_calls: int) -> int:
    """``-1`` for the last call (what recorders use), the 0-based index otherwise."""
    return -1 if call == num_calls - 1 else call


def build_rows(tracer: CallTracer) -> List[dict]:
    """One row per module, in ``named_modules()`` order."""
    rows = []
    called = [n for n in tracer.modules if tracer.calls.get(n)]
    for name, module in tracer.modules.items():
        calls = tracer.calls.get(name, [])
        num = len(calls)
        shapes = [c['output_shape'] for c in calls]
        kinds = {c['output_kind'] for c in calls}
        row = dict(name=name, type=type(module).__name__, calls=num, output_shapes=shapes,
                   input_shapes=[c['input_shape'] for c in calls],
                   output_kind=kinds.pop() if len(kinds) == 1 else ('mixed' if kinds else 'none'),
                   role='-', inplace=False, position=None, feeds=[], fed_by=None, produced_by=None,
                   called_submodules=0, note='')
        notes = []
        if num == 0:
            row['called_submodules'] = sum(1 for n in called if n.startswith(name + '.'))
            if row['called_submodules']:
                row['role'] = 'container'
                notes.append(f"not called itself; {row['called_submodules']} of its submodules are: record "
                             'those')
            else:
                notes.append("not called in mode='tensor'")
        elif is_activation(module):
            row['role'] = 'activation'
            row['inplace'] = tracer.inplace.get(name, False)
            row['position'] = dict(source=name, io='input', call=-1)
            notes.append('pre-activation = ' + recorder(name, 'input', -1))
            fed = tracer.fed_by.get((name, num - 1))
            if fed is not None:
                row['fed_by'] = dict(source=fed[0], call=fed[1], detected_by=fed[2])
                notes.append(f'fed by {fed[0]}' + (' (by call order)' if fed[2] == 'order' else ''))
        elif is_norm(module) and tracer.feeds.get(name):
            row['role'] = 'pre-act (norm)'
            for norm_call, act, act_call, how in tracer.feeds[name]:
                position = dict(source=act, io='input',
                                call=signed_call(act_call, len(tracer.calls[act])))
                row['feeds'].append(dict(norm_call=norm_call, detected_by=how, **position))
                notes.append('feeds ' + recorder(**position) + (' (by call order)' if how == 'order' else ''))
        elif (name, num - 1) in tracer.post_act:
            act, act_call = tracer.post_act[(name, num - 1)]
            row['role'] = 'post-act'
            row['produced_by'] = dict(source=act, call=signed_call(act_call, len(tracer.calls[act])))
            notes.append(f"= output of {act} call={row['produced_by']['call']}")
        if row['output_kind'] not in ('tensor', 'none'):
            notes.append(f"output is a {row['output_kind']}: shape of its first tensor; "
                         'recorders need index=')
        row['note'] = '; '.join(notes)
        rows.append(row)
    return rows


def shapes_text(row: dict) -> str:
    shapes = row['output_shapes']
    if not shapes:
        return '-'
    if all(s == shapes[0] for s in shapes):
        return format_shape(shapes[0])
    return ' | '.join(f'#{i} {format_shape(s)}' for i, s in enumerate(shapes))


def role_text(row: dict) -> str:
    return row['role'] + (' (in-place)' if row['inplace'] else '')


def text_tokens(text: str) -> List[str]:
    """Words of a text, keeping each parenthesised group (a ``dict(...)`` recorder, a shape) whole so it
    can be copied from one line."""
    return re.findall(r'[^\s(]*\([^)]*\)\S*|\S+', text)


def wrap_text(text: str, width: Optional[int], indent: str = '') -> List[str]:
    """``text`` in lines of at most ``width`` characters, continuation lines indented by ``indent``; a
    single longer word or group keeps a line of its own. ``width=None``: one line."""
    if width is None:
        return [text]
    lines = [text[:len(text) - len(text.lstrip())]]  # the first line keeps the text's own indent
    for token in text_tokens(text):
        if lines[-1].strip() and len(lines[-1]) + 1 + len(token) > width:
            lines.append(indent + token)
        else:
            lines[-1] += (' ' if lines[-1].strip() else '') + token
    return lines


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + '~'


def shape_lines(row: dict, width: int) -> List[str]:
    """The shapes cell in lines of at most ``width`` characters, split between calls."""
    text = shapes_text(row)
    if len(text) <= width:
        return [text]
    lines: List[str] = []
    for part in text.split(' | '):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += ' | ' + part
        else:
            lines.append(part)
    return lines


def format_table(rows: List[dict], width: Optional[int] = DEFAULT_WIDTH) -> str:
    """The rows as a text table of at most ``width`` characters per line (``None``: one line per row).

    A note that does not fit after its row goes on indented lines under it; per-call shapes wrap in
    their column; type names are shortened to fit; a name longer than its column gets a line of its own.
    Only a single name or recorder longer than ``width`` makes a longer line.
    """
    header = ('NAME', 'TYPE', 'CALLS', 'OUTPUT SHAPE(S)', 'ROLE', 'NOTE')
    if width is None:
        cells = [header] + [(r['name'], r['type'], str(r['calls']), shapes_text(r), role_text(r), r['note'])
                            for r in rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(header) - 1)]
        lines = ['  '.join(v.ljust(w) for v, w in zip(cell[:-1], widths)) + '  ' + cell[-1] for cell in cells]
        lines.insert(1, '  '.join('-' * w for w in widths) + '  ' + '-' * len(header[-1]))
        return '\n'.join(line.rstrip() for line in lines)

    shapes = [shape_lines(r, SHAPES_WIDTH) for r in rows]
    widths = [0,
              max([len(header[1])] + [min(len(r['type']), TYPE_WIDTH) for r in rows]),
              max([len(header[2])] + [len(str(r['calls'])) for r in rows]),
              max([len(header[3])] + [len(line) for cell in shapes for line in cell]),
              max([len(header[4])] + [len(role_text(r)) for r in rows])]
    room = width - sum(widths[2:]) - 2 * 4  # for names and types
    names = max([len(header[0])] + [len(r['name']) for r in rows])
    shorter_types = max(min(widths[1], 10), room - names)
    if names + widths[1] > room and names + shorter_types <= room:  # shorter type names let every name fit
        widths[1] = shorter_types
    widths[0] = max(len(header[0]), min(names, room - widths[1]))  # longer names get a line of their own
    left = sum(widths) + 2 * 4  # where an inline note starts (after two spaces)

    def line(values) -> str:
        return '  '.join(v.ljust(w) for v, w in zip(values, widths)).rstrip()

    lines = ['  '.join(v.ljust(w) for v, w in zip(header, widths)), '  '.join('-' * w for w in widths)]
    if left + 2 + len(header[-1]) <= width:  # room for notes after the rows
        lines = [lines[0] + '  ' + header[-1], lines[1] + '  ' + '-' * len(header[-1])]
    lines[0] = lines[0].rstrip()
    for row, shape in zip(rows, shapes):
        first = [row['name'], shorten(row['type'], widths[1]), str(row['calls']), shape[0], role_text(row)]
        if len(row['name']) > widths[0]:
            lines.append(row['name'])
            first[0] = ''
        out = [line(first)] + [line(['', '', '', extra, '']) for extra in shape[1:]]
        note = row['note']
        if note and len(out) == 1 and left + 2 + len(note) <= width:
            out[0] = out[0].ljust(left) + '  ' + note
        elif note:
            out += [NOTE_INDENT + part for part in wrap_text(note, width - len(NOTE_INDENT))]
        lines += out
    return '\n'.join(lines)


# ----------------------------------------------------------------------------------- suggestions
def _known_backbones():
    """(ResNet classes, MobileNetV2 classes) of mmdet and mmseg that can be imported."""
    resnets, mobilenets = [], []
    try:
        from mmdet.models.backbones import MobileNetV2 as DetMobileNetV2
        from mmdet.models.backbones import ResNet as DetResNet
        resnets.append(DetResNet)
        mobilenets.append(DetMobileNetV2)
    except ImportError:
        pass
    try:
        from mmseg.models.backbones import MobileNetV2 as SegMobileNetV2
        from mmseg.models.backbones import ResNet as SegResNet
        resnets.append(SegResNet)
        mobilenets.append(SegMobileNetV2)
    except ImportError:
        pass
    return tuple(resnets), tuple(mobilenets)


def _input_shape(tracer: CallTracer, name: str, call: int = -1):
    calls = tracer.calls.get(name)
    return calls[call]['input_shape'] if calls else None


def _output_shape(tracer: CallTracer, name: str, call: int = -1):
    calls = tracer.calls.get(name)
    return calls[call]['output_shape'] if calls else None


def _resnet_positions(prefix: str, backbone: nn.Module, tracer: CallTracer) -> List[dict]:
    points = []
    for layer_name in backbone.res_layers:
        layer = getattr(backbone, layer_name)
        last = len(layer) - 1
        block = layer[last]
        norm = getattr(block, 'norm3_name', None) or getattr(block, 'norm2_name')
        base = f'{prefix}.{layer_name}.{last}'
        points.append(dict(stage=layer_name, position=dict(source=f'{base}.relu', io='input', call=-1),
                           bn=f'{base}.{norm}', shape=_input_shape(tracer, f'{base}.relu')))
    return points


def _conv_module_point(stage: str, name: str, conv_module: nn.Module, tracer: CallTracer) -> Optional[dict]:
    """The pre-activation of an mmcv ConvModule with a norm and an activation, or None."""
    if not (getattr(conv_module, 'with_norm', False) and getattr(conv_module, 'with_activation', False)):
        return None
    return dict(stage=stage, position=dict(source=f'{name}.activate', io='input', call=-1),
                bn=f'{name}.{conv_module.norm_name}', shape=_input_shape(tracer, f'{name}.activate'))


def _block_expansion(block: nn.Module) -> Optional[Tuple[str, nn.Module]]:
    """(name inside the block, ConvModule) of the expansion conv (1x1, groups 1, then BN and ReLU6) of an
    inverted residual block, or None: mmdet's ``InvertedResidual`` names it ``expand_conv`` (absent when
    the expand ratio is 1), mmseg's is the first of the three ConvModules of its ``conv`` Sequential."""
    expand = getattr(block, 'expand_conv', None)
    if expand is not None:
        return 'expand_conv', expand
    convs = getattr(block, 'conv', None)
    if not isinstance(convs, nn.Sequential) or len(convs) < 3:
        return None
    conv = getattr(convs[0], 'conv', None)
    if conv is None or conv.groups != 1 or tuple(conv.kernel_size) != (1, 1):
        return None
    return 'conv.0', convs[0]


def _expansion_point(stage: str, name: str, layer: nn.Module, tracer: CallTracer) -> Optional[dict]:
    """The pre-activation of the expansion conv of the first inverted residual of a layer, or of the layer
    itself when it is a ConvModule (mmdet's final 1x1 ``conv2``)."""
    if not isinstance(layer, nn.Sequential):
        return _conv_module_point(stage, name, layer, tracer)
    found = _block_expansion(layer[0]) if len(layer) else None
    if found is None:
        return None
    return _conv_module_point(stage, f'{name}.0.{found[0]}', found[1], tracer)


def _mobilenet_stage_ends(prefix: str, backbone: nn.Module, tracer: CallTracer) -> List[int]:
    """Indices (into ``backbone.layers``) of the backbone outputs (``out_indices``) and of the last layer at
    each resolution (the next layer changes the spatial size), in order."""
    layers = list(backbone.layers)
    sizes = [_output_shape(tracer, f'{prefix}.{layer}') for layer in layers]
    ends = {i for i in backbone.out_indices if 0 <= i < len(layers)}
    for i in range(len(layers) - 1):
        if sizes[i] is not None and sizes[i + 1] is not None and sizes[i][2:] != sizes[i + 1][2:]:
            ends.add(i)
    return sorted(ends)


def _mobilenet_positions(prefix: str, backbone: nn.Module, tracer: CallTracer) -> List[dict]:
    points = []
    layers = list(backbone.layers)
    for index in _mobilenet_stage_ends(prefix, backbone, tracer):
        stage = layers[index]
        if index + 1 < len(layers):
            nxt = layers[index + 1]
            point = _expansion_point(stage, f'{prefix}.{nxt}', getattr(backbone, nxt), tracer)
            if point is None:
                point = dict(stage=stage, position=None, bn=None, shape=None,
                             note=f'{prefix}.{nxt} starts without an expansion conv + BN + activation')
            points.append(point)
            continue
        layer = getattr(backbone, stage)
        if isinstance(layer, nn.Sequential):
            # last inverted-residual layer: linear bottleneck output, margin from its last BN
            last = len(layer) - 1
            block = layer[last]
            linear = getattr(block, 'linear_conv', None)  # mmdet
            if linear is not None:
                bn = f'{prefix}.{stage}.{last}.linear_conv.{linear.norm_name}'
            else:  # mmseg
                bn = f'{prefix}.{stage}.{last}.conv.{len(block.conv) - 1}.{block.conv[-1].norm_name}'
            points.append(dict(stage=stage, position=dict(source=f'{prefix}.{stage}', io='output', call=-1),
                               bn=bn, shape=_output_shape(tracer, f'{prefix}.{stage}'),
                               note='linear bottleneck output (no activation follows)'))
        else:
            point = _conv_module_point(stage, f'{prefix}.{stage}', layer, tracer)
            if point is not None:
                points.append(point)
    # mmdet: the layer before `conv2` and `conv2` itself both name conv2's pre-ReLU6 input; keep one
    seen, unique = set(), []
    for point in points:
        key = None if point['position'] is None else point['position']['source']
        if key is None or key not in seen:
            unique.append(point)
            seen.add(key)
    return unique


def suggest_ofd(model: nn.Module, tracer: CallTracer) -> List[dict]:
    """OFD positions for every mmdet/mmseg ResNet or MobileNetV2 found in ``model``."""
    resnets, mobilenets = _known_backbones()
    suggestions = []
    for name, module in model.named_modules():
        if not name:
            continue
        if resnets and isinstance(module, resnets):
            kind, points = 'ResNet', _resnet_positions(name, module, tracer)
        elif mobilenets and isinstance(module, mobilenets):
            kind, points = 'MobileNetV2', _mobilenet_positions(name, module, tracer)
        else:
            continue
        suggestions.append(dict(backbone=name, type=type(module).__name__, kind=kind, points=points))
    return suggestions


def format_suggestions(suggestions: List[dict], width: Optional[int] = DEFAULT_WIDTH) -> str:
    """The suggested positions, one line each (not wrapped, to copy them whole), under a heading wrapped
    to ``width`` (``None``: unwrapped)."""
    if not suggestions:
        return '\n'.join(wrap_text(
            'No OFD suggestion: no mmdet/mmseg ResNet or MobileNetV2 backbone in this model; pick '
            "pre-activations from the table (rows with role 'activation' or 'pre-act (norm)').", width))
    lines = []
    for sug in suggestions:
        what = ('stage outputs before their last ReLU' if sug['kind'] == 'ResNet' else
                'pre-ReLU6 expansion read by the next layer, for each output and the last layer at each '
                'resolution')
        heading = (f"Suggested OFD positions for {sug['type']} '{sug['backbone']}' ({what}); "
                   "teacher_transform=dict(type='mmkd.MarginReLU', bn=<bn>):")
        lines += wrap_text(heading, width, indent=NOTE_INDENT)
        for p in sug['points']:
            if p['position'] is None:
                lines.append(f"  {p['stage']}: none ({p['note']})")
                continue
            text = (f"  {p['stage']}: {recorder(**p['position'])}, bn='{p['bn']}', "
                    f"shape {format_shape(p['shape'])}")
            lines.append(text + (f"  # {p['note']}" if p.get('note') else ''))
    return '\n'.join(lines)


def _spatial_size(point: dict) -> Optional[Tuple[int, ...]]:
    return tuple(point['shape'][2:]) if point.get('shape') is not None else None


def pair_points(student: List[dict], teacher: List[dict]) -> List[Tuple[dict, dict]]:
    """Student and teacher OFD points, in the teacher's stage order.

    Points of the same spatial size pair up: per size, the deepest ones of each side, so that a teacher
    stage gets the student's last feature at its resolution (a MobileNetV2 has several layers per
    resolution); teacher stages whose size the student lacks are left out. When no size is shared (or the
    shapes are unknown), the deepest points of each side pair stage by stage and the connectors resize.
    """
    student = [p for p in student if p['position'] is not None]
    teacher = [p for p in teacher if p['position'] is not None]
    by_size = defaultdict(lambda: ([], []))
    for side, points in ((0, student), (1, teacher)):
        for p in points:
            if _spatial_size(p) is not None:
                by_size[_spatial_size(p)][side].append(p)
    pairs = []
    for s_points, t_points in by_size.values():
        count = min(len(s_points), len(t_points))
        pairs += zip(s_points[len(s_points) - count:], t_points[len(t_points) - count:])
    if pairs:
        order = {id(t): k for k, t in enumerate(teacher)}
        return sorted(pairs, key=lambda pair: order[id(pair[1])])
    count = min(len(student), len(teacher))
    return list(zip(student[len(student) - count:], teacher[len(teacher) - count:]))


def points_config(pairs: List[Tuple[dict, dict]], loss_weight: float, header: Sequence[str]) -> str:
    """The text of a config file holding ``ofd_points``: one distillation point per pair, weighted
    ``loss_weight / 2^(K-1-k)`` (the recipe's halving toward shallow stages)."""
    lines = ['# ' + line for text in header for line in textwrap.wrap(text, 98, break_on_hyphens=False)]
    lines.append('ofd_points = dict(')
    for k, (s, t) in enumerate(pairs):
        weight = loss_weight / 2 ** (len(pairs) - 1 - k)
        resize = s['shape'] is not None and t['shape'] is not None and s['shape'][2:] != t['shape'][2:]
        connector = "dict(type='mmkd.ConvBNConnector'" + (", resize='bilinear')" if resize else ')')
        lines += [
            f"    # {s['stage']} -> {t['stage']}: student {format_shape(s['shape'])}, teacher "
            f"{format_shape(t['shape'])}" + ('; sizes differ: the connector resizes' if resize else ''),
            f'    stage{k + 1}=dict(',
            f"        student={recorder(**s['position'])},",
            f"        teacher={recorder(**t['position'])},",
            f'        connector={connector},',
            f"        teacher_transform=dict(type='mmkd.MarginReLU', bn='{t['bn']}'),",
            f"        loss=dict(type='mmkd.PartialL2Loss', normalize='batch', loss_weight={weight!r})),",
        ]
    lines[-1] = lines[-1][:-1] + ')'
    return '\n'.join(lines) + '\n'


def write_points(path: str, student: List[dict], teacher: List[dict], loss_weight: float,
                 config: str, input_size: Tuple[int, int]) -> int:
    """Write the paired OFD points of the first suggested backbone of each side to ``path``; return how
    many points were written."""
    for side, suggestions in (('student', student), ('teacher', teacher)):
        if not any(p['position'] is not None for sug in suggestions[:1] for p in sug['points']):
            raise ValueError(f'no OFD position to suggest for the {side}: --write-points knows mmdet/mmseg '
                             'ResNet and MobileNetV2 backbones; write distill_points by hand from the table '
                             f'(python tools/analysis/list_positions.py {config} --model {side})')
    pairs = pair_points(student[0]['points'], teacher[0]['points'])
    paired = {id(t) for _, t in pairs}
    left_out = [p['stage'] for p in teacher[0]['points'] if p['position'] is not None and id(p) not in paired]
    header = [
        'Overhaul feature distillation points (Heo et al., ICCV 2019) suggested by '
        f'tools/analysis/list_positions.py for {config}: student {student[0]["type"]} '
        f"'{student[0]['backbone']}', teacher {teacher[0]['type']} '{teacher[0]['backbone']}', shapes of a "
        f'(1, 3, {input_size[0]}, {input_size[1]}) input.',
        'Use in a distillation config: _base_ = [..., this file], then',
        "model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})",
        'or paste the dict into model.distill_points. Loss weights: the deepest point '
        f'{loss_weight!r} (--loss-weight), halved per stage toward the shallow ones (the paper: 1e-4 for '
        'ImageNet-sized inputs, 1e-3 for CIFAR).',
        'Pairs: points of the same spatial size, per size the deepest of each side'
        + (f"; teacher stages without a student point of their size, left out: {', '.join(left_out)}."
           if left_out else '.'),
    ]
    out_dir = osp.dirname(osp.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    with open(path, 'w') as f:
        f.write(points_config(pairs, loss_weight, header))
    return len(pairs)


# ----------------------------------------------------------------------------------------- model
def clear_pretrained(cfg):
    """Set every ``init_cfg`` and ``pretrained`` entry of a (nested) model config to None."""
    if isinstance(cfg, dict):
        for key in list(cfg):
            if key in ('init_cfg', 'pretrained'):
                cfg[key] = None
            else:
                clear_pretrained(cfg[key])
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            clear_pretrained(item)
    return cfg


def is_distiller(model_cfg: dict) -> bool:
    return str(model_cfg.get('type', '')).split('.')[-1] == 'FeatureDistiller'


def _size_pair(value) -> Optional[Tuple[int, int]]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def select_model(cfg: Config, which: str) -> Tuple[ConfigDict, Optional[Tuple[int, int]], str]:
    """The model config to build, the input size the config implies (or None) and a description."""
    from mmkd.utils.config import load_model_config

    model_cfg = cfg.get('model')
    if not isinstance(model_cfg, dict) or 'type' not in model_cfg:
        raise ValueError('the config has no `model` dict with a `type`; pass a task config (mmdet / mmseg / '
                         'mmkd classifier) or an mmkd.FeatureDistiller config.')
    size = _size_pair(cfg.get('input_size')) or _size_pair(cfg.get('crop_size'))
    if not is_distiller(model_cfg):
        if which != 'student':
            raise ValueError(f"--model {which} needs a distillation config (model.type "
                             f"'mmkd.FeatureDistiller'), but model.type is {model_cfg['type']!r}; drop "
                             '--model to list this model, or pass the distillation config.')
        return copy.deepcopy(model_cfg), size, f"model ({model_cfg['type']})"
    size = _size_pair(model_cfg.get('input_size')) or size
    if which == 'student':
        return copy.deepcopy(model_cfg['student']), size, f"student ({model_cfg['student']['type']})"
    teacher = model_cfg.get('teacher')
    if not isinstance(teacher, dict) or 'config' not in teacher:
        raise ValueError('model.teacher must be dict(config=<model dict or config path>, ...) to list the '
                         'teacher.')
    teacher_cfg = load_model_config(teacher['config'], teacher.get('cfg_options'))
    source = teacher['config'] if isinstance(teacher['config'], str) else 'model.teacher.config'
    return teacher_cfg, size, f"teacher ({teacher_cfg['type']}, from {source}; random weights, no checkpoint)"


def trace_model(model: nn.Module, input_size: Tuple[int, int]) -> CallTracer:
    """One eval-mode, no-grad forward in ``mode='tensor'`` with every module traced."""
    from mmkd.models.utils import dry_batch

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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='List the modules that can serve as distillation positions, with output shapes and '
        'pre-/post-activation roles (one dry forward with random weights).')
    parser.add_argument('config', help='task config or mmkd.FeatureDistiller config (mmdet::/mmseg:: paths '
                        'allowed)')
    parser.add_argument('--input-size', nargs=2, type=int, metavar=('H', 'W'),
                        help='input height and width of the dry forward (default: the distiller\'s '
                        'input_size, the config\'s input_size/crop_size, or 224 224)')
    parser.add_argument('--model', choices=['student', 'teacher'], default='student',
                        help='for a distillation config: which model to list (default: student)')
    parser.add_argument('--filter', metavar='REGEX', help='only list modules whose name matches REGEX '
                        '(re.search)')
    parser.add_argument('--width', type=int, default=DEFAULT_WIDTH,
                        help=f'fit table rows to this many characters (default: {DEFAULT_WIDTH})')
    parser.add_argument('--full-width', action='store_true',
                        help='print each row on one line, however long')
    parser.add_argument('--json', metavar='OUT',
                        help='also write the rows (and the OFD suggestions) to this JSON file')
    parser.add_argument('--write-points', metavar='OUT.py',
                        help='for a distillation config: write the suggested OFD distill_points of the '
                        'student/teacher pair to this config file (variable ofd_points)')
    parser.add_argument('--loss-weight', type=float, default=1e-4,
                        help='loss weight of the deepest point written by --write-points; each shallower '
                        'one gets half the next (default: 1e-4)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, in xxx=yyy format')
    return parser, parser.parse_args(argv)


def main(argv=None) -> List[dict]:
    """Run the tool; return the listed rows."""
    from mmkd import compat
    from mmkd.registry import MODELS
    from mmkd.utils.config import load_config

    parser, args = parse_args(argv)
    try:
        pattern = re.compile(args.filter) if args.filter else None
    except re.error as err:
        parser.error(f'--filter {args.filter!r} is not a valid regular expression: {err}')
    if args.input_size is not None and min(args.input_size) <= 0:
        parser.error(f'--input-size must be two positive integers, got {args.input_size}')
    if args.width < 80:
        parser.error(f'--width must be at least 80, got {args.width}; --full-width prints rows unwrapped')
    if args.loss_weight <= 0:
        parser.error(f'--loss-weight must be positive, got {args.loss_weight}')
    compat.apply()
    try:
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmkd') or 'mmkd')
        model_cfg, size, description = select_model(cfg, args.model)
        if args.write_points:
            if not is_distiller(cfg.model):
                raise ValueError('--write-points pairs a student with its teacher: pass a distillation '
                                 "config (model.type 'mmkd.FeatureDistiller').")
            other = 'teacher' if args.model == 'student' else 'student'
            other_cfg = select_model(cfg, other)[0]
    except (ValueError, FileNotFoundError) as err:
        parser.error(str(err))
    input_size = tuple(args.input_size) if args.input_size else (size or DEFAULT_INPUT_SIZE)
    model = MODELS.build(clear_pretrained(model_cfg))
    try:
        tracer = trace_model(model, input_size)
    except RuntimeError as err:
        parser.error(str(err))
    rows = build_rows(tracer)
    if pattern is not None:
        rows = [r for r in rows if pattern.search(r['name'])]
    suggestions = suggest_ofd(model, tracer)

    width = None if args.full_width else args.width
    print('\n'.join(wrap_text(
        f"{args.config}: {description}; one forward of (1, 3, {input_size[0]}, {input_size[1]}) in "
        "mode='tensor', eval, random weights", width)))
    print('\n'.join(wrap_text(
        "Roles: activation = pre-activation is its input; pre-act (norm) = norm output feeding an "
        "activation; post-act = output made by an activation; container = not called itself, its "
        "submodules are. (in-place): the input is overwritten, record it with io='input' "
        "(ModuleRecorder clones it).", width)))
    print(format_table(rows, width) if rows else f'no module name matches --filter {args.filter!r}')
    print()
    print(format_suggestions(suggestions, width))
    if args.write_points:
        other_model = MODELS.build(clear_pretrained(other_cfg))
        try:
            other_suggestions = suggest_ofd(other_model, trace_model(other_model, input_size))
        except RuntimeError as err:
            parser.error(str(err))
        sides = dict(student=suggestions, teacher=other_suggestions) if args.model == 'student' else \
            dict(student=other_suggestions, teacher=suggestions)
        try:
            count = write_points(args.write_points, sides['student'], sides['teacher'], args.loss_weight,
                                 args.config, input_size)
        except ValueError as err:
            parser.error(str(err))
        print(f'{count} OFD point(s) written to {args.write_points} (variable ofd_points)')
    if args.json:
        out_dir = osp.dirname(osp.abspath(args.json))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, model=args.model, input_size=list(input_size), rows=rows,
                           ofd_suggestions=suggestions), f, indent=1)
        print(f'rows written to {args.json}')
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
