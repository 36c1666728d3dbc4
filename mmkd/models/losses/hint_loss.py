"""FitNets hint loss (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015)."""
import torch
from torch import nn

from mmkd.registry import MODELS

_NORMALIZE = ('batch', 'mean', 'none')


def hint_loss(student: torch.Tensor, teacher: torch.Tensor, normalize: str = 'batch') -> torch.Tensor:
    """FitNets' hint loss ``L_HT = 1/2 * ||u_h - r(v_g)||^2`` (Romero et al., ICLR 2015, Eq. 3).

    ``u_h`` is the teacher's hint feature and ``r(v_g)`` the student's guided feature after the regressor
    (the point's connector, e.g. :class:`mmkd.ConvConnector`). Computed in float32 (float64 stays
    float64); the teacher is detached.

    Args:
        student (Tensor): Regressed student feature, (N, ...).
        teacher (Tensor): Teacher hint, same shape.
        normalize (str): ``'batch'`` divides the sum by N, ``'mean'`` by the number of elements, ``'none'``
            keeps the sum. Defaults to ``'batch'``.

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
    dtype = torch.promote_types(student.dtype, torch.float32)
    total = (student.to(dtype) - teacher.detach().to(dtype)).pow(2).sum() / 2
    if normalize == 'batch':
        return total / max(student.shape[0], 1)
    if normalize == 'mean':
        return total / max(student.numel(), 1)
    return total


@MODELS.register_module()
class HintLoss(nn.Module):
    """FitNets: ``loss_weight * 1/2 * ||u_h - r(v_g)||^2``, divided by N (``'batch'``) or averaged over the
    elements (``'mean'``) (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015); see
    :func:`hint_loss`.

    FitNets trains in two stages: the hint stage (this loss alone, task loss weight 0, up to the guided
    layer) and then knowledge distillation of the whole student; express them as the distiller's
    ``stages``.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
        normalize (str): ``'batch'``, ``'mean'`` or ``'none'`` (plain sum). Defaults to ``'batch'``.
    """

    def __init__(self, loss_weight: float = 1.0, normalize: str = 'batch') -> None:
        super().__init__()
        if normalize not in _NORMALIZE:
            raise ValueError(f'normalize must be one of {_NORMALIZE}, got {normalize!r}')
        self.loss_weight = loss_weight
        self.normalize = normalize

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): Regressed student feature, (N, C) or (N, C, H, W).
            teacher (Tensor): Teacher hint of the same shape (detached here).

        Returns:
            Tensor: Scalar loss.
        """
        return self.loss_weight * hint_loss(student, teacher, self.normalize)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, normalize={self.normalize!r}'
