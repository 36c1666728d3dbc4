"""Helpers shared by the distillation losses."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

Features = Union[torch.Tensor, Sequence[torch.Tensor]]


def _describe(features: Features) -> str:
    if isinstance(features, (list, tuple)):
        return f'{len(features)} tensors'
    return f'a tensor {tuple(features.shape)}'


def feature_pairs(student: Features, teacher: Features, loss_name: str) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """The (student, teacher) pairs of a point: one pair for two tensors, one per position for two equally
    long sequences (a point that lists positions, e.g. FPN levels).

    Raises:
        ValueError: a tensor against a sequence, sequences of other lengths, or empty sequences.
    """
    multi_s, multi_t = isinstance(student, (list, tuple)), isinstance(teacher, (list, tuple))
    if multi_s != multi_t or (multi_s and (len(student) != len(teacher) or not student)):
        raise ValueError(f'{loss_name} takes one student and one teacher tensor, or equally long non-empty '
                         f'sequences of them; got {_describe(student)} and {_describe(teacher)}: list as many '
                         'student as teacher positions in the distill point')
    return list(zip(student, teacher)) if multi_s else [(student, teacher)]


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


def ignore_mask(data_samples: Optional[Sequence], ignore_index: int) -> torch.Tensor:
    """(N, 1, H, W) float mask of a segmentation batch: 1 where the label is not ``ignore_index``, 0 where it
    is (unlabelled pixels and the padding mmseg's data preprocessor adds with ``seg_pad_val``).

    Args:
        data_samples (Sequence): Data samples carrying ``gt_sem_seg`` (mmseg's ``SegDataSample``).
        ignore_index (int): The ignored label (255 in mmseg's configs).

    Returns:
        Tensor: The mask at the label maps' resolution (the padded input size).
    """
    if not data_samples or getattr(data_samples[0], 'gt_sem_seg', None) is None:
        raise ValueError(f'ignore_index={ignore_index} excludes ignored pixels of segmentation labels, but '
                         'the batch has no `gt_sem_seg` (mmseg SegDataSample); leave ignore_index unset for '
                         'classifiers and detectors')
    maps = [s.gt_sem_seg.data for s in data_samples]
    if len({tuple(m.shape[-2:]) for m in maps}) > 1:
        raise ValueError('the label maps of the batch differ in size; pad them to one size (mmseg\'s '
                         'SegDataPreProcessor does) before distilling with ignore_index')
    labels = torch.stack([m.reshape(m.shape[-2:]) for m in maps])[:, None]
    return (labels != ignore_index).float()


def fit_weight(weight: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """A per-pixel weight as (N, 1, h, w) at ``size`` = (h, w): (N, H, W) or (N, 1, H, W) input, resized by
    nearest neighbour when its size differs (a feature location takes the weight of the pixel it samples).

    Args:
        weight (Tensor): (N, H, W) or (N, 1, H, W) weight or 0/1 mask.
        size (Sequence[int]): Spatial size (h, w) of the compared map.

    Returns:
        Tensor: (N, 1, h, w).
    """
    if weight.dim() == 3:
        weight = weight[:, None]
    if weight.dim() != 4 or weight.shape[1] != 1:
        raise ValueError(f'a per-pixel weight must be (N, H, W) or (N, 1, H, W), got {tuple(weight.shape)}')
    size = tuple(int(v) for v in size)
    if tuple(weight.shape[2:]) != size:
        weight = F.interpolate(weight.float(), size=size, mode='nearest').to(weight.dtype)
    return weight


def pixel_weight_of(weight: Optional[torch.Tensor], feature: torch.Tensor) -> Optional[torch.Tensor]:
    """A per-pixel weight fitted to a (N, C, H, W) feature: (N, 1, H, W), broadcast over the channels
    (None stays None)."""
    if weight is None:
        return None
    if feature.dim() != 4:
        raise ValueError(f'a per-pixel weight needs (N, C, H, W) features, got {tuple(feature.shape)}')
    return fit_weight(weight, feature.shape[2:])


def check_feature_maps(owner: str, student: torch.Tensor, teacher: torch.Tensor, student_channels: int,
                       teacher_channels: int) -> None:
    """Raise a ValueError naming the fix unless ``student`` is (N, student_channels, H, W) and ``teacher``
    (N, teacher_channels, H, W): the inputs of the losses with their own student-to-teacher layers.

    Args:
        owner (str): The loss's class name, e.g. ``'MGDLoss'``, used in the messages.
        student (Tensor): Student feature.
        teacher (Tensor): Teacher feature.
        student_channels (int): The student channels the loss was built for.
        teacher_channels (int): The teacher channels the loss was built for.
    """
    if student.dim() != 4 or teacher.dim() != 4:
        raise ValueError(f'{owner} needs (N, C, H, W) feature maps, got student {tuple(student.shape)} and '
                         f'teacher {tuple(teacher.shape)}')
    if student.shape[1] != student_channels or teacher.shape[1] != teacher_channels:
        raise ValueError(f'{owner}(student_channels={student_channels}, teacher_channels={teacher_channels}) '
                         f'got {student.shape[1]} and {teacher.shape[1]} channels; set '
                         f'student_channels={student.shape[1]}, teacher_channels={teacher.shape[1]}')
    if student.shape[0] != teacher.shape[0] or student.shape[2:] != teacher.shape[2:]:
        raise ValueError(f'student feature {tuple(student.shape)} and teacher feature {tuple(teacher.shape)} '
                         "differ in batch or spatial size; resize the student with a connector (e.g. "
                         "mmkd.ConvConnector with resize='bilinear')")


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
