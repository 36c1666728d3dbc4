"""Probabilistic knowledge transfer (Passalis & Tefas, "Learning Deep Representations with Probabilistic
Knowledge Transfer", ECCV 2018)."""
import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, reduce_loss
from .rkd_loss import embeddings


def conditional_probabilities(x: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """PKT's (N, N) conditional probabilities ``P[i, j] = p_{j|i} = K_ij / sum_{k != i} K_ik``.

    ``K_ij = (f_i . f_j + 1) / 2`` is the cosine-similarity kernel of the L2-normalised embeddings f, in
    [0, 1]; the self-similarity K_ii is left out (``P[i, i] = 0``), as in the paper's definition.

    Args:
        x (Tensor): (N, D) embeddings or (N, C, H, W) features (flattened per sample).
        eps (float): Added to the row sums.

    Returns:
        Tensor: (N, N) rows summing to 1 (for N >= 2).
    """
    f = F.normalize(embeddings(x), dim=1, eps=eps)
    kernel = (f @ f.t() + 1) / 2
    kernel = kernel * ~torch.eye(kernel.shape[0], dtype=torch.bool, device=kernel.device)
    return kernel / (kernel.sum(dim=1, keepdim=True) + eps)


@MODELS.register_module()
class PKTLoss(DistillLoss):
    """PKT: ``loss_weight * 1/N sum_i KL(P_t[i] || P_s[i])`` (Passalis & Tefas, ECCV 2018).

    ``KL(P_t[i] || P_s[i]) = sum_{j != i} p_t(j|i) log((p_t(j|i) + eps) / (p_s(j|i) + eps))`` between the
    teacher's and the student's conditional probability of each sample's neighbours under the cosine
    kernel (:func:`conditional_probabilities`), averaged over the N samples. Student and teacher
    embedding dims may differ. The teacher is detached.

    Args:
        eps (float): Numerical guard in the normalisations and the log. Defaults to 1e-7.
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, eps: float = 1e-7, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.eps = eps

    def loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): (N, D_s) or (N, C, H, W).
            teacher (Tensor): (N, D_t) or (N, C', H', W').

        Returns:
            Tensor: Scalar loss.
        """
        if student.shape[0] != teacher.shape[0]:
            raise ValueError(f'student batch {student.shape[0]} != teacher batch {teacher.shape[0]}: PKT '
                             'compares the same samples; record both features on the same batch')
        p_s = conditional_probabilities(student, self.eps)
        p_t = conditional_probabilities(teacher, self.eps).to(p_s.dtype)
        kl = p_t * (torch.log(p_t + self.eps) - torch.log(p_s + self.eps))
        return reduce_loss(kl, 'batch')

    def extra_repr(self) -> str:
        return f'eps={self.eps}, loss_weight={self.loss_weight}'
