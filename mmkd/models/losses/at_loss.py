"""Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention: Improving the
Performance of Convolutional Neural Networks via Attention Transfer", ICLR 2017)."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import Features, feature_pairs, fit_weight

_DISTANCES = ('norm', 'mean_squared')


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
            eps: float = 1e-12, distance: str = 'norm', weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Attention-transfer distance of one pair of positions, with ``Q = vec(F_sum^p(A))`` per sample,
    L2-normalised (the norm floored at ``eps``):

    - ``distance='norm'`` (the paper's Eq. 2 with its norm p = 2, not squared; ``beta`` is the caller's
      weight): ``1/2 * mean_n || Q_s / ||Q_s||_2 - Q_t / ||Q_t||_2 ||_2``;
    - ``distance='mean_squared'`` (the authors' code): ``mean_{n, x} (Q_s/||Q_s||_2 - Q_t/||Q_t||_2)_x^2``,
      the squared difference averaged over the batch and the H * W locations (no 1/2: the code's
      objective is ``beta * sum_j`` of it).

    Channel counts may differ; a spatial-size mismatch is an error unless ``resize``, which bilinearly
    resizes the student's attention map (before normalisation) to the teacher's size. Computed in float32
    (float64 stays float64); the teacher is detached. A per-pixel ``weight`` multiplies both attention
    maps before they are normalised (a 0/1 mask leaves the masked locations out of the maps and their
    norms); ``'mean_squared'`` then averages over the locations of non-zero weight.

    Args:
        student (Tensor): Student feature, (N, C_s, H, W).
        teacher (Tensor): Teacher feature, (N, C_t, H', W').
        p (float): Attention exponent. Defaults to 2.
        resize (bool): Resize the student's attention map when sizes differ. Defaults to False.
        eps (float): Floor of the attention-map norm. Defaults to 1e-12.
        distance (str): ``'norm'`` or ``'mean_squared'``. Defaults to ``'norm'``.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight.

    Returns:
        Tensor: Scalar loss.
    """
    if distance not in _DISTANCES:
        raise ValueError(f'distance must be one of {_DISTANCES}, got {distance!r}')
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
    if distance == 'norm':
        return reduce_loss((q_s - q_t).norm(dim=1), 'mean') / 2
    kept = None if weight is None else (weight > 0).sum().clamp(min=1)
    return reduce_loss((q_s - q_t).pow(2), 'mean', avg_factor=kept)


@MODELS.register_module()
class ATLoss(DistillLoss):
    """Attention transfer: ``loss_weight/2 * sum_j mean_n || Q_s^j/||Q_s^j||_2 - Q_t^j/||Q_t^j||_2 ||_2``
    (Zagoruyko & Komodakis, ICLR 2017, Eq. 2, ``loss_weight`` = beta, ``j`` the position pairs).

    ``Q^j = vec(sum_c |A_c|^p)`` of the feature ``A`` at pair ``j``; see :func:`at_loss`. The default,
    ``distance='norm'``, is the paper's formula: the per-sample distance is the (unsquared) L2 norm of the
    difference of the L2-normalised maps, averaged over the batch.

    ``distance='mean_squared'`` is the form of the authors' code (github.com/szagoruyko/attention-transfer):
    the squared difference of the normalised maps averaged over the batch and the locations,
    ``loss_weight * sum_j mean_{n, x} (Q_s^j/||Q_s^j|| - Q_t^j/||Q_t^j||)^2``; ``loss_weight=1e3`` is their
    beta for CIFAR. The two forms differ in scale (a squared difference averaged over the H * W locations
    is much smaller than a norm), so the beta of one does not carry over to the other.

    Args:
        p (float): Attention exponent. Defaults to 2.
        loss_weight (float): beta. Defaults to 1.0.
        resize (bool): Bilinearly resize the student's attention map to the teacher's size when they
            differ (otherwise an error). Defaults to False.
        distance (str): ``'norm'`` (paper) or ``'mean_squared'`` (authors' code). Defaults to ``'norm'``.
        ignore_index (int, optional): Segmentation label whose pixels are left out of the attention maps.
            Defaults to None.
    """

    pixel_weight = True

    def __init__(self, p: float = 2, loss_weight: float = 1.0, resize: bool = False, distance: str = 'norm',
                 ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if p <= 0:
            raise ValueError(f'p must be positive, got {p}')
        if distance not in _DISTANCES:
            raise ValueError(f"distance must be 'norm' (the paper's Eq. 2) or 'mean_squared' (the authors' "
                             f'code), got {distance!r}')
        self.p = p
        self.resize = resize
        self.distance = distance

    def loss(self, student: Features, teacher: Features, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student feature(s), (N, C_s, H, W) each.
            teacher (Tensor | Sequence[Tensor]): Teacher feature(s), as many.
            weight (Tensor, optional): Per-pixel weight, fitted to each pair's map.

        Returns:
            Tensor: Scalar loss (summed over the pairs).
        """
        return sum(at_loss(s, t, self.p, self.resize, distance=self.distance, weight=weight)
                   for s, t in feature_pairs(student, teacher, 'ATLoss'))

    def extra_repr(self) -> str:
        return (f'p={self.p}, loss_weight={self.loss_weight}, resize={self.resize}, '
                f'distance={self.distance!r}{self._ignore_repr()}')
