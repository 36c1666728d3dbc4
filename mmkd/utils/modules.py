import difflib

import torch.nn as nn


def get_module(model: nn.Module, name: str, owner: str = 'model') -> nn.Module:
    """``model.get_submodule(name)`` with an error that lists the closest module names."""
    modules = dict(model.named_modules())
    if name in modules:
        return modules[name]
    close = difflib.get_close_matches(name, [n for n in modules if n], n=5, cutoff=0.5)
    hint = f'; did you mean: {", ".join(close)}' if close else ''
    raise ValueError(f'{name} is not a module of the {owner}{hint}. '
                     'tools/analysis/list_positions.py lists every module name.')
