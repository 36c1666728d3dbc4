"""Helpers shared by the distillation losses."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F


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


def kl_divergence(log_q: torch.Tensor, target: torch.Tensor, dim: int = 1,
                  log_target: bool = True) -> torch.Tensor:
    """``KL(p || q) = sum_c p_c (log p_c - log q_c)`` along ``dim`` (0 log 0 = 0): the one KL of mmkd.

    Args:
        log_q (Tensor): log q, e.g. ``log_softmax(student / tau)``.
        target (Tensor): log p (``log_target=True``) or p.
        dim (int): The class dimension summed over. Defaults to 1.
        log_target (bool): Whether ``target`` holds log-probabilities. Defaults to True.

    Returns:
        Tensor: The divergence of each row, ``dim`` reduced. Gradients reach both arguments (detach a fixed
        target).
    """
    return F.kl_div(log_q, target, reduction='none', log_target=log_target).sum(dim)


def softmax_kl(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0, dim: int = 1) -> torch.Tensor:
    """``KL(softmax(teacher / tau) || softmax(student / tau))`` of each row (:func:`kl_divergence` of the
    tempered log-softmaxes; without the ``tau^2`` factor).

    Args:
        student (Tensor): Student logits.
        teacher (Tensor): Teacher logits, same shape (not detached here).
        tau (float): Temperature. Defaults to 1.0.
        dim (int): The class dimension. Defaults to 1.

    Returns:
        Tensor: The divergence of each row, ``dim`` reduced.
    """
    return kl_divergence(F.log_softmax(student / tau, dim=dim), F.log_softmax(teacher / tau, dim=dim), dim)
