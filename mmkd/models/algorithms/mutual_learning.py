"""Deep Mutual Learning (Zhang et al., "Deep Mutual Learning", CVPR 2018): a cohort of peers trained
together from scratch, each one also matching the other peers' predictions."""
import copy
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel, ModuleDict
from mmengine.structures import BaseDataElement

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import extract_state_dict, load_checkpoint_file
from mmkd.utils.config import load_model_config, standalone_config
from mmkd.utils.loss_guard import FiniteLossMixin, check_loss_weights
from mmkd.utils.modules import image_size
from ..losses.base import data_samples_kwargs
from ..recorders import RecorderManager
from ..utils import check_shared_preprocessor, dry_forward, forward_by_mode
from .frozen_teacher import local_norms

PEERS_PREFIX = 'peers.'
LOGITS = 'logits'
ForwardResults = Union[Dict[str, torch.Tensor], List[BaseDataElement], torch.Tensor]


@MODELS.register_module()
class MutualLearning(FiniteLossMixin, BaseModel):
    """Deep Mutual Learning: K peers train on the same batches, each with its own task loss plus

    ``loss_mutual_k = 1 / (K - 1) * sum_{j != k} KL(p_j || p_k)``

    where ``p_k`` is peer k's predicted distribution (Zhang et al., CVPR 2018, Eq. 10) and ``p_j`` is
    detached, so peer k's mutual term trains peer k only. The KL is the ``loss`` module called as
    ``loss(student=logits_k, teacher=logits_j)``; ``mmkd.KDLoss(tau=1)`` gives the paper's
    KL(p_j || p_k), summed over classes and averaged over samples (and locations, for dense logits).

    The paper updates the peers in turn, each against the others' current predictions; here all peers
    are sub-modules of one model and one optimizer step updates them together from one forward (every
    peer's mutual term uses the other peers' predictions of the same step), as most implementations do.

    Logged losses: ``<peer>.<key>`` for each peer's own losses (``a.loss_cls``, ``b.decode.loss_ce``) and
    ``loss_mutual_<peer>``. ``predict`` and ``tensor`` modes (validation, testing) run the peer named by
    ``predict_peer``; evaluate another one with ``--cfg-options model.predict_peer=<peer>`` in
    ``tools/test.py``, or export it as a plain model with
    ``tools/model_converters/distill_to_student.py --peer <peer>``.

    Args:
        peers (dict): peer name -> model config (an mmkd classifier or mmseg segmentor dict with its
            ``data_preprocessor``, or a config path whose ``model`` is used). At least two; names are
            Python identifiers (they prefix the state dict: ``peers.<name>.``). Every peer must use the
            same data preprocessor, because the batch is prepared once. Without a process group, SyncBN
            becomes BN before the recorders hook a layer (``local_norms``, as in ``FeatureDistiller``).
        logits (str | dict): the position of the logits, recorded with ``mmkd.ModuleRecorder``: one
            position for all peers (a module name such as ``'head.fc'`` or ``'decode_head.conv_seg'``, or
            ``dict(source=..., io=..., call=...)``) or ``dict(<peer>=<position>, ...)`` naming every peer.
        loss (dict): the divergence ``loss(student, teacher)``. Defaults to ``mmkd.KDLoss`` with tau 1.
        predict_peer (str, optional): the peer that ``predict``/``tensor`` modes run. Defaults to the
            first peer.
        input_size (tuple, optional): (H, W) of a dry forward, at build time, that checks every peer's
            logits position and that all peers' logits have one shape.
        data_preprocessor: None or the peers' own: the first peer's preprocessor is shared (mmengine's
            Runner copies a top-level ``data_preprocessor`` of the config into the model dict).
    """

    def __init__(self,
                 peers: Dict[str, Union[dict, str]],
                 logits: Union[str, dict],
                 loss: dict = dict(type='mmkd.KDLoss', tau=1.0),
                 predict_peer: Optional[str] = None,
                 input_size: Optional[Tuple[int, int]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if not isinstance(peers, dict) or len(peers) < 2:
            raise ValueError('MutualLearning needs peers=dict(<name>=<model config>, ...) with at least two '
                             f'peers, got {peers!r}')
        for name in peers:
            if not isinstance(name, str) or not name.isidentifier() or hasattr(ModuleDict(), name):
                raise ValueError(f'peer name {name!r} cannot name a sub-module: use a Python identifier that '
                                 'is not a ModuleDict attribute (e.g. a, b, r18, mbv2)')
        cfgs = {name: load_model_config(cfg) for name, cfg in peers.items()}
        first = next(iter(cfgs))
        check_shared_preprocessor(type(self).__name__,
                                  {name: cfg.get('data_preprocessor') for name, cfg in cfgs.items()},
                                  data_preprocessor, role='peer')
        built = OrderedDict((name, local_norms(MODELS.build(cfg))) for name, cfg in cfgs.items())
        super().__init__(data_preprocessor=built[first].data_preprocessor, init_cfg=init_cfg)
        # mmengine's ModuleDict, so that init_weights reaches every peer (torch's containers have none)
        self.peers = ModuleDict(built)

        self.recorders = {}
        for name, position in self._positions(logits).items():
            recorder = dict(source=position) if isinstance(position, str) else dict(position)
            manager = RecorderManager({LOGITS: recorder})
            manager.prepare(self.peers[name], model_name=f'peer {name!r}')
            self.recorders[name] = manager
        self.mutual_loss = MODELS.build(loss)
        check_loss_weights(self.mutual_loss, f'{type(self).__name__} loss')
        self._predict_peer = None
        self.predict_peer = predict_peer if predict_peer is not None else first
        self.input_size = image_size(input_size) if input_size is not None else None
        if self.input_size is not None:
            self._check_logits()

    # ----------------------------------------------------------------------------------------- build
    def _positions(self, logits) -> Dict[str, Union[str, dict]]:
        names = list(self.peers)
        if isinstance(logits, dict) and set(logits) == set(names):
            return {name: logits[name] for name in names}
        if isinstance(logits, str) or (isinstance(logits, dict) and 'source' in logits):
            return {name: logits for name in names}
        raise ValueError('logits must be one position for every peer (a module name such as "head.fc" or '
                         '"decode_head.conv_seg", or dict(source=..., io=..., call=...)) or dict(<peer>='
                         f'<position>) naming every peer ({", ".join(names)}); got {logits!r}')

    @torch.no_grad()
    def _check_logits(self) -> None:
        """One eval-mode forward of every peer on a random batch: positions exist, logits agree in shape."""
        shapes = {}
        for name, peer in self.peers.items():
            try:
                dry_forward(peer, self.input_size, self.recorders[name])
                shapes[name] = tuple(self.recorders[name].get(LOGITS).shape)
            finally:
                self.recorders[name].reset()
        if len(set(shapes.values())) > 1:
            found = ', '.join(f'{self._describe(n)} {s}' for n, s in shapes.items())
            raise ValueError(f'the peers\' logits differ in shape at input size {self.input_size}: {found}; '
                             'name each peer\'s class-score layer (logits=dict(<peer>=<position>)) and give '
                             'the peers the same classes')

    def _describe(self, name: str) -> str:
        recorder = self.recorders[name].recorders[LOGITS]
        return f'peer {name!r} {recorder.source}[{recorder.io}]'

    @property
    def predict_peer(self) -> str:
        """str: the peer that ``predict`` and ``tensor`` modes run; settable."""
        return self._predict_peer

    @predict_peer.setter
    def predict_peer(self, name: str) -> None:
        if name not in self.peers:
            raise ValueError(f'predict_peer={name!r} is not a peer; the peers are: {", ".join(self.peers)}')
        self._predict_peer = name

    # ------------------------------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        return forward_by_mode(self, inputs, data_samples, mode, self.peers[self.predict_peer])

    def peer_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """What one peer's ``loss`` sees of the batch, asked once per peer: the batch itself."""
        return inputs

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """Every peer's own losses (``<peer>.<key>``) and its mutual loss (``loss_mutual_<peer>``)."""
        losses, logits = {}, {}
        for name, peer in self.peers.items():
            with self.recorders[name].recording():
                peer_losses = peer(self.peer_inputs(inputs), data_samples, mode='loss')
            losses.update({f'{name}.{key}': value for key, value in peer_losses.items()})
            logits[name] = self.recorders[name].get(LOGITS)
        losses.update(self.mutual_losses(logits, data_samples))
        return losses

    def mutual_losses(self, logits: Dict[str, torch.Tensor],
                      data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """``loss_mutual_k = 1 / (K - 1) * sum_{j != k} loss(logits_k, logits_j.detach())`` for every peer.

        Args:
            logits (dict[str, Tensor]): each peer's logits, (N, C) or (N, C, *spatial), one shape for all.
            data_samples (list, optional): passed to a loss whose ``forward`` takes ``data_samples``.

        Returns:
            dict[str, Tensor]: ``loss_mutual_<peer>`` for every peer, in the order of ``logits``.
        """
        shapes = {name: tuple(value.shape) for name, value in logits.items()}
        if len(set(shapes.values())) > 1:
            raise ValueError(f'the peers\' logits differ in shape: {shapes}; name each peer\'s class-score '
                             'layer and give the peers the same classes')
        kwargs = data_samples_kwargs(self.mutual_loss, data_samples)
        names = list(logits)
        out = {}
        for k in names:
            device = logits[k].device
            terms = []
            with torch.autocast(device_type=device.type, enabled=False):
                for j in names:
                    if j != k:
                        terms.append(self.mutual_loss(logits[k].float(), logits[j].detach().float(), **kwargs))
            out[f'loss_mutual_{k}'] = sum(terms) / (len(names) - 1)
        return out

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """MMEngine's loss parsing, then drop the recorded logits (the graph keeps what it needs)."""
        parsed = super().parse_losses(losses)
        for manager in self.recorders.values():
            manager.reset()
        return parsed


# --------------------------------------------------------------------------------------- export
def peer_names(checkpoint: dict) -> List[str]:
    """The peer names of a mutual-learning checkpoint (``peers.<name>.*`` weights), in order of appearance."""
    state = extract_state_dict(checkpoint, prefer_student=False)
    names = []
    for key in state:
        if key.startswith(PEERS_PREFIX):
            name = key[len(PEERS_PREFIX):].split('.', 1)[0]
            if name not in names:
                names.append(name)
    return names


def peer_checkpoint(checkpoint: dict, name: str) -> dict:
    """A plain checkpoint of peer ``name`` alone (weights without the ``peers.<name>.`` prefix)."""
    names = peer_names(checkpoint)
    if not names:
        raise ValueError('this checkpoint has no "peers.<name>." weights; it is not a mutual-learning '
                         '(mmkd.MutualLearning) checkpoint')
    if name not in names:
        raise ValueError(f'no peer {name!r} in this checkpoint; its peers are: {", ".join(names)}')
    prefix = f'{PEERS_PREFIX}{name}.'
    state = extract_state_dict(checkpoint, prefer_student=False)
    meta = dict(checkpoint.get('meta', {}))
    meta['exported_from'] = f'mmkd mutual-learning checkpoint (peer {name})'
    return dict(meta=meta, state_dict=OrderedDict((k[len(prefix):], v) for k, v in state.items()
                                                  if k.startswith(prefix)))


def export_peer(src: str, name: str, dst: Optional[str] = None) -> str:
    """Write peer ``name`` of mutual-learning checkpoint ``src`` as a plain checkpoint (default:
    ``<src>_<name>.pth``); returns its path."""
    dst = dst or f'{osp.splitext(src)[0]}_{name}.pth'
    torch.save(peer_checkpoint(load_checkpoint_file(src, 'mutual-learning'), name), dst)
    return dst


def peer_config(cfg: Config, name: str) -> Config:
    """The mutual-learning config with the model replaced by peer ``name``: a plain task config that the
    ordinary OpenMMLab tools (``tools/test.py``, ``init_model``) load with the exported checkpoint."""
    cfg = cfg.copy()
    peers = cfg.get('model', {}).get('peers')
    if peers is None:
        raise ValueError('the config model has no `peers`; it is not a mutual-learning config')
    if name not in peers:
        raise ValueError(f'no peer {name!r} in the config; its peers are: {", ".join(peers)}')
    cfg.model = load_model_config(copy.deepcopy(peers[name]))
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if not str(h.get('type', '')).startswith('mmkd.')]
    for key in ('model_wrapper_cfg', 'load_from', 'resume'):
        cfg.pop(key, None)
    return standalone_config(cfg)
