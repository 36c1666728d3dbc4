"""Label smoothing (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016,
Sec. 7): the teacher-free control that soft-target distillation is measured against."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from .base import promote, reduce_loss
from .utils import flatten_classes

_REDUCTIONS = ('none', 'mean', 'sum')


@MODELS.register_module()
class LabelSmoothingLoss(nn.Module):
    """Cross-entropy to the smoothed target ``q = (1 - epsilon) * onehot(y) + epsilon / C``.

    ``loss_i = -sum_c q_c log softmax(x_i)_c = (1 - epsilon) * CE(x_i, y_i) + epsilon * mean_c(-log p_ic)``,
    reduced like mmdet's ``CrossEntropyLoss`` (optional per-row ``weight``, ``avg_factor``; mmkd's shared
    :func:`~mmkd.models.losses.base.reduce_loss`) and multiplied by ``loss_weight``. It is a head's task
    loss, called with labels, not a student/teacher :class:`~mmkd.models.losses.base.DistillLoss`. A
    classifier head calls it as ``loss(cls_score, labels)``; dense ``(N, C, H, W)`` scores take
    ``(N, H, W)`` labels, and rows labelled ``ignore_index`` count neither in the sum nor in the mean.
    ``epsilon = 0`` is the plain cross-entropy.

    Args:
        epsilon (float): Smoothing mass spread uniformly over the C classes, in [0, 1). Defaults to 0.1.
        loss_weight (float): Multiplier. Defaults to 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
        ignore_index (int): Label of rows to ignore (mmseg uses 255). Defaults to -100.
    """

    def __init__(self, epsilon: float = 0.1, loss_weight: float = 1.0, reduction: str = 'mean',
                 ignore_index: int = -100) -> None:
        super().__init__()
        if not 0.0 <= epsilon < 1.0:
            raise ValueError(f'epsilon must be in [0, 1) (0.1 in Szegedy et al.), got {epsilon}')
        if reduction not in _REDUCTIONS:
            raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
        self.epsilon = epsilon
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.ignore_index = ignore_index

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Args:
            cls_score (Tensor): Logits, (N, C) or (N, C, *spatial).
            label (Tensor): Class indices, (N, ) or (N, *spatial).
            weight (Tensor, optional): Per-row weights, the shape of ``label``.
            avg_factor (float, optional): Divisor of the ``'mean'`` reduction instead of the number of
                counted rows.
            reduction_override (str, optional): Overrides ``reduction`` for this call.

        Returns:
            Tensor: The loss (a scalar, or per row of ``label`` for ``'none'``).
        """
        reduction = reduction_override or self.reduction
        if reduction not in _REDUCTIONS:
            raise ValueError(f'reduction_override must be one of {_REDUCTIONS}, got {reduction_override!r}')
        expected = cls_score.shape[:1] + cls_score.shape[2:]
        if label.shape != expected:
            raise ValueError(f'labels of shape {tuple(label.shape)} do not fit scores of shape '
                             f'{tuple(cls_score.shape)}: expected class indices of shape {tuple(expected)}')
        logits = flatten_classes(promote(cls_score))
        classes = logits.shape[1]
        target = label.reshape(-1).long()
        valid = target != self.ignore_index
        if bool(((target[valid] < 0) | (target[valid] >= classes)).any()):
            raise ValueError(f'labels must be class indices in [0, {classes}) or ignore_index='
                             f'{self.ignore_index}, got values {target[valid].unique().tolist()}')
        log_p = F.log_softmax(logits, dim=1)
        nll = -log_p.gather(1, target.clamp(0, classes - 1)[:, None]).squeeze(1)
        uniform = -log_p.mean(dim=1)
        loss = ((1.0 - self.epsilon) * nll + self.epsilon * uniform) * valid
        if weight is not None:
            loss = loss * weight.reshape(-1).to(loss.dtype)
        if reduction == 'none':
            loss = loss.reshape(label.shape)
        elif reduction == 'mean' and avg_factor is None:
            avg_factor = valid.sum().clamp(min=1)  # ignored rows do not count
        return self.loss_weight * reduce_loss(loss, reduction, avg_factor=avg_factor)

    def extra_repr(self) -> str:
        return f'epsilon={self.epsilon}, loss_weight={self.loss_weight}, reduction={self.reduction!r}'
