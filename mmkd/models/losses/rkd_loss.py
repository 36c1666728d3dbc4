"""Relational knowledge distillation (Park et al., "Relational Knowledge Distillation", CVPR 2019)."""
import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote

_EPS = 1e-12


def embeddings(x: torch.Tensor, name: str = 'feature') -> torch.Tensor:
    """(N, D) embeddings or (N, C, *spatial) features flattened per sample to (N, C * prod(spatial)),
    in float32 (float64 stays float64)."""
    if x.dim() < 2:
        raise ValueError(f'the {name} must be (N, D) embeddings or (N, C, H, W) features, got shape '
                         f'{tuple(x.shape)}; record a position with a batch dimension')
    return promote(x.flatten(1))


def _check_batch(student: torch.Tensor, teacher: torch.Tensor) -> None:
    if student.shape[0] != teacher.shape[0]:
        raise ValueError(f'student batch {student.shape[0]} != teacher batch {teacher.shape[0]}: relational '
                         'losses compare the same samples; record both features on the same batch')


def _gram_distances(x: torch.Tensor):
    """Gram matrix of the batch-centred embeddings and the Euclidean distance matrix from it.

    Distances and angles are translation invariant; centring first keeps ``|a|^2 + |b|^2 - 2 a.b`` from
    cancelling when the embeddings share a large offset. The clamp before the square root keeps the
    gradient finite where two embeddings coincide (the diagonal); the diagonal is then set to 0.
    """
    x = x - x.mean(dim=0, keepdim=True)
    gram = x @ x.t()
    sq_norm = gram.diagonal()
    sq = (sq_norm[:, None] + sq_norm[None, :] - 2 * gram).clamp(min=_EPS)
    off_diag = ~torch.eye(x.shape[0], dtype=torch.bool, device=x.device)
    return gram, sq.sqrt() * off_diag


