"""Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention: Improving the
Performance of Convolutional Neural Networks via Attention Transfer", ICLR 2017)."""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS

Features = Union[torch.Tensor, Sequence[torch.Tensor]]


def attention_map(feat: torch.Tensor, p: float = 2) -> torch.Tensor:
    """Activation-based spatial attention ``F_sum^p(A) = sum_c |A_c|^p`` (Zagoruyko & Komodakis, Sec. 3.1).

    Args:
        feat (Tensor): (N, C, H, W).
        p (float): Exponent. Defaults to 2.

    Returns:
        Tensor: (N, H, W).
    """
    return feat.abs().pow(p).sum(dim=1)


def at_loss(student: torch.Tensor, teacher: torch.Tensor, p: float = 2, resize: bool = False,
            eps: float = 1e-12) -> torch.Tensor:
    """``1/2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2`` for one pair of positions (Eq. 2 with
    the paper's norm p = 2, not squared; ``beta`` is the caller's weight).

    ``Q = vec(F_sum^p(A))`` per sample, L2-normalised (the norm floored at ``eps``). Channel counts may
    differ; a spatial-size mismatch is an error unless ``resize``, which bilinearly resizes the student's
    attention map (before normalisation) to the teacher's size. Computed in float32 (float64 stays float64);
    the teacher is detached.

    Args:
        student (Tensor): Student feature, (N, C_s, H, W).
        teacher (Tensor): Teacher feature, (N, C_t, H', W').
        p (float): Attention exponent. Defaults to 2.
        resize (bool): Resize the student's attention map when sizes differ. Defaults to False.
        eps (float): Floor of the attention-map norm. Defaults to 1e-12.

    Returns:
        Tensor: Scalar loss.
    """
    if student.dim() != 4 or teacher.dim() != 4:
        raise ValueError(f'attention transfer needs (N, C, H, W) feature maps, got student '
                         f'{tuple(student.shape)} and teacher {tuple(teacher.shape)}')
    if student.shape[0] != teacher.shape[0]:
        raise ValueError(f'student batch {student.shape[0]} and teacher batch {teacher.shape[0]} differ')
    dtype = torch.promote_types(student.dtype, torch.float32)
    q_s = attention_map(student.to(dtype), p)
    q_t = attention_map(teacher.detach().to(dtype), p)
    if q_s.shape[1:] != q_t.shape[1:]:
        if not resize:
            raise ValueError(f'student attention map {tuple(q_s.shape[1:])} and teacher attention map '
                             f'{tuple(q_t.shape[1:])} differ in size; pick positions of the same resolution '
                             'or set resize=True to resize the student map bilinearly')
        q_s = F.interpolate(q_s.unsqueeze(1), size=q_t.shape[1:], mode='bilinear', align_corners=False)[:, 0]
    q_s, q_t = q_s.flatten(1), q_t.flatten(1)
    q_s = q_s / q_s.norm(dim=1, keepdim=True).clamp_min(eps)
    q_t = q_t / q_t.norm(dim=1, keepdim=True).clamp_min(eps)
    return (q_s - q_t).norm(dim=1).mean() / 2


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer: ``loss_weight/2 * sum_j mean_n || Q_s^j/||Q_s^j||_2 - Q_t^j/||Q_t^j||_2 ||_2``
    (Zagoruyko & Komodakis, ICLR 2017, Eq. 2, ``loss_weight`` = beta, ``j`` the position pairs).

    ``Q^j = vec(sum_c |A_c|^p)`` of the feature ``A`` at pair ``j``; see :func:`at_loss`. This is the
    paper's formula: the per-sample distance is the (unsquared) L2 norm of the difference of the
    L2-normalised maps, averaged over the batch. The authors' released code instead averages the squared
    difference over batch and locations (with beta = 1e3), a different scale: tune ``loss_weight``
    accordingly.

    Args:
        p (float): Attention exponent. Defaults to 2.
        loss_weight (float): beta. Defaults to 1.0.
        resize (bool): Bilinearly resize the student's attention map to the teacher's size when they
            differ (otherwise an error). Defaults to False.
    """

    def __init__(self, p: float = 2, loss_weight: float = 1.0, resize: bool = False) -> None:
        super().__init__()
        if p <= 0:
            raise ValueError(f'p must be positive, got {p}')
        self.p = p
        self.loss_weight = loss_weight
        self.resize = resize

    def forward(self, student: Features, teacher: Features) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student feature(s), (N, C_s, H, W) each.
            teacher (Tensor | Sequence[Tensor]): Teacher feature(s), as many (detached here).

        Returns:
            Tensor: Scalar loss (summed over the pairs).
        """
        multi_s, multi_t = isinstance(student, (list, tuple)), isinstance(teacher, (list, tuple))
        if multi_s != multi_t or (multi_s and (len(student) != len(teacher) or not student)):
            raise ValueError('ATLoss takes one student and one teacher tensor, or equally long non-empty '
                             'sequences of them: list as many student as teacher positions in the distill point')
        if not multi_s:
            student, teacher = (student, ), (teacher, )
        loss = sum(at_loss(s, t, self.p, self.resize) for s, t in zip(student, teacher))
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'p={self.p}, loss_weight={self.loss_weight}, resize={self.resize}'
