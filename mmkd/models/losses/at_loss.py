"""Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention: Improving the
Performance of Convolutional Neural Networks via Attention Transfer", ICLR 2017)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import fit_weight

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
            eps: float = 1e-12, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``1/2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2`` for one pair of positions (Eq. 2 with
    the paper's norm p = 2, not squared; ``beta`` is the caller's weight).

    ``Q = vec(F_sum^p(A))`` per sample, L2-normalised (the norm floored at ``eps``). Channel counts may differ; a spatial-size mismatch is an error unless ``resize``, which bilinearly
    resizes the student's attention map (before normalisation) to the teacher's size. Computed in float32
    (float64 stays float64); the teacher is detached. A per-pixel ``weight`` multiplies both attention
    maps before they are normalised (a 0/1 mask leaves the masked locations out of the maps and their
    norms).

    Args:
        student (Tensor): Student feature, (N, C_s, H, W).
        teacher (Tensor): Teacher feature, (N, C_t, H', W').
        p (float): Attention exponent. Defaults to 2.
        resize (bool): Resize the student's attention map when sizes differ. Defaults to False.
        eps (float): Floor of the attention-map norm. Defaults to 1e-12.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight.

    Returns:
        Tensor: Scalar loss.
    """
    if student.dim() != 4 or teacher.dim() != 4:
        raise ValueError(f'attention transfer needs (N, C, H, W) feature maps, got student '
                         f'{tuple(student.shape)} and teacher {tuple(teacher.shape)}')
    if student.shape[0] != teacher.shape[0]:
        raise ValueError(f'student batch {student.shape[0]} and teacher batch {teacher.shape[0]} differ')
    student, teacher = promote(student, teacher.detach())
    q_s, q_t = attention_map(student, p), attention_map(teacher, p)
    if q_s.shape[1:] != q_t.shape[1:]:
        if not resize:
            raise ValueError(f'student attention map {tuple(q_s.shape[1:])} and teacher attention map '
                             f'{tuple(q_t.shape[1:])} differ in size; pick positions of the same resolution '
                             'or set resize=True to resize the student map bilinearly')
        q_s = F.interpolate(q_s.unsqueeze(1), size=q_t.shape[1:], mode='bilinear', align_corners=False)[:, 0]
    if weight is not None:
        weight = fit_weight(weight, q_t.shape[1:])[:, 0]
        q_s, q_t = q_s * weight, q_t * weight
    q_s, q_t = q_s.flatten(1), q_t.flatten(1)
    q_s = q_s / q_s.norm(dim=1, keepdim=True).clamp_min(eps)
    q_t = q_t / q_t.norm(dim=1, keepdim=True).clamp_min(eps)
    return reduce_loss((q_s - q_t).norm(dim=1), 'mean') / 2


@MODELS.register_module()
class ATLoss(DistillLoss):
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
        ignore_index (int, optional): Segmentation label whose pixels are left out of the attention maps.
            Defaults to None.
    """

    pixel_weight = True

    def __init__(self, p: float = 2, loss_weight: float = 1.0, resize: bool = False,
                 ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if p <= 0:
            raise ValueError(f'p must be positive, got {p}')
        self.p = p
        self.resize = resize

    def loss(self, student: Features, teacher: Features, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student feature(s), (N, C_s, H, W) each.
            teacher (Tensor | Sequence[Tensor]): Teacher feature(s), as many.
            weight (Tensor, optional): Per-pixel weight, fitted to each pair's map.

        Returns:
            Tensor: Scalar loss (summed over the pairs).
        """
        multi_s, multi_t = isinstance(student, (list, tuple)), isinstance(teacher, (list, tuple))
        if multi_s != multi_t or (multi_s and (len(student) != len(teacher) or not student)):
            raise ValueError('ATLoss takes one student and one teacher tensor, or equally long non-empty '
                             'sequences of them: list as many student as teacher positions in the distill point')
        if not multi_s:
            student, teacher = (student, ), (teacher, )
        return sum(at_loss(s, t, self.p, self.resize, weight=weight)
                   for s, t in zip(student, teacher))

    def extra_repr(self) -> str:
        return f'p={self.p}, loss_weight={self.loss_weight}, resize={self.resize}{self._ignore_repr()}'
