"""Collaborative learning (Song & Chai, "Collaborative Learning for Deep Neural Networks", NeurIPS 2018)."""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import ModuleList

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from ..ops.backbone_stages import check_split, last_feature, take_stages, truncate_backbone
from ..ops.grad_scale import grad_scale
from .multi_branch_classifier import MultiBranchClassifier


@MODELS.register_module()
class CollaborativeClassifier(MultiBranchClassifier):
    """Several classifier heads of one network trained on the same data, each taught by the others.

    The backbone is split hierarchically (the paper's ILR sharing, Fig. 2c): the stem and the first
    ``split_stages[0]`` stages form the shared trunk; at split point ``l`` every node forks into
    ``fan_outs[l]`` children, each running stages ``split_stages[l]`` up to the next split point (the last
    level: to the end) and, at the last level, its own head. ``H = prod(fan_outs)`` heads. Each child reads
    ``grad_scale(parent, 1 / fan_out)`` (backpropagation rescaling, Sec. 3.3), so a shared layer receives
    the mean of its children's gradients; down the hierarchy the trunk gets ``1 / H`` of the sum of the
    heads' gradients.

    The paper's loss of head ``h`` (Song & Chai, 2018, Sec. 3.1), ``q_h`` the consensus of the other heads::

        L_h = beta * J_hard(y, z_h) + (1 - beta) * J_soft(q_h, z_h),   q_h = softmax(mean_{j != h} z_j / T)

    with ``J_hard`` the cross-entropy to the label, ``J_soft`` the cross-entropy to ``q_h`` at temperature
    ``T``, ``T = 2`` and ``beta = 0.5`` in its experiments. mmkd computes (the soft target detached)::

        L_h = beta * CE(z_h, y) + (1 - beta) * T^2 * KL(q_h || softmax(z_h / T))

    The soft term is ``kd_loss`` (``mmkd.KDLoss``). Its KL differs from ``J_soft`` by the entropy of
    ``q_h``, which does not depend on head ``h``'s parameters: same gradient. Its ``T^2`` factor is Hinton
    et al.'s (it keeps the soft term's gradient independent of T); ``soft_t2=False`` divides it out, as the
    only public implementation (github.com/qq456cvb/Collaborative-Learning, TensorFlow, DenseNet-40-12 on
    CIFAR-10, not the authors'), whose soft term is then ``1 / T^2 = 1 / 4`` of mmkd's default.
    ``beta_weights='soft'`` puts ``beta`` on the soft term instead (``(1 - beta) * CE + beta * soft``); at
    ``beta = 0.5`` the two conventions coincide.

    Only one head is needed at inference (the paper keeps one); ``predict_head`` picks it, or ``'mean'``
    averages all heads' logits.

    Logged keys: ``loss_cls_head{h}``, ``loss_soft_head{h}`` and the top-k accuracy of the prediction.

    Args:
        backbone (dict): Config of a whole single-head backbone (mmdet/mmseg ResNet or MobileNetV2), built
            once per node (each node starts from its own random initialisation).
        head (dict): Config of one head (``mmkd.LinearClsHead``).
        split_stages (Sequence[int]): Strictly increasing stage counts at which the network forks.
            Defaults to ``(2, 3)`` (a 4-stage ResNet: stages 1-2 shared, stage 3 per group, stage 4 per head).
        fan_outs (Sequence[int]): Children per node at each split point, same length as
            ``split_stages``. Defaults to ``(2, 2)`` (4 heads in 2 groups).
        kd_loss (dict): Config of the soft term; its ``tau`` is ``T``. Defaults to
            ``dict(type='mmkd.KDLoss', tau=2.0)``.
        beta (float): Weight in ``[0, 1]`` of the hard term (``beta_weights='hard'``, the paper) or of the
            soft term (``'soft'``); the other term gets ``1 - beta``. Defaults to 0.5.
        beta_weights (str): ``'hard'`` or ``'soft'``. Defaults to ``'hard'``.
        soft_t2 (bool): Keep ``kd_loss``'s ``T^2`` factor; False divides it out (the public
            implementation). Defaults to True.
        rescale_grad (bool): Apply backpropagation rescaling at the split points. Defaults to True.
        predict_head (int | str): Head whose logits ``'predict'``/``'tensor'`` give, or ``'mean'``.
            Defaults to 0.
        data_preprocessor (dict, optional): As in ``mmkd.ImageClassifier``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 split_stages: Sequence[int] = (2, 3),
                 fan_outs: Sequence[int] = (2, 2),
                 kd_loss: dict = dict(type='mmkd.KDLoss', tau=2.0),
                 beta: float = 0.5,
                 beta_weights: str = 'hard',
                 soft_t2: bool = True,
                 rescale_grad: bool = True,
                 predict_head: Union[int, str] = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        split_stages, fan_outs = tuple(split_stages), tuple(fan_outs)
        if not split_stages or len(split_stages) != len(fan_outs):
            raise ValueError(f'split_stages {split_stages} and fan_outs {fan_outs} need one entry per split '
                             'point (same non-zero length), e.g. split_stages=(2, 3), fan_outs=(2, 2).')
        if any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in fan_outs):
            raise ValueError(f'fan_outs must be positive ints, got {fan_outs}.')
        self.num_heads = math.prod(fan_outs)
        if self.num_heads < 2:
            raise ValueError(f'fan_outs {fan_outs} give one head; collaborative learning needs at least 2.')
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f'beta must be in [0, 1], got {beta}.')
        if beta_weights not in ('soft', 'hard'):
            raise ValueError(f"beta_weights must be 'hard' (beta weights the hard term, as the paper) or 'soft' "
                             f'(beta weights the soft term), got {beta_weights!r}.')
        if predict_head != 'mean' and predict_head not in range(self.num_heads):
            raise ValueError(f'predict_head must be "mean" or a head index in 0..{self.num_heads - 1}, '
                             f'got {predict_head!r}.')
        self.split_stages = split_stages
        self.fan_outs = fan_outs
        self.beta = beta
        self.beta_weights = beta_weights
        self.soft_t2 = soft_t2
        self.rescale_grad = rescale_grad
        self.predict_head = predict_head

        trunk = MODELS.build(copy.deepcopy(backbone))
        check_split(trunk, *split_stages)
        ends = split_stages[1:] + (None, )
        self.levels = ModuleList()
        nodes = 1
        for start, end, fan in zip(split_stages, ends, fan_outs):
            nodes *= fan
            self.levels.append(ModuleList([
                take_stages(MODELS.build(copy.deepcopy(backbone)), start, end) for _ in range(nodes)]))
        self.trunk = truncate_backbone(trunk, split_stages[0])
        self.heads = ModuleList([self.build_head(head) for _ in range(self.num_heads)])
        self.kd_loss = self.build_kd_loss(kd_loss, 'CollaborativeClassifier')
        self.hard_weight = beta if beta_weights == 'hard' else 1.0 - beta
        self.soft_weight = 1.0 - beta if beta_weights == 'hard' else beta
        if not soft_t2:
            tau = getattr(self.kd_loss, 'tau', None)
            if tau is None:
                raise ValueError(f'soft_t2=False divides out the T^2 of kd_loss=dict(type="mmkd.KDLoss", tau=...), '
                                 f'but {type(self.kd_loss).__name__} has no tau; keep soft_t2=True and set the '
                                 "loss's loss_weight instead.")
            self.soft_weight /= tau ** 2

    def branch_logits(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        feats = [last_feature(self.trunk(inputs))]
        for level, fan in zip(self.levels, self.fan_outs):
            scale = 1.0 / fan if self.rescale_grad else 1.0
            feats = [node(grad_scale(feats[j // fan], scale)) for j, node in enumerate(level)]
        return [head(feat) for head, feat in zip(self.heads, feats)]

    def node_index(self, head: int, level: int) -> int:
        """Index, within level ``level``, of the node on head ``head``'s path."""
        return head // math.prod(self.fan_outs[level + 1:])

    def predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Head ``predict_head``'s logits (only its path is run), or the mean of all heads' logits."""
        if self.predict_head == 'mean':
            return torch.stack(self.branch_logits(inputs)).mean(dim=0)
        x = last_feature(self.trunk(inputs))
        for level_index, level in enumerate(self.levels):
            x = level[self.node_index(self.predict_head, level_index)](x)
        return self.heads[self.predict_head](x)

    def soft_targets(self, logits: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """For each head ``h``, the detached mean of the other heads' logits."""
        return [torch.stack([z.detach() for j, z in enumerate(logits) if j != h]).mean(dim=0)
                for h in range(len(logits))]

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """The collaborative loss (see the class docstring) of every head."""
        logits = self.branch_logits(inputs)
        labels = self.labels(data_samples, logits[0])
        losses = {}
        for h, (z, target, head) in enumerate(zip(logits, self.soft_targets(logits), self.heads)):
            losses[f'loss_cls_head{h}'] = self.hard_weight * head.loss_module(z, labels)
            losses[f'loss_soft_head{h}'] = self.soft_weight * self.kd_loss(z, target)
        shown = (torch.stack(logits).mean(dim=0) if self.predict_head == 'mean'
                 else logits[self.predict_head])
        losses.update(self.accuracies(shown.detach(), labels, self.heads[0].topk))
        return losses

    def export_prefixes(self, index: int) -> List[Tuple[str, str]]:
        if index not in range(self.num_heads):
            raise ValueError(f'head index must be in 0..{self.num_heads - 1}, got {index!r}.')
        prefixes = [('trunk.', 'backbone.')]
        prefixes += [(f'levels.{level}.{self.node_index(index, level)}.', 'backbone.')
                     for level in range(len(self.levels))]
        return prefixes + [(f'heads.{index}.', 'head.')]
