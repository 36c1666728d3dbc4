"""The prediction-mimicking loss of CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for
Object Detection", CVPR 2024): a quality-focal KD loss on sigmoid class scores and, weighted by the teacher's
confidence, a GIoU loss on the boxes the regression maps decode to or a KL divergence between the box-side
distributions of a GFL head."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss

BOX_CODERS = ('delta', 'distance')
DISTANCE_ACTS = (None, 'relu', 'exp')
NORMALIZE = ('num_gt', 'batch', 'sum')
BOX_LOSSES = ('giou', 'distribution')
BOX_NORMALIZE = (None, 'weight')
# mmdet's DeltaXYWHBBoxCoder clamps dw, dh to |log(16 / 1000)|
DELTA_WH_CLIP = abs(math.log(16 / 1000))


def quality_focal_kd(student: torch.Tensor, teacher: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Per element ``BCE(s, sigma(t)) * |sigma(s) - sigma(t)|^beta`` of logits: the quality focal loss (Li et
    al., NeurIPS 2020) with the teacher's probability as the soft label, CrossKD's classification loss."""
    target = teacher.sigmoid()
    return F.binary_cross_entropy_with_logits(student, target, reduction='none') * \
        (student.sigmoid() - target).abs().pow(beta)


def distribution_kd(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """``tau^2 KL(softmax(t / tau) || softmax(s / tau))`` over the last dimension of logits: the localization
    distillation of a general box distribution (Zheng et al., "Localization Distillation for Dense Object
    Detection", CVPR 2022), which CrossKD applies to the ``reg_max + 1`` bins of each side of a GFL box."""
    log_t = F.log_softmax(teacher / tau, dim=-1)
    return tau**2 * (log_t.exp() * (log_t - F.log_softmax(student / tau, dim=-1))).sum(-1)


def aligned_giou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Generalised IoU (Rezatofighi et al., CVPR 2019) of paired ``(..., 4)`` boxes ``(x1, y1, x2, y2)``:
    ``IoU - (|C| - |A u B|) / |C|``, ``C`` the smallest box enclosing both."""
    area1 = (boxes1[..., 2] - boxes1[..., 0]) * (boxes1[..., 3] - boxes1[..., 1])
    area2 = (boxes2[..., 2] - boxes2[..., 0]) * (boxes2[..., 3] - boxes2[..., 1])
    lt = torch.max(boxes1[..., :2], boxes2[..., :2])
    rb = torch.min(boxes1[..., 2:], boxes2[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = (area1 + area2 - inter).clamp(min=eps)
    enclose = (torch.max(boxes1[..., 2:], boxes2[..., 2:]) - torch.min(boxes1[..., :2], boxes2[..., :2]))
    enclose_area = enclose.clamp(min=0).prod(-1).clamp(min=eps)
    return inter / union - (enclose_area - union) / enclose_area


def decode_unit_boxes(reg: torch.Tensor, coder: str, means: Sequence[float] = (0., 0., 0., 0.),
                      stds: Sequence[float] = (1., 1., 1., 1.), distance_act: Optional[str] = None) -> torch.Tensor:
    """Boxes of (..., 4) regression outputs around a unit prior.

    GIoU is unchanged by any map ``x -> a x + b, y -> c y + d`` with ``a, c > 0`` applied to both boxes, and
    a student and a teacher box at one location decode from the same prior (anchor or point and stride):
    the prior can be the unit one. ``'delta'`` (mmdet's ``DeltaXYWHBBoxCoder``): ``d = reg * stds + means``,
    centre ``(dx, dy)``, size ``exp(dw), exp(dh)`` (dw, dh clamped to ``|log(16/1000)|`` as mmdet does);
    ``'distance'`` (``DistancePointBBoxCoder``, FCOS/ATSS-style): ``(-l, -t, r, b)`` from the point, the
    distances after ``distance_act`` (``'relu'`` for FCOS's ``norm_on_bbox``, ``'exp'``, or None).
    """
    if coder == 'delta':
        d = reg * reg.new_tensor(stds) + reg.new_tensor(means)
        wh = d[..., 2:].clamp(-DELTA_WH_CLIP, DELTA_WH_CLIP).exp()
        return torch.cat([d[..., :2] - 0.5 * wh, d[..., :2] + 0.5 * wh], dim=-1)
    if distance_act == 'relu':
        reg = reg.clamp(min=0)
    elif distance_act == 'exp':
        reg = reg.exp()
    return torch.cat([-reg[..., :2], reg[..., 2:]], dim=-1)


@MODELS.register_module()
class CrossKDLoss(DistillLoss):
    """CrossKD's loss on (class score map, box regression map) pairs of one or more levels (Wang et al., CVPR
    2024).

    ``L = w_cls sum_{l,r,a,k} QFL(s_lrak, t_lrak) / Z + w_box sum_{l,r,a} max_k sigma(t_lrak) D(s_lra, t_lra) / Z_box``

    over levels l, locations r, priors a and classes k: the student side ``s`` is the cross-head prediction
    (the student's head feature run through the teacher's last head layers, :class:`TeacherModuleConnector`),
    ``t`` the teacher's own prediction. Classification mimics the teacher's sigmoid scores at every location
    with the quality focal loss (:func:`quality_focal_kd`); box regression mimics the teacher's boxes where
    the teacher is confident (weight ``max_k sigma(t)``), with ``D`` one of

    - ``'giou'``: ``1 - GIoU`` of the boxes decoded by :func:`decode_unit_boxes` (RetinaNet, FCOS, ATSS);
    - ``'distribution'``: for a GFL head, whose regression map holds ``reg_max + 1`` bin logits per box side,
      the mean over the 4 sides of ``tau^2 KL(softmax(t / tau) || softmax(s / tau))`` over the bins
      (:func:`distribution_kd`), the form the authors' GFL configs use.

    ``Z``: ``'num_gt'`` the number of ground-truth boxes in the batch (from the data samples, at least 1),
    ``'batch'`` the number of images, ``'sum'`` 1. The authors' code divides by the number of positive priors
    the student's assigner finds, which a distillation point does not see; ``'num_gt'`` is the count it is
    proportional to. ``Z_box``: ``Z``, or with ``box_normalize='weight'`` the box weights summed over every
    level, location and prior the call receives (``sum max_k sigma(t)``), as the authors' GFL code divides its
    box-distribution term: give all levels to one point for that sum to run over all of them.

    Student and teacher are tuples ``(cls_0, reg_0, cls_1, reg_1, ...)`` of (N, A*K, H, W) class maps and
    (N, A*4, H, W) (``'giou'``) or (N, A*4*(reg_max+1), H, W) (``'distribution'``) regression maps, level by
    level (channels prior major, and side major within a prior, as mmdet's heads lay them out), or a single
    class score map for classification alone.

    Args:
        beta (float): the focal exponent of the quality focal loss. Defaults to 1.0.
        cls_weight (float): w_cls. Defaults to 1.0.
        box_weight (float): w_box. Defaults to 1.0.
        box_loss (str): ``D``, ``'giou'`` or ``'distribution'``. Defaults to ``'giou'``.
        box_coder (str): for ``'giou'``: ``'delta'`` (anchor heads: RetinaNet, Faster R-CNN's RPN) or
            ``'distance'`` (point heads: FCOS, ATSS-style). Defaults to ``'delta'``.
        target_means (Sequence[float]): the delta coder's means. Defaults to zeros.
        target_stds (Sequence[float]): the delta coder's stds. Defaults to ones.
        distance_act (str, optional): activation of the distances (``'relu'``, ``'exp'``). Defaults to None.
        reg_max (int): for ``'distribution'``: the largest bin of a side, ``reg_max + 1`` bins (GFL's
            ``reg_max``). Defaults to 16.
        tau (float): for ``'distribution'``: the temperature. Defaults to 1.0.
        normalize (str): ``Z``: ``'num_gt'``, ``'batch'`` or ``'sum'``. Defaults to ``'num_gt'``.
        box_normalize (str, optional): ``Z_box``: None (``Z``) or ``'weight'``. Defaults to None.
        loss_weight (float): multiplier. Defaults to 1.0.
    """

    uses_data_samples = True

    def __init__(self, beta: float = 1.0, cls_weight: float = 1.0, box_weight: float = 1.0,
                 box_loss: str = 'giou', box_coder: str = 'delta', target_means: Sequence[float] = (0., 0., 0., 0.),
                 target_stds: Sequence[float] = (1., 1., 1., 1.), distance_act: Optional[str] = None,
                 reg_max: int = 16, tau: float = 1.0, normalize: str = 'num_gt',
                 box_normalize: Optional[str] = None, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight=loss_weight)
        if box_loss not in BOX_LOSSES:
            raise ValueError(f'box_loss must be one of {BOX_LOSSES}, got {box_loss!r}')
        if box_coder not in BOX_CODERS:
            raise ValueError(f'box_coder must be one of {BOX_CODERS}, got {box_coder!r}')
        if distance_act not in DISTANCE_ACTS:
            raise ValueError(f'distance_act must be one of {DISTANCE_ACTS}, got {distance_act!r}')
        if normalize not in NORMALIZE:
            raise ValueError(f'normalize must be one of {NORMALIZE}, got {normalize!r}')
        if box_normalize not in BOX_NORMALIZE:
            raise ValueError(f'box_normalize must be one of {BOX_NORMALIZE}, got {box_normalize!r}')
        if len(target_means) != 4 or len(target_stds) != 4:
            raise ValueError('target_means and target_stds need 4 values (x, y, w, h)')
        if isinstance(reg_max, bool) or not isinstance(reg_max, int) or reg_max < 1:
            raise ValueError(f'reg_max must be an int >= 1 (the GFL head\'s reg_max), got {reg_max!r}')
        if not tau > 0:
            raise ValueError(f'tau must be > 0, got {tau!r}')
        self.beta = beta
        self.cls_weight = cls_weight
        self.box_weight = box_weight
        self.box_loss = box_loss
        self.box_coder = box_coder
        self.target_means = tuple(float(v) for v in target_means)
        self.target_stds = tuple(float(v) for v in target_stds)
        self.distance_act = distance_act
        self.reg_max = reg_max
        self.tau = float(tau)
        self.normalize = normalize
        self.box_normalize = box_normalize

    @property
    def needs_data_samples(self) -> bool:
        return self.normalize == 'num_gt'

    def _normalizer(self, data_samples: Optional[Sequence], batch: int) -> float:
        if self.normalize == 'sum':
            return 1.0
        if self.normalize == 'batch':
            return float(batch)
        if data_samples is None:
            raise ValueError("CrossKDLoss(normalize='num_gt') divides by the ground-truth boxes of the batch and "
                             "needs its data samples; use normalize='batch' to call it without them")
        return float(max(sum(len(sample.gt_instances) for sample in data_samples), 1))

    def _box_terms(self, s_cls: torch.Tensor, t_cls: torch.Tensor, s_reg: torch.Tensor, t_reg: torch.Tensor):
        """The teacher's confidence ``max_k sigma(t)`` and ``D`` per (image, location, prior), (N, H, W, A)."""
        n, _, h, w = s_cls.shape
        per_prior = 4 if self.box_loss == 'giou' else 4 * (self.reg_max + 1)
        priors = s_reg.shape[1] // per_prior
        if not priors or s_reg.shape[1] != per_prior * priors or s_cls.shape[1] % priors:
            what = ('4 channels per prior' if self.box_loss == 'giou' else
                    f'4 * (reg_max + 1) = {per_prior} channels per prior (reg_max={self.reg_max}: set the GFL '
                    "head's reg_max)")
            raise ValueError(f'box regression maps need {what} and class maps the same priors; got '
                             f'{s_reg.shape[1]} regression and {s_cls.shape[1]} class channels')
        # (N, C, H, W) -> (N, H, W, A, K) and (N, H, W, A, per_prior): mmdet's prior-major channel layout
        weight = t_cls.permute(0, 2, 3, 1).reshape(n, h, w, priors, -1).sigmoid().max(dim=-1).values
        s_reg = s_reg.permute(0, 2, 3, 1).reshape(n, h, w, priors, per_prior)
        t_reg = t_reg.permute(0, 2, 3, 1).reshape(n, h, w, priors, per_prior)
        if self.box_loss == 'distribution':
            bins = (n, h, w, priors, 4, self.reg_max + 1)
            return weight, distribution_kd(s_reg.reshape(bins), t_reg.reshape(bins), self.tau).mean(-1)
        kwargs = dict(coder=self.box_coder, means=self.target_means, stds=self.target_stds,
                      distance_act=self.distance_act)
        return weight, 1 - aligned_giou(decode_unit_boxes(s_reg, **kwargs), decode_unit_boxes(t_reg, **kwargs))

    def loss(self, student, teacher, data_samples: Optional[Sequence] = None) -> torch.Tensor:
        if isinstance(student, torch.Tensor):
            student, teacher = (student, ), (teacher, )
        if len(teacher) != len(student) or not (len(student) == 1 or len(student) % 2 == 0):
            raise ValueError('CrossKDLoss takes (class scores, box regression) of each level for the student and '
                             'the teacher, (cls_0, reg_0, cls_1, reg_1, ...), or the class scores alone; got '
                             f'{len(student)} student and {len(teacher)} teacher maps')
        for s, t in zip(student, teacher):
            if s.shape != t.shape or s.dim() != 4:
                raise ValueError(f'CrossKDLoss compares (N, C, H, W) maps of one shape; got student '
                                 f'{tuple(s.shape)} and teacher {tuple(t.shape)}')
        z = self._normalizer(data_samples, student[0].shape[0])
        cls = sum(quality_focal_kd(s, t, self.beta).sum() for s, t in zip(student[::2], teacher[::2]))
        total = self.cls_weight * cls / z
        if len(student) > 1 and self.box_weight:
            box, weights = 0., 0.
            for i in range(0, len(student), 2):
                weight, term = self._box_terms(student[i], teacher[i], student[i + 1], teacher[i + 1])
                box = box + (weight * term).sum()
                weights = weights + weight.sum()
            z_box = weights.clamp(min=1e-6) if self.box_normalize == 'weight' else z
            total = total + self.box_weight * box / z_box
        return total

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, cls_weight={self.cls_weight}, box_weight={self.box_weight}, box_loss='
                f'{self.box_loss!r}, normalize={self.normalize!r}, box_normalize={self.box_normalize!r}, '
                f'loss_weight={self.loss_weight}')
