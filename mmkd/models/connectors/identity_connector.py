"""A connector that leaves the student feature unchanged."""
from typing import Optional, Sequence

import torch
from torch import nn

from mmkd.registry import MODELS
from .resize import check_resize_mode, resize_to_target

@MODELS.register_module()
class IdentityConnector(nn.Module):
    """Return the student feature as is, for students whose features already match the teacher's.

    It has the forward signature of the other connectors. A ``target_size`` that differs from the
    feature's spatial size is an error, unless ``resize`` interpolates the feature to it or
    ``strict=False`` hands the feature over unchanged (for losses that align sizes themselves, e.g.
    ``mmkd.ATLoss(resize=True)`` or ``mmkd.PKDLoss``).

    Args:
        resize (str, optional): ``'bilinear'`` or ``'nearest'`` interpolation to the teacher's size.
        strict (bool): without ``resize``, whether a size mismatch is an error. Defaults to True.
    """

    def __init__(self, resize: Optional[str] = None, strict: bool = True) -> None:
        super().__init__()
        check_resize_mode(resize)
        self.resize = resize
        self.strict = strict

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Return ``x`` (interpolated to ``target_size`` with ``resize``).

        Args:
            x (Tensor): Student feature.
            target_size (Sequence[int], optional): Teacher spatial size (H, W).

        Returns:
            Tensor: ``x``, or ``x`` resized to ``target_size``.
        """
        if target_size is None or tuple(int(v) for v in target_size) == tuple(x.shape[-2:]):
            return x
        if self.resize is None and not self.strict:
            return x
        if self.resize is None:
            raise ValueError(f'IdentityConnector cannot resize the student feature {tuple(x.shape[-2:])} to '
                             f'{tuple(target_size)}; use resize=\'bilinear\' (or mmkd.ConvBNConnector with '
                             'resize=), or strict=False when the loss aligns sizes itself')
        return resize_to_target(x, target_size, self.resize)
