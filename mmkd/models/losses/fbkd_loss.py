"""Attention-guided and non-local distillation (Zhang & Ma, "Improve Object Detection with Feature-based
Knowledge Distillation: Towards Accurate and Efficient Detectors", ICLR 2021)."""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.validation import check_positive_ints
from .base import DistillLoss
from .utils import check_feature_maps

_MASK_SOURCES = ('both', 'teacher')


def pooled_attention(feature: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """FBKD's spatial ``G^s(A) = mean_c |A|``, (N, H, W), and channel ``G^c(A) = mean_hw |A|``, (N, C),
    attention of a (N, C, H, W) feature."""
    value = feature.abs()
    return value.mean(dim=1), value.mean(dim=(2, 3))


class NonLocalBlock(nn.Module):
    """Dot-product non-local block (Wang et al., CVPR 2018): ``x + W(theta(x)^T phi(x) g(x) / N')`` with
    ``theta, phi, g`` 1x1 convolutions to ``C / reduction`` channels, ``phi`` and ``g`` max-pooled by
    ``sub_sample`` (1: no pooling), ``N'`` their number of locations, and ``W`` a zero-initialised 1x1
    convolution back to C channels (the block starts as the identity)."""

    def __init__(self, channels: int, reduction: int = 2, sub_sample: int = 1) -> None:
        super().__init__()
        inter = max(channels // reduction, 1)
        self.theta, self.phi, self.g = (nn.Conv2d(channels, inter, 1) for _ in range(3))
        for conv in (self.theta, self.phi, self.g):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)
        self.out = nn.Conv2d(inter, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.sub_sample = sub_sample

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, self.sub_sample, ceil_mode=True) if self.sub_sample > 1 else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        theta = self.theta(x).flatten(2).transpose(1, 2)       # (N, HW, C')
        phi = self._pool(self.phi(x)).flatten(2)              # (N, C', N')
        g = self._pool(self.g(x)).flatten(2).transpose(1, 2)  # (N, N', C')
        pairwise = theta @ phi / phi.shape[-1]
        y = (pairwise @ g).transpose(1, 2).reshape(n, -1, h, w)
        return x + self.out(y)


@MODELS.register_module()
class FBKDLoss(DistillLoss):
    """FBKD: ``alpha L_AT + beta L_AM + gamma L_NLD`` (Zhang & Ma, ICLR 2021, attention-guided and
    non-local distillation).

    With ``s`` the student and ``t`` the teacher feature, ``f`` a 1x1 adaptation convolution to the
    teacher's channels, ``G^s`` / ``G^c`` the spatial / channel attention (:func:`pooled_attention`) and
    ``||.||`` the L2 norm over the whole batch:

    - masks ``M^s = H W softmax_hw((G^s(s) + G^s(t)) / T)`` and ``M^c = C softmax_c((G^c(s) + G^c(t)) / T)``
      (``mask_source='teacher'``: from ``G(t) / T`` alone), used as constants;
    - attention transfer ``L_AT = ||G^s(s) - G^s(t)|| + ||G^c(s) - G^c(t)||``;
    - attention-masked feature loss ``L_AM = (sum (t - f(s))^2 M^s M^c)^(1/2)``;
    - non-local distillation ``L_NLD = ||a(NL_s(s)) - NL_t(t)||``, ``NL`` a dot-product non-local block
      (:class:`NonLocalBlock`) on each side and ``a`` a 1x1 adaptation convolution, all trained with the
      student.

    When the channel counts differ, the student's channel attention is taken of ``f(s)``. The defaults are
    the weights and temperature of the authors' released code: ``alpha = 4e-3``, ``beta = 7e-5``,
    ``gamma = 7e-5``, ``T = 0.5``; non-local blocks with channel reduction 2. That code differs from the
    formulas above in ``L_AT``, which it computes on the plain (signed) means through learned adaptation
    layers, and in the mask, which it reduces to the spatial part.

    Args:
        student_channels (int): Channels of the student feature.
        teacher_channels (int): Channels of the teacher feature.
        temperature (float): ``T`` of the masks. Defaults to 0.5.
        alpha (float): Weight of ``L_AT``. Defaults to 4e-3.
        beta (float): Weight of ``L_AM``. Defaults to 7e-5.
        gamma (float): Weight of ``L_NLD``. Defaults to 7e-5.
        reduction (int): Channel reduction of the non-local blocks. Defaults to 2.
        sub_sample (int): Max-pooling stride of the non-local blocks' ``phi`` and ``g`` (1: none). Defaults
            to 1.
        mask_source (str): ``'both'`` (student and teacher attention) or ``'teacher'``. Defaults to
            ``'both'``.
        loss_weight (float): Multiplies the sum. Defaults to 1.0.
    """

    def __init__(self, student_channels: int, teacher_channels: int, temperature: float = 0.5,
                 alpha: float = 4e-3, beta: float = 7e-5, gamma: float = 7e-5, reduction: int = 2,
                 sub_sample: int = 1, mask_source: str = 'both', loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        check_positive_ints(student_channels=student_channels, teacher_channels=teacher_channels)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        if mask_source not in _MASK_SOURCES:
            raise ValueError(f'mask_source must be one of {_MASK_SOURCES}, got {mask_source!r}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.temperature = temperature
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.mask_source = mask_source
        self.adaptation = nn.Conv2d(student_channels, teacher_channels, 1)
        self.student_non_local = NonLocalBlock(student_channels, reduction, sub_sample)
        self.non_local_adaptation = nn.Conv2d(student_channels, teacher_channels, 1)
        self.teacher_non_local = NonLocalBlock(teacher_channels, reduction, sub_sample)

    def compute_dtype(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.dtype:
        """The dtype of the loss's layers (float32 unless converted)."""
        return self.adaptation.weight.dtype

    def masks(self, student: torch.Tensor, teacher: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``M^s`` (N, H, W) and ``M^c`` (N, C_t) of a student feature (teacher channels) and a teacher
        feature, detached."""
        n, c, h, w = teacher.shape
        spatial_t, channel_t = pooled_attention(teacher.detach())
        if self.mask_source == 'both':
            spatial_s, channel_s = pooled_attention(student.detach())
            spatial_t, channel_t = spatial_t + spatial_s, channel_t + channel_s
        spatial = h * w * F.softmax(spatial_t.reshape(n, -1) / self.temperature, dim=1)
        channel = c * F.softmax(channel_t / self.temperature, dim=1)
        return spatial.reshape(n, h, w), channel

    def terms(self, student: torch.Tensor, teacher: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The three unweighted terms ``attention`` (L_AT), ``masked`` (L_AM), ``non_local`` (L_NLD)."""
        check_feature_maps('FBKDLoss', student, teacher, self.student_channels, self.teacher_channels)
        adapted = self.adaptation(student)
        same = self.student_channels == self.teacher_channels
        spatial_s, channel_s = pooled_attention(student)
        if not same:
            channel_s = pooled_attention(adapted)[1]
        spatial_t, channel_t = pooled_attention(teacher)
        m_s, m_c = self.masks(student if same else adapted, teacher)
        norm = torch.linalg.vector_norm  # its gradient at 0 is 0, not NaN
        attention = norm(spatial_s - spatial_t) + norm(channel_s - channel_t)
        masked = norm((teacher - adapted) * (m_s[:, None] * m_c[:, :, None, None]).sqrt())
        relation_s = self.non_local_adaptation(self.student_non_local(student))
        non_local = norm(relation_s - self.teacher_non_local(teacher))
        return dict(attention=attention, masked=masked, non_local=non_local)

    def loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): Student feature, (N, student_channels, H, W).
            teacher (Tensor): Teacher feature, (N, teacher_channels, H, W).

        Returns:
            Tensor: Scalar loss.
        """
        t = self.terms(student, teacher)
        return self.alpha * t['attention'] + self.beta * t['masked'] + self.gamma * t['non_local']

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, alpha={self.alpha}, beta={self.beta}, gamma={self.gamma}, '
                f'mask_source={self.mask_source!r}, loss_weight={self.loss_weight}')
