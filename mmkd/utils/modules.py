import difflib

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
