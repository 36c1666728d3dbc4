"""Overhaul feature distillation positions (Heo et al., ICCV 2019) of a traced model, and their config.

For mmdet/mmseg ResNet and MobileNetV2 backbones, with the BN that gives the teacher margin:

* ResNet: for every stage, the input of the last call of the last block's ``relu`` (the stage output
  before its final ReLU) with that block's last BN (``bn3`` of a Bottleneck, ``bn2`` of a BasicBlock).
* MobileNetV2 (mmdet's and mmseg's): for every backbone output (``out_indices``) and for the last layer at
  each resolution (the one whose next layer downsamples), the pre-ReLU6 output of the expansion conv of
  the next layer's first block (mmdet ``<layer>.0.expand_conv``, mmseg ``<layer>.0.conv.0``) -- the first op
  that reads the layer output, before any stride, so the feature keeps that layer's resolution -- with
  that conv's BN, as the official OFD MobileNetV2 code does; mmdet's final 1x1 ``conv2`` gives its own
  pre-ReLU6 input; an mmseg last layer has no following ReLU, so its own (linear) output is the position,
  with its last BN.

A student's and a teacher's points pair up by spatial size (:func:`pair_points`) into a config file of
distillation points (:func:`points_config`): loss weights halved per stage toward the shallow ones, and
``resize='bilinear'`` in a connector whose two sides differ in size.
"""
import os
import os.path as osp
import textwrap
from collections import defaultdict
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn

from .call_tracer import CallTracer
from .position_table import DEFAULT_WIDTH, NOTE_INDENT, format_shape, recorder, wrap_text

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
