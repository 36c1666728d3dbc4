"""DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022)."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import fit_weight, flatten_classes


def pearson_rows(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8,
                 weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Pearson correlation of each row of ``a`` with the same row of ``b``.

    ``r_i = <a_i - mean(a_i), b_i - mean(b_i)> / (max(||a_i - mean(a_i)||, eps) * max(||b_i - mean(b_i)||, eps))``;
    a constant row correlates 0 with anything. With ``weight`` (one non-negative weight per column,
    broadcast to the rows) the weighted correlation: weighted means, and every sum of products weighted,
    so a column of weight 0 does not take part.

    Args:
        a (Tensor): (M, K).
        b (Tensor): (M, K).
        eps (float): Floor of each centred norm. Defaults to 1e-8.
        weight (Tensor, optional): (K, ) or (M, K) column weights.

    Returns:
        Tensor: (M, ) correlations.
    """
    if weight is None:
        a = a - a.mean(dim=1, keepdim=True)
        b = b - b.mean(dim=1, keepdim=True)
        denom = a.norm(dim=1).clamp_min(eps) * b.norm(dim=1).clamp_min(eps)
        return (a * b).sum(dim=1) / denom
    weight = weight.expand_as(a)
    total = weight.sum(dim=1, keepdim=True).clamp_min(torch.finfo(a.dtype).tiny)
    a = a - (weight * a).sum(dim=1, keepdim=True) / total
    b = b - (weight * b).sum(dim=1, keepdim=True) / total
    norm = lambda x: (weight * x * x).sum(dim=1).clamp_min(eps ** 2).sqrt()  # noqa: E731
    return (weight * a * b).sum(dim=1) / (norm(a) * norm(b))


def dist_loss(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0, beta: float = 1.0,
              gamma: float = 1.0, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """DIST loss ``tau^2 * (beta * inter + gamma * intra)`` (Huang et al., NeurIPS 2022, Eq. 9-12).

    With ``P = softmax(logits / tau)`` per row (a sample of (N, C) logits, or a location of dense
    (N, C, H, W) scores, the paper's segmentation variant):

    - inter-class relation ``inter = 1 - mean_i pearson(P_s[i, :], P_t[i, :])`` (over the rows),
    - intra-class relation ``intra = 1 - mean_c pearson(P_s[:, c], P_t[:, c])`` (over the classes).

    Low-precision inputs are computed in float32; float64 stays float64. The teacher is detached.
    With a per-pixel ``weight`` (dense scores), the inter-class term is the weighted mean over the
    locations and the intra-class correlations are weighted over them (:func:`pearson_rows`): locations
    of weight 0 take no part.

    Args:
        student (Tensor): Student logits, (N, C) or (N, C, *spatial).
        teacher (Tensor): Teacher logits of the same shape.
        tau (float): Temperature. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        weight (Tensor, optional): Per-pixel weight of (N, C, H, W) scores, (N, H, W) or (N, 1, H, W).

    Returns:
        Tensor: Scalar loss.
    """
    if student.shape != teacher.shape:
        raise ValueError(f'student logits {tuple(student.shape)} and teacher logits {tuple(teacher.shape)} '
                         'differ: DIST compares class scores of the same classes and locations (resize '
                         'dense scores with a connector, resize=...)')
    student, teacher = promote(student, teacher.detach())
    s, t = flatten_classes(student), flatten_classes(teacher)
    rows = None
    if weight is not None:
        if student.dim() != 4:
            raise ValueError(f'a per-pixel weight needs dense (N, C, H, W) scores, got {tuple(student.shape)}')
        rows = fit_weight(weight, student.shape[2:]).reshape(-1)
    if gamma != 0 and s.shape[0] < 2:
        raise ValueError(f'the intra-class relation correlates each class over the rows (samples or '
                         f'locations), which needs at least 2 rows; got {s.shape[0]}: use a batch of 2 or '
                         'more, or gamma=0')
    p_s = F.softmax(s / tau, dim=1)
    p_t = F.softmax(t / tau, dim=1)
    if rows is None:
        loss = beta * (1 - pearson_rows(p_s, p_t).mean())
    else:
        loss = beta * reduce_loss(1 - pearson_rows(p_s, p_t), 'mean', rows)
    if gamma != 0:
        loss = loss + gamma * (1 - pearson_rows(p_s.t(), p_t.t(), weight=rows).mean())
    return tau ** 2 * loss


@MODELS.register_module()
class DISTLoss(DistillLoss):
    """DIST: distil the inter- and intra-class relations of the teacher's predictions by Pearson
    correlation instead of matching them exactly (Huang et al., "Knowledge Distillation from A Stronger
    Teacher", NeurIPS 2022).

    ``loss_weight * tau^2 * (beta * (1 - mean_i r(P_s[i], P_t[i]))
    + gamma * (1 - mean_c r(P_s[:, c], P_t[:, c])))``, with ``P = softmax(logits / tau)`` per row and ``r``
    the Pearson correlation; see :func:`dist_loss`.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int, optional): Segmentation label whose pixels are left out (dense scores).
            Defaults to None.
    """

    pixel_weight = True

    def __init__(self, tau: float = 1.0, beta: float = 1.0, gamma: float = 1.0, loss_weight: float = 1.0,
                 ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        if beta < 0 or gamma < 0:
            raise ValueError(f'beta and gamma must be non-negative, got beta={beta}, gamma={gamma}')
        self.tau = tau
        self.beta = beta
        self.gamma = gamma

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor): Student logits, (N, C) or (N, C, *spatial).
            teacher (Tensor): Teacher logits of the same shape.
            weight (Tensor, optional): Per-pixel weight of dense scores.

        Returns:
            Tensor: Scalar loss.
        """
        return dist_loss(student, teacher, self.tau, self.beta, self.gamma, weight)

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, beta={self.beta}, gamma={self.gamma}, loss_weight={self.loss_weight}'
                f'{self._ignore_repr()}')
