"""Correlation congruence (Peng et al., "Correlation Congruence for Knowledge Distillation", ICCV 2019)."""
import math

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, reduce_loss
from .rkd_loss import embeddings

_KERNELS = ('gaussian', 'bilinear')


def correlation_matrix(x: torch.Tensor, kernel: str = 'gaussian', gamma: float = 0.4,
                       order: int = 2) -> torch.Tensor:
    """CCKD's (N, N) correlation matrix of the L2-normalised embeddings ``f = x / ||x||``.

    - ``'gaussian'``: the order-P Taylor expansion of the Gaussian RBF kernel
      ``exp(-gamma ||f_i - f_j||^2) = exp(-2 gamma) exp(2 gamma f_i . f_j)`` (unit vectors):
      ``k(f_i, f_j) = sum_{p=0}^{P} exp(-2 gamma) (2 gamma)^p / p! (f_i . f_j)^p``.
    - ``'bilinear'``: ``k(f_i, f_j) = f_i . f_j``.

    Args:
        x (Tensor): (N, D) embeddings or (N, C, H, W) features (flattened per sample).
        kernel (str): ``'gaussian'`` or ``'bilinear'``. Defaults to ``'gaussian'``.
        gamma (float): RBF parameter. Defaults to 0.4.
        order (int): Taylor order P. Defaults to 2.

    Returns:
        Tensor: (N, N) correlations.
    """
    f = F.normalize(embeddings(x), dim=1)
    sim = f @ f.t()
    if kernel == 'bilinear':
        return sim
    if kernel != 'gaussian':
        raise ValueError(f'kernel must be one of {_KERNELS}, got {kernel!r}')
    corr = torch.zeros_like(sim)
    power = torch.ones_like(sim)
    for p in range(order + 1):
        corr = corr + (math.exp(-2 * gamma) * (2 * gamma) ** p / math.factorial(p)) * power
        power = power * sim
    return corr


@MODELS.register_module()
class CCKDLoss(DistillLoss):
    """CCKD correlation congruence: ``loss_weight * ||C_s - C_t||_F^2 / N^2`` (Peng et al., ICCV 2019).

    C is the (N, N) correlation of the batch's L2-normalised embeddings under the Taylor-expanded Gaussian
    RBF kernel (or the bilinear kernel), see :func:`correlation_matrix`; defaults gamma = 0.4 and a
    second-order (P = 2) expansion. Student and teacher embedding dims may differ (the correlations are N x N).
    The teacher is detached.

    Args:
        gamma (float): RBF parameter. Defaults to 0.4.
        order (int): Taylor order P (>= 0). Defaults to 2.
        kernel (str): ``'gaussian'`` or ``'bilinear'``. Defaults to ``'gaussian'``.
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, gamma: float = 0.4, order: int = 2, kernel: str = 'gaussian',
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if kernel not in _KERNELS:
            raise ValueError(f'kernel must be one of {_KERNELS}, got {kernel!r}')
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise ValueError(f'order must be an int >= 0, got {order!r}')
        if gamma <= 0:
            raise ValueError(f'gamma must be positive, got {gamma}')
        self.gamma = gamma
        self.order = order
        self.kernel = kernel

    def loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): (N, D_s) or (N, C, H, W).
            teacher (Tensor): (N, D_t) or (N, C', H', W').

        Returns:
            Tensor: Scalar loss.
        """
        if student.shape[0] != teacher.shape[0]:
            raise ValueError(f'student batch {student.shape[0]} != teacher batch {teacher.shape[0]}: CCKD '
                             'correlates the same samples; record both features on the same batch')
        c_s = correlation_matrix(student, self.kernel, self.gamma, self.order)
        c_t = correlation_matrix(teacher, self.kernel, self.gamma, self.order).to(c_s.dtype)
        return reduce_loss((c_s - c_t).pow(2), 'mean')

    def extra_repr(self) -> str:
        return (f'gamma={self.gamma}, order={self.order}, kernel={self.kernel!r}, '
                f'loss_weight={self.loss_weight}')
