"""Hinton knowledge distillation (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015),
with the Born-Again target variants (Furlanello et al., "Born-Again Neural Networks", ICML 2018)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, reduce_loss
from .utils import class_labels, feature_pairs, fit_weight, flatten_classes, kl_divergence

_TARGETS = ('soft', 'cwtm', 'dkpp')


def permute_non_argmax(probs: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Born-Again "dark knowledge with permuted predictions" (DKPP): keep each row's arg-max probability
    in place and randomly permute the remaining C - 1 probabilities among the other classes."""
    rows, classes = probs.shape
    top = probs.argmax(dim=1, keepdim=True)
    order = torch.rand(rows, classes, generator=generator, device='cpu').to(probs.device)
    order.scatter_(1, top, 2.0)  # the arg-max sorts last and keeps its slot
    perm = order.argsort(dim=1)  # perm[:, :C-1]: a random order of the non-argmax classes
    others = torch.arange(classes, device=probs.device).expand(rows, classes).masked_select(
        torch.ones_like(probs, dtype=torch.bool).scatter_(1, top, False)).view(rows, classes - 1)
    out = probs.clone()
    out.scatter_(1, others, probs.gather(1, perm[:, :classes - 1]))
    return out


@MODELS.register_module()
class KDLoss(DistillLoss):
    """Soft-target distillation ``loss_weight * tau^2 * KL(softmax(t / tau) || softmax(s / tau))``.

    The tau^2 factor keeps the soft-target gradient magnitude independent of the temperature
    (Hinton et al., 2015, Sec. 2); the hard-target term is the student's own task loss. The KL is summed
    over classes and averaged over the rows: samples for (N, C) logits, samples x locations for dense
    (N, C, H, W) scores (segmentation maps, detector score maps). With a per-pixel weight (dense scores;
    ``ignore_index`` or ``weight=``), the KL of each location is weighted and the mean runs over the
    weight, so ignored pixels count neither in the sum nor in the mean.

    Anchor-based detectors with a softmax classifier (mmdet's SSD head) score ``A`` anchors per location:
    their (N, A * K, H, W) maps hold each anchor's K class scores (background included) one after the other.
    With ``scores_per_anchor=K`` the softmax runs over each anchor's K scores and the mean over the
    N * A * H * W anchors (of all levels, when the point lists one map per level): the per-anchor soft-target
    loss of Chen et al. ("Learning Efficient Object Detection Models with Knowledge Distillation", NeurIPS
    2017).

    Born-Again targets (Furlanello et al., ICML 2018, Sec. 3.2), for classifiers:

    - ``'cwtm'`` (confidence-weighted by teacher max, "reweight only"): no soft target; each sample's
      cross-entropy to its label is weighted by ``max_c p_t / sum_j max_c p_t(j)`` (summed over the batch).
    - ``'dkpp'`` (dark knowledge with permuted predictions): the teacher distribution with its non-argmax
      probabilities randomly permuted, so only the arg-max and the shape of the "dark knowledge" survive.

    Args:
        tau (float): Temperature. Defaults to 4.0.
        loss_weight (float): Multiplier. Defaults to 1.0.
        target (str): ``'soft'`` (Hinton), ``'cwtm'`` or ``'dkpp'``. Defaults to ``'soft'``.
        ignore_index (int, optional): Segmentation label whose pixels are left out (dense scores).
            Defaults to None.
        scores_per_anchor (int, optional): Scores per anchor K of dense (N, A * K, H, W) detector maps; None:
            the channels are the classes. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0, target: str = 'soft',
                 ignore_index: Optional[int] = None, scores_per_anchor: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        if target not in _TARGETS:
            raise ValueError(f'target must be one of {_TARGETS}, got {target!r}')
        if scores_per_anchor is not None:
            if scores_per_anchor < 2:
                raise ValueError(f'scores_per_anchor must be at least 2, got {scores_per_anchor}')
            if target != 'soft' or ignore_index is not None:
                raise ValueError("scores_per_anchor (a detector's anchor scores) takes target='soft' and no "
                                 'ignore_index')
        self.tau = tau
        self.target = target
        self.scores_per_anchor = scores_per_anchor

    @property
    def uses_data_samples(self) -> bool:
        """``'cwtm'`` reads the labels."""
        return self.target == 'cwtm'

    def loss(self, student: torch.Tensor, teacher: torch.Tensor, data_samples: Optional[Sequence] = None,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student logits, (N, C) or (N, C, *spatial); a sequence
                (one map per level) pools the rows of all maps into one mean.
            teacher (Tensor | Sequence[Tensor]): Teacher logits of the same shape(s).
            data_samples (Sequence, optional): Needed by ``target='cwtm'`` for the labels.
            weight (Tensor, optional): Per-pixel weight of dense (N, C, H, W) scores.

        Returns:
            Tensor: Scalar loss.
        """
        pairs = feature_pairs(student, teacher, 'KDLoss')
        for s_i, t_i in pairs:
            if s_i.shape != t_i.shape:
                raise ValueError(f'student logits {tuple(s_i.shape)} and teacher logits '
                                 f'{tuple(t_i.shape)} differ: distil positions with the same classes')
        if len(pairs) > 1 and (weight is not None or self.target != 'soft'):
            raise ValueError("a point with several positions (score maps of several levels) takes target='soft' "
                             'and no per-pixel weight')
        if self.scores_per_anchor is not None:
            if weight is not None:
                raise ValueError('a per-pixel weight does not apply to per-anchor scores (scores_per_anchor=)')
            pairs = [(self._anchors_as_rows(s_i), self._anchors_as_rows(t_i)) for s_i, t_i in pairs]
        s = torch.cat([flatten_classes(s_i) for s_i, _ in pairs])
        t = torch.cat([flatten_classes(t_i) for _, t_i in pairs])
        if weight is not None:
            scores = pairs[0][0]
            if scores.dim() != 4:
                raise ValueError(f'a per-pixel weight needs dense (N, C, H, W) scores, got {tuple(scores.shape)}')
            weight = fit_weight(weight, scores.shape[2:]).reshape(-1)
        if self.target == 'cwtm':
            labels = class_labels(data_samples, s.device)
            confidence = F.softmax(t, dim=1).max(dim=1).values
            return reduce_loss(F.cross_entropy(s, labels, reduction='none'), 'sum', confidence / confidence.sum())
        log_p_s = F.log_softmax(s / self.tau, dim=1)
        if self.target == 'dkpp':
            kl = kl_divergence(log_p_s, permute_non_argmax(F.softmax(t / self.tau, dim=1)), log_target=False)
        else:
            kl = kl_divergence(log_p_s, F.log_softmax(t / self.tau, dim=1))
        return self.tau ** 2 * reduce_loss(kl, 'mean', weight)

    def _anchors_as_rows(self, scores: torch.Tensor) -> torch.Tensor:
        """(N, A * K, *spatial) anchor-major scores -> (N, K, A, *spatial): one row of K per anchor."""
        k = self.scores_per_anchor
        if scores.dim() < 3 or scores.shape[1] % k:
            raise ValueError(f'scores_per_anchor={k} needs dense (N, A * {k}, H, W) scores, got shape '
                             f'{tuple(scores.shape)}: set scores_per_anchor to the head\'s scores '
                             'per anchor (SSD: the dataset classes + 1 for the background)')
        n, channels = scores.shape[:2]
        return scores.reshape(n, channels // k, k, *scores.shape[2:]).movedim(2, 1)

    def extra_repr(self) -> str:
        anchors = '' if self.scores_per_anchor is None else f', scores_per_anchor={self.scores_per_anchor}'
        return (f'tau={self.tau}, loss_weight={self.loss_weight}, target={self.target!r}{anchors}'
                f'{self._ignore_repr()}')
