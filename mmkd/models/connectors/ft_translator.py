"""The translator of Factor Transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via
Factor Transfer", NeurIPS 2018)."""
from typing import Optional, Sequence

import torch
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.validation import check_positive_ints
from .resize import check_resize_mode, resize_to_target

LEAKY_SLOPE = 0.1


def conv_bn_lrelu(in_channels: int, out_channels: int, transposed: bool = False) -> nn.Sequential:
    """3x3 (transposed) convolution, stride 1, padding 1 (the spatial size is kept), BN, LeakyReLU(0.1)."""
    conv = nn.ConvTranspose2d if transposed else nn.Conv2d
    return nn.Sequential(
        conv(in_channels, out_channels, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(LEAKY_SLOPE, inplace=True))


@MODELS.register_module()
class FTTranslator(nn.Module):
    """FT's translator: ``num_layers`` conv3x3-BN-LeakyReLU(0.1) layers from the student channels to the
    factor channels, keeping the spatial size (Kim et al., NeurIPS 2018).

    Channels go ``in -> in -> out -> ... -> out`` (the width changes at the second layer, mirroring the
    paraphraser's encoder; ``in -> out`` for one layer). ``out_channels`` must be the factor width
    ``k = round(factor_rate * C_teacher)`` of the point's :class:`~mmkd.models.losses.FTLoss`: give it
    explicitly -- the distiller fills a connector's ``out_channels`` left out with the TEACHER's channels,
    which is the factor width only for ``factor_rate=1``. ``in_channels`` may be left out (inferred).

    Args:
        in_channels (int): Student channels.
        out_channels (int): Factor channels k.
        num_layers (int): Number of conv layers (>= 1). Defaults to 3.
        resize (str, optional): ``'bilinear'`` or ``'nearest'``: interpolate the output to ``target_size``
            when it differs; None forbids a size mismatch. Defaults to None.
    """

    def __init__(self, in_channels: int, out_channels: int, num_layers: int = 3,
                 resize: Optional[str] = None) -> None:
        super().__init__()
        check_positive_ints(in_channels=in_channels, out_channels=out_channels, num_layers=num_layers)
        check_resize_mode(resize)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resize = resize
        widths = [in_channels] + [in_channels if i == 0 and num_layers > 1 else out_channels
                                  for i in range(num_layers)]
        self.layers = nn.Sequential(*[conv_bn_lrelu(c_in, c_out) for c_in, c_out in zip(widths[:-1], widths[1:])])

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Translate the student feature to the factor space.

        Args:
            x (Tensor): (N, in_channels, H, W).
            target_size (Sequence[int], optional): Teacher spatial size (H', W').

        Returns:
            Tensor: (N, out_channels, H', W') (or (N, out_channels, H, W) without ``target_size``).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'FTTranslator expects a (N, {self.in_channels}, H, W) student feature, got shape '
                             f'{tuple(x.shape)}; set in_channels= to the student channels (or leave it out)')
        out = self.layers(x)
        return resize_to_target(out, target_size, self.resize, 'the FTTranslator')

    def extra_repr(self) -> str:
        return f'in_channels={self.in_channels}, out_channels={self.out_channels}, resize={self.resize!r}'
