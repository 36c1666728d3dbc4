"""Instance relationship graph distillation (Liu et al., "Knowledge Distillation via Instance Relationship
Graph", CVPR 2019)."""
from typing import List, Sequence, Union

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .rkd_loss import pairwise_distances

Layers = Union[torch.Tensor, Sequence[torch.Tensor]]
_EPS = 1e-12


def _layers(features: Layers, side: str) -> List[torch.Tensor]:
    """The instance features of each layer as (N, D) float32 rows: (N, C, *spatial) maps are globally
    average-pooled to (N, C) (as the authors' release, which builds the graph on pooled features)."""
    if isinstance(features, torch.Tensor):
        features = (features, )
    if not isinstance(features, (list, tuple)) or not features:
        raise ValueError(f'IRG expects a tensor or a non-empty tuple of per-layer {side} features (give the '
                         f'distill point a list of positions), got {type(features).__name__}')
    out = []
    for i, x in enumerate(features):
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            raise ValueError(f'{side} layer {i}: expected (N, D) or (N, C, H, W), got '
                             f'{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}')
        x = promote(x)
        out.append(x.flatten(2).mean(dim=2) if x.dim() > 2 else x)
    return out


def _check(student: List[torch.Tensor], teacher: List[torch.Tensor]) -> None:
    if len(student) != len(teacher):
        raise ValueError(f'IRG compares layer by layer: {len(student)} student layers but {len(teacher)} '
                         'teacher layers; give the distill point as many student as teacher positions')
    sizes = {x.shape[0] for x in student + teacher}
    if len(sizes) > 1:
        raise ValueError(f'IRG features have different batch sizes {sorted(sizes)}; record all positions on '
                         'the same batch')


def _max_normalised(x: torch.Tensor) -> torch.Tensor:
    return x / x.max().clamp(min=_EPS)


def irg_vertex(student: Layers, teacher: Layers) -> torch.Tensor:
    """Vertex loss: ``1/N sum_i ||v_s(i) - v_t(i)||_2^2`` on the LAST layer's instance features (logits or
    embeddings), which must have the same dims.

    Args:
        student (Tensor | Sequence[Tensor]): Student layer features; the last is used.
        teacher (Tensor | Sequence[Tensor]): Teacher layer features (detached here).

    Returns:
        Tensor: Scalar loss.
    """
    s, t = _layers(student, 'student')[-1], _layers(teacher, 'teacher')[-1].detach()
    if s.shape != t.shape:
        raise ValueError(f'IRG vertex loss compares the last layer directly, but the student gives '
                         f'{tuple(s.shape)} and the teacher {tuple(t.shape)} (after pooling): use logits of the '
                         'same classes, a connector to the teacher channels on the last position, or '
                         'w_vertex=0')
    return reduce_loss((s - t.to(s.dtype)).pow(2), 'batch')


def irg_edge(student: Layers, teacher: Layers, squared: bool = False) -> torch.Tensor:
    """Edge loss, summed over layers: ``sum_l 1/N ||A_s^l - A_t^l||_F^2``, with A^l the (N, N) Euclidean
    distance matrix of layer l's instance features divided by its maximum entry (the paper's
    normalisation, which makes student and teacher graphs comparable whatever their feature scales and
    dims).

    Args:
        student (Tensor | Sequence[Tensor]): Student layer features.
        teacher (Tensor | Sequence[Tensor]): Teacher layer features (detached here); dims may differ.
        squared (bool): Use squared distances (the authors' Caffe layer) instead. Defaults to False.

    Returns:
        Tensor: Scalar loss.
    """
    s_layers = _layers(student, 'student')
    t_layers = [t.detach() for t in _layers(teacher, 'teacher')]
    _check(s_layers, t_layers)
    loss = s_layers[0].sum() * 0
    for s, t in zip(s_layers, t_layers):
        a_s = _max_normalised(pairwise_distances(s, squared))
        a_t = _max_normalised(pairwise_distances(t.to(s.dtype), squared))
        loss = loss + reduce_loss((a_s - a_t).pow(2), 'batch')
    return loss


def _match_channels(a: torch.Tensor, b: torch.Tensor):
    """Average-pool the wider of two (N, C) rows along channels to the narrower width (groups of adjacent
    channels are averaged: pairs when one layer has twice the channels of the other)."""
    if a.shape[1] > b.shape[1]:
        a = F.adaptive_avg_pool1d(a[:, None], b.shape[1])[:, 0]
    elif b.shape[1] > a.shape[1]:
        b = F.adaptive_avg_pool1d(b[:, None], a.shape[1])[:, 0]
    return a, b


def _transformation(layers: List[torch.Tensor], squared: bool) -> List[torch.Tensor]:
    """For each consecutive pair (l, l + 1): the per-instance distance ||f_l(i) - f_{l+1}(i)||, divided by
    its maximum over the batch."""
    out = []
    for a, b in zip(layers[:-1], layers[1:]):
        a, b = _match_channels(a, b)
        sq = (a - b).pow(2).sum(dim=1)
        dist = sq if squared else sq.clamp(min=_EPS).sqrt()
        out.append(_max_normalised(dist))
    return out


