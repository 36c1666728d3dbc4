"""The spatial alignment every connector shares: interpolate the student feature to the teacher's size."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

RESIZE_MODES = (None, 'bilinear', 'nearest')


def check_resize_mode(resize: Optional[str]) -> None:
    if resize not in RESIZE_MODES:
        raise ValueError(f'resize must be one of {RESIZE_MODES}, got {resize!r}')


def resize_to_target(x: torch.Tensor, target_size: Optional[Sequence[int]], resize: Optional[str],
                     owner: str = 'the connector') -> torch.Tensor:
    """``x`` interpolated to ``target_size`` (H, W) with ``resize`` ('bilinear' or 'nearest').

    ``x`` is returned as is when ``target_size`` is None or already its size; a different size without a
    ``resize`` mode is an error that names the fix.
    """
    if target_size is None:
        return x
    target_size = tuple(int(v) for v in target_size)
    if len(target_size) != 2:
        raise ValueError(f'target_size must be (H, W), got {target_size}')
    if target_size == tuple(x.shape[-2:]):
        return x
    if resize is None:
        raise ValueError(f'the student feature is {tuple(x.shape[-2:])} but the teacher is {target_size}; '
                         f"set resize='bilinear' (or 'nearest') in {owner} to interpolate")
    kwargs = dict(align_corners=False) if resize == 'bilinear' else {}
    return F.interpolate(x, size=target_size, mode=resize, **kwargs)
