"""Masked generative distillation (Yang et al., "Masked Generative Distillation", ECCV 2022)."""
from typing import Optional

import torch
from torch import nn

from mmkd.registry import MODELS
from .base import DistillLoss, reduce_loss
from .utils import check_feature_maps, pixel_weight_of

_MASKS = ('spatial', 'channel')


@MODELS.register_module()
class MGDLoss(DistillLoss):
    """MGD: ``alpha * sum((G(M * align(s)) - t)^2) / N`` (Yang et al., ECCV 2022, Eq. 2-4).

    The student feature is aligned to the teacher's channels by a 1x1 convolution (with bias; identity
    when the channel counts match), masked by a random mask ``M``, and a generator
    ``G = conv3x3 -> ReLU -> conv3x3`` (teacher channels) must regenerate the full teacher feature from
    it. The sum runs over all elements and is divided by the batch size N. The mask is drawn from
    torch's RNG (``torch.manual_seed`` makes it reproducible). The align and generator layers are trained
    with the student and are used only for the loss.

    - ``mask='spatial'`` (the paper, and the authors' detection and segmentation code): one (H, W) mask per
      sample, shared by all channels; each location kept with probability ``1 - lambda_mgd``.
    - ``mask='channel'`` (the authors' classification code, github.com/yzd-v/MGD ``cls/``): one mask per
      sample and channel, shared by all locations; each channel kept with probability ``1 - lambda_mgd``.
      Their ImageNet settings are ``lambda_mgd=0.15`` and ``alpha_mgd=7e-5``.

    With a per-pixel weight (``ignore_index``), the aligned student feature is zeroed where the weight is
    0 (as if the random mask had dropped those locations) and each location's squared error is weighted,
    so an ignored pixel changes neither the loss nor its gradient.

    The loss owns layers sized by the channel counts, which the distiller does not infer (it fills only
    connectors): give both. Use ``mmkd.IdentityConnector`` (the default) in the point, or a resizing
    connector when the spatial sizes differ.

    Args:
        student_channels (int): Channels of the student feature.
        teacher_channels (int): Channels of the teacher feature.
        alpha_mgd (float): Loss weight ``alpha`` (the loss's ``loss_weight``). Defaults to 2e-5 (the
            paper's detection setting).
        lambda_mgd (float): Masked ratio ``lambda`` in [0, 1). Defaults to 0.65.
        mask (str): ``'spatial'`` or ``'channel'``. Defaults to ``'spatial'``.
        ignore_index (int, optional): Segmentation label whose pixels are left out. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, student_channels: int, teacher_channels: int, alpha_mgd: float = 2e-5,
                 lambda_mgd: float = 0.65, mask: str = 'spatial', ignore_index: Optional[int] = None) -> None:
        super().__init__(alpha_mgd, ignore_index)
        for name, value in (('student_channels', student_channels), ('teacher_channels', teacher_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive int (the channels of the {name.split("_")[0]} '
                                 f'feature), got {value!r}')
        if not 0 <= lambda_mgd < 1:
            raise ValueError(f'lambda_mgd is the masked ratio and must be in [0, 1), got {lambda_mgd}')
        if mask not in _MASKS:
            raise ValueError(f"mask must be 'spatial' (the paper) or 'channel' (the authors' classification "
                             f'code), got {mask!r}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.lambda_mgd = lambda_mgd
        self.mask = mask
        self.align = (nn.Conv2d(student_channels, teacher_channels, 1)
                      if student_channels != teacher_channels else None)
        self.generation = nn.Sequential(
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1))

    @property
    def alpha_mgd(self) -> float:
        """``alpha``: the loss weight."""
        return self.loss_weight

    @alpha_mgd.setter
    def alpha_mgd(self, value: float) -> None:
        self.loss_weight = value

    def compute_dtype(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.dtype:
        """The dtype of the loss's layers (float32 unless converted)."""
        return self.generation[0].weight.dtype

    def random_mask(self, n: int, h: int, w: int, like: torch.Tensor) -> torch.Tensor:
        """The random keep mask from torch's RNG: (n, 1, h, w) for ``'spatial'``, (n, C_t, 1, 1) for
        ``'channel'``; 1 (kept, probability ``1 - lambda_mgd``) or 0."""
        shape = (n, 1, h, w) if self.mask == 'spatial' else (n, self.teacher_channels, 1, 1)
        keep = torch.rand(*shape, device=like.device) >= self.lambda_mgd
        return keep.to(like.dtype)

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor): Student feature, (N, student_channels, H, W).
            teacher (Tensor): Teacher feature, (N, teacher_channels, H, W).
            weight (Tensor, optional): Per-pixel weight, (N, H, W) or (N, 1, H, W).

        Returns:
            Tensor: Scalar loss, in the dtype of the loss's layers (float32 unless converted).
        """
        check_feature_maps('MGDLoss', student, teacher, self.student_channels, self.teacher_channels)
        s = self.align(student) if self.align is not None else student
        n, _, h, w = teacher.shape
        masked = s * self.random_mask(n, h, w, s)
        weight = pixel_weight_of(weight, teacher)
        if weight is not None:
            masked = masked * (weight > 0).to(masked.dtype)
        return reduce_loss((self.generation(masked) - teacher).pow(2), 'batch', weight)

    def extra_repr(self) -> str:
        return (f'alpha_mgd={self.alpha_mgd}, lambda_mgd={self.lambda_mgd}, mask={self.mask!r}'
                f'{self._ignore_repr()}')
