"""Channel-wise distillation (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction",
ICCV 2021)."""
import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS


def channel_wise_divergence(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """CWD loss ``tau^2 / (N * C) * sum_{n, c} KL(softmax(t_nc / tau) || softmax(s_nc / tau))``.

    Each channel's spatial map is turned into a distribution over its H * W locations (Shu et al.,
    ICCV 2021, Eq. 3-4), so the student learns where each channel of the teacher responds most.
    Low-precision inputs are computed in float32; float64 stays float64. The teacher is detached.

    Args:
        student (Tensor): Student feature or score map, (N, C, H, W) (or (N, C, *spatial)).
        teacher (Tensor): Teacher map of the same shape.
        tau (float): Temperature. Defaults to 1.0.

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
    dtype = torch.promote_types(student.dtype, torch.float32)
    n, c = student.shape[:2]
    log_p_s = F.log_softmax(student.to(dtype).reshape(n * c, -1) / tau, dim=1)
    log_p_t = F.log_softmax(teacher.detach().to(dtype).reshape(n * c, -1) / tau, dim=1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum()
    return tau ** 2 * kl / (n * c)


@MODELS.register_module()
class ChannelWiseDivergence(nn.Module):
    """CWD: ``loss_weight * tau^2 / (N * C) * sum_{n,c} KL(p_t || p_s)`` over spatial softmaxes of each
    channel (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021); see
    :func:`channel_wise_divergence`.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): Student map, (N, C, H, W).
            teacher (Tensor): Teacher map of the same shape (detached here).

        Returns:
            Tensor: Scalar loss.
        """
        return self.loss_weight * channel_wise_divergence(student, teacher, self.tau)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, loss_weight={self.loss_weight}'
