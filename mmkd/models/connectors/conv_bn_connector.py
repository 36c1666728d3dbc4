"""Conv + BN connector of OFD (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
ICCV 2019)."""
import math
from typing import Optional, Sequence

import torch
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.validation import check_odd_kernel_size, check_positive_ints
from .resize import check_resize_mode, resize_to_target

@MODELS.register_module()
class ConvBNConnector(nn.Module):
    """Map a student feature to the teacher's channels: ``BN(Conv_kxk(x))``, optionally resized.

    OFD's regressor is a 1x1 convolution without bias followed by BatchNorm (Heo et al., ICCV 2019).
    The convolution is initialised from N(0, 2 / (k * k * out_channels)) (He et al. fan-out),
    the BN with weight 1 and bias 0.

    Args:
        in_channels (int): Channels of the student feature.
        out_channels (int): Channels of the teacher feature.
        kernel_size (int): Odd convolution kernel size (padding keeps the spatial size). Defaults to 1.
        resize (str, optional): ``'bilinear'`` or ``'nearest'``: interpolate the output to
            ``target_size`` when it differs from the student's spatial size; None forbids a size
            mismatch. Defaults to None.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1,
                 resize: Optional[str] = None) -> None:
        super().__init__()
        check_positive_ints(in_channels=in_channels, out_channels=out_channels)
        check_odd_kernel_size(kernel_size)
        check_resize_mode(resize)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resize = resize
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.init_weights()

    def init_weights(self) -> None:
        """Conv weight ~ N(0, 2 / (k * k * out_channels)), BN weight 1 and bias 0."""
        k = self.conv.kernel_size[0] * self.conv.kernel_size[1]
        nn.init.normal_(self.conv.weight, 0.0, math.sqrt(2.0 / (k * self.out_channels)))
        nn.init.ones_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Apply conv + BN, then resize to ``target_size`` if asked.

        Args:
            x (Tensor): Student feature, (N, in_channels, H, W).
            target_size (Sequence[int], optional): Teacher spatial size (H', W').

        Returns:
            Tensor: (N, out_channels, H', W') (or (N, out_channels, H, W) without ``target_size``).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'ConvBNConnector expects a (N, {self.in_channels}, H, W) student feature, got '
                             f'shape {tuple(x.shape)} ({x.shape[1] if x.dim() > 1 else "no"} channels); '
                             'set in_channels= to the student channels')
        out = self.bn(self.conv(x))
        return resize_to_target(out, target_size, self.resize, 'the connector')

    def extra_repr(self) -> str:
        return f'resize={self.resize!r}'
