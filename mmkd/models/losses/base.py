"""The one shape of mmkd's distillation losses, as mmdet's ``@weighted_loss`` / ``weight_reduce_loss``.

Every distillation loss is a :class:`DistillLoss`: its ``forward`` casts the inputs to the compute dtype
(:func:`compute_dtype`: float32 for half / bfloat16 inputs, float64 stays float64), detaches the teacher,
derives the per-pixel weight from ``ignore_index`` when asked, calls the subclass's :meth:`DistillLoss.loss`
and multiplies by ``loss_weight`` -- once, here. Losses reduce their per-element, per-row or per-sample
terms with :func:`reduce_loss`, the one place where the reductions (and a per-pixel weight) are applied.
"""
import inspect
from typing import Optional, Sequence, Union

import torch
from torch import nn

from .utils import ignore_mask

Features = Union[torch.Tensor, Sequence[torch.Tensor]]
REDUCTIONS = ('mean', 'sum', 'batch', 'none')


def compute_dtype(*tensors: Features) -> torch.dtype:
    """The dtype losses compute in: float32 for half, bfloat16 and float32 inputs, float64 when any input
    is float64 (tensors or sequences of tensors)."""
    dtype = torch.float32
    for x in tensors:
        for t in (x if isinstance(x, (list, tuple)) else (x, )):
            if isinstance(t, torch.Tensor) and t.is_floating_point():
                dtype = torch.promote_types(dtype, t.dtype)
    return dtype


def promote(*tensors: torch.Tensor):
    """The tensors cast to :func:`compute_dtype` of all of them (one tensor: that tensor)."""
    dtype = compute_dtype(*tensors)
    out = tuple(t.to(dtype) for t in tensors)
    return out[0] if len(out) == 1 else out


def _cast(x: Features, dtype: torch.dtype, detach: bool = False) -> Features:
    if isinstance(x, (list, tuple)):
        return type(x)(_cast(t, dtype, detach) for t in x)
    if not isinstance(x, torch.Tensor):
        return x
    x = x.detach() if detach else x
    return x.to(dtype) if x.is_floating_point() else x


