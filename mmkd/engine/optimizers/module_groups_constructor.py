from typing import Dict

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmkd.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ModuleGroupsOptimWrapperConstructor:
    """One optim wrapper per parameter group that the model names, gathered in an ``OptimWrapperDict``.

    The model's ``optim_groups()`` returns ``{name: module}``; every group gets the optim wrapper config of
    the same name, built by mmengine's ``DefaultOptimWrapperConstructor`` (``paramwise_cfg`` allowed), and
    ``param_scheduler`` may then be a dict of the same names. Example (``AssistantDistiller``)::

        optim_wrapper = dict(
            constructor='mmkd.ModuleGroupsOptimWrapperConstructor',
            assistant=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
            student=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)))
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError('give paramwise_cfg inside each group\'s optim wrapper config')
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'optim_groups'):
            raise TypeError(f'{type(model).__name__} names no parameter groups (optim_groups()); use a single '
                            'optimizer (optim_wrapper=dict(optimizer=...)) for it')
        groups: Dict[str, nn.Module] = model.optim_groups()
        if set(groups) != set(self.optim_wrapper_cfg):
            raise ValueError(f'{type(model).__name__} trains the parameter groups {sorted(groups)}; optim_wrapper '
                             f'configures {sorted(self.optim_wrapper_cfg)}: give one config per group')
        seen = {}
        for name, module in groups.items():
            for param in module.parameters():
                if id(param) in seen:
                    raise ValueError(f'a parameter is in both groups {seen[id(param)]!r} and {name!r}')
                seen[id(param)] = name
        left_out = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in seen]
        if left_out:
            raise ValueError(f'parameters in no group would never be trained: {left_out[:5]}')
        wrappers = {}
        for name, module in groups.items():
            cfg = dict(self.optim_wrapper_cfg[name])
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(module)
        return OptimWrapperDict(**wrappers)
