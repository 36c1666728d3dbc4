"""The partial L2 distance of OFD (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
ICCV 2019)."""
from typing import Optional

import torch

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import pixel_weight_of

_REDUCTIONS = ('none', 'sum', 'mean', 'batch')
_NORMALIZE = ('batch', 'none', 'mean')
#: normalize -> reduction
_REDUCTION = dict(batch='batch', mean='mean', none='sum')


def _check_shapes(student: torch.Tensor, teacher: torch.Tensor) -> None:
    if student.shape != teacher.shape:
        raise ValueError(f'student feature shape {tuple(student.shape)} does not match teacher feature shape '
                         f'{tuple(teacher.shape)}; map the student feature with a connector (e.g. '
                         'mmkd.ConvBNConnector with out_channels= the teacher channels, and resize= for a '
                         'different spatial size) so that both match')


class _PartialL2Sum(torch.autograd.Function):
    """sum(partial_l2(s, t)) keeping only the masked difference for backward (one tensor of the
    feature's size instead of the difference, the mask, the square and the product autograd would keep)."""

    @staticmethod
    def forward(ctx, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        diff = s - t
        diff.mul_((diff > 0) | (t > 0))  # in place: the one tensor of the feature's size kept for backward
        ctx.save_for_backward(diff)
        flat = diff.reshape(-1)
        return torch.dot(flat, flat)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        diff, = ctx.saved_tensors
        grad_s = 2 * grad * diff if ctx.needs_input_grad[0] else None
        grad_t = -2 * grad * diff if ctx.needs_input_grad[1] else None
        return grad_s, grad_t


def partial_l2(student: torch.Tensor, teacher: torch.Tensor, reduction: str = 'sum',
               weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """OFD's partial L2 distance (Heo et al., ICCV 2019).

    Elementwise ``d = (s - t)^2``, except ``d = 0`` where ``s <= t <= 0``: a student response below a
    non-positive (margin-ReLU'd) teacher response is not penalised, because the teacher's ReLU discards
    it anyway.

    Low-precision inputs are computed in float32; float64 stays float64. Without a weight, the sum keeps
    only the masked difference for backward (:class:`_PartialL2Sum`); a per-pixel ``weight`` multiplies
    each location's distance.

    Args:
        student (Tensor): Student feature (after the connector).
        teacher (Tensor): Teacher feature (after the teacher transform), same shape.
        reduction (str): ``'none'`` (elementwise), ``'sum'``, ``'batch'`` (sum / N) or ``'mean'`` (over all
            elements, or over the weight). Defaults to ``'sum'``.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight of (N, C, H, W) features.

    Returns:
        Tensor: The distance, reduced as asked.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
    _check_shapes(student, teacher)
    s, t = promote(student, teacher)
    if reduction == 'none' or weight is not None:
        distance = (s - t).pow(2) * ((s > t) | (t > 0))
        return reduce_loss(distance, reduction, pixel_weight_of(weight, s))
    if reduction == 'batch' and s.dim() == 0:
        raise ValueError("normalize='batch' needs a batch dimension; got a 0-d student tensor")
    total = _PartialL2Sum.apply(s, t)
    divisor = dict(sum=1, batch=max(s.shape[0], 1) if s.dim() else 1, mean=max(s.numel(), 1))[reduction]
    return total / divisor if divisor != 1 else total


@MODELS.register_module()
class PartialL2Loss(DistillLoss):
    """OFD's distillation loss: ``loss_weight * sum(partial_l2(s, t)) / N``.

    See :func:`partial_l2`. The official recipe sums the distance, divides by the batch size N and by a
    per-stage constant; pass that constant as ``loss_weight`` (e.g. ``1 / (1000 * 2 ** (num_stages - i - 1))``
    for stage i). ``loss_weight`` is a plain attribute, so a distiller may change it at run time for
    schedules. The teacher feature is detached.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        normalize (str): ``'batch'`` divides the sum by the batch size N (``student.shape[0]``), ``'none'``
            keeps the sum, ``'mean'`` averages over all elements. Defaults to ``'batch'``.
        ignore_index (int, optional): Segmentation label whose pixels are left out. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, loss_weight: float = 1.0, normalize: str = 'batch', ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if normalize not in _NORMALIZE:
            raise ValueError(f'normalize must be one of {_NORMALIZE}, got {normalize!r}')
        self.normalize = normalize

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            student (Tensor): Student feature, (N, ...).
            teacher (Tensor): Teacher feature of the same shape.
            weight (Tensor, optional): Per-pixel weight of (N, C, H, W) features.

        Returns:
            Tensor: Scalar loss (float32, or float64 for float64 inputs).
        """
        return partial_l2(student, teacher, _REDUCTION[self.normalize], weight)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, normalize={self.normalize!r}{self._ignore_repr()}'
