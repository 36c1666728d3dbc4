"""The loss terms of a distiller on a few training batches, before any optimizer step.

A training step's loss dict holds the student's task losses (every key with ``loss`` that is not a
distillation term) and one ``loss_distill_<point>`` per active distillation point. Each is reduced to one
number per batch as MMEngine's ``parse_losses`` reduces it (the mean of a tensor, the sum of the means of a
list such as mmdet's per-image SSD losses), so the numbers are the ones training logs and optimises. The
ratio of the distillation sum to the task-loss sum at the start of training is how the constants of
``docs/method_zoo.md`` ("Loss weights at other feature sizes") are checked.
"""
import copy
import statistics
from typing import Dict, Iterable, Iterator, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmkd.registry import MODELS

DISTILL_PREFIX = 'loss_distill_'


def build_distiller(cfg: Config, teacher_checkpoint: Optional[str] = None) -> torch.nn.Module:
    """The config's distiller as a training run starts it: built, ``init_weights()`` (the student's
    pretrained weights), teacher BN in its configured mode, in train mode.

    Args:
        cfg (Config): a config whose ``model`` is a ``mmkd.FeatureDistiller``.
        teacher_checkpoint (str, optional): replaces ``model.teacher.checkpoint``; ``'none'``: the teacher's
            own initialisation (``init_weights``, e.g. a pretrained backbone), OFD margins derived from it.
    """
    model_cfg = copy.deepcopy(cfg.model)
    if 'teacher' not in model_cfg or 'student' not in model_cfg:
        raise ValueError(f'{cfg.filename}: model needs `student` and `teacher` entries (a distiller such as '
                         'mmkd.FeatureDistiller)')
    if teacher_checkpoint is not None:
        model_cfg.teacher.checkpoint = None if teacher_checkpoint.lower() == 'none' else teacher_checkpoint
    model = MODELS.build(model_cfg)
    model.init_weights()
    if model_cfg.teacher.checkpoint is None:
        model.teacher.init_weights()
        model.load_teacher_state(model.teacher.state_dict())  # transforms derived from the initialised BN
    return model.train()


