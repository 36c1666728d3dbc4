"""Convolutional regressor of FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.validation import check_odd_kernel_size, check_positive_ints
from .resize import check_resize_mode, resize_to_target

_ACTS = (None, 'relu')


@MODELS.register_module()
class ConvConnector(nn.Module):
    """Map a student feature to the teacher's channels: ``act(Conv_kxk(x))`` (with bias), optionally resized.

    FitNets' convolutional regressor ``r`` (Romero et al., ICLR 2015, Sec. 2.2): a convolution whose
    output matches the hint's shape, followed by the hint layer's non-linearity (``act='relu'`` for a
    post-ReLU hint). PyTorch's default initialisation. A (N, C) feature (pooled, or a fully connected
    layer) is regressed by the same 1x1 convolution (``kernel_size`` must be 1).

    Args:
        in_channels (int): Channels of the student feature.
        out_channels (int): Channels of the teacher feature.
        kernel_size (int): Odd convolution kernel size (padding keeps the spatial size). Defaults to 1.
        act (str, optional): None or ``'relu'``. Defaults to None.
        resize (str, optional): ``'bilinear'`` or ``'nearest'``: interpolate the output to ``target_size``
            when it differs from the student's spatial size; None forbids a size mismatch. Defaults to None.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, act: Optional[str] = None,
                 resize: Optional[str] = None) -> None:
        super().__init__()
        check_positive_ints(in_channels=in_channels, out_channels=out_channels)
        check_odd_kernel_size(kernel_size)
        if act not in _ACTS:
            raise ValueError(f'act must be one of {_ACTS}, got {act!r}')
        check_resize_mode(resize)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.act = act
        self.resize = resize
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True)

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Apply conv [+ ReLU], then resize to ``target_size`` if asked.

        Args:
            x (Tensor): Student feature, (N, in_channels, H, W) or (N, in_channels).
            target_size (Sequence[int], optional): Teacher spatial size (H', W').

        Returns:
            Tensor: (N, out_channels, H', W') (or (N, out_channels, H, W) without ``target_size``;
            (N, out_channels) for a (N, in_channels) input).
        """
        if x.dim() not in (2, 4) or x.shape[1] != self.in_channels:
            raise ValueError(f'ConvConnector expects a (N, {self.in_channels}, H, W) or (N, {self.in_channels}) '
                             f'student feature, got shape {tuple(x.shape)}; set in_channels= to the student '
                             'channels')
        if x.dim() == 2:
            if self.conv.kernel_size != (1, 1):
                raise ValueError(f'a (N, C) student feature needs kernel_size=1, got {self.conv.kernel_size[0]}')
            out = self.conv(x[:, :, None, None]).flatten(1)
            return F.relu(out) if self.act == 'relu' else out
        out = self.conv(x)
        if self.act == 'relu':
            out = F.relu(out)
        return resize_to_target(out, target_size, self.resize, 'the connector')

    def extra_repr(self) -> str:
        return f'act={self.act!r}, resize={self.resize!r}'
