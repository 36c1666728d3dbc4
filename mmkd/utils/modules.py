import difflib
from numbers import Integral
from typing import Sequence, Tuple, Union

import torch.nn as nn


def get_module(model: nn.Module, name: str, owner: str = 'model') -> nn.Module:
    """``model``'s sub-module called ``name``, or a ``ValueError`` that lists the closest names."""
    modules = dict(model.named_modules())
    if name in modules:
        return modules[name]
    names = [n for n in modules if n]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    if close:
        hint = 'did you mean: ' + ', '.join(close)
    else:
        hint = 'its top-level modules are: ' + ', '.join(n for n in names if '.' not in n)
    raise ValueError(f'{name} is not a module of the {owner}; {hint} '
                     '(tools/analysis/list_positions.py lists every module name)')


def image_size(value: Union[int, Sequence[int]], name: str = 'input_size') -> Tuple[int, int]:
    """``(H, W)`` from an int ``n`` (a square ``(n, n)``) or a pair of positive ints; a ``ValueError`` naming
    ``name`` otherwise."""
    pair = (value, value) if isinstance(value, Integral) else value
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f'{name} must be an int n (for n x n) or a pair (H, W) of positive ints, got {value!r}; '
                         f'e.g. {name}=(32, 32).')
    return int(pair[0]), int(pair[1])
