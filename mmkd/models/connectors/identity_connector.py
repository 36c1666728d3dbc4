"""A connector that leaves the student feature unchanged."""
from typing import Optional, Sequence

import torch
from torch import nn

from mmkd.registry import MODELS


@MODELS.register_module()
class IdentityConnector(nn.Module):
    """Return the student feature as is, for students whose features already match the teacher's.

    It has the forward signature of the other connectors; it cannot resize, so a ``target_size`` that
    differs from the feature's spatial size is an error.
    """

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Return ``x``.

        Args:
            x (Tensor): Student feature.
            target_size (Sequence[int], optional): Teacher spatial size (H, W); must match ``x``'s.

        Returns:
            Tensor: ``x``.
        """
        if target_size is not None and tuple(int(v) for v in target_size) != tuple(x.shape[-2:]):
            raise ValueError(f'IdentityConnector cannot resize the student feature {tuple(x.shape[-2:])} to '
                             f'{tuple(target_size)}; use mmkd.ConvBNConnector with resize=')
        return x
