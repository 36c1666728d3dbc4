"""The margin ReLU teacher transform of OFD (Heo et al., "A Comprehensive Overhaul of Feature
Distillation", ICCV 2019)."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.modules import get_module
from .teacher_derived import TeacherDerivedTransform

BNLike = Union[nn.Module, Tuple[torch.Tensor, torch.Tensor], Sequence[torch.Tensor]]


def _bn_affine(bn: BNLike) -> Tuple[torch.Tensor, torch.Tensor]:
    """Return ``(weight, bias)`` of a normalisation layer or of a ``(weight, bias)`` pair, detached."""
    if isinstance(bn, nn.Module):
        if not hasattr(bn, 'weight') or not hasattr(bn, 'bias'):
            raise TypeError(f'ofd_margin needs a BatchNorm layer (with weight and bias), got '
                            f'{type(bn).__name__}; point bn= at the BN that precedes the ReLU')
        weight, bias = bn.weight, bn.bias
        if weight is None or bias is None:
            num = getattr(bn, 'num_features', None)
            if num is None:
                raise TypeError(f'{type(bn).__name__} has no affine weight/bias and no num_features')
            ref = bn.running_mean if getattr(bn, 'running_mean', None) is not None else torch.empty(0)
            weight = torch.ones(num, device=ref.device) if weight is None else weight
            bias = torch.zeros(num, device=ref.device) if bias is None else bias
    elif isinstance(bn, (tuple, list)) and len(bn) == 2 and all(isinstance(t, torch.Tensor) for t in bn):
        weight, bias = bn
    else:
        raise TypeError('ofd_margin takes a BatchNorm module or a (weight, bias) pair of 1-D tensors, got '
                        f'{type(bn).__name__}')
    if weight.dim() != 1 or weight.shape != bias.shape:
        raise ValueError(f'BN weight and bias must be 1-D of the same length, got shapes {tuple(weight.shape)} '
                         f'and {tuple(bias.shape)}')
    return weight.detach(), bias.detach()


def ofd_margin(bn: BNLike) -> torch.Tensor:
    """Per-channel margin of OFD's margin ReLU, from the BN that precedes the teacher's ReLU.

    The pre-ReLU response of channel c is modelled as x ~ N(mu, s^2) with s = |gamma_c| and mu = beta_c
    (the BN's affine weight and bias; mmdet's BN weight may be negative, hence the absolute value). The
    margin is the expected negative response (Heo et al., ICCV 2019)::

        m = E[x | x < 0] = mu - s * pdf(mu / s) / cdf(-mu / s)

    with pdf/cdf those of the standard normal; where cdf(-mu / s) <= 1e-3 (negative values are too rare
    for a stable estimate) the margin is -3 s.

    Args:
        bn (nn.Module | tuple[Tensor, Tensor]): A BatchNorm layer (one without affine parameters counts
            as gamma = 1, beta = 0) or its ``(weight, bias)``.

    Returns:
        Tensor: The margins, shape (C,), float32, on the device of the BN parameters.
    """
    weight, bias = _bn_affine(bn)
    s = weight.double().abs()
    mu = bias.double()
    z = mu / s.clamp_min(torch.finfo(torch.float64).tiny)
    tail = torch.special.ndtr(-z)
    pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    expected = mu - s * pdf / tail.clamp_min(1e-3)
    margin = torch.where(tail > 1e-3, expected, -3 * s)
    return margin.float()


@MODELS.register_module()
class MarginReLU(TeacherDerivedTransform, nn.Module):
    """OFD's teacher transform: ``max(t, m)`` with a per-channel margin ``m`` (see :func:`ofd_margin`).

    Negative teacher responses carry little information after the teacher's ReLU, so OFD distils the
    pre-ReLU teacher feature with every value below the margin raised to it (Heo et al., ICCV 2019):
    ``sigma_m(t) = max(t, m_c)``.

    The margin is a buffer (saved in checkpoints) that is set by :meth:`init_from_bn` or loaded from a
    state dict; ``bn`` names the teacher BN (a ``named_modules()`` path) that :meth:`derive_from_teacher`
    (the :class:`~mmkd.models.transforms.TeacherDerivedTransform` protocol the distiller calls) resolves
    and passes to :meth:`init_from_bn`. Computation is in float32 whatever the input dtype.

    Teachers without BN before the ReLU (e.g. SSD's VGG16) have no Gaussian to read the margin from:
    with ``estimate_batches=N`` the margin is the definition itself, estimated from data,
    ``m_c = E[t_c | t_c < 0]`` over the first N training batches (channels with no negative response get
    0), then frozen. Until the first batch it is unknown, and the transform is the identity.

    Args:
        num_channels (int, optional): Number of channels; if None it is taken from the BN. Defaults to None.
        bn (str, optional): Path of the teacher BN that precedes the recorded ReLU. Defaults to None.
        estimate_batches (int): Estimate the margin from this many training batches instead of a BN.
    """

    def __init__(self, num_channels: Optional[int] = None, bn: Optional[str] = None,
                 estimate_batches: int = 0) -> None:
        super().__init__()
        if estimate_batches < 0 or (estimate_batches and bn is not None):
            raise ValueError('give MarginReLU either bn= (margin from the teacher BN) or '
                             f'estimate_batches>0 (margin from data), got bn={bn!r}, '
                             f'estimate_batches={estimate_batches}')
        self.estimate_batches = estimate_batches
        self.register_buffer('batches_seen', torch.zeros((), dtype=torch.long))
        self.register_buffer('negative_sum', torch.zeros(num_channels or 0, dtype=torch.float64))
        self.register_buffer('negative_count', torch.zeros(num_channels or 0, dtype=torch.float64))
        if num_channels is not None and (isinstance(num_channels, bool) or not isinstance(num_channels, int)
                                         or num_channels <= 0):
            raise ValueError(f'num_channels must be a positive int or None, got {num_channels!r}')
        if bn is not None and not isinstance(bn, str):
            raise TypeError(f'bn must be the name of a teacher BN module (str) or None, got {type(bn).__name__}')
        self.num_channels = num_channels
        self.bn = bn
        self.register_buffer('margin', torch.zeros(num_channels or 0))
        self._margin_set = False

    @classmethod
    def from_bn(cls, bn_module: BNLike) -> 'MarginReLU':
        """Build a MarginReLU whose margin is computed from ``bn_module``."""
        module = cls()
        module.init_from_bn(bn_module)
        return module

    @torch.no_grad()
    def init_from_bn(self, bn_module: BNLike) -> 'MarginReLU':
        """Set the margin from a BN layer (or its ``(weight, bias)``) with :func:`ofd_margin`.

        Returns:
            MarginReLU: ``self``.
        """
        margin = ofd_margin(bn_module)
        if self.num_channels is not None and margin.numel() != self.num_channels:
            raise ValueError(f'MarginReLU was built with num_channels={self.num_channels} but the BN '
                             f'{self.bn or ""} has {margin.numel()} channels; fix num_channels= or bn=')
        self.num_channels = margin.numel()
        self.margin = margin.to(self.margin.device)
        self._margin_set = True
        return self

    @torch.no_grad()
    def reset_estimate(self) -> None:
        """Forget a margin estimated from data: the next ``estimate_batches`` training batches estimate it
        anew (after the teacher changed). No-op for a margin taken from a BN."""
        if not self.estimate_batches:
            return
        self.batches_seen.zero_()
        self.negative_sum.zero_()
        self.negative_count.zero_()
        self.margin.zero_()
        self._margin_set = False

    @torch.no_grad()
    def derive_from_teacher(self, teacher: nn.Module, reset_estimates: bool = False) -> None:
        """The margin from the teacher BN named ``bn``; without ``bn``, with ``reset_estimates``, forget the
        margin estimated from data (:meth:`reset_estimate`)."""
        if self.bn is not None:
            self.init_from_bn(get_module(teacher, self.bn, 'teacher'))
        elif reset_estimates:
            self.reset_estimate()

    @torch.no_grad()
    def _estimate(self, t: torch.Tensor) -> None:
        """Accumulate E[t_c | t_c < 0] over one batch and refresh the margin from the running totals."""
        dims = [0] + list(range(2, t.dim()))
        t = t.double()
        if self.negative_sum.numel() != t.shape[1]:
            self.negative_sum = t.new_zeros(t.shape[1])
            self.negative_count = t.new_zeros(t.shape[1])
        negative = t.clamp(max=0)
        self.negative_sum += negative.sum(dims)
        self.negative_count += (t < 0).sum(dims).double()
        self.batches_seen += 1
        margin = self.negative_sum / self.negative_count.clamp_min(1)
        self.margin = margin.float().to(self.margin.device)
        self.num_channels = margin.numel()
        self._margin_set = True

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        key = prefix + 'margin'
        if key in state_dict:
            incoming = state_dict[key]
            if self.num_channels is None and incoming.shape != self.margin.shape:
                self.margin = torch.empty_like(incoming, dtype=self.margin.dtype, device=self.margin.device)
            for name in ('negative_sum', 'negative_count'):
                value = state_dict.get(prefix + name)
                if value is not None and value.shape != getattr(self, name).shape:
                    setattr(self, name, torch.empty_like(value))
            num_errors = len(error_msgs)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)
            if len(error_msgs) == num_errors:
                self.num_channels = self.margin.numel()
                self._margin_set = True
        else:
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """Apply ``max(t, margin)`` per channel.

        Args:
            t (Tensor): Teacher feature, shape (N, C, H, W) or (N, C).

        Returns:
            Tensor: ``max(t, margin)``, same shape, float32.
        """
        if self.estimate_batches and self.training and self.batches_seen < self.estimate_batches:
            self._estimate(t)
        if self.estimate_batches and not self._margin_set:
            return t.float()
        if not self._margin_set:
            raise RuntimeError('MarginReLU margin is not set: call init_from_bn(teacher_bn) (the distiller does '
                               'this from bn=), build it with MarginReLU.from_bn(...), or load a state dict')
        if t.dim() not in (2, 4) or t.shape[1] != self.margin.numel():
            raise ValueError(f'MarginReLU expects a (N, {self.margin.numel()}, H, W) or (N, '
                             f'{self.margin.numel()}) tensor, got shape {tuple(t.shape)}')
        margin = self.margin.to(device=t.device, dtype=torch.float32)
        margin = margin.view(1, -1, 1, 1) if t.dim() == 4 else margin.view(1, -1)
        return torch.maximum(t.float(), margin)

    def extra_repr(self) -> str:
        source = f'estimate_batches={self.estimate_batches}' if self.estimate_batches else f'bn={self.bn!r}'
        return f'num_channels={self.num_channels}, {source}'
