"""Keep a low-precision forward's batch normalisation in float32."""
from contextlib import contextmanager
from typing import Iterator, Tuple

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class Float32Norms:
    """Within :meth:`armed`, every BatchNorm of ``model`` takes its input in float32.

    Under bf16/fp16 autocast a convolution returns a low-precision tensor and ``batch_norm`` (in no autocast
    list) keeps that dtype, so the normalised output, the residual sum and the ReLU that follow are rounded
    to 8 (bf16) or 11 (fp16) significant bits at every block. A forward pre-hook casts the BN input to float32:
    the statistics, y = (x - mean) / sqrt(var + eps) * gamma + beta, the residual stream and the activations
    stay in float32, and only the convolutions (which autocast casts back to ``dtype``) run in low precision.
    Outside :meth:`armed` the hooks do nothing.

    Args:
        model (nn.Module): the model whose BatchNorm layers (any ``_BatchNorm``, SyncBatchNorm included) are
            hooked.
    """

    def __init__(self, model: nn.Module):
        self._armed = False
        self._handles = [m.register_forward_pre_hook(self._to_float32)
                         for m in model.modules() if isinstance(m, _BatchNorm)]

    def _to_float32(self, module: nn.Module, args: Tuple) -> Tuple:
        if self._armed and args and torch.is_tensor(args[0]) and args[0].dtype in (torch.bfloat16, torch.float16):
            return (args[0].float(), ) + tuple(args[1:])
        return None

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Within the context the hooked BatchNorm layers compute in float32."""
        self._armed = True
        try:
            yield
        finally:
            self._armed = False

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
