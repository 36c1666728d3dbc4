"""Cutting a stage-wise backbone (mmdet/mmseg ResNet, MobileNetV2) into a shared trunk and stage ranges,
for the multi-branch architectures (ONE, collaborative learning, rocket launching)."""
import copy
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

STAGE_LISTS = ('res_layers', 'layers')


def stage_names(backbone: nn.Module) -> List[str]:
    """The names of a backbone's stages, in forward order (``layer1``, ``layer2``, ...).

    Args:
        backbone (nn.Module): A backbone whose ``forward`` runs a stem and then the modules named in its
            ``res_layers`` (mmdet/mmseg ResNet family) or ``layers`` (MobileNetV2) list.

    Returns:
        list[str]: The stage names.
    """
    for attr in STAGE_LISTS:
        names = getattr(backbone, attr, None)
        if isinstance(names, (list, tuple)) and names and all(isinstance(n, str) for n in names):
            return list(names)
    raise TypeError(f'{type(backbone).__name__} does not list its stages in `res_layers` or `layers`; '
                    'the multi-branch models split mmdet/mmseg ResNet-style and MobileNetV2 backbones '
                    '(e.g. dict(type="mmdet.ResNet", depth=18)).')


def check_split(backbone: nn.Module, *splits: int) -> List[str]:
    """Check that ``0 < s1 < s2 < ... < num_stages`` and return the stage names."""
    names = stage_names(backbone)
    bounds = [0, *splits, len(names)]
    for s in splits:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f'split points must be ints (a number of stages), got {splits!r}.')
    if any(a >= b for a, b in zip(bounds[:-1], bounds[1:])):
        raise ValueError(f'split points {list(splits)} must increase strictly within 1..{len(names) - 1}: '
                         f'{type(backbone).__name__} has {len(names)} stages {names}, and every part '
                         'needs at least one of them.')
    return names


class StageSequence(BaseModule):
    """Consecutive backbone stages, run one after the other, kept under their backbone names.

    The stages keep their names (``layer3``, ``layer4``, ...), so the weights of
    ``StageSequence(layer3, layer4)`` are named like those of the backbone they came from. ``norm_eval``
    mirrors the backbone option (BN layers stay in eval mode while training).

    Args:
        stages (dict[str, nn.Module]): Stage name -> module, in forward order.
        norm_eval (bool): Keep BN layers in eval mode in ``train()``. Defaults to False.
        init_cfg (dict | list[dict], optional): The source backbone's init config. Defaults to None.
    """

    def __init__(self,
                 stages: Dict[str, nn.Module],
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not stages:
            raise ValueError('a StageSequence needs at least one stage.')
        self.stage_names = list(stages)
        for name, module in stages.items():
            self.add_module(name, module)
        self.norm_eval = norm_eval

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stages in order."""
        for name in self.stage_names:
            x = getattr(self, name)(x)
        return x

    def train(self, mode: bool = True) -> 'StageSequence':
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self


def take_stages(backbone: nn.Module, start: int, end: Optional[int] = None) -> StageSequence:
    """Move stages ``start..end-1`` (0-based, ``end`` None: to the last) out of ``backbone``.

    Args:
        backbone (nn.Module): A freshly built backbone (see :func:`stage_names`); it loses the stages.
        start (int): First stage index, ``>= 1`` (the stem and stage 0 form the trunk).
        end (int, optional): One past the last stage index. Defaults to the number of stages.

    Returns:
        StageSequence: The stages, with the backbone's ``norm_eval`` and init config.
    """
    names = stage_names(backbone)
    end = len(names) if end is None else end
    if not 1 <= start < end <= len(names):
        raise ValueError(f'stage range [{start}, {end}) must satisfy 1 <= start < end <= {len(names)} '
                         f'for {type(backbone).__name__} with stages {names}.')
    out_indices = getattr(backbone, 'out_indices', None)
    if end == len(names) and out_indices is not None and len(names) - 1 not in tuple(out_indices):
        raise ValueError(f'the branch runs to the last stage ({names[-1]}), but the backbone returns '
                         f'stages {tuple(out_indices)} only; add {len(names) - 1} to out_indices so that '
                         'the single-network classifier heads the same feature.')
    if getattr(backbone, 'frozen_stages', -1) > start:
        raise ValueError(f'frozen_stages={backbone.frozen_stages} reaches into the branched stages; '
                         f'set frozen_stages <= {start} (or -1) in the backbone config.')
    stages = {}
    for name in names[start:end]:
        stages[name] = getattr(backbone, name)
        delattr(backbone, name)
    return StageSequence(stages, norm_eval=bool(getattr(backbone, 'norm_eval', False)),
                         init_cfg=copy.deepcopy(getattr(backbone, 'init_cfg', None)))


def truncate_backbone(backbone: nn.Module, num_stages: int) -> nn.Module:
    """Keep the stem and the first ``num_stages`` stages of ``backbone`` (in place); its forward then
    returns the last kept stage's output as a one-tuple (or tensor, as the backbone does).

    Args:
        backbone (nn.Module): A backbone (see :func:`stage_names`); later stages are deleted.
        num_stages (int): Stages to keep, ``1 <= num_stages < total``.

    Returns:
        nn.Module: ``backbone`` itself.
    """
    names = check_split(backbone, num_stages)
    if getattr(backbone, 'frozen_stages', -1) > num_stages:
        raise ValueError(f'frozen_stages={backbone.frozen_stages} reaches into the branched stages; '
                         f'set frozen_stages <= {num_stages} (or -1) in the backbone config.')
    for name in names[num_stages:]:
        if hasattr(backbone, name):
            delattr(backbone, name)
    attr = next(a for a in STAGE_LISTS if getattr(backbone, a, None) == names)
    setattr(backbone, attr, names[:num_stages])
    backbone.out_indices = (num_stages - 1, )
    return backbone


def last_feature(feats: Union[torch.Tensor, tuple, list]) -> torch.Tensor:
    """The last tensor of a backbone output (a tensor or a sequence of tensors)."""
    return feats[-1] if isinstance(feats, (tuple, list)) else feats


def out_channels(module: nn.Module) -> int:
    """Output channels of a stage, read from its last BN layer (every ResNet/MobileNetV2 block ends with
    one)."""
    norms = [m for m in module.modules() if isinstance(m, _BatchNorm)]
    if not norms:
        raise ValueError(f'cannot infer the output channels of {type(module).__name__}: it has no BN '
                         'layer; give the channels explicitly.')
    return norms[-1].num_features


def in_channels(module: nn.Module) -> int:
    """Input channels of a stage, read from its first convolution."""
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f'cannot infer the input channels of {type(module).__name__}: it has no '
                         'convolution.')
    return convs[0].in_channels
