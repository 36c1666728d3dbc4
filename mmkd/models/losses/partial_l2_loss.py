"""The partial L2 distance of OFD (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
ICCV 2019)."""
import torch
from torch import nn

from mmkd.registry import MODELS

_REDUCTIONS = ('none', 'sum', 'mean')
_NORMALIZE = ('batch', 'none', 'mean')


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
        diff = torch.where((s > t) | (t > 0), s - t, 0.0)
        ctx.save_for_backward(diff)
        return diff.pow(2).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        diff, = ctx.saved_tensors
        grad_s = 2 * grad * diff if ctx.needs_input_grad[0] else None
        grad_t = -2 * grad * diff if ctx.needs_input_grad[1] else None
        return grad_s, grad_t


def partial_l2(student: torch.Tensor, teacher: torch.Tensor, reduction: str = 'sum') -> torch.Tensor:
    """OFD's partial L2 distance (Heo et al., ICCV 2019).

    Elementwise ``d = (s - t)^2``, except ``d = 0`` where ``s <= t <= 0``: a student response below a
    non-positive (margin-ReLU'd) teacher response is not penalised, because the teacher's ReLU discards
    it anyway.

    Low-precision inputs are computed in float32; float64 stays float64.

    Args:
        student (Tensor): Student feature (after the connector).
        teacher (Tensor): Teacher feature (after the teacher transform), same shape.
        reduction (str): ``'none'`` (elementwise), ``'sum'`` or ``'mean'`` (over all elements).
            Defaults to ``'sum'``.

    Returns:
        Tensor: The distance, reduced as asked.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
    _check_shapes(student, teacher)
    dtype = torch.promote_types(torch.promote_types(student.dtype, teacher.dtype), torch.float32)
    s, t = student.to(dtype), teacher.to(dtype)
    if reduction == 'none':
        return (s - t).pow(2) * ((s > t) | (t > 0))
    total = _PartialL2Sum.apply(s, t)
    return total if reduction == 'sum' else total / max(s.numel(), 1)


@MODELS.register_module()
class PartialL2Loss(nn.Module):
    """OFD's distillation loss: ``loss_weight * sum(partial_l2(s, t)) / N``.

    See :func:`partial_l2`. The official recipe sums the distance, divides by the batch size N and by a
    per-stage constant; pass that constant as ``loss_weight`` (e.g. ``1 / (1000 * 2 ** (num_stages - i - 1))``
    for stage i). ``loss_weight`` is a plain attribute, so a distiller may change it at run time for
    schedules. The teacher feature is detached.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        normalize (str): ``'batch'`` divides the sum by the batch size N (``student.shape[0]``), ``'none'``
            keeps the sum, ``'mean'`` averages over all elements. Defaults to ``'batch'``.
    """

    def __init__(self, loss_weight: float = 1.0, normalize: str = 'batch') -> None:
        super().__init__()
        if normalize not in _NORMALIZE:
            raise ValueError(f'normalize must be one of {_NORMALIZE}, got {normalize!r}')
        self.loss_weight = loss_weight
        self.normalize = normalize

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            student (Tensor): Student feature, (N, ...).
            teacher (Tensor): Teacher feature of the same shape (detached here).

        Returns:
            Tensor: Scalar loss (float32, or float64 for float64 inputs).
        """
        _check_shapes(student, teacher)
        if self.normalize == 'mean':
            loss = partial_l2(student, teacher.detach(), reduction='mean')
        else:
            loss = partial_l2(student, teacher.detach(), reduction='sum')
            if self.normalize == 'batch':
                if student.dim() == 0:
                    raise ValueError("normalize='batch' needs a batch dimension; got a 0-d student tensor")
                loss = loss / max(student.shape[0], 1)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, normalize={self.normalize!r}'
