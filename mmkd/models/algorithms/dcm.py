"""Dense Cross-layer Mutual-distillation (Yao & Sun, "Knowledge Transfer via Dense Cross-Layer
Mutual-Distillation", ECCV 2020): mutual learning between peers that also carry auxiliary classifiers on
intermediate stages, with bidirectional distillation between classifiers of different depths."""
import copy
from itertools import product
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import ModuleDict, ModuleList

from mmkd.registry import MODELS
from mmkd.utils.loss_guard import check_loss_weights
from mmkd.utils.modules import image_size
from ..losses.base import data_samples_kwargs
from ..losses.utils import class_labels
from ..recorders import RecorderManager
from ..utils import dry_batch, eval_mode
from .mutual_learning import LOGITS, MutualLearning


@MODELS.register_module()
class DCM(MutualLearning):
    """Peers trained together from scratch, each with auxiliary classifiers on intermediate stages.

    Every peer has ``L`` auxiliary classifiers (indices ``0..L-1``, in the order of ``aux_classifiers``)
    and its own final classifier (index ``L``, or ``-1``). For two peers A and B the loss is

    ``sum_k CE(z_A^k, y) + CE(z_B^k, y) + sum_{(i, j) in Q} [KL(p_B^j || p_A^i) + KL(p_A^i || p_B^j)]``

    with ``p = softmax(z / T)`` and each KL's target detached and scaled by ``T^2`` (``mmkd.KDLoss``): the
    first KL of a pair trains A's classifier i only, the second B's classifier j only. ``Q`` is the set of
    distilled layer pairs: ``'dense'`` (every (i, j), the paper's dense cross-layer scheme, which includes
    the final-final pair of DML and the same-stage pairs), ``'same'`` (the pairs (i, i)), or an explicit
    list of ``(i, j)``. With more than two peers every pair of peers (in config order) is distilled this
    way and each peer's term is divided by ``K - 1``, as in DML.

    Logged losses: ``<peer>.<key>`` (the peer's own losses), ``<peer>.loss_aux<i>`` (auxiliary
    cross-entropies, times ``aux_loss_weight``) and ``loss_dcm_<peer>`` (the KL terms that train the peer).
    The auxiliary classifiers live in ``aux_heads.<peer>.<i>``, outside ``peers.<peer>.``: they are not
    part of an exported peer (``tools/model_converters/distill_to_student.py --peer``) and are not run in
    ``predict``/``tensor`` modes.

    Args:
        peers (dict): As in :class:`MutualLearning` (mmkd classifiers here: the labels come from
            ``gt_label``).
        logits (str | dict): The final classifiers' logits position(s), as in :class:`MutualLearning`.
        aux_classifiers (list[dict] | dict): ``dict(position=..., head=...)`` per auxiliary classifier: the
            recorded intermediate feature (a module name such as ``'backbone.layer2'``, or a recorder dict
            ``dict(source=..., io=..., call=...)``) and the head config (e.g. ``mmkd.ConvClsHead``). One list
            for every peer, or ``dict(<peer>=[...])`` naming every peer, each with the same number.
        pairs (str | list): ``'dense'``, ``'same'`` or a list of ``(i, j)`` classifier indices.
            Defaults to ``'dense'``.
        loss (dict): The divergence ``loss(student, teacher)``. Defaults to ``mmkd.KDLoss`` with tau 1.
        aux_loss_weight (float): Weight of the auxiliary cross-entropies. Defaults to 1.0.
        predict_peer, input_size, data_preprocessor, init_cfg: As in :class:`MutualLearning`;
            ``input_size`` also checks the auxiliary heads.
    """

    def __init__(self,
                 peers: Dict[str, Union[dict, str]],
                 logits: Union[str, dict],
                 aux_classifiers: Union[List[dict], Dict[str, List[dict]]],
                 pairs: Union[str, Sequence[Sequence[int]]] = 'dense',
                 loss: dict = dict(type='mmkd.KDLoss', tau=1.0),
                 aux_loss_weight: float = 1.0,
                 predict_peer: Optional[str] = None,
                 input_size: Optional[Tuple[int, int]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(peers=peers, logits=logits, loss=loss, predict_peer=predict_peer, input_size=None,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        aux = self._aux_configs(aux_classifiers)
        self.num_aux = len(next(iter(aux.values())))
        self.pairs = self._pairs(pairs, self.num_aux)
        check_loss_weights(dict(aux_loss_weight=aux_loss_weight), 'DCM')
        self.aux_loss_weight = aux_loss_weight
        self.aux_heads = ModuleDict()
        self.aux_recorders = {}
        for name, entries in aux.items():
            self.aux_heads[name] = ModuleList([MODELS.build(copy.deepcopy(e['head'])) for e in entries])
            recorders = {}
            for i, entry in enumerate(entries):
                position = entry['position']
                recorders[f'aux{i}'] = dict(source=position) if isinstance(position, str) else dict(position)
            manager = RecorderManager(recorders)
            manager.prepare(self.peers[name], model_name=f'peer {name!r}')
            self.aux_recorders[name] = manager
        self.input_size = image_size(input_size) if input_size is not None else None
        if self.input_size is not None:
            self._check_logits()

    # ----------------------------------------------------------------------------------------- build
    def _aux_configs(self, aux_classifiers) -> Dict[str, List[dict]]:
        names = list(self.peers)
        if isinstance(aux_classifiers, dict) and set(aux_classifiers) == set(names):
            aux = {name: list(aux_classifiers[name]) for name in names}
        elif isinstance(aux_classifiers, (list, tuple)):
            aux = {name: list(aux_classifiers) for name in names}
        else:
            raise ValueError('aux_classifiers must be a list of dict(position=..., head=...) for every peer, '
                             f'or dict(<peer>=[...]) naming every peer ({", ".join(names)}); got '
                             f'{aux_classifiers!r}')
        counts = {name: len(entries) for name, entries in aux.items()}
        if len(set(counts.values())) != 1 or not next(iter(counts.values())):
            raise ValueError(f'every peer needs the same number (at least one) of auxiliary classifiers, so '
                             f'that classifier i means the same depth in every peer; got {counts}')
        for name, entries in aux.items():
            for entry in entries:
                if not isinstance(entry, dict) or set(entry) != {'position', 'head'}:
                    raise ValueError(
                        f'peer {name!r}: each auxiliary classifier is dict(position=..., head=...), e.g. '
                        'dict(position="backbone.layer2", head=dict(type="mmkd.ConvClsHead", '
                        f'in_channels=128, num_classes=100)); got {entry!r}')
        return aux

    @staticmethod
    def _pairs(pairs, num_aux: int) -> List[Tuple[int, int]]:
        last = num_aux
        if pairs == 'dense':
            return list(product(range(last + 1), repeat=2))
        if pairs == 'same':
            return [(i, i) for i in range(last + 1)]
        if isinstance(pairs, str) or not isinstance(pairs, (list, tuple)) or not pairs:
            raise ValueError('pairs must be "dense", "same" or a non-empty list of (i, j) classifier '
                             f'indices, got {pairs!r}')
        out = []
        for pair in pairs:
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or not all(isinstance(i, int) and not isinstance(i, bool) for i in pair)):
                raise ValueError(f'each pair is (i, j) with two classifier indices, got {pair!r}')
            resolved = tuple(last if i == -1 else i for i in pair)
            if not all(0 <= i <= last for i in resolved):
                raise ValueError(f'pair {tuple(pair)}: classifier indices are 0..{last - 1} (auxiliary) and '
                                 f'{last} or -1 (final)')
            out.append(resolved)
        if len(set(out)) != len(out):
            raise ValueError(f'pairs {pairs} repeat a pair')
        return out

    @torch.no_grad()
    def _check_logits(self) -> None:
        """One eval-mode forward per peer at ``input_size``: every classifier gives logits of one shape."""
        inputs = dry_batch(self.input_size)
        shapes = {}
        for name in self.peers:
            try:
                with eval_mode(self):
                    for i, z in enumerate(self.classifier_logits(name, inputs)):
                        shapes[f'peer {name!r} classifier {i}'] = tuple(z.shape)
            except Exception as err:
                raise ValueError(f'peer {name!r} at input size {self.input_size}: {err}') from err
        if len(set(shapes.values())) > 1:
            found = ', '.join(f'{k} {v}' for k, v in shapes.items())
            raise ValueError(f'the classifiers\' logits differ in shape at input size {self.input_size}: '
                             f'{found}; give every auxiliary head the peers\' number of classes')

    # ------------------------------------------------------------------------------------- forward
    def classifier_logits(self, name: str, inputs: torch.Tensor) -> List[torch.Tensor]:
        """All logits of peer ``name`` (auxiliary classifiers, then the final one), from one forward."""
        with self.recorders[name].recording(), self.aux_recorders[name].recording():
            self.peers[name](inputs, None, mode='tensor')
        out = self._aux_logits(name) + [self.recorders[name].get(LOGITS)]
        self.recorders[name].reset()
        self.aux_recorders[name].reset()
        return out

    def _aux_logits(self, name: str) -> List[torch.Tensor]:
        recorders = self.aux_recorders[name]
        return [head(recorders.get(f'aux{i}')) for i, head in enumerate(self.aux_heads[name])]

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """Every peer's own losses, its auxiliary cross-entropies and its DCM distillation term."""
        losses, logits = {}, {}
        for name, peer in self.peers.items():
            with self.recorders[name].recording(), self.aux_recorders[name].recording():
                peer_losses = peer(inputs, data_samples, mode='loss')
            losses.update({f'{name}.{key}': value for key, value in peer_losses.items()})
            aux = self._aux_logits(name)
            labels = class_labels(data_samples, aux[0].device)
            for i, (z, head) in enumerate(zip(aux, self.aux_heads[name])):
                losses[f'{name}.loss_aux{i}'] = self.aux_loss_weight * head.loss_module(z, labels)
            logits[name] = aux + [self.recorders[name].get(LOGITS)]
        losses.update(self.dcm_losses(logits, data_samples))
        return losses

    def dcm_losses(self, logits: Dict[str, Sequence[torch.Tensor]],
                   data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """The dense cross-layer distillation terms.

        Args:
            logits (dict[str, list[Tensor]]): Per peer, the ``L + 1`` classifiers' logits (auxiliary ones in
                order, then the final one), all of one shape.
            data_samples (list, optional): Passed to a loss whose ``forward`` takes ``data_samples``.

        Returns:
            dict[str, Tensor]: ``loss_dcm_<peer>`` for every peer: ``1 / (K - 1)`` times the sum, over the
            other peers and the pairs, of ``loss(own logits, other's logits)`` (the target is detached).
        """
        names = list(logits)
        for name in names:
            if len(logits[name]) != self.num_aux + 1:
                raise ValueError(f'peer {name!r} has {len(logits[name])} classifiers\' logits, expected '
                                 f'{self.num_aux + 1} ({self.num_aux} auxiliary + the final one)')
        kwargs = data_samples_kwargs(self.mutual_loss, data_samples)
        terms = {name: [] for name in names}
        with torch.autocast(device_type=logits[names[0]][0].device.type, enabled=False):
            for p, a in enumerate(names):
                for b in names[p + 1:]:
                    for i, j in self.pairs:
                        z_a, z_b = logits[a][i].float(), logits[b][j].float()
                        terms[a].append(self.mutual_loss(z_a, z_b.detach(), **kwargs))
                        terms[b].append(self.mutual_loss(z_b, z_a.detach(), **kwargs))
        return {f'loss_dcm_{name}': sum(terms[name]) / (len(names) - 1) for name in names}

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """As :meth:`MutualLearning.parse_losses`, also dropping the recorded intermediate features."""
        parsed = super().parse_losses(losses)
        for manager in self.aux_recorders.values():
            manager.reset()
        return parsed
