"""PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
Coefficient", NeurIPS 2022)."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import DistillLoss, promote, reduce_loss
from .utils import Features, feature_pairs, fit_weight


def standardize_maps(feat: torch.Tensor, eps: float = 1e-6, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``(x - mean) / (std + eps)`` of each sample's channel over its (H, W) locations (population std).

    Args:
        feat (Tensor): (N, C, H, W).
        eps (float): Added to the standard deviation (a constant map becomes 0). Defaults to 1e-6.
        weight (Tensor, optional): (N, 1, H, W) per-pixel weight: weighted mean and variance (locations
            of weight 0 take no part).

    Returns:
        Tensor: The standardised feature, same shape.
    """
    if weight is None:
        mean = feat.mean(dim=(2, 3), keepdim=True)
        std = feat.var(dim=(2, 3), unbiased=False, keepdim=True).sqrt()
        return (feat - mean) / (std + eps)
    total = weight.sum(dim=(2, 3), keepdim=True).clamp(min=torch.finfo(feat.dtype).tiny)
    mean = (weight * feat).sum(dim=(2, 3), keepdim=True) / total
    centred = feat - mean
    # the floor keeps sqrt's gradient finite for a map constant over its weighted locations
    var = (weight * centred * centred).sum(dim=(2, 3), keepdim=True) / total
    return centred / (var.clamp(min=torch.finfo(feat.dtype).tiny).sqrt() + eps)


def pkd_loss(student: torch.Tensor, teacher: torch.Tensor, resize_stu: bool = True,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """PKD loss ``mean((z(s) - z(t))^2) / 2`` of standardised maps (Cao et al., NeurIPS 2022, Eq. 5-6).

    ``z`` standardises each sample's channel over (H, W) to zero mean and unit (population) variance, so the
    loss equals ``1 - r`` averaged over samples and channels, with ``r`` the Pearson correlation of the two
    maps: magnitudes and offsets of the features (which differ between FPN levels and between detectors)
    do not matter, only their spatial pattern. If the spatial sizes differ, the student (``resize_stu``) or
    the teacher is resized bilinearly to the other's size. Computed in float32 (float64 stays float64);
    the teacher is detached. With a per-pixel ``weight``, the standardisation uses the weighted mean and
    variance over the locations and the squared difference is averaged over the weight: locations of
    weight 0 take no part.

    Args:
        student (Tensor): Student feature, (N, C, H, W).
        teacher (Tensor): Teacher feature, (N, C, H', W').
        resize_stu (bool): Resize the student to the teacher's size (True) or the teacher to the
            student's (False) when they differ. Defaults to True.
        weight (Tensor, optional): (N, H, W) or (N, 1, H, W) per-pixel weight, fitted to the compared size.

    Returns:
        Tensor: Scalar loss.
    """
    if student.dim() != 4 or teacher.dim() != 4:
        raise ValueError(f'PKD needs (N, C, H, W) feature maps, got student {tuple(student.shape)} and teacher '
                         f'{tuple(teacher.shape)}; pick 4-D positions (e.g. FPN outputs)')
    if student.shape[:2] != teacher.shape[:2]:
        raise ValueError(f'student feature {tuple(student.shape)} and teacher feature {tuple(teacher.shape)} '
                         'differ in batch or channels; map the student with a connector (e.g. '
                         'mmkd.ConvConnector, out_channels= the teacher channels)')
    s, t = promote(student, teacher.detach())
    if s.shape[2:] != t.shape[2:]:
        if resize_stu:
            s = F.interpolate(s, size=t.shape[2:], mode='bilinear', align_corners=False)
        else:
            t = F.interpolate(t, size=s.shape[2:], mode='bilinear', align_corners=False)
    if weight is not None:
        weight = fit_weight(weight, s.shape[2:])
    diff = standardize_maps(s, weight=weight) - standardize_maps(t, weight=weight)
    return reduce_loss(diff.pow(2), 'mean', weight) / 2


@MODELS.register_module()
class PKDLoss(DistillLoss):
    """PKD: ``loss_weight * sum_k mean((z(s_k) - z(t_k))^2) / 2`` over one or several feature pairs
    (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
    Coefficient", NeurIPS 2022); see :func:`pkd_loss`.

    Note: the standardisation is per sample and channel over (H, W), so each term is ``1 - r`` per map;
    the authors' MMRazor implementation standardises each channel over the whole batch (N, H, W) instead.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
        resize_stu (bool): When spatial sizes differ, resize the student to the teacher (True) or the
            teacher to the student (False), bilinearly. Defaults to True.
        ignore_index (int, optional): Segmentation label whose pixels are left out. Defaults to None.
    """

    pixel_weight = True

    def __init__(self, loss_weight: float = 1.0, resize_stu: bool = True, ignore_index: Optional[int] = None) -> None:
        super().__init__(loss_weight, ignore_index)
        self.resize_stu = resize_stu

    def loss(self, student: Features, teacher: Features, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student feature(s), (N, C, H, W) each.
            teacher (Tensor | Sequence[Tensor]): Teacher feature(s), as many.
            weight (Tensor, optional): Per-pixel weight, fitted to each pair's compared size.

        Returns:
            Tensor: Scalar loss (summed over the pairs).
        """
        return sum(pkd_loss(s, t, self.resize_stu, weight) for s, t in feature_pairs(student, teacher, 'PKDLoss'))

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, resize_stu={self.resize_stu}{self._ignore_repr()}'

