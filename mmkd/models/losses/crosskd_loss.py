"""The prediction-mimicking loss of CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for
Object Detection", CVPR 2024): a quality-focal KD loss on sigmoid class scores and a GIoU loss on the boxes
the regression maps decode to, weighted by the teacher's confidence."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss

BOX_CODERS = ('delta', 'distance')
DISTANCE_ACTS = (None, 'relu', 'exp')
NORMALIZE = ('num_gt', 'batch', 'sum')
# mmdet's DeltaXYWHBBoxCoder clamps dw, dh to |log(16 / 1000)|
DELTA_WH_CLIP = abs(math.log(16 / 1000))


def quality_focal_kd(student: torch.Tensor, teacher: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Per element ``BCE(s, sigma(t)) * |sigma(s) - sigma(t)|^beta`` of logits: the quality focal loss (Li et
    al., NeurIPS 2020) with the teacher's probability as the soft label, CrossKD's classification loss."""
    target = teacher.sigmoid()
    return F.binary_cross_entropy_with_logits(student, target, reduction='none') * \
        (student.sigmoid() - target).abs().pow(beta)


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
    """CrossKD's loss on one level's (class score map, box regression map) pair (Wang et al., CVPR 2024).

    ``L = (w_cls sum_{r,a,k} QFL(s_rak, t_rak) + w_box sum_{r,a} max_k sigma(t_rak) (1 - GIoU(B(s_ra), B(t_ra)))) / Z``

    over locations r, priors a and classes k: the student side ``s`` is the cross-head prediction (the
    student's head feature run through the teacher's last head layers, :class:`TeacherModuleConnector`),
    ``t`` the teacher's own prediction. Classification mimics the teacher's sigmoid scores at every location
    with the quality focal loss (:func:`quality_focal_kd`); box regression mimics the teacher's boxes with
    GIoU where the teacher is confident (weight ``max_k sigma(t)``), the boxes decoded by
    :func:`decode_unit_boxes`. ``Z``: ``'num_gt'`` the number of ground-truth boxes in the batch (from the
    data samples, at least 1), ``'batch'`` the number of images, ``'sum'`` 1. The authors' code divides by
    the number of positive priors the student's assigner finds, which a distillation point does not see;
    ``'num_gt'`` is the count it is proportional to.

    Student and teacher are tuples ``(cls, reg)`` of (N, A*K, H, W) and (N, A*4, H, W) maps (channels prior
    major, as mmdet's heads lay them out), or a single class score map for classification alone.

    Args:
        beta (float): the focal exponent of the quality focal loss. Defaults to 1.0.
        cls_weight (float): w_cls. Defaults to 1.0.
        box_weight (float): w_box. Defaults to 1.0.
        box_coder (str): ``'delta'`` (anchor heads: RetinaNet, Faster R-CNN's RPN) or ``'distance'`` (point
            heads: FCOS, ATSS-style). Defaults to ``'delta'``.
        target_means (Sequence[float]): the delta coder's means. Defaults to zeros.
        target_stds (Sequence[float]): the delta coder's stds. Defaults to ones.
        distance_act (str, optional): activation of the distances (``'relu'``, ``'exp'``). Defaults to None.
        normalize (str): ``'num_gt'``, ``'batch'`` or ``'sum'``. Defaults to ``'num_gt'``.
        loss_weight (float): multiplier. Defaults to 1.0.
    """

    uses_data_samples = True

    def __init__(self, beta: float = 1.0, cls_weight: float = 1.0, box_weight: float = 1.0,
                 box_coder: str = 'delta', target_means: Sequence[float] = (0., 0., 0., 0.),
                 target_stds: Sequence[float] = (1., 1., 1., 1.), distance_act: Optional[str] = None,
                 normalize: str = 'num_gt', loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight=loss_weight)
        if box_coder not in BOX_CODERS:
            raise ValueError(f'box_coder must be one of {BOX_CODERS}, got {box_coder!r}')
        if distance_act not in DISTANCE_ACTS:
            raise ValueError(f'distance_act must be one of {DISTANCE_ACTS}, got {distance_act!r}')
        if normalize not in NORMALIZE:
            raise ValueError(f'normalize must be one of {NORMALIZE}, got {normalize!r}')
        if len(target_means) != 4 or len(target_stds) != 4:
            raise ValueError('target_means and target_stds need 4 values (x, y, w, h)')
        self.beta = beta
        self.cls_weight = cls_weight
        self.box_weight = box_weight
        self.box_coder = box_coder
        self.target_means = tuple(float(v) for v in target_means)
        self.target_stds = tuple(float(v) for v in target_stds)
        self.distance_act = distance_act
        self.normalize = normalize

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

    def loss(self, student, teacher, data_samples: Optional[Sequence] = None) -> torch.Tensor:
        if isinstance(student, torch.Tensor):
            student, teacher = (student, ), (teacher, )
        if len(student) not in (1, 2) or len(teacher) != len(student):
            raise ValueError('CrossKDLoss takes (class scores, box regression) for the student and the teacher, '
                             f'or the class scores alone; got {len(student)} student and {len(teacher)} teacher maps')
        for s, t in zip(student, teacher):
            if s.shape != t.shape or s.dim() != 4:
                raise ValueError(f'CrossKDLoss compares (N, C, H, W) maps of one shape; got student '
                                 f'{tuple(s.shape)} and teacher {tuple(t.shape)}')
        s_cls, t_cls = student[0], teacher[0]
        n, _, h, w = s_cls.shape
        total = self.cls_weight * quality_focal_kd(s_cls, t_cls, self.beta).sum()
        if len(student) == 2 and self.box_weight:
            s_reg, t_reg = student[1], teacher[1]
            priors = s_reg.shape[1] // 4
            if s_reg.shape[1] != 4 * priors or s_cls.shape[1] % priors:
                raise ValueError(f'box regression maps need 4 channels per prior and class maps the same priors; '
                                 f'got {s_reg.shape[1]} regression and {s_cls.shape[1]} class channels')
            # (N, C, H, W) -> (N, H, W, A, K) and (N, H, W, A, 4): mmdet's prior-major channel layout
            t_prob = t_cls.permute(0, 2, 3, 1).reshape(n, h, w, priors, -1).sigmoid()
            weight = t_prob.max(dim=-1).values
            kwargs = dict(coder=self.box_coder, means=self.target_means, stds=self.target_stds,
                          distance_act=self.distance_act)
            s_box = decode_unit_boxes(s_reg.permute(0, 2, 3, 1).reshape(n, h, w, priors, 4), **kwargs)
            t_box = decode_unit_boxes(t_reg.permute(0, 2, 3, 1).reshape(n, h, w, priors, 4), **kwargs)
            total = total + self.box_weight * (weight * (1 - aligned_giou(s_box, t_box))).sum()
        return total / self._normalizer(data_samples, n)

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, cls_weight={self.cls_weight}, box_weight={self.box_weight}, box_coder='
                f'{self.box_coder!r}, normalize={self.normalize!r}, loss_weight={self.loss_weight}')