def pairwise_distances(x: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """(N, N) Euclidean (or squared Euclidean) distances between the rows of (N, D) ``x``; 0 diagonal."""
    _, dist = _gram_distances(x)
    return dist.pow(2) if squared else dist


def _distance_potential(x: torch.Tensor) -> torch.Tensor:
    """psi_D: the distance matrix divided by the mean off-diagonal distance mu."""
    _, dist = _gram_distances(x)
    n = x.shape[0]
    mu = dist.sum() / (n * (n - 1))
    return dist / mu.clamp(min=_EPS)


def _angle_potential(x: torch.Tensor) -> torch.Tensor:
    """psi_A[i, j, k] = <e_ij, e_kj>, e_ij = (x_i - x_j) / ||x_i - x_j||: the cosine of the angle at j.

    From the Gram matrix G: (x_i - x_j) . (x_k - x_j) = G_ik - G_ij - G_kj + G_jj, so no (N, N, D)
    tensor of differences is built (memory N^3 instead of N^2 D).
    """
    gram, dist = _gram_distances(x)
    diag = gram.diagonal()
    # dot[i, j, k] = G_ik - G_ij - G_kj + G_jj
    dot = gram[:, None, :] - gram[:, :, None] - gram.t()[None, :, :] + diag[None, :, None]
    norm = dist.clamp(min=_EPS ** 0.5)
    return dot / (norm[:, :, None] * norm.t()[None, :, :])


def rkd_distance(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """RKD distance-wise loss (Park et al., CVPR 2019, Eq. 4-5).

    psi_D(x_i, x_j) = ||x_i - x_j||_2 / mu, mu = mean of ||x_i - x_j|| over the N(N-1) pairs i != j of the
    batch; the loss is the Huber loss (smooth L1, delta 1) between the student's and the teacher's psi_D,
    averaged over the pairs i != j (the diagonal is 0 for both). Embedding dims may differ.

    Args:
        student (Tensor): (N, D_s) embeddings or (N, C, H, W) features (flattened per sample).
        teacher (Tensor): (N, D_t) or (N, C', H', W'); detached here.

    Returns:
        Tensor: Scalar loss; 0 (with a gradient graph) for a batch of one sample.
    """
    s, t = embeddings(student, 'student'), embeddings(teacher.detach(), 'teacher')
    _check_batch(s, t)
    n = s.shape[0]
    if n < 2:
        return s.sum() * 0
    with torch.no_grad():
        psi_t = _distance_potential(t.to(s.dtype))
    psi_s = _distance_potential(s)
    off_diag = ~torch.eye(n, dtype=torch.bool, device=s.device)
    return F.smooth_l1_loss(psi_s[off_diag], psi_t[off_diag], beta=1.0)


def rkd_angle(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """RKD angle-wise loss (Park et al., CVPR 2019, Eq. 6-7).

    psi_A(x_i, x_j, x_k) = cos(angle x_i x_j x_k) = <e_ij, e_kj>, e_ij = (x_i - x_j) / ||x_i - x_j||_2; the
    loss is the Huber loss (smooth L1, delta 1) between the student's and the teacher's psi_A, averaged
    over the N(N-1)(N-2) triples of distinct samples (a triple with i = j or k = j has no angle; i = k
    gives cos = 1 for both networks). Embedding dims may differ.

    Args:
        student (Tensor): (N, D_s) embeddings or (N, C, H, W) features (flattened per sample).
        teacher (Tensor): (N, D_t) or (N, C', H', W'); detached here.

    Returns:
        Tensor: Scalar loss; 0 (with a gradient graph) for batches of fewer than 3 samples.
    """
    s, t = embeddings(student, 'student'), embeddings(teacher.detach(), 'teacher')
    _check_batch(s, t)
    n = s.shape[0]
    if n < 3:
        return s.sum() * 0
    with torch.no_grad():
        psi_t = _angle_potential(t.to(s.dtype))
    psi_s = _angle_potential(s)
    eye = torch.eye(n, dtype=torch.bool, device=s.device)
    distinct = ~(eye[:, :, None] | eye[:, None, :] | eye[None, :, :])  # i != j, j != k, i != k
    return F.smooth_l1_loss(psi_s[distinct], psi_t[distinct], beta=1.0)


@MODELS.register_module()
class RKDLoss(DistillLoss):
    """RKD: ``loss_weight * (distance_weight * L_D + angle_weight * L_A)`` (Park et al., CVPR 2019).

    See :func:`rkd_distance` and :func:`rkd_angle`. The defaults are the paper's lambda_D = 25 and
    lambda_A = 50. RKD transfers the structure of a batch of embeddings (e.g. pooled backbone features
    or logits): student and teacher dims may differ, so no connector is needed. The teacher is detached.

    Args:
        distance_weight (float): lambda_D. Defaults to 25.0.
        angle_weight (float): lambda_A. Defaults to 50.0.
        loss_weight (float): Multiplier of the total. Defaults to 1.0.
    """

    def __init__(self, distance_weight: float = 25.0, angle_weight: float = 50.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if distance_weight < 0 or angle_weight < 0:
            raise ValueError(f'distance_weight and angle_weight must be >= 0, got {distance_weight} and '
                             f'{angle_weight}')
        self.distance_weight = distance_weight
        self.angle_weight = angle_weight

    def loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): (N, D_s) or (N, C, H, W).
            teacher (Tensor): (N, D_t) or (N, C', H', W').

        Returns:
            Tensor: Scalar loss.
        """
        loss = embeddings(student, 'student').sum() * 0  # keeps the graph when both weights are 0
        if self.distance_weight:
            loss = loss + self.distance_weight * rkd_distance(student, teacher)
        if self.angle_weight:
            loss = loss + self.angle_weight * rkd_angle(student, teacher)
        return loss

    def extra_repr(self) -> str:
        return (f'distance_weight={self.distance_weight}, angle_weight={self.angle_weight}, '
                f'loss_weight={self.loss_weight}')
