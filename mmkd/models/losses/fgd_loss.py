"""Focal and global distillation (Yang et al., "Focal and Global Knowledge Distillation for Detectors",
CVPR 2022)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.validation import check_positive_ints
from .base import DistillLoss
from .utils import check_feature_maps


def feature_attention(feature: torch.Tensor, temperature: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """FGD's spatial and channel attention of a (N, C, H, W) feature (the paper's Eq. 3-4):
    ``A^S = H W softmax(mean_c |F| / T)`` over the H x W locations, (N, H, W), and
    ``A^C = C softmax(mean_hw |F| / T)`` over the channels, (N, C)."""
    n, c, h, w = feature.shape
    value = feature.abs()
    spatial = h * w * F.softmax(value.mean(dim=1).reshape(n, -1) / temperature, dim=1)
    channel = c * F.softmax(value.mean(dim=(2, 3)) / temperature, dim=1)
    return spatial.reshape(n, h, w), channel


def box_masks(boxes: Sequence[torch.Tensor], input_sizes: Sequence[Tuple[int, int]], height: int, width: int,
              dtype: torch.dtype = torch.float32,
              device: Optional[torch.device] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """FGD's foreground scale mask and normalised background mask on an H x W feature map.

    Each box ``(x1, y1, x2, y2)``, in the coordinates of an input of size ``(h_in, w_in)``, is scaled to
    the map (x by ``width / w_in``, y by ``height / h_in``) and covers the cells it overlaps: columns
    ``floor(x1) .. ceil(x2) - 1``, rows ``floor(y1) .. ceil(y2) - 1`` (at least one each, clipped to the
    map). Its cells get the scale ``1 / (H_r W_r)``, ``H_r W_r`` the number of cells it covers; a cell in
    several boxes keeps the largest scale (the smallest box). The background mask is 1 on the cells outside
    every box divided by their number (all zeros when boxes cover the whole map).

    Args:
        boxes (Sequence[Tensor]): One (K_i, 4) tensor per image, possibly empty.
        input_sizes (Sequence[tuple]): ``(h_in, w_in)`` per image: the input the boxes refer to.
        height (int): Feature map height H.
        width (int): Feature map width W.

    Returns:
        tuple[Tensor, Tensor]: foreground scale mask and background mask, each (N, H, W).
    """
    n = len(boxes)
    fg = torch.zeros(n, height, width, dtype=dtype, device=device)
    for i, (img_boxes, (h_in, w_in)) in enumerate(zip(boxes, input_sizes)):
        for x1, y1, x2, y2 in img_boxes.detach().double().cpu().tolist():
            if x2 <= 0 or y2 <= 0 or x1 >= w_in or y1 >= h_in:
                continue  # outside the input
            c0 = min(max(math.floor(x1 * width / w_in), 0), width - 1)
            r0 = min(max(math.floor(y1 * height / h_in), 0), height - 1)
            c1 = min(max(math.ceil(x2 * width / w_in), c0 + 1), width)
            r1 = min(max(math.ceil(y2 * height / h_in), r0 + 1), height)
            scale = 1.0 / ((r1 - r0) * (c1 - c0))
            fg[i, r0:r1, c0:c1] = fg[i, r0:r1, c0:c1].clamp(min=scale)
    bg = (fg == 0).to(dtype)
    bg = bg / bg.sum(dim=(1, 2), keepdim=True).clamp(min=1)
    return fg, bg


def _boxes_and_sizes(data_samples: Optional[Sequence], n: int) -> Tuple[List[torch.Tensor], List[tuple]]:
    if data_samples is None or len(data_samples) != n:
        raise ValueError(f'FGDLoss needs the data samples of the batch ({n} images) with gt_instances.bboxes; '
                         f'got {None if data_samples is None else len(data_samples)}')
    boxes, sizes = [], []
    for sample in data_samples:
        bboxes = sample.gt_instances.bboxes
        bboxes = getattr(bboxes, 'tensor', bboxes)  # mmdet's HorizontalBoxes
        meta = sample.metainfo
        size = meta.get('batch_input_shape', meta.get('pad_shape', meta.get('img_shape')))
        if size is None:
            raise ValueError('FGDLoss scales the boxes by the input size: the data samples need '
                             "'batch_input_shape' (set by mmdet's data preprocessor) or 'img_shape'")
        boxes.append(torch.as_tensor(bboxes).reshape(-1, 4))
        sizes.append(tuple(size[:2]))
    return boxes, sizes


class GcBlock(nn.Module):
    """FGD's global relation ``R(F) = F + W_v2(ReLU(LN(W_v1(sum_j softmax_j(W_k F_j) F_j))))`` (GCNet's
    context modelling + transform, added to every location). ``W_k`` is kaiming-initialised, ``W_v2``
    zero-initialised (``R`` starts as the identity), as the authors do."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = max(channels // 2, 1)
        self.context = nn.Conv2d(channels, 1, 1)
        self.transform = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.LayerNorm([hidden, 1, 1]),
                                       nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))
        nn.init.kaiming_normal_(self.context.weight, mode='fan_in', nonlinearity='relu')
        nn.init.zeros_(self.context.bias)
        nn.init.zeros_(self.transform[-1].weight)
        nn.init.zeros_(self.transform[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        weights = F.softmax(self.context(x).reshape(n, 1, h * w), dim=2)  # (N, 1, HW)
        context = torch.bmm(x.reshape(n, c, h * w), weights.transpose(1, 2)).reshape(n, c, 1, 1)
        return x + self.transform(context)


@MODELS.register_module()
class FGDLoss(DistillLoss):
    """FGD: ``alpha L_fg + beta L_bg + gamma L_at + lambda L_global`` (Yang et al., CVPR 2022, Eq. 5-10).

    With ``s`` the student feature (aligned to the teacher's channels by a 1x1 convolution when the counts
    differ), ``t`` the teacher feature, ``A^S`` / ``A^C`` the spatial / channel attention
    (:func:`feature_attention`, temperature ``T``), ``M`` the foreground scale mask and ``B`` the
    normalised background mask of the ground-truth boxes (:func:`box_masks`), all sums over the batch
    divided by the batch size N:

    - ``L_fg = sum M A^S_t A^C_t (s - t)^2``, ``L_bg = sum B A^S_t A^C_t (s - t)^2`` (focal: the teacher's
      attention weights each location and channel);
    - ``L_at = sum |A^S_s - A^S_t| + sum |A^C_s - A^C_t|`` (attention loss, L1);
    - ``L_global = sum (R_s(s) - R_t(t))^2``, ``R`` a GcBlock (:class:`GcBlock`), one for the student and
      one for the teacher feature, both trained with the student.

    The boxes are the data samples' ``gt_instances.bboxes`` in the coordinates of the batch input; they
    are scaled to the feature map by ``batch_input_shape`` (the padded input the feature map covers;
    ``img_shape`` when absent). The defaults are the authors' (github.com/yzd-v/FGD): ``T = 0.5``,
    ``alpha = 1e-3``, ``beta = 5e-4``, ``gamma = 1e-3``, ``lambda = 5e-6`` (their RetinaNet configs use
    ``gamma = 5e-4``; two-stage ones scale all four down). The authors' code marks the cells of a box from
    ``floor(x1)`` to ``ceil(x2)`` inclusive, one cell beyond the box; here a box covers the cells it
    overlaps, as the paper's ``H_r W_r``.

    Args:
        student_channels (int): Channels of the student feature.
        teacher_channels (int): Channels of the teacher feature.
        temperature (float): ``T`` of the attention. Defaults to 0.5.
        alpha_fgd (float): Weight of the foreground term. Defaults to 1e-3.
        beta_fgd (float): Weight of the background term. Defaults to 5e-4.
        gamma_fgd (float): Weight of the attention term. Defaults to 1e-3.
        lambda_fgd (float): Weight of the global term. Defaults to 5e-6.
        loss_weight (float): Multiplies the sum. Defaults to 1.0.
    """

    uses_data_samples = True

    def __init__(self, student_channels: int, teacher_channels: int, temperature: float = 0.5,
                 alpha_fgd: float = 1e-3, beta_fgd: float = 5e-4, gamma_fgd: float = 1e-3,
                 lambda_fgd: float = 5e-6, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        check_positive_ints(student_channels=student_channels, teacher_channels=teacher_channels)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.temperature = temperature
        self.alpha_fgd, self.beta_fgd, self.gamma_fgd, self.lambda_fgd = alpha_fgd, beta_fgd, gamma_fgd, lambda_fgd
        self.align = (nn.Conv2d(student_channels, teacher_channels, 1)
                      if student_channels != teacher_channels else None)
        self.student_relation = GcBlock(teacher_channels)
        self.teacher_relation = GcBlock(teacher_channels)

    def compute_dtype(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.dtype:
        """The dtype of the loss's layers (float32 unless converted)."""
        return self.student_relation.context.weight.dtype

    def terms(self, student: torch.Tensor, teacher: torch.Tensor,
              data_samples: Optional[Sequence] = None) -> Dict[str, torch.Tensor]:
        """The four unweighted terms ``fg``, ``bg``, ``attention``, ``global`` (each a sum divided by N)."""
        check_feature_maps('FGDLoss', student, teacher, self.student_channels, self.teacher_channels)
        n, _, h, w = teacher.shape
        boxes, sizes = _boxes_and_sizes(data_samples, n)
        fg, bg = box_masks(boxes, sizes, h, w, dtype=teacher.dtype, device=teacher.device)
        s = self.align(student) if self.align is not None else student
        spatial_t, channel_t = feature_attention(teacher, self.temperature)
        spatial_s, channel_s = feature_attention(s, self.temperature)
        sq = (s - teacher).pow(2) * spatial_t[:, None] * channel_t[:, :, None, None]
        return dict(
            fg=(sq * fg[:, None]).sum() / n,
            bg=(sq * bg[:, None]).sum() / n,
            attention=((spatial_s - spatial_t).abs().sum() + (channel_s - channel_t).abs().sum()) / n,
            **{'global': (self.student_relation(s) - self.teacher_relation(teacher)).pow(2).sum() / n})

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             data_samples: Optional[Sequence] = None) -> torch.Tensor:
        """Args:
            student (Tensor): Student feature, (N, student_channels, H, W).
            teacher (Tensor): Teacher feature, (N, teacher_channels, H, W).
            data_samples (Sequence): The batch's detection data samples (``gt_instances.bboxes``).

        Returns:
            Tensor: Scalar loss.
        """
        t = self.terms(student, teacher, data_samples)
        return (self.alpha_fgd * t['fg'] + self.beta_fgd * t['bg'] + self.gamma_fgd * t['attention']
                + self.lambda_fgd * t['global'])

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, alpha_fgd={self.alpha_fgd}, beta_fgd={self.beta_fgd}, '
                f'gamma_fgd={self.gamma_fgd}, lambda_fgd={self.lambda_fgd}, loss_weight={self.loss_weight}')