def irg_transform(student: Layers, teacher: Layers, squared: bool = False) -> torch.Tensor:
    """Transformation loss, summed over consecutive layer pairs: ``sum_l 1/N sum_i (d_s^l(i) - d_t^l(i))^2``
    (an MSE over instances), with d^l(i) = ||f_l(i) - f_{l+1}(i)||_2 / max_j ||f_l(j) - f_{l+1}(j)||_2 the
    change of instance i's pooled feature from layer l to layer l + 1 (IRG-t).

    Feature maps are globally average-pooled to (N, C). When two consecutive layers have different channel
    counts, the wider vector is average-pooled along channels to the narrower width (adjacent channels
    averaged), so the distance is defined; each network's distances use only its own layers, so student
    and teacher widths may differ. Normalising by the batch maximum (as the authors' release) makes the
    student and teacher distances comparable.

    Args:
        student (Sequence[Tensor]): Student layer features (at least 2 for a non-zero loss).
        teacher (Sequence[Tensor]): Teacher layer features (detached here).
        squared (bool): Use squared distances (the authors' Caffe layer). Defaults to False.

    Returns:
        Tensor: Scalar loss (0 for a single layer).
    """
    s_layers = _layers(student, 'student')
    t_layers = [t.detach() for t in _layers(teacher, 'teacher')]
    _check(s_layers, t_layers)
    loss = s_layers[0].sum() * 0
    for d_s, d_t in zip(_transformation(s_layers, squared), _transformation(t_layers, squared)):
        loss = loss + reduce_loss((d_s - d_t.to(d_s.dtype)).pow(2), 'mean')
    return loss


@MODELS.register_module()
class IRGLoss(DistillLoss):
    """IRG: ``loss_weight * (w_vertex * L_V + w_edge * L_E + w_transform * L_T)`` (Liu et al., CVPR 2019).

    The point gives lists of positions: student and teacher receive tuples of per-layer features, the last
    one being the logits (or embedding). ``L_V`` (:func:`irg_vertex`) matches the last layer's instance
    features, ``L_E`` (:func:`irg_edge`) every layer's max-normalised instance distance matrix and ``L_T``
    (:func:`irg_transform`) the max-normalised change of each instance between consecutive layers.

    Defaults: 0.005 for the edge and transformation terms are the loss weights of the authors' released
    Caffe configurations (github.com/yufanLIU/IRG, ``IRG.prototxt`` / ``IRG_Transformation.prototxt``),
    and 1.0 for the vertex (logits) term, which those files do not use. Caffe's ``EuclideanLoss`` halves the
    squared sum and divides it by the blob's first dimension (N for the N x N edge matrix, 1 for the
    1 x N transformation vector), and the released layers use squared distances: the released objective
    is ``squared=True, w_edge=0.0025, w_transform=0.0025 * N`` with this module's reductions. The paper's
    own lambda values were not available to check when this was written.

    Args:
        w_vertex (float): Vertex weight. Defaults to 1.0.
        w_edge (float): Edge weight. Defaults to 0.005.
        w_transform (float): Transformation weight. Defaults to 0.005.
        loss_weight (float): Multiplier of the total. Defaults to 1.0.
        squared (bool): Squared Euclidean distances for edges and transformations. Defaults to False.
    """

    def __init__(self, w_vertex: float = 1.0, w_edge: float = 0.005, w_transform: float = 0.005,
                 loss_weight: float = 1.0, squared: bool = False) -> None:
        super().__init__(loss_weight)
        for name, value in (('w_vertex', w_vertex), ('w_edge', w_edge), ('w_transform', w_transform)):
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        self.w_vertex = w_vertex
        self.w_edge = w_edge
        self.w_transform = w_transform
        self.squared = squared

    def loss(self, student: Layers, teacher: Layers) -> torch.Tensor:
        """Args:
            student (Sequence[Tensor]): Per-layer student features, (N, D) or (N, C, H, W); last = logits.
            teacher (Sequence[Tensor]): Per-layer teacher features, as many layers.

        Returns:
            Tensor: Scalar loss.
        """
        s_layers = _layers(student, 'student')
        t_layers = _layers(teacher, 'teacher')
        _check(s_layers, t_layers)
        loss = s_layers[0].sum() * 0
        if self.w_vertex:
            loss = loss + self.w_vertex * irg_vertex(s_layers, t_layers)
        if self.w_edge:
            loss = loss + self.w_edge * irg_edge(s_layers, t_layers, self.squared)
        if self.w_transform:
            loss = loss + self.w_transform * irg_transform(s_layers, t_layers, self.squared)
        return loss

    def extra_repr(self) -> str:
        return (f'w_vertex={self.w_vertex}, w_edge={self.w_edge}, w_transform={self.w_transform}, '
                f'loss_weight={self.loss_weight}, squared={self.squared}')
