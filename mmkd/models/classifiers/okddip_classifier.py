"""OKDDip (Chen et al., "Online Knowledge Distillation with Diverse Peers", AAAI 2020)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ModuleList

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from ..ops.backbone_stages import last_feature, take_stages, truncate_backbone
from .multi_branch_classifier import MultiBranchClassifier

LEADER_TARGETS = ('peer_mean', 'target_mean')


@MODELS.register_module()
class OKDDipClassifier(MultiBranchClassifier):
    """OKDDip: a group leader and ``m`` auxiliary peers share the stem and the first ``shared_stages``
    stages; each has its own later stages and head. Two-level distillation (Chen et al., AAAI 2020):

    1. Peer ``i`` learns from its own aggregate of the peers' logits, weighted by self-attention on the
       peers' pooled features ``h`` (the head's input)::

           q_i = W_q h_i,   k_j = W_k h_j,   a_ij = softmax_j(q_i . k_j),   t_i = sum_j a_ij z_j

    2. The leader learns from the peer group: ``t_L = mean_i z_i`` (``leader_target='peer_mean'``, as the
       authors' code) or ``t_L = mean_i t_i`` (``'target_mean'``).

    Loss (``T = 3``, ``W_q``/``W_k``: ``in_channels -> in_channels // 8`` without bias, as the authors)::

        sum_{b in leader, peers} CE(z_b, y) + T^2 * (sum_i KL(softmax(t_i / T) || softmax(z_i / T))
                                                     + KL(softmax(t_L / T) || softmax(z_L / T)))

    Each KL term (with its ``T^2``) is ``kd_loss`` (``mmkd.KDLoss``). The logits ``z_j`` inside the
    targets are detached: a peer's KL never pulls another peer (or the leader) towards it. The attention
    weights ``a_ij`` are not detached, so ``W_q``, ``W_k`` (and, through ``h``, the peers' features) learn
    from the peers' KL terms, as in the authors' implementation, where nothing is detached; otherwise
    ``W_q`` and ``W_k`` would never be trained. The peers' terms therefore call ``kd_loss`` so that the
    gradient reaches the target (:meth:`distill_with_target_grad`). ``t_L`` is fully detached.
    The authors ramp the KL weight up over the first 80 epochs; mmkd does not (weight 1 throughout).

    The leader is branch 0 and is deployed: ``predict_branch=0`` (default) runs it alone, and
    ``tools/model_converters/online_to_single.py --branch 0`` exports it as a plain classifier; peer ``i``
    is branch ``i`` (1..m).

    Logged keys: ``loss_cls_leader``, ``loss_cls_peer{i}``, ``loss_kl_peer{i}``, ``loss_kl_leader`` and the
    top-k accuracy of the prediction branch.

    Args:
        backbone (dict): Config of a whole single-branch backbone (mmdet/mmseg ResNet or MobileNetV2), built
            once per branch (own random initialisation); the trunk keeps the first ``shared_stages``.
        head (dict): Config of one branch's head (``mmkd.LinearClsHead``).
        num_peers (int): Auxiliary peers ``m >= 2`` (the leader comes on top). Defaults to 3 (the authors'
            4 branches).
        shared_stages (int): Stages shared by all branches. Defaults to 3.
        kd_loss (dict): Config of the KL terms. Defaults to ``dict(type='mmkd.KDLoss', tau=3.0)``.
        attention_dim (int, optional): Width of ``q`` and ``k``. Defaults to ``head.in_channels // 8``.
        leader_target (str): ``'peer_mean'`` or ``'target_mean'``. Defaults to ``'peer_mean'``.
        predict_branch (int): Branch of ``'predict'``/``'tensor'`` modes (0: the leader). Defaults to 0.
        data_preprocessor (dict, optional): As in ``mmkd.ImageClassifier``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 num_peers: int = 3,
                 shared_stages: int = 3,
                 kd_loss: dict = dict(type='mmkd.KDLoss', tau=3.0),
                 attention_dim: Optional[int] = None,
                 leader_target: str = 'peer_mean',
                 predict_branch: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if isinstance(num_peers, bool) or not isinstance(num_peers, int) or num_peers < 2:
            raise ValueError(f'num_peers must be an int >= 2 (the attention aggregates several peers), '
                             f'got {num_peers!r}.')
        if leader_target not in LEADER_TARGETS:
            raise ValueError(f'leader_target must be one of {LEADER_TARGETS}, got {leader_target!r}.')
        if predict_branch not in range(num_peers + 1):
            raise ValueError(f'predict_branch must be 0 (the leader) or a peer in 1..{num_peers}, '
                             f'got {predict_branch!r}.')
        self.num_peers = num_peers
        self.num_branches = num_peers + 1
        self.shared_stages = shared_stages
        self.kd_loss = self.build_kd_loss(kd_loss, 'OKDDipClassifier')
        self.check_target_gradient(self.kd_loss, 'OKDDipClassifier')
        self.leader_target = leader_target
        self.predict_branch = predict_branch
        trunk = MODELS.build(copy.deepcopy(backbone))
        branches = [take_stages(trunk, shared_stages)]
        branches += [take_stages(MODELS.build(copy.deepcopy(backbone)), shared_stages)
                     for _ in range(num_peers)]
        self.trunk = truncate_backbone(trunk, shared_stages)
        self.branches = ModuleList(branches)
        self.heads = ModuleList([self.build_head(head) for _ in range(self.num_branches)])
        channels = self.heads[0].in_channels
        attention_dim = attention_dim if attention_dim is not None else max(1, channels // 8)
        if isinstance(attention_dim, bool) or not isinstance(attention_dim, int) or attention_dim < 1:
            raise ValueError(f'attention_dim must be a positive int, got {attention_dim!r}.')
        self.query = nn.Linear(channels, attention_dim, bias=False)
        self.key = nn.Linear(channels, attention_dim, bias=False)

    # ------------------------------------------------------------------------------------- forward
    def branch_forward(self, inputs: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Pooled features ``h_b`` ``(N, C)`` and logits ``z_b`` of every branch (0: the leader)."""
        shared = last_feature(self.trunk(inputs))
        feats, logits = [], []
        for branch, head in zip(self.branches, self.heads):
            h = head.pre_logits(branch(shared))
            feats.append(h)
            logits.append(head.fc(head.dropout(h)))
        return feats, logits

    def branch_logits(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        return self.branch_forward(inputs)[1]

    def predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Branch ``predict_branch``'s logits (the leader by default); only that branch runs."""
        i = self.predict_branch
        return self.heads[i](self.branches[i](last_feature(self.trunk(inputs))))

    def attention(self, peer_feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """``a`` ``(N, m, m)``: ``a[n, i, j] = softmax_j(q_i . k_j)`` of the peers' pooled features."""
        h = torch.stack(list(peer_feats), dim=1)  # (N, m, C)
        energy = torch.bmm(self.query(h), self.key(h).transpose(1, 2))
        return F.softmax(energy, dim=-1)

    @staticmethod
    def aggregate(peer_logits: Sequence[torch.Tensor], attention: torch.Tensor) -> torch.Tensor:
        """Targets ``t`` ``(N, m, C)``: ``t_i = sum_j a_ij z_j`` (the logits ``z_j`` are detached)."""
        z = torch.stack([logit.detach() for logit in peer_logits], dim=1)  # (N, m, C)
        return torch.bmm(attention, z)

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """The OKDDip loss (see the class docstring), one logged key per term."""
        feats, logits = self.branch_forward(inputs)
        labels = self.labels(data_samples, logits[0])
        peer_logits = logits[1:]
        targets = self.aggregate(peer_logits, self.attention(feats[1:]))
        if self.leader_target == 'peer_mean':
            leader_target = torch.stack(peer_logits).mean(dim=0).detach()
        else:
            leader_target = targets.mean(dim=1).detach()
        losses = {'loss_cls_leader': self.heads[0].loss_module(logits[0], labels)}
        for i, z in enumerate(peer_logits, start=1):
            losses[f'loss_cls_peer{i}'] = self.heads[i].loss_module(z, labels)
        with torch.autocast(device_type=logits[0].device.type, enabled=False):
            for i, z in enumerate(peer_logits, start=1):
                losses[f'loss_kl_peer{i}'] = self.distill_with_target_grad(self.kd_loss, z, targets[:, i - 1])
            losses['loss_kl_leader'] = self.kd_loss(logits[0], leader_target)
        losses.update(self.accuracies(logits[self.predict_branch].detach(), labels, self.heads[0].topk))
        return losses

    def export_prefixes(self, index: int) -> List[Tuple[str, str]]:
        if index not in range(self.num_branches):
            raise ValueError(f'branch index must be 0 (the leader) or a peer in 1..{self.num_peers}, '
                             f'got {index!r}.')
        return [('trunk.', 'backbone.'), (f'branches.{index}.', 'backbone.'), (f'heads.{index}.', 'head.')]
