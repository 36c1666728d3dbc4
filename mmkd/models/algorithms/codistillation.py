"""Codistillation (Anil et al., "Large scale distributed neural network training through online
distillation", ICLR 2018): peers trained in separate processes on different data, each distilled from
stale copies of the others that are exchanged every few hundred steps."""
import copy
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from mmkd.registry import MODELS
from mmkd.utils.config import load_model_config
from mmkd.utils.loss_guard import FiniteLossMixin, check_loss_weights
from ..losses.base import data_samples_kwargs
from ..recorders import RecorderManager
from ..utils import check_shared_preprocessor, forward_by_mode
from .frozen_teacher import local_norms
from .mutual_learning import LOGITS, ForwardResults


@MODELS.register_module()
class Codistillation(FiniteLossMixin, BaseModel):
    """One peer of a codistillation run: its own model plus frozen, stale copies of the other peers.

    Each process of a distributed run (``tools/dist_train.sh``) holds one peer and trains it on its own
    shard of the data, with its own optimizer: the model wrapper must not synchronise gradients
    (``model_wrapper_cfg=dict(type='mmkd.LocalModelWrapper')``). ``mmkd.CodistillationHook`` gathers
    every peer's weights every ``exchange_interval`` iterations into :attr:`stale_peers` of every other
    peer. From iteration ``burn_in`` on, peer k minimises

    ``L_task(k) + loss_weight * T^2 * KL(q || softmax(z_k / T))``, with
    ``q = 1 / (K - 1) * sum_{j != k} softmax(z_j~ / T)``

    where ``z_j~`` are the logits of peer j's stale copy (run without gradient, in eval mode) on peer k's
    batch (Anil et al., Sec. 2, Algorithm 1). Before ``burn_in`` the term is logged as 0. The KL is the
    ``loss`` module (``mmkd.KDLoss``) called with the teacher logits ``T * log q``, whose softmax at
    temperature T is ``q``.

    The stale copies are kept out of ``parameters()``, ``state_dict()`` and the optimizer (like a
    distiller's teacher); checkpoints hold the peer's own model under ``student.`` (so the distillers'
    export tools apply) and the copies are rebuilt at the next exchange (the hook exchanges at once when
    a resumed run is past ``burn_in``).

    Args:
        student (dict | str): The peer's model config (an mmkd classifier or mmseg segmentor dict with its
            ``data_preprocessor``, or a config path whose ``model`` is used). Every peer has this
            architecture. Without a process group, SyncBN becomes BN (in the peer and its stale copies)
            before the recorders hook a layer (``local_norms``, as in ``FeatureDistiller``).
        logits (str | dict): The logits position, recorded with ``mmkd.ModuleRecorder`` (``'head.fc'``,
            ``'decode_head.conv_seg'`` or ``dict(source=..., io=..., call=...)``).
        loss (dict): The divergence ``loss(student, teacher)``. Defaults to ``mmkd.KDLoss`` with tau 1.
        burn_in (int): Iterations trained on the task loss alone before distillation starts. Defaults to 0.
        data_preprocessor: None or the student's own (mmengine's Runner copies a top-level
            ``data_preprocessor`` of the config into the model dict).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 student: Union[dict, str],
                 logits: Union[str, dict],
                 loss: dict = dict(type='mmkd.KDLoss', tau=1.0),
                 burn_in: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if isinstance(burn_in, bool) or not isinstance(burn_in, int) or burn_in < 0:
            raise ValueError(f'burn_in must be an int >= 0 (iterations), got {burn_in!r}')
        student_cfg = load_model_config(student)
        check_shared_preprocessor(type(self).__name__, dict(student=student_cfg.get('data_preprocessor')),
                                  data_preprocessor, role='student')
        model = local_norms(MODELS.build(copy.deepcopy(student_cfg)))
        super().__init__(data_preprocessor=model.data_preprocessor, init_cfg=init_cfg)
        self.student_cfg = student_cfg
        self.student = model
        if isinstance(logits, str):
            logits = dict(source=logits)
        if not isinstance(logits, dict) or 'source' not in logits:
            raise ValueError('logits must be a module name such as "head.fc" or "decode_head.conv_seg", or '
                             f'dict(source=..., io=..., call=...); got {logits!r}')
        self.logits_position = dict(logits)
        self.recorders = RecorderManager({LOGITS: dict(self.logits_position)})
        self.recorders.prepare(self.student, model_name='student')
        self.codist_loss = MODELS.build(loss)
        check_loss_weights(self.codist_loss, 'Codistillation loss')
        self.burn_in = burn_in
        # the stale peers: plain attributes, outside parameters(), state_dict(), the optimizer and wrappers
        object.__setattr__(self, '_stale', [])
        self.stale_ranks: List[int] = []
        self.exchange_iter: Optional[int] = None

    # -------------------------------------------------------------------------------- stale peers
    @property
    def stale_peers(self) -> List[nn.Module]:
        """list[nn.Module]: The frozen copies of the other peers from the last exchange."""
        return [module for module, _ in self._stale]

    @torch.no_grad()
    def load_stale_peers(self, state_dicts: Sequence[Dict[str, torch.Tensor]],
                         ranks: Optional[Sequence[int]] = None, iteration: Optional[int] = None) -> None:
        """Replace the stale copies with models holding ``state_dicts`` (copied; frozen, eval mode).

        Args:
            state_dicts (Sequence[dict]): The other peers' ``student`` state dicts, one per peer.
            ranks (Sequence[int], optional): The ranks they come from (logged). Defaults to ``0..K-2``.
            iteration (int, optional): The iteration of the exchange.
        """
        if not state_dicts:
            raise ValueError('codistillation needs at least one other peer\'s weights; run at least two '
                             'processes (tools/dist_train.sh CONFIG 2)')
        device = next(self.student.parameters()).device
        while len(self._stale) > len(state_dicts):
            self._stale.pop()[1].remove()
        while len(self._stale) < len(state_dicts):
            module = local_norms(MODELS.build(copy.deepcopy(self.student_cfg)))
            recorders = RecorderManager({LOGITS: dict(self.logits_position)})
            recorders.prepare(module, model_name='stale peer')
            module.requires_grad_(False)
            self._stale.append((module, recorders))
        for (module, _), state in zip(self._stale, state_dicts):
            module.to(device)
            module.load_state_dict({k: v.to(device) for k, v in state.items()}, strict=True)
            module.eval()
        self.stale_ranks = list(ranks) if ranks is not None else list(range(len(state_dicts)))
        self.exchange_iter = iteration

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        for module, _ in self._stale:
            module._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True):
        super().train(mode)
        for module, _ in self._stale:
            module.eval()
        return self

    @torch.no_grad()
    def stale_target(self, inputs: torch.Tensor) -> torch.Tensor:
        """``T * log(mean_j softmax(z_j~ / T))`` over the stale peers: logits whose softmax at the loss's
        temperature is the peers' mean prediction (with one peer: ``z~ - logsumexp(z~ / T) * T``)."""
        tau = float(getattr(self.codist_loss, 'tau', 1.0))
        log_probs = []
        for module, recorders in self._stale:
            with recorders.recording():
                module(inputs, None, mode='tensor')
            z = recorders.get(LOGITS).float()
            recorders.reset()
            log_probs.append(torch.log_softmax(z / tau, dim=1))
        stacked = torch.stack(log_probs)
        return tau * (torch.logsumexp(stacked, dim=0) - math.log(len(log_probs)))

    # ------------------------------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        return forward_by_mode(self, inputs, data_samples, mode, self.student)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """The student's own losses and ``loss_codist`` (0 before ``burn_in``)."""
        with self.recorders.recording():
            losses = dict(self.student(inputs, data_samples, mode='loss'))
        logits = self.recorders.get(LOGITS)
        it = int(MessageHub.get_current_instance().get_info('iter', 0))
        if it < self.burn_in:
            losses['loss_codist'] = logits.new_zeros(())
            return losses
        if not self._stale:
            raise RuntimeError(
                f'iteration {it} is past burn_in={self.burn_in} but no stale peers were loaded: add '
                'custom_hooks=[dict(type="mmkd.CodistillationHook", exchange_interval=...)] to the config '
                'and run one process per peer (tools/dist_train.sh CONFIG 2)')
        kwargs = data_samples_kwargs(self.codist_loss, data_samples)
        with torch.autocast(device_type=logits.device.type, enabled=False):
            losses['loss_codist'] = self.codist_loss(logits.float(), self.stale_target(inputs), **kwargs)
        return losses

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """MMEngine's loss parsing, then drop the recorded logits (the graph keeps what it needs)."""
        parsed = super().parse_losses(losses)
        self.recorders.reset()
        return parsed
