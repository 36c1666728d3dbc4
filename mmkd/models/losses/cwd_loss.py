"""Channel-wise distillation (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction",
ICCV 2021)."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import fit_weight, kl_divergence


def channel_wise_divergence(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0,
                            weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """CWD loss ``tau^2 / (N * C) * sum_{n, c} KL(softmax(t_nc / tau) || softmax(s_nc / tau))``.

    Each channel's spatial map is turned into a distribution over its H * W locations (Shu et al.,
    ICCV 2021, Eq. 3-4), so the student learns where each channel of the teacher responds most.
    Low-precision inputs are computed in float32; float64 stays float64. The teacher is detached.

    With a per-pixel ``weight`` (a mask: locations of weight 0 are left out, any other value counts as 1),
    each channel's distribution runs over the kept locations only, and the mean over the maps of the
    samples that keep at least one location.

    Args:
        student (Tensor): Student feature or score map, (N, C, H, W) (or (N, C, *spatial)).
        teacher (Tensor): Teacher map of the same shape.
        tau (float): Temperature. Defaults to 1.0.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) mask of the kept locations.

    Returns:
        Tensor: Scalar loss.
    """
    if student.dim() < 3:
        raise ValueError(f'channel-wise distillation needs spatial maps (N, C, H, W), got shape '
                         f'{tuple(student.shape)}; for (N, C) logits use mmkd.KDLoss')
    if student.shape != teacher.shape:
        raise ValueError(f'student map {tuple(student.shape)} does not match teacher map '
                         f'{tuple(teacher.shape)}; map the student with a connector (e.g. mmkd.ConvConnector '
                         "with out_channels= the teacher channels and resize='bilinear' for another size)")
    s, t = promote(student, teacher.detach())
    n, c = s.shape[:2]
    s, t = s.reshape(n * c, -1) / tau, t.reshape(n * c, -1) / tau
    rows = None
    if weight is not None:
        if s.shape[1] != student.shape[2:].numel() or student.dim() != 4:
            raise ValueError('a per-pixel weight needs (N, C, H, W) maps')
        keep = (fit_weight(weight, student.shape[2:]) > 0).expand(n, c, *student.shape[2:]).reshape(n * c, -1)
        # a finite floor, not -inf: the dropped locations get probability 0 and no NaN reaches the KL
        s = s.masked_fill(~keep, torch.finfo(s.dtype).min)
        t = t.masked_fill(~keep, torch.finfo(t.dtype).min)
        rows = keep.any(dim=1).to(s.dtype)
    kl = kl_divergence(F.log_softmax(s, dim=1), F.log_softmax(t, dim=1))
    return tau ** 2 * reduce_loss(kl, 'mean', rows)


@MODELS.register_module()
class ChannelWiseDivergence(DistillLoss):
    """CWD: ``loss_weight * tau^2 / (N * C) * sum_{n,c} KL(p_t || p_s)`` over spatial softmaxes of each
    channel (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021); see
    :func:`channel_wise_divergence`.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int, optional): Segmentation label whose pixels are left out of every channel's
            distribution. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0, ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = tau

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor): Student map, (N, C, H, W).
            teacher (Tensor): Teacher map of the same shape.
            weight (Tensor, optional): Per-pixel mask, (N, H, W) or (N, 1, H, W).

        Returns:
            Tensor: Scalar loss.
        """
        return channel_wise_divergence(student, teacher, self.tau, weight)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}{self._ignore_repr()}'
