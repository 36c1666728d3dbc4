"""Activation-boundary transfer (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries
Formed by Hidden Neurons", AAAI 2019)."""
from typing import Optional

import torch

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import pixel_weight_of


def ab_loss(student: torch.Tensor, teacher: torch.Tensor, margin: float = 1.0,
            weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """AB's hinge loss (Heo et al., AAAI 2019, Eq. 5), summed over elements and divided by the batch size:

    ``L = 1/N sum( rho(t) * relu(m - s)^2 + (1 - rho(t)) * relu(m + s)^2 )``, ``rho(t) = 1[t > 0]``.

    A neuron the teacher activates (t > 0) must have a student pre-activation above the margin m, an
    inactive one below -m: only the activation boundary is transferred, not the response magnitude.
    A per-pixel ``weight`` multiplies each location's terms.

    Args:
        student (Tensor): Student pre-activation (connector output), (N, ...).
        teacher (Tensor): Teacher pre-activation of the same shape (detached here).
        margin (float): m. Defaults to 1.0.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight of (N, C, H, W) features.

    Returns:
        Tensor: Scalar loss.
    """
    if student.shape != teacher.shape:
        raise ValueError(f'student feature {tuple(student.shape)} and teacher feature {tuple(teacher.shape)} '
                         'differ; map the student with a connector (e.g. mmkd.ConvBNConnector with '
                         "out_channels= the teacher channels, resize='bilinear' for another spatial size)")
    if student.dim() == 0:
        raise ValueError('ABLoss needs a batch dimension; got a 0-d student tensor')
    s, t = promote(student, teacher.detach())
    loss = torch.where(t > 0, (margin - s).clamp(min=0), (margin + s).clamp(min=0)).pow(2)
    return reduce_loss(loss, 'batch', pixel_weight_of(weight, s))


@MODELS.register_module()
class ABLoss(DistillLoss):
    """Activation-boundary loss ``loss_weight * ab_loss(s, t, margin)`` (see :func:`ab_loss`).

    Record the teacher's pre-ReLU feature (``dict(source=..., io='input', call=-1)`` of its ReLU) and the
    student's through a connector to the teacher channels. The paper uses it to initialise the student
    before the task training: one ``stages`` entry with this point and ``task_loss_weight=0``, then the
    task (optionally with KD).

    Args:
        margin (float): m (>= 0). Defaults to 1.0.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int, optional): Segmentation label whose pixels are left out. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, margin: float = 1.0, loss_weight: float = 1.0, ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if margin < 0:
            raise ValueError(f'margin must be >= 0, got {margin}')
        self.margin = margin

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor): Student pre-activation, (N, C, H, W) or (N, D).
            teacher (Tensor): Teacher pre-activation of the same shape.
            weight (Tensor, optional): Per-pixel weight of (N, C, H, W) features.

        Returns:
            Tensor: Scalar loss.
        """
        return ab_loss(student, teacher, self.margin, weight)

    def extra_repr(self) -> str:
        return f'margin={self.margin}, loss_weight={self.loss_weight}{self._ignore_repr()}'
