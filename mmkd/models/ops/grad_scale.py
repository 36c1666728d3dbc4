"""Backpropagation rescaling (Song & Chai, "Collaborative Learning for Deep Neural Networks",
NeurIPS 2018, Sec. 3.3): identity forward, gradient times ``scale`` backward."""
import numbers

import torch


class _GradScale(torch.autograd.Function):
    """``y = x``; ``dL/dx = scale * dL/dy``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output * ctx.scale, None


def grad_scale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Return ``x`` unchanged, but scale the gradient flowing back through it by ``scale``.

    At a split point where one shared feature feeds ``H`` heads, each head reads
    ``grad_scale(shared, 1 / H)``: the shared layers then receive the mean of the heads' gradients
    instead of their sum, so their gradient magnitude does not grow with ``H`` (Song & Chai, 2018).

    Args:
        x (Tensor): Any tensor.
        scale (float): Gradient multiplier (a finite real number; 0 blocks the gradient).

    Returns:
        Tensor: A view of ``x`` equal to it.
    """
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not abs(float(scale)) < float('inf'):
        raise TypeError(f'grad_scale needs a finite real scale (e.g. 1 / num_heads), got {scale!r}.')
    if not isinstance(x, torch.Tensor):
        raise TypeError(f'grad_scale needs a tensor, got {type(x).__name__}.')
    return _GradScale.apply(x, float(scale))
