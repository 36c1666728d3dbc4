"""FitNets hint loss (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015)."""
from typing import Optional

import torch

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import pixel_weight_of

_NORMALIZE = ('batch', 'mean', 'none')
#: normalize -> reduce_loss reduction
_REDUCTION = dict(batch='batch', mean='mean', none='sum')


def hint_loss(student: torch.Tensor, teacher: torch.Tensor, normalize: str = 'batch',
              weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """FitNets' hint loss ``L_HT = 1/2 * ||u_h - r(v_g)||^2`` (Romero et al., ICLR 2015, Eq. 3).

    ``u_h`` is the teacher's hint feature and ``r(v_g)`` the student's guided feature after the regressor
    (the point's connector, e.g. :class:`mmkd.ConvConnector`). Computed in float32 (float64 stays
    float64); the teacher is detached. A per-pixel ``weight`` multiplies each location's squared error
    (``'mean'`` then averages over the weight).

    Args:
        student (Tensor): Regressed student feature, (N, ...).
        teacher (Tensor): Teacher hint, same shape.
        normalize (str): ``'batch'`` divides the sum by N, ``'mean'`` by the number of elements, ``'none'``
            keeps the sum. Defaults to ``'batch'``.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight of (N, C, H, W) features.

    Returns:
        Tensor: Scalar loss.
    """
    if normalize not in _NORMALIZE:
        raise ValueError(f'normalize must be one of {_NORMALIZE}, got {normalize!r}')
    if student.shape != teacher.shape:
        raise ValueError(f'student feature {tuple(student.shape)} does not match the teacher hint '
                         f'{tuple(teacher.shape)}; regress the student with a connector (e.g. mmkd.ConvConnector '
                         "with out_channels= the teacher channels, resize='bilinear' for another spatial size)")
    if normalize == 'batch' and student.dim() == 0:
        raise ValueError("normalize='batch' needs a batch dimension; got a 0-d student tensor")
    s, t = promote(student, teacher.detach())
    return reduce_loss((s - t).pow(2) / 2, _REDUCTION[normalize], pixel_weight_of(weight, s))


@MODELS.register_module()
class HintLoss(DistillLoss):
    """FitNets: ``loss_weight * 1/2 * ||u_h - r(v_g)||^2``, divided by N (``'batch'``) or averaged over the
    elements (``'mean'``) (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015); see
    :func:`hint_loss`.

    FitNets trains in two stages: the hint stage (this loss alone, task loss weight 0, up to the guided
    layer) and then knowledge distillation of the whole student; express them as the distiller's
    ``stages``.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
        normalize (str): ``'batch'``, ``'mean'`` or ``'none'`` (plain sum). Defaults to ``'batch'``.
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
        """Args:
            student (Tensor): Regressed student feature, (N, C) or (N, C, H, W).
            teacher (Tensor): Teacher hint of the same shape.
            weight (Tensor, optional): Per-pixel weight of (N, C, H, W) features.

        Returns:
            Tensor: Scalar loss.
        """
        return hint_loss(student, teacher, self.normalize, weight)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, normalize={self.normalize!r}{self._ignore_repr()}'
