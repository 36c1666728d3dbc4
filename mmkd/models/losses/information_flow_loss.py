"""Information-flow knowledge distillation (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation
using Information Flow Modeling", CVPR 2020)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from mmkd.utils.progress import training_progress
from .base import DistillLoss, promote, reduce_loss
from .utils import class_labels

_KERNELS = ('cosine', 'student_t')
_DIVERGENCES = ('kl', 'jeffreys')


def _flat(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.dim() < 2:
        raise ValueError(f'each {name} feature must be (N, D) or (N, C, H, W), got shape {tuple(x.shape)}; '
                         'record positions with a batch dimension')
    return promote(x.flatten(1))


def cosine_kernel(x: torch.Tensor) -> torch.Tensor:
    """(N, N) ``K_ij = (cos(x_i, x_j) + 1) / 2`` in [0, 1] (PKT's kernel, Passalis & Tefas, ECCV 2018);
    a zero row has cosine 0 with everything."""
    f = F.normalize(x.flatten(1), dim=1)
    return (f @ f.t() + 1) / 2


def student_t_kernel(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(N, N) ``K_ij = 1 / (1 + ||x_i - x_j||_2)`` (the heavy-tailed kernel of the authors' release);
    the diagonal is exactly 1 and has no gradient."""
    x = x.flatten(1)
    x = x - x.mean(dim=0, keepdim=True)  # translation invariant; keeps |a|^2 + |b|^2 - 2ab from cancelling
    sq_norm = (x * x).sum(dim=1)
    sq = sq_norm[:, None] + sq_norm[None, :] - 2 * x @ x.t()
    eye = torch.eye(x.shape[0], dtype=torch.bool, device=x.device)
    dist = torch.where(eye, torch.zeros_like(sq), sq.clamp(min=eps).sqrt())
    return 1 / (1 + dist)


def label_kernel(labels: torch.Tensor) -> torch.Tensor:
    """(N, N) ``K_ij = 1`` if samples i and j share a class, else 0 (the supervised target)."""
    labels = labels.reshape(-1)
    return (labels[:, None] == labels[None, :]).float()


def kernel_probabilities(kernel: torch.Tensor) -> torch.Tensor:
    """Row-normalised kernel ``P[i, j] = p_{j|i} = K_ij / sum_k K_ik`` (the diagonal included, as in the
    authors' release: a sample alone in its class still has a defined label target)."""
    return kernel / kernel.sum(dim=1, keepdim=True).clamp(min=torch.finfo(kernel.dtype).tiny)


def quadratic_mutual_information(kx: torch.Tensor, ky: torch.Tensor) -> torch.Tensor:
    """Quadratic mutual information from the information potentials of two (N, N) kernels (Torkkola,
    JMLR 2003): ``QMI = V_in + V_all - 2 V_btw`` with

    - ``V_in = 1/N^2 sum_ij Kx_ij Ky_ij``,
    - ``V_all = (1/N^2 sum_ij Kx_ij) (1/N^2 sum_ij Ky_ij)``,
    - ``V_btw = 1/N^3 sum_i (sum_j Kx_ij) (sum_k Ky_ik)``.

    With the label kernel ``Ky`` this is Torkkola's class-conditional estimate of I(X; Y).
    """
    n = kx.shape[0]
    v_in = (kx * ky).sum() / n ** 2
    v_all = kx.sum() / n ** 2 * ky.sum() / n ** 2
    v_btw = (kx.sum(dim=1) * ky.sum(dim=1)).sum() / n ** 3
    return v_in + v_all - 2 * v_btw


@torch.no_grad()
def information_flow(features: Sequence[torch.Tensor], target_kernel: torch.Tensor) -> torch.Tensor:
    """The information-flow vector ``omega_l = QMI(X_l; Y)`` of a network's layers (Passalis et al., CVPR
    2020, Sec. 3): how much each layer's cosine-kernel similarity agrees with the target kernel (labels).

    Args:
        features (Sequence[Tensor]): One (N, ...) feature per layer.
        target_kernel (Tensor): (N, N) kernel of the target (e.g. :func:`label_kernel`).

    Returns:
        Tensor: (L, ) flow values.
    """
    flows = []
    for f in features:
        kx = cosine_kernel(_flat(f.detach(), 'flow'))
        flows.append(quadratic_mutual_information(kx, target_kernel.to(kx.dtype)))
    return torch.stack(flows)


def match_layers(student_flow: torch.Tensor, teacher_flow: torch.Tensor) -> List[int]:
    """Match each student layer to the teacher layer of the closest information flow,
    ``kappa(i) = argmin_j |omega_s[i] - omega_t[j]|`` (ties: the shallower teacher layer).

    Args:
        student_flow (Tensor): (L_s, ) flow of the student layers.
        teacher_flow (Tensor): (L_t, ) flow of the teacher layers.

    Returns:
        list[int]: Teacher layer index of each student layer.
    """
    dist = (student_flow.reshape(-1, 1) - teacher_flow.reshape(1, -1)).abs()
    return dist.argmin(dim=1).tolist()


def probability_divergence(p_t: torch.Tensor, p_s: torch.Tensor, divergence: str = 'jeffreys',
                           eps: float = 1e-6) -> torch.Tensor:
    """Divergence between the target and the student conditional probabilities, averaged over the N^2
    entries (the scale of the authors' release, which its layer weights are tuned for):

    - ``'kl'``: ``mean_ij p_t log((p_t + eps) / (p_s + eps))``,
    - ``'jeffreys'`` (symmetric KL): ``mean_ij (p_t - p_s) (log(p_t + eps) - log(p_s + eps))``.
    """
    log_ratio = torch.log(p_t + eps) - torch.log(p_s + eps)
    weight = p_t if divergence == 'kl' else p_t - p_s
    return reduce_loss(weight * log_ratio, 'mean')


@MODELS.register_module()
class InformationFlowLoss(DistillLoss):
    """Information-flow KD: make each student layer's in-batch conditional probabilities match those of
    its matched teacher layer (Passalis, Tzelepi & Tefas, CVPR 2020).

    For student layer i matched to teacher layer kappa(i), with ``P = kernel_probabilities(K)`` over
    the batch (``K`` the cosine kernel, PKT-style, optionally plus the Student-t kernel)::

        loss = loss_weight * sum_i alpha_i * sum_K D(P_t^{kappa(i)} || P_s^{i})

    - Unsupervised (``supervised=False``): every target is the teacher's in-batch conditional probability.
    - Supervised (``supervised=True``): the last student layer's target is built from the labels,
      ``P_y[i, j] = [y_i = y_j] / #{k: y_k = y_i}`` (samples of the same class similar); the other layers
      follow the teacher. Labels come from ``data_samples`` (``gt_label``; classifiers only).
    - Layer matching: ``matching=None`` pairs layer i with layer i; a list gives the teacher index of each
      student layer; ``'flow'`` applies :func:`match_layers` to the information-flow vectors
      (:func:`information_flow`, QMI with the labels when the batch has them, else with the teacher's last
      layer) re-estimated on every batch without gradient.
    - Critical-period schedule: the last student layer has weight ``final_weight``; intermediate layers
      ``init_weight * decay ** (t // decay_interval)`` with t the epoch (``decay_by='epoch'``) or the
      iteration (``'iter'``, for iteration-based runs) of the training progress
      (:func:`mmkd.utils.progress.training_progress`): strong intermediate-layer supervision early (the
      critical learning period), fading later. The defaults (final weight 1,
      intermediate weight 100 decayed by 0.7 per epoch, Jeffreys divergence, cosine + Student-t kernels,
      mean over the N^2 entries, diagonal included) are those of the authors' CIFAR-10 code release.

    Student and teacher layers may differ in channels and size (only in-batch similarities are compared):
    in a point with lists of positions, use ``connector=dict(type='mmkd.IdentityConnector', strict=False)``
    so that no connector tries to resize a student map to its paired teacher map.

    Approximations: the auxiliary "translator" teacher of the paper (a network between teacher and
    student, trained first) is not part of the loss; distil from such a model by using it as the teacher.
    The exact QMI estimator used by the paper for the flow (matching criterion) is approximated by
    Torkkola's information-potential QMI with the cosine kernel (:func:`quadratic_mutual_information`).
    The supervised variant (label target on the last student layer only) follows the paper's description
    as recalled, not a checked equation; ``supervised=False`` is the variant of the authors' release.

    Args:
        kernels (Sequence[str]): Kernels whose divergences are summed: ``'cosine'`` and/or
            ``'student_t'``. Defaults to ``('cosine', 'student_t')``.
        divergence (str): ``'jeffreys'`` or ``'kl'``. Defaults to ``'jeffreys'``.
        supervised (bool): Label target for the last student layer. Defaults to False.
        matching (None | list[int] | str): Layer matching (see above). Defaults to None.
        init_weight (float): Initial weight of the intermediate layers. Defaults to 100.
        decay (float): Decay factor of the intermediate weights per ``decay_interval``. Defaults to 0.7.
        decay_by (str): ``'epoch'`` or ``'iter'``. Defaults to ``'epoch'``.
        decay_interval (int): Epochs (or iterations) per decay step. Defaults to 1.
        final_weight (float): Weight of the last student layer. Defaults to 1.
        eps (float): Guard inside the logarithms. Defaults to 1e-6.
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self,
                 kernels: Sequence[str] = ('cosine', 'student_t'),
                 divergence: str = 'jeffreys',
                 supervised: bool = False,
                 matching: Union[None, str, Sequence[int]] = None,
                 init_weight: float = 100.0,
                 decay: float = 0.7,
                 decay_by: str = 'epoch',
                 decay_interval: int = 1,
                 final_weight: float = 1.0,
                 eps: float = 1e-6,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        kernels = (kernels, ) if isinstance(kernels, str) else tuple(kernels)
        if not kernels or any(k not in _KERNELS for k in kernels):
            raise ValueError(f'kernels must be a non-empty subset of {_KERNELS}, got {kernels}')
        if divergence not in _DIVERGENCES:
            raise ValueError(f'divergence must be one of {_DIVERGENCES}, got {divergence!r}')
        if isinstance(matching, str) and matching != 'flow':
            raise ValueError(f"matching must be None, 'flow' or a list of teacher layer indices, got {matching!r}")
        if decay_by not in ('epoch', 'iter'):
            raise ValueError(f"decay_by must be 'epoch' or 'iter', got {decay_by!r}")
        if not isinstance(decay_interval, int) or decay_interval < 1:
            raise ValueError(f'decay_interval must be a positive int, got {decay_interval!r}')
        if decay < 0 or init_weight < 0 or final_weight < 0:
            raise ValueError('init_weight, decay and final_weight must be >= 0, got '
                             f'{init_weight}, {decay}, {final_weight}')
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.kernels = kernels
        self.divergence = divergence
        self.supervised = supervised
        self.matching = matching if matching is None or isinstance(matching, str) else list(matching)
        self.init_weight = init_weight
        self.decay = decay
        self.decay_by = decay_by
        self.decay_interval = decay_interval
        self.final_weight = final_weight
        self.eps = eps
        self.last_matching: Optional[List[int]] = None

    def layer_weights(self, num_layers: int, step: int = 0) -> List[float]:
        """alpha_i of the ``num_layers`` student layers at epoch/iteration ``step``."""
        intermediate = self.init_weight * self.decay ** (step // self.decay_interval)
        return [intermediate] * (num_layers - 1) + [self.final_weight]

    def _step(self) -> int:
        it, epoch = training_progress()
        return it if self.decay_by == 'iter' else epoch

    def _kernels(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [cosine_kernel(x) if k == 'cosine' else student_t_kernel(x) for k in self.kernels]

    def _match(self, students: Sequence[torch.Tensor], teachers: Sequence[torch.Tensor],
               labels: Optional[torch.Tensor]) -> List[int]:
        if self.matching is None:
            if len(students) != len(teachers):
                raise ValueError(f'{len(students)} student layers and {len(teachers)} teacher layers: pair '
                                 "them with matching=[teacher index per student layer] or matching='flow'")
            return list(range(len(students)))
        if self.matching == 'flow':
            target = label_kernel(labels) if labels is not None else cosine_kernel(teachers[-1])
            return match_layers(information_flow(students, target), information_flow(teachers, target))
        if len(self.matching) != len(students):
            raise ValueError(f'matching lists {len(self.matching)} teacher layers for {len(students)} student '
                             'layers: give one teacher index per student position')
        bad = [j for j in self.matching if not -len(teachers) <= j < len(teachers)]
        if bad:
            raise ValueError(f'matching indices {bad} are out of range for {len(teachers)} teacher layers')
        return [j % len(teachers) for j in self.matching]

    uses_data_samples = True

    def loss(self,
             student: Sequence[torch.Tensor],
             teacher: Sequence[torch.Tensor],
             data_samples: Optional[Sequence] = None) -> torch.Tensor:
        """Args:
            student (Sequence[Tensor]): Student features, one (N, ...) tensor per layer (shallow to deep).
            teacher (Sequence[Tensor]): Teacher features, one per layer.
            data_samples (Sequence, optional): The batch's data samples; needed with ``supervised=True``,
                used by ``matching='flow'`` when they carry labels.

        Returns:
            Tensor: Scalar loss.
        """
        if isinstance(student, torch.Tensor) or isinstance(teacher, torch.Tensor):
            raise TypeError('InformationFlowLoss compares several layers: give the distillation point lists '
                            'of positions, student=[...] and teacher=[...], so the loss receives tuples')
        if not student or not teacher:
            raise ValueError('InformationFlowLoss needs at least one student and one teacher layer')
        students = [_flat(s, 'student') for s in student]
        teachers = [_flat(t.detach(), 'teacher') for t in teacher]
        batch = {x.shape[0] for x in students + teachers}
        if len(batch) != 1:
            raise ValueError(f'the layers have different batch sizes {sorted(batch)}: all positions must be '
                             'recorded on the same batch')
        labels = None
        if self.supervised:
            labels = class_labels(data_samples, students[0].device)
        elif self.matching == 'flow' and data_samples and hasattr(data_samples[0], 'gt_label'):
            labels = class_labels(data_samples, students[0].device)
        if labels is not None and labels.numel() != students[0].shape[0]:
            raise ValueError(f'{labels.numel()} labels for a batch of {students[0].shape[0]} samples')
        matching = self._match(students, teachers, labels)
        self.last_matching = matching
        weights = self.layer_weights(len(students), self._step())
        loss = students[0].new_zeros(())
        for i, (s, j, alpha) in enumerate(zip(students, matching, weights)):
            if alpha == 0:
                continue
            last = i == len(students) - 1
            with torch.no_grad():
                if self.supervised and last:
                    targets = [kernel_probabilities(label_kernel(labels).to(s.dtype))] * len(self.kernels)
                else:
                    targets = [kernel_probabilities(k.to(s.dtype)) for k in self._kernels(teachers[j])]
            for p_t, k_s in zip(targets, self._kernels(s)):
                loss = loss + alpha * probability_divergence(p_t, kernel_probabilities(k_s),
                                                             self.divergence, self.eps)
        return loss

    def extra_repr(self) -> str:
        return (f'kernels={self.kernels}, divergence={self.divergence!r}, supervised={self.supervised}, '
                f'matching={self.matching!r}, init_weight={self.init_weight}, decay={self.decay}, '
                f'decay_by={self.decay_by!r}, final_weight={self.final_weight}, loss_weight={self.loss_weight}')
