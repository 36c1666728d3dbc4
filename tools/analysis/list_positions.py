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

One forward of a ``(1, 3, H, W)`` random batch runs in ``mode='tensor'``, in eval mode, under
``torch.no_grad()``, with a forward pre-hook and a forward hook on every sub-module
(:mod:`mmkd.analysis.call_tracer`). One row per module: name (a ``ModuleRecorder`` ``source``), type,
calls, output shape(s) (per call when they differ) and a role -- ``activation``, ``pre-act (norm)``,
``post-act``, ``container`` or ``-`` (:mod:`mmkd.analysis.position_table`); the note of an activation
gives the recorder of its input for the last call. Rows are fitted to ``--width`` columns (default 120):
a note that does not fit goes on indented lines under its row, per-call shapes wrap in their column,
long type names are shortened; ``--full-width`` prints each row on one line.

At the end, for mmdet/mmseg ResNet backbones and MobileNetV2 backbones, the Overhaul feature
distillation positions (Heo et al., ICCV 2019) are suggested with the BN that gives the teacher margin
(:mod:`mmkd.analysis.ofd_positions`).

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
import json
import os
import os.path as osp
import re
import sys
from typing import List

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.analysis import (build_rows, clear_pretrained, format_suggestions, format_table, is_distiller,  # noqa: E402
                           select_model, suggest_ofd, trace_model, wrap_text, write_points)
from mmkd.analysis.position_table import DEFAULT_WIDTH  # noqa: E402
from mmkd.registry import MODELS  # noqa: E402
from mmkd.utils.config import load_config  # noqa: E402

DEFAULT_INPUT_SIZE = (224, 224)


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
