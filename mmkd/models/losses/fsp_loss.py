"""Flow of solution procedure (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network
Minimization and Transfer Learning", CVPR 2017)."""
from typing import List, Sequence

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss


def fsp_matrix(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """The FSP matrix ``G[i, j] = sum_{h, w} F1[i, h, w] F2[j, h, w] / (h * w)`` of two feature maps.

    When the spatial sizes differ, the larger map is adaptive-average-pooled to the smaller one (each
    spatial dim to the smaller of the two), so the sum runs over the smaller grid and h * w is its size.

    Args:
        first (Tensor): F1, (N, C1, H1, W1).
        second (Tensor): F2, (N, C2, H2, W2).

    Returns:
        Tensor: (N, C1, C2).
    """
    for name, x in (('first', first), ('second', second)):
        if x.dim() != 4:
            raise ValueError(f'FSP needs (N, C, H, W) feature maps, got {name} of shape {tuple(x.shape)}')
    if first.shape[0] != second.shape[0]:
        raise ValueError(f'the FSP pair has batch sizes {first.shape[0]} and {second.shape[0]}; record both '
                         'positions on the same batch')
    first, second = promote(first, second)
    size = (min(first.shape[2], second.shape[2]), min(first.shape[3], second.shape[3]))
    if tuple(first.shape[2:]) != size:
        first = F.adaptive_avg_pool2d(first, size)
    if tuple(second.shape[2:]) != size:
        second = F.adaptive_avg_pool2d(second, size)
    return first.flatten(2) @ second.flatten(2).transpose(1, 2) / (size[0] * size[1])


def _pairs(features: Sequence[torch.Tensor], side: str) -> List[torch.Tensor]:
    if isinstance(features, torch.Tensor) or not isinstance(features, (list, tuple)):
        raise ValueError(f'FSPLoss expects a tuple of {side} feature maps (F1, F2, F1\', F2\', ...): give the '
                         'distill point a list of positions, two per FSP matrix')
    if not features or len(features) % 2:
        raise ValueError(f'FSPLoss pairs consecutive positions (F1, F2), but the {side} has {len(features)} '
                         'positions; give an even number, two per FSP matrix')
    return [fsp_matrix(features[k], features[k + 1]) for k in range(0, len(features), 2)]


@MODELS.register_module()
class FSPLoss(DistillLoss):
    """FSP: ``loss_weight * 1/K sum_k 1/N sum_x ||G_s^k(x) - G_t^k(x)||_2^2`` (Yim et al., CVPR 2017).

    The point gives lists of positions, flattened pairs ``(F1, F2, F1', F2', ...)``: each consecutive pair
    forms one FSP matrix (:func:`fsp_matrix`), e.g. the input and output of a stage. The squared L2
    (Frobenius) distance is averaged over the N samples and the K pairs. The paper weights pairs equally
    (lambda_i) and sums them; the mean differs by the constant K, absorbed in ``loss_weight``.

    Student and teacher FSP matrices must have the same shape (C1 x C2 per pair): map the student
    positions to the teacher channels with connectors (one per position, e.g. ``mmkd.ConvBNConnector``).
    The teacher is detached.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)

    def loss(self, student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor]) -> torch.Tensor:
        """Args:
            student (Sequence[Tensor]): (s1, s2, s3, s4, ...) student maps, pairs (s[2k], s[2k+1]).
            teacher (Sequence[Tensor]): The teacher maps, same layout.

        Returns:
            Tensor: Scalar loss.
        """
        g_s = _pairs(student, 'student')
        g_t = _pairs(teacher, 'teacher')
        if len(g_s) != len(g_t):
            raise ValueError(f'{len(g_s)} student FSP pairs but {len(g_t)} teacher pairs; give the distill point '
                             'as many student as teacher positions')
        loss = 0
        for k, (s, t) in enumerate(zip(g_s, g_t)):
            if s.shape != t.shape:
                raise ValueError(f'FSP pair {k}: the student matrix is {tuple(s.shape)} but the teacher\'s is '
                                 f'{tuple(t.shape)} (N, C1, C2); map the student positions {2 * k} and '
                                 f'{2 * k + 1} to the teacher channels with connectors (e.g. '
                                 'mmkd.ConvBNConnector, channels inferred)')
            loss = loss + reduce_loss((s - t.to(s.dtype)).pow(2), 'batch')
        return loss / len(g_s)
