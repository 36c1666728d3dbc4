"""The rows of a traced model (one per module: calls, shapes, role) and their text table.

Roles, from :class:`~mmkd.analysis.call_tracer.CallTracer`'s links:

* ``activation``: an activation module; its input is the pre-activation. ``(in-place)`` marks modules that
  overwrite their input (``inplace=True``, or an output that is the input tensor object): their input only
  exists until the call, so record it with ``io='input'`` -- ``ModuleRecorder`` clones it in a pre-hook.
* ``pre-act (norm)``: a norm module whose output feeds an activation call.
* ``post-act``: any other module whose (first) output tensor is the very object an activation call
  returned -- blocks and stages ending in an activation. Outputs produced by other ops after an
  activation (pooling, ``x + y``) are ``-``, even when non-negative.
* ``container``: a module that is not called itself but some of its submodules are: a ``ModuleList`` /
  ``ModuleDict``, or a module whose parent calls a method other than ``forward`` (mmseg's
  ``EncoderDecoder`` runs ``decode_head.forward(x)``). No hook fires on it: record its submodules.
* ``-``: everything else, and modules not called in ``mode='tensor'``.
"""
import re
from typing import List, Optional, Sequence

from .call_tracer import CallTracer, is_activation, is_norm

DEFAULT_WIDTH = 120
TYPE_WIDTH = 22  # longer type names are shortened in width-limited tables
SHAPES_WIDTH = 20  # per-call shapes wrap to this width
NOTE_INDENT = '    '


def recorder(source: str, io: str, call: int) -> str:
    """The ``ModuleRecorder`` kwargs, as they would be written in a config."""
    return f"dict(source='{source}', io='{io}', call={call})"


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