def reduce_loss(loss: torch.Tensor, reduction: str = 'mean', weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[Union[float, torch.Tensor]] = None) -> torch.Tensor:
    """Weight and reduce a loss tensor (mmdet's ``weight_reduce_loss`` plus ``'batch'``).

    - ``'none'``: the (weighted) tensor; ``'sum'``: its sum;
    - ``'batch'``: the sum divided by the batch size ``loss.shape[0]`` (the per-sample sum averaged over
      the batch, as FitNets, AB, OFD and MGD normalise);
    - ``'mean'``: the sum divided by ``avg_factor`` when given, else by the number of elements -- with a
      ``weight``, by the weight summed over the elements it broadcasts to, so that elements of weight 0
      (ignored pixels) count neither in the sum nor in the mean (0 when everything is ignored).

    Args:
        loss (Tensor): Per-element (or per-row, per-sample) loss.
        reduction (str): ``'mean'``, ``'sum'``, ``'batch'`` or ``'none'``. Defaults to ``'mean'``.
        weight (Tensor, optional): Multiplies ``loss`` (broadcast).
        avg_factor (float | Tensor, optional): Divisor of ``'mean'``.

    Returns:
        Tensor: The reduced loss.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    if weight is not None:
        loss = loss * weight
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'batch':
        if loss.dim() == 0:
            raise ValueError("reduction 'batch' needs a batch dimension; got a 0-d loss")
        return loss.sum() / max(loss.shape[0], 1)
    if avg_factor is None:
        if weight is None:
            return loss.mean()
        avg_factor = weight.expand_as(loss).sum().clamp(min=torch.finfo(loss.dtype).tiny)
    return loss.sum() / avg_factor


def needs_data_samples(loss: nn.Module) -> bool:
    """Whether a loss wants the batch's data samples (``data_samples=``): its ``needs_data_samples``
    attribute (:class:`DistillLoss`), else whether its ``forward`` takes that argument."""
    flag = getattr(loss, 'needs_data_samples', None)
    if flag is not None:
        return bool(flag)
    return 'data_samples' in inspect.signature(loss.forward).parameters


def data_samples_kwargs(loss: nn.Module, data_samples: Optional[list]) -> dict:
    """The keyword arguments that hand ``loss`` the batch's data samples: ``dict(data_samples=data_samples)``
    when it wants them (:func:`needs_data_samples`), else ``{}``."""
    return dict(data_samples=data_samples) if needs_data_samples(loss) else {}


class DistillLoss(nn.Module):
    """Base of mmkd's distillation losses: ``loss_weight * loss(student, teacher)``.

    :meth:`forward` does, once for every loss: cast student and teacher (tensors or sequences of tensors)
    to :meth:`compute_dtype`; detach the teacher; build the per-pixel ``weight`` from the segmentation
    labels when ``ignore_index`` is set (1 where the label is not ``ignore_index``, 0 elsewhere, see
    :func:`~mmkd.models.losses.utils.ignore_mask`); call :meth:`loss`; multiply by ``loss_weight``.
    Subclasses implement :meth:`loss` and reduce with :func:`reduce_loss`.

    Pixel-wise losses (``pixel_weight = True``) take ``weight``: a per-pixel weight or 0/1 mask, (N, H, W)
    or (N, 1, H, W) at any resolution (resized by nearest-neighbour to each compared map,
    :func:`~mmkd.models.losses.utils.fit_weight`); a pixel of weight 0 changes neither the loss nor its
    gradient. Give it directly (``loss(s, t, weight=w)``) or set ``ignore_index`` (e.g. 255, mmseg's
    ignore label): the distillation point then hands the loss the batch's data samples, so the pixels that
    segmentation ignores (unlabelled, padding) are excluded from distillation too.

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int, optional): Segmentation label whose pixels are excluded (pixel-wise losses
            only). Defaults to None (every pixel counts).
    """

    #: :meth:`loss` accepts a per-pixel ``weight``
    pixel_weight: bool = False
    #: :meth:`loss` reads the batch's data samples (labels)
    uses_data_samples: bool = False

    def __init__(self, loss_weight: float = 1.0, ignore_index: Optional[int] = None) -> None:
        super().__init__()
        if ignore_index is not None and not self.pixel_weight:
            raise ValueError(f'{type(self).__name__} has no per-pixel form, so ignore_index does not apply; '
                             'it excludes ignored segmentation pixels from pixel-wise losses (KD and DIST on '
                             'dense scores, CWD, PKD, MGD, AT, FitNets, AB, OFD)')
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    @property
    def needs_data_samples(self) -> bool:
        """Whether :meth:`forward` needs ``data_samples`` (labels, or the ignore mask)."""
        return self.uses_data_samples or self.ignore_index is not None

    def compute_dtype(self, student: Features, teacher: Features) -> torch.dtype:
        """The dtype the inputs are cast to (:func:`compute_dtype`; losses that own layers use theirs)."""
        return compute_dtype(student, teacher)

    def forward(self, student: Features, teacher: Features, data_samples: Optional[Sequence] = None,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            student (Tensor | Sequence[Tensor]): Student feature(s) or logits.
            teacher (Tensor | Sequence[Tensor]): Teacher feature(s) or logits (detached here).
            data_samples (Sequence, optional): The batch's data samples: labels for the losses that use
                them, the segmentation maps for ``ignore_index``.
            weight (Tensor, optional): Per-pixel weight of a pixel-wise loss, (N, H, W) or (N, 1, H, W).

        Returns:
            Tensor: Scalar loss.
        """
        if weight is None and self.ignore_index is not None:
            weight = ignore_mask(data_samples, self.ignore_index)
        if weight is not None and not self.pixel_weight:
            raise ValueError(f'{type(self).__name__} has no per-pixel form and takes no weight')
        dtype = self.compute_dtype(student, teacher)
        kwargs = {}
        if weight is not None:
            ref = student[0] if isinstance(student, (list, tuple)) else student
            kwargs['weight'] = weight.to(device=ref.device, dtype=dtype)
        if self.uses_data_samples:
            kwargs['data_samples'] = data_samples
        return self.loss_weight * self.loss(_cast(student, dtype), _cast(teacher, dtype, detach=True), **kwargs)

    def loss(self, student: Features, teacher: Features, **kwargs) -> torch.Tensor:
        """The unweighted loss of cast inputs (detached teacher)."""
        raise NotImplementedError

    def _ignore_repr(self) -> str:
        return f', ignore_index={self.ignore_index}' if self.ignore_index is not None else ''

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}{self._ignore_repr()}'