def train_batches(cfg: Config, num: int, seed: int = 0) -> Iterable[dict]:
    """The first ``num`` batches of the config's train dataloader (its batch size, no workers)."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg.pop('prefetch_factor', None)
    loader = Runner.build_dataloader(loader_cfg, seed=seed)
    for i, batch in enumerate(loader):
        if i == num:
            return
        yield batch


def reduce_loss(key: str, value) -> torch.Tensor:
    """One loss entry as one scalar tensor, reduced as MMEngine's ``parse_losses`` does: the mean of a tensor,
    the sum of the means of a list (mmdet's per-image losses)."""
    if isinstance(value, torch.Tensor):
        return value.mean()
    if isinstance(value, (list, tuple)):
        return sum(v.mean() for v in value)
    raise TypeError(f'{key} is a {type(value).__name__}, not a tensor or a list of tensors')


def loss_values(losses: Dict[str, object]) -> Dict[str, float]:
    """Each ``loss`` entry of a loss dict as one number, reduced as MMEngine's ``parse_losses`` does."""
    return {key: reduce_loss(key, value).item() for key, value in losses.items() if 'loss' in key}


def _loss_dicts(model: torch.nn.Module, batches: Iterable[dict], iteration: int) -> Iterator[dict]:
    """The loss dict of each batch, forwarded in ``loss`` mode at training iteration ``iteration`` (its stage and
    loss-weight schedule, set on the message hub and restored after); the recorders are reset after each batch.
    Raises if there is no batch."""
    hub = MessageHub.get_current_instance()
    saved = hub.get_info('iter', 0), hub.get_info('epoch', 0)
    hub.update_info('iter', iteration)
    hub.update_info('epoch', 0)
    measured = 0
    try:
        for batch in batches:
            yield model(**model.data_preprocessor(batch, True), mode='loss')
            measured += 1
            if hasattr(model, 'teacher_recorders'):
                model.teacher_recorders.reset()
                model.student_recorders.reset()
    finally:
        hub.update_info('iter', saved[0])
        hub.update_info('epoch', saved[1])
    if not measured:
        raise ValueError('no batch was measured: the train dataloader is empty')


@torch.no_grad()
def measure_loss_terms(model: torch.nn.Module, batches: Iterable[dict], iteration: int = 0) -> Dict[str, List[float]]:
    """Forward each batch in ``loss`` mode at training iteration ``iteration`` (its stage and loss-weight
    schedule); no gradient, no optimizer step. Returns every loss key with its value per batch."""
    terms: Dict[str, List[float]] = {}
    for losses in _loss_dicts(model, batches, iteration):
        for key, value in loss_values(losses).items():
            terms.setdefault(key, []).append(value)
    return terms


def parameter_groups(module: torch.nn.Module, depth: int = 1) -> Dict[str, List[torch.nn.Parameter]]:
    """The trainable parameters of ``module`` grouped by the first ``depth`` parts of their names (depth 1:
    ``backbone``, ``neck``, ``decode_head``...; depth 2 splits the backbone into its stages), in order."""
    groups: Dict[str, List[torch.nn.Parameter]] = {}
    for name, param in module.named_parameters():
        if param.requires_grad:
            groups.setdefault('.'.join(name.split('.')[:depth]), []).append(param)
    return groups


def measure_gradient_norms(model: torch.nn.Module, batches: Iterable[dict], iteration: int = 0,
                           depth: int = 1) -> Dict[str, Dict[str, List[float]]]:
    """Per batch, the L2 norm of the gradient of each loss term with respect to the student's parameters,
    per parameter group (:func:`parameter_groups` of ``model.student``): ``||d term / d theta_g||_2``.

    The terms are ``task`` (the sum of the task losses), each ``loss_distill_<point>`` and ``distill`` (their
    sum); a term that does not reach a group has norm 0 there. Where the loss values say how large each term
    is, the norms say how hard it pulls on each part of the student, which is what competes with the task in
    training (a point's loss can be small while its gradient dominates an early stage). No optimizer step;
    ``.grad`` stays untouched. Returns ``{term: {group: [norm per batch]}}``.
    """
    groups = parameter_groups(model.student, depth)
    params = [p for group in groups.values() for p in group]
    norms: Dict[str, Dict[str, List[float]]] = {}
    for losses in _loss_dicts(model, batches, iteration):
        terms = {}
        for key, value in losses.items():
            if 'loss' not in key:
                continue
            value = reduce_loss(key, value)
            group = 'distill' if key.startswith(DISTILL_PREFIX) else 'task'
            terms[group] = terms.get(group, 0) + value
            if group == 'distill':
                terms[key] = value
        for term, value in terms.items():
            if not isinstance(value, torch.Tensor) or not value.requires_grad:
                grads = [None] * len(params)
            else:
                grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
            start = 0
            for name, group in groups.items():
                sq = sum(float(g.detach().float().pow(2).sum()) for g in grads[start:start + len(group)]
                         if g is not None)
                norms.setdefault(term, {}).setdefault(name, []).append(sq ** 0.5)
                start += len(group)
    return norms


def summarise(terms: Dict[str, List[float]]) -> dict:
    """Means and standard deviations per term, the task and distillation sums of the means, and
    ``ratio`` = distillation sum / task-loss sum."""
    task = {k: v for k, v in terms.items() if not k.startswith(DISTILL_PREFIX)}
    distill = {k: v for k, v in terms.items() if k.startswith(DISTILL_PREFIX)}

    def stats(group):
        return {k: dict(mean=statistics.fmean(v), std=statistics.stdev(v) if len(v) > 1 else 0.0)
                for k, v in group.items()}

    task_sum = sum(statistics.fmean(v) for v in task.values())
    distill_sum = sum(statistics.fmean(v) for v in distill.values())
    return dict(task=stats(task), distill=stats(distill), task_sum=task_sum, distill_sum=distill_sum,
                ratio=distill_sum / task_sum if task_sum else float('nan'),
                batches=len(next(iter(terms.values()))))
