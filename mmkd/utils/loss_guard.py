"""Guards shared by every model that combines losses: no negative loss weights when it is built, no
training step on a non-finite loss, no checkpoint with non-finite weights."""
import numbers
from typing import Callable, Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub


class NonFiniteLossError(FloatingPointError):
    """A loss term is NaN or infinite: training stops before the step's update."""


class NonFiniteWeightsError(FloatingPointError):
    """A checkpoint about to be saved holds NaN or infinite weights."""


def _negative(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return value < 0
    if isinstance(value, torch.Tensor):
        return value.is_floating_point() and bool((value < 0).any())
    if isinstance(value, (list, tuple)):
        return any(_negative(v) for v in value)
    return False


def check_loss_weights(weights: Union[nn.Module, Mapping[str, object]], where: str) -> None:
    """Refuse negative loss weights, which would train the model to increase a loss.

    Args:
        weights (nn.Module | Mapping): A loss module, whose ``loss_weight`` and those of its
            sub-modules are checked, or ``{name: weight}`` of weights given to the model itself.
        where (str): What holds the weights, for the message (e.g. ``"distill point 'stage2'"``).

    Raises:
        ValueError: A weight is negative.
    """
    if isinstance(weights, nn.Module):
        named = {f'{name}.loss_weight' if name else 'loss_weight': getattr(module, 'loss_weight')
                 for name, module in weights.named_modules() if hasattr(module, 'loss_weight')}
    else:
        named = dict(weights)
    for name, value in named.items():
        if _negative(value):
            raise ValueError(f'{where}: {name}={value} is negative; a negative weight makes training '
                             'increase that loss. Use a weight >= 0 (0 switches the term off).')


def current_iteration() -> int:
    """The runner's current training iteration, counted from 1 as in the log (1 outside a runner)."""
    return int(MessageHub.get_current_instance().get_info('iter', 0)) + 1


def _loss_terms(log_vars: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The summed terms of parsed losses (keys with ``loss``, without the total), detached."""
    return {k: v.detach() for k, v in log_vars.items()
            if k != 'loss' and 'loss' in k and isinstance(v, torch.Tensor)}


def largest_terms(terms: Mapping[str, torch.Tensor], describe: Optional[Callable[[str], str]] = None,
                  num: int = 3) -> str:
    """``key (what it is) = value`` of the ``num`` largest loss terms in magnitude."""
    describe = describe or (lambda key: key)
    sizes = sorted(((float(v.float().abs().max()), k) for k, v in terms.items()), reverse=True)[:num]
    return ', '.join(f'{describe(k)} = {v:.3g}' for v, k in sizes)


def check_finite_losses(log_vars: Mapping[str, torch.Tensor], total: torch.Tensor,
                        describe: Optional[Callable[[str], str]] = None,
                        previous: Optional[Mapping[str, torch.Tensor]] = None) -> None:
    """Raise :class:`NonFiniteLossError` when the summed loss of a step is NaN or infinite.

    One ``isfinite`` over the already summed scalar; the terms are inspected only when it fails, to name
    the ones that are NaN or infinite and, from ``previous`` (the terms of the step before), the largest
    ones: a finite but huge loss (e.g. from a large ``loss_weight``) overflows the update, and then every
    term of the next step is NaN.

    Args:
        log_vars (Mapping[str, Tensor]): The step's parsed (scalar) losses.
        total (Tensor): Their sum, the loss the optimizer would step on.
        describe (callable, optional): ``key -> str``, what a loss key is and how to fix it.
        previous (Mapping[str, Tensor], optional): The previous step's terms.
    """
    if bool(torch.isfinite(total.detach()).all()):
        return
    describe = describe or (lambda key: key)
    bad = []
    for key, value in _loss_terms(log_vars).items():
        value = value.float()
        if not bool(torch.isfinite(value).all()):
            bad.append(f"{describe(key)} is {'nan' if bool(torch.isnan(value).any()) else 'inf'}")
    it = current_iteration()
    lines = [f'non-finite loss at iteration {it}: ' + ('; '.join(bad) or 'the summed loss is not finite') + '.']
    if previous:
        lines.append(f'At iteration {it - 1} the largest terms were {largest_terms(previous, describe)}.')
    lines.append('Training stopped before this step\'s update; lower the loss_weight of the term at fault or '
                 'the learning rate, then resume from the last checkpoint.')
    raise NonFiniteLossError(' '.join(lines))


class FiniteLossMixin:
    """``parse_losses`` that stops training at the first non-finite loss, before the backward pass.

    Mix in before mmengine's ``BaseModel``; override :meth:`describe_loss` to name what a key is and how
    to fix it. Under DDP, mmengine's wrapper calls the model's ``parse_losses`` too.
    """

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        total, log_vars = super().parse_losses(losses)
        check_finite_losses(log_vars, total, self.describe_loss, getattr(self, '_previous_loss_terms', None))
        self._previous_loss_terms = _loss_terms(log_vars)
        return total, log_vars

    def describe_loss(self, key: str) -> str:
        """What the loss ``key`` is, for the non-finite-loss error."""
        return key

    def last_loss_report(self) -> str:
        """The largest loss terms of the last training step, described; empty before the first step."""
        terms = getattr(self, '_previous_loss_terms', None)
        return largest_terms(terms, self.describe_loss) if terms else ''


def nonfinite_tensors(state: Mapping[str, object]) -> List[str]:
    """Names of the floating-point tensors of a state dict that hold NaN or infinite values."""
    return [key for key, value in state.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]


def check_finite_weights(state: Mapping[str, object], what: str, losses: str = '') -> None:
    """Raise :class:`NonFiniteWeightsError` when a floating-point tensor of ``state`` is NaN or infinite.

    Args:
        state (Mapping): The state dict about to be saved.
        what (str): What it is, for the message (e.g. ``'checkpoint of iteration 7'``).
        losses (str): The last step's largest loss terms (:meth:`FiniteLossMixin.last_loss_report`).
    """
    bad = nonfinite_tensors(state)
    if bad:
        shown = ', '.join(bad[:5]) + (f' (+{len(bad) - 5} more)' if len(bad) > 5 else '')
        raise NonFiniteWeightsError(
            f'{what} not saved: {len(bad)} tensors hold NaN or inf ({shown}). Training has diverged'
            + (f' (the last step\'s largest loss terms: {losses}; a loss that large overflows the update)'
               if losses else '')
            + '; lower the loss_weight of the term at fault or the learning rate and resume from the last '
            'checkpoint.')
