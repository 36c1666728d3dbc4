"""Helpers shared by the distillation losses."""
from typing import Optional, Sequence

import torch


def class_labels(data_samples: Optional[Sequence], device: torch.device) -> torch.Tensor:
    """The ground-truth class index of each sample of a classification batch, as a (N, ) long tensor.

    Args:
        data_samples (Sequence): Data samples carrying ``gt_label`` (``mmkd.ClsDataSample``).
        device (torch.device): Device of the returned tensor.

    Returns:
        Tensor: (N, ) int64 labels.
    """
    if not data_samples or not hasattr(data_samples[0], 'gt_label'):
        raise ValueError('this loss needs the ground-truth class labels: it applies to classifiers whose '
                         'data samples carry `gt_label` (mmkd.ClsDataSample); use the plain target for '
                         'detection or segmentation')
    return torch.cat([s.gt_label.reshape(-1)[:1] for s in data_samples]).to(device=device, dtype=torch.long)


def flatten_classes(logits: torch.Tensor) -> torch.Tensor:
    """(N, C) or dense (N, C, *spatial) class scores -> (M, C) rows, one per sample or location."""
    if logits.dim() < 2:
        raise ValueError(f'class scores must be (N, C) or (N, C, H, W), got shape {tuple(logits.shape)}')
    if logits.dim() == 2:
        return logits
    return logits.movedim(1, -1).reshape(-1, logits.shape[1])
