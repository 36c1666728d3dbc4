"""The data sample of the classification task."""
from numbers import Integral
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]


def _to_label_tensor(value: LabelType, name: str) -> torch.Tensor:
    """Convert an int, a sequence of ints, an array or a tensor to a 1-D int64 tensor.

    Args:
        value: The label(s).
        name: The field name, used in the error message.

    Returns:
        torch.Tensor: A 1-D ``torch.long`` tensor.
    """
    if isinstance(value, torch.Tensor):
        tensor = value
    elif isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
    elif isinstance(value, Integral):
        tensor = torch.tensor([int(value)])
    elif isinstance(value, Sequence) and not isinstance(value, str):
        tensor = torch.tensor(list(value))
    else:
        raise TypeError(f'{name} must be an int, a sequence of ints, a numpy array or a tensor, '
                        f'got {type(value).__name__}.')
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f'{name} must hold integer class indices, got dtype {tensor.dtype}; '
                        f'pass class indices (e.g. 3 or [3]), not scores or one-hot vectors.')
    if tensor.dim() > 1:
        raise ValueError(f'{name} must be a scalar or a 1-D sequence of class indices, got shape '
                         f'{tuple(tensor.shape)}.')
    return tensor.reshape(-1).long()


def _to_score_tensor(value: Union[torch.Tensor, np.ndarray]) -> torch.Tensor:
    """Convert per-class scores to a 1-D floating-point tensor.

    Args:
        value: A 1-D tensor or array of length ``num_classes``.

    Returns:
        torch.Tensor: The scores as a floating-point tensor.
    """
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f'pred_score must be a tensor or a numpy array, got {type(value).__name__}.')
    if value.dim() != 1:
        raise ValueError(f'pred_score must be 1-D (num_classes,), got shape {tuple(value.shape)}; '
                         'set the scores of one sample at a time.')
    return value if value.is_floating_point() else value.float()


class ClsDataSample(BaseDataElement):
    """A classification sample: the ground-truth and the predicted label of one image.

    Fields (all tensors; plain assignment and the setters both convert):

    - ``gt_label``: 1-D ``long`` tensor of ground-truth class indices (one for single-label).
    - ``pred_label``: 1-D ``long`` tensor of predicted class indices.
    - ``pred_score``: 1-D float tensor of length ``num_classes`` (e.g. softmax scores).

    Meta information such as ``img_shape``, ``ori_shape`` and ``sample_idx`` lives in the metainfo.

    Examples:
        >>> sample = ClsDataSample(metainfo=dict(img_shape=(32, 32))).set_gt_label(3)
        >>> sample.gt_label
        tensor([3])
    """

    def set_gt_label(self, value: LabelType) -> 'ClsDataSample':
        """Set ``gt_label`` from an int, a sequence, an array or a tensor and return ``self``."""
        self.set_field(_to_label_tensor(value, 'gt_label'), 'gt_label', dtype=torch.Tensor)
        return self

    def set_pred_label(self, value: LabelType) -> 'ClsDataSample':
        """Set ``pred_label`` from an int, a sequence, an array or a tensor and return ``self``."""
        self.set_field(_to_label_tensor(value, 'pred_label'), 'pred_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: Union[torch.Tensor, np.ndarray]) -> 'ClsDataSample':
        """Set ``pred_score``, a 1-D float tensor of per-class scores, and return ``self``."""
        self.set_field(_to_score_tensor(value), 'pred_score', dtype=torch.Tensor)
        return self

    def __setattr__(self, name: str, value) -> None:
        """Route ``sample.gt_label = ...`` (and the other label fields) through the converters."""
        if name in ('gt_label', 'pred_label'):
            value = _to_label_tensor(value, name)
        elif name == 'pred_score':
            value = _to_score_tensor(value)
        super().__setattr__(name, value)
