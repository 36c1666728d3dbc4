"""A generalist with specialists on confusable class clusters (Hinton, Vinyals & Dean, "Distilling the
Knowledge in a Neural Network", 2015, Sec. 5.3), combined per image by minimising a sum of KL divergences."""
import copy
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.checkpoint import load_weights
from mmkd.utils.config import load_model_config
from ..losses.utils import kl_divergence
from ..utils import check_shared_preprocessor, forward_by_mode


def reduce_log_probs(log_q: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """``log q_m``: the (N, C) log-distribution ``log q`` reduced to a specialist's classes plus the dustbin,
    ``q_m = (q_{S_1}, ..., q_{S_K}, sum_{j not in S} q_j)``, as (N, K + 1) log-probabilities."""
    idx = torch.as_tensor(list(classes), dtype=torch.long, device=log_q.device)
    mask = torch.ones(log_q.shape[1], dtype=torch.bool, device=log_q.device)
    mask[idx] = False
    return torch.cat([log_q[:, idx], torch.logsumexp(log_q[:, mask], dim=1, keepdim=True)], dim=1)


def specialist_objective(logits: torch.Tensor, gen_probs: torch.Tensor, spec_probs: Sequence[torch.Tensor],
                         spec_classes: Sequence[Sequence[int]], active: torch.Tensor) -> torch.Tensor:
    """Per image ``KL(p_g || q) + sum_m a_m KL(p_m || q_m)`` with ``q = softmax(logits)`` (Hinton et al.,
    2015, Eq. 5), ``a_m`` 1 for the specialists active on the image.

    Args:
        logits (Tensor): (N, C) logits of q.
        gen_probs (Tensor): (N, C) generalist probabilities p_g.
        spec_probs (Sequence[Tensor]): Specialist m's (N, K_m + 1) probabilities p_m (dustbin last).
        spec_classes (Sequence[Sequence[int]]): Specialist m's classes S_m.
        active (Tensor): (N, M) 0/1 (or bool) mask of the active specialists.

    Returns:
        Tensor: (N, ) objective values.
    """
    log_q = F.log_softmax(logits, dim=1)
    total = kl_divergence(log_q, gen_probs, log_target=False)
    for m, (p_m, classes) in enumerate(zip(spec_probs, spec_classes)):
        kl = kl_divergence(reduce_log_probs(log_q, classes), p_m, log_target=False)
        total = total + active[:, m].to(total.dtype) * kl
    return total


def combine_specialists(gen_probs: torch.Tensor, spec_probs: Sequence[torch.Tensor],
                        spec_classes: Sequence[Sequence[int]], active: torch.Tensor, steps: int = 100,
                        lr: float = 1.0, eps: float = 1e-12) -> torch.Tensor:
    """The full distribution ``q = softmax(z)`` minimising :func:`specialist_objective`, by gradient descent
    on the logits ``z`` from ``z = log p_g`` (the paper's procedure). Each image steps by
    ``lr / (1 + #active specialists)`` (each KL term's Hessian in z is at most 1), so an image without active
    specialists keeps ``q = p_g``. With one specialist the optimum is known: ``q_c = (p_g(c) + p_m(c)) / 2``
    on its classes, the generalist's distribution rescaled to the remaining mass elsewhere.

    Args:
        gen_probs, spec_probs, spec_classes, active: As in :func:`specialist_objective`.
        steps (int): Gradient steps.
        lr (float): Step size (scaled per image as above).
        eps (float): Floor of p_g before the logarithm.

    Returns:
        Tensor: (N, C) combined probabilities q.
    """
    gen_probs = gen_probs.detach().float()
    spec_probs = [p.detach().float() for p in spec_probs]
    active = active.to(device=gen_probs.device, dtype=gen_probs.dtype)
    logits = gen_probs.clamp(min=eps).log()
    if not spec_probs or steps <= 0 or not active.any():
        return F.softmax(logits, dim=1)
    step = (lr / (1 + active.sum(dim=1, keepdim=True)))
    with torch.enable_grad():
        for _ in range(steps):
            z = logits.detach().requires_grad_(True)
            value = specialist_objective(z, gen_probs, spec_probs, spec_classes, active).sum()
            grad, = torch.autograd.grad(value, z)
            logits = z.detach() - step * grad
    return F.softmax(logits, dim=1)


@MODELS.register_module()
class SpecialistEnsemble(BaseModel):
    """A generalist and specialists on class clusters, combined as in Hinton et al. (2015, Sec. 5.3).

    For each image: the generalist's ``top_n`` most probable classes ``k``; the active specialists are
    those whose classes ``S_m`` intersect ``k``; the output is the ``q`` minimising
    ``KL(p_g || q) + sum_{m active} KL(p_m || q_m)`` (:func:`combine_specialists`), with ``q_m`` the
    reduction of ``q`` to ``S_m`` plus a dustbin. A specialist's ``dustbin_offset`` is added to its dustbin
    logit before its softmax (the prior correction of training on enriched data,
    :func:`mmkd.utils.specialists.dustbin_logit_offset`).

    For evaluation only (``predict`` and ``tensor`` modes), e.g. with MMEngine's ``Runner.test``; all models
    are loaded strictly from their checkpoints when the ensemble is built and stay frozen in eval mode.

    Args:
        generalist (dict | str): Model config of the generalist (or a config path). Its ``tensor`` mode must
            return (N, C) logits (``mmkd.ImageClassifier``).
        generalist_checkpoint (str | None): Its checkpoint (``None``: random weights, for tests).
        specialists (list[dict]): ``dict(classes=[...], checkpoint=..., model=None, dustbin_offset=0.0)``
            each; ``model`` defaults to the generalist's config with ``head.num_classes = len(classes) + 1``.
        top_n (int): Number of the generalist's most probable classes that select the specialists
            (the paper used 1). Defaults to 1.
        steps (int): Gradient steps of the combination. Defaults to 100.
        lr (float): Their step size. Defaults to 1.0.
        data_preprocessor: None or the generalist's own (the batch is prepared once for every model).
    """

    def __init__(self,
                 generalist: Union[dict, str],
                 generalist_checkpoint: Optional[str],
                 specialists: Sequence[dict],
                 top_n: int = 1,
                 steps: int = 100,
                 lr: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if not isinstance(top_n, int) or top_n < 1:
            raise ValueError(f'top_n must be a positive int, got {top_n!r}')
        gen_cfg = load_model_config(generalist)
        specialists = [dict(s) for s in specialists]
        spec_cfgs = []
        for i, spec in enumerate(specialists):
            unknown = set(spec) - {'classes', 'checkpoint', 'model', 'dustbin_offset'}
            if unknown or 'classes' not in spec or 'checkpoint' not in spec:
                raise ValueError(f'specialist {i} must be dict(classes=[...], checkpoint=<path or None>, '
                                 f'model=<optional config>, dustbin_offset=<optional float>); got keys {sorted(spec)}')
            spec_cfgs.append(load_model_config(spec['model']) if spec.get('model') is not None else
                             self.specialist_config(gen_cfg, len(spec['classes'])))
        preprocessors = dict(generalist=gen_cfg.get('data_preprocessor'))
        preprocessors.update({f'specialist {i}': c.get('data_preprocessor') for i, c in enumerate(spec_cfgs)})
        check_shared_preprocessor(type(self).__name__, preprocessors, data_preprocessor)
        gen_model = self._load(gen_cfg, generalist_checkpoint, 'generalist')
        super().__init__(data_preprocessor=gen_model.data_preprocessor, init_cfg=init_cfg)
        self.generalist = gen_model
        self.specialists = nn.ModuleList(
            self._load(cfg, spec['checkpoint'], f'specialist {i}') for i, (cfg, spec) in
            enumerate(zip(spec_cfgs, specialists)))
        self.spec_classes = [[int(c) for c in s['classes']] for s in specialists]
        self.dustbin_offsets = [float(s.get('dustbin_offset', 0.0)) for s in specialists]
        self.top_n = top_n
        self.steps = steps
        self.lr = lr
        self.requires_grad_(False)
        self.eval()

    @staticmethod
    def specialist_config(gen_cfg: dict, num_classes: int) -> dict:
        """The generalist's model config re-sized to a specialist of ``num_classes`` classes + a dustbin
        (``head.num_classes``; training top-k values above the new class count dropped)."""
        cfg = copy.deepcopy(gen_cfg)
        head = cfg.get('head') or {}
        if 'num_classes' not in head:
            raise ValueError('cannot derive a specialist model from the generalist config (no head.num_classes): '
                             'give each specialist its model=<config>')
        head['num_classes'] = num_classes + 1
        if 'topk' in head:
            topk = (head['topk'], ) if isinstance(head['topk'], int) else tuple(head['topk'])
            head['topk'] = tuple(k for k in topk if k <= num_classes + 1) or (1, )
        return cfg

    @staticmethod
    def _load(cfg: dict, checkpoint: Optional[str], what: str) -> nn.Module:
        model = MODELS.build(cfg)
        if checkpoint is None:
            print_log(f'{what} has no checkpoint: random weights', logger='current', level=30)
        else:
            load_weights(model, checkpoint, what)
        return model

    def train(self, mode: bool = True):
        """The models always stay in eval mode (running BN statistics, no dropout)."""
        super().train(mode)
        self.generalist.eval()
        self.specialists.eval()
        return self

    def init_weights(self) -> None:
        """Nothing to initialise: the models hold their checkpoints' weights."""

    def _logits(self, model: nn.Module, inputs: torch.Tensor, what: str, classes: int) -> torch.Tensor:
        logits = model(inputs, None, mode='tensor')
        if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[1] != classes:
            shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
            raise ValueError(f'{what} returned {shape} in tensor mode, expected (N, {classes}) logits')
        return logits.float()

    @torch.no_grad()
    def combine(self, inputs: torch.Tensor):
        """Run all models on a prepared batch and combine them.

        Returns:
            tuple[Tensor, Tensor]: q (N, C) and the (N, M) bool mask of the active specialists.
        """
        gen_logits = self.generalist(inputs, None, mode='tensor')
        if not isinstance(gen_logits, torch.Tensor) or gen_logits.dim() != 2:
            raise ValueError('the generalist must return (N, C) logits in tensor mode (mmkd.ImageClassifier)')
        gen_probs = F.softmax(gen_logits.float(), dim=1)
        num_classes = gen_probs.shape[1]
        bad = [c for s in self.spec_classes for c in s if not 0 <= c < num_classes]
        if bad:
            raise ValueError(f'specialist classes {bad} are out of the generalist\'s {num_classes} classes')
        top = gen_probs.topk(min(self.top_n, num_classes), dim=1).indices
        active = torch.zeros(gen_probs.shape[0], len(self.specialists), dtype=torch.bool, device=gen_probs.device)
        spec_probs = []
        for m, (model, classes) in enumerate(zip(self.specialists, self.spec_classes)):
            members = torch.as_tensor(classes, device=top.device)
            active[:, m] = torch.isin(top, members).any(dim=1)
            if not active[:, m].any():
                spec_probs.append(gen_probs.new_zeros(gen_probs.shape[0], len(classes) + 1))
                continue
            logits = self._logits(model, inputs, f'specialist {m}', len(classes) + 1)
            logits[:, -1] += self.dustbin_offsets[m]
            spec_probs.append(F.softmax(logits, dim=1))
        q = combine_specialists(gen_probs, spec_probs, self.spec_classes, active, self.steps, self.lr)
        return q, active

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'):
        """``predict``: samples with ``pred_score`` (q), ``pred_label`` and ``num_specialists`` (metainfo);
        ``tensor``: q (N, C)."""
        return forward_by_mode(self, inputs, data_samples, mode)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]]):
        raise RuntimeError('SpecialistEnsemble evaluates trained models and has no loss; train the '
                           'specialists with tools/specialists.py')

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]] = None) -> torch.Tensor:
        return self.combine(inputs)[0]

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[ClsDataSample]] = None) -> List[ClsDataSample]:
        q, active = self.combine(inputs)
        if data_samples is None:
            data_samples = [ClsDataSample() for _ in range(q.shape[0])]
        elif len(data_samples) != q.shape[0]:
            raise ValueError(f'got {q.shape[0]} images but {len(data_samples)} data samples')
        for sample, score, used in zip(data_samples, q, active):
            sample.set_pred_score(score).set_pred_label(score.argmax(dim=0, keepdim=True))
            sample.set_metainfo(dict(num_specialists=int(used.sum())))
        return list(data_samples)
