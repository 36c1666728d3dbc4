"""ONE (Lan et al., "Knowledge Distillation by On-the-Fly Native Ensemble", NeurIPS 2018)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ModuleList

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.loss_guard import check_loss_weights
from mmkd.utils.progress import check_rampup, rampup_weight
from ..ops.backbone_stages import last_feature, out_channels, stage_names, take_stages, truncate_backbone
from .multi_branch_classifier import MultiBranchClassifier


@MODELS.register_module()
class ONEClassifier(MultiBranchClassifier):
    """On-the-fly native ensemble: shared low-level stages, ``num_branches`` copies of the high-level
    stages and head, and a gate that weighs the branches into an ensemble teacher.

    With branch logits ``z_i`` and gate ``g = softmax(ReLU(BN(FC(pool(shared)))))`` (one weight per
    branch and sample, ``sum_i g_i = 1``), the ensemble is ``z_e = sum_i g_i z_i`` and the loss is
    (Lan et al., 2018, Eq. 1-5)::

        sum_i CE(z_i, y) + CE(z_e, y) + T^2 * sum_i KL(softmax(z_e / T) || softmax(z_i / T))

    where ``z_e`` is detached in the KL terms (the teacher is not pulled towards the branches; the gate
    learns from ``CE(z_e, y)`` only). The KL terms are ``kd_loss`` (``mmkd.KDLoss``, ``T = 3`` as the
    paper). Each branch starts from its own random initialisation.

    By default the KL terms have their full weight from the first step, as the paper's loss. The authors'
    release (github.com/Lan1991Xu/ONE_NeurIPS2018) ramps them up instead: it multiplies them by
    ``exp(-5 (1 - e / 80)^2)`` at epoch ``e`` (0-based, set at the start of each epoch; 1 from epoch 80
    on, of 300), which starts at ``exp(-5) ~ 0.007``. ``kl_rampup=dict(length=80, by='epoch')`` applies
    that ramp (:func:`mmkd.utils.progress.sigmoid_rampup`); ``by='iter'`` counts iterations instead and
    updates the weight every iteration -- for an iteration-based schedule, ``length = 80 x (iterations
    per epoch)`` is the release's ramp (``by='epoch'`` in an iteration-based loop would stay at its
    first value, since the epoch does not advance there).

    Logged keys: ``loss_cls_branch{i}``, ``loss_cls_ensemble``, ``loss_kl_branch{i}`` and the top-k
    accuracy of the prediction logits.

    Args:
        backbone (dict): Config of a whole single-branch backbone (mmdet/mmseg ResNet or MobileNetV2),
            e.g. ``dict(type='mmdet.ResNet', depth=18, ...)``; it is built ``num_branches`` times, the
            first ``shared_stages`` stages (with the stem) kept once as the shared trunk.
        head (dict): Config of one branch's head (``mmkd.LinearClsHead``); one head per branch.
        num_branches (int): Number of branches. Defaults to 3.
        shared_stages (int): Stages shared by the branches (``1 <= shared_stages < num_stages``).
            Defaults to 3 (a 4-stage ResNet branches its last stage).
        kd_loss (dict): Config of the KL term. Defaults to ``dict(type='mmkd.KDLoss', tau=3.0)``.
        kl_rampup (dict, optional): ``dict(length=L, by='epoch' | 'iter')``: ramp the KL terms up over the
            first L epochs (iterations) as the authors' release. Defaults to None (full weight throughout).
        predict_branch (int, optional): Branch whose logits ``'predict'``/``'tensor'`` give; None: the
            gated ensemble. Defaults to None.
        data_preprocessor (dict, optional): As in ``mmkd.ImageClassifier``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 num_branches: int = 3,
                 shared_stages: int = 3,
                 kd_loss: dict = dict(type='mmkd.KDLoss', tau=3.0),
                 predict_branch: Optional[int] = None,
                 kl_rampup: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if isinstance(num_branches, bool) or not isinstance(num_branches, int) or num_branches < 2:
            raise ValueError(f'num_branches must be an int >= 2 (the ensemble needs branches to average), '
                             f'got {num_branches!r}.')
        if predict_branch is not None and predict_branch not in range(num_branches):
            raise ValueError(f'predict_branch must be None (the ensemble) or a branch index in '
                             f'0..{num_branches - 1}, got {predict_branch!r}.')
        self.num_branches = num_branches
        self.shared_stages = shared_stages
        self.predict_branch = predict_branch
        trunk = MODELS.build(copy.deepcopy(backbone))
        branches = [take_stages(trunk, shared_stages)]
        branches += [take_stages(MODELS.build(copy.deepcopy(backbone)), shared_stages)
                     for _ in range(num_branches - 1)]
        self.trunk = truncate_backbone(trunk, shared_stages)
        self.branches = ModuleList(branches)
        self.heads = ModuleList([self.build_head(head) for _ in range(num_branches)])
        shared_channels = out_channels(getattr(self.trunk, stage_names(self.trunk)[-1]))
        self.gate = nn.Sequential(
            nn.Linear(shared_channels, num_branches), nn.BatchNorm1d(num_branches), nn.ReLU(inplace=True))
        self.ensemble_loss = copy.deepcopy(self.heads[0].loss_module)
        self.kd_loss = MODELS.build(copy.deepcopy(kd_loss))
        check_loss_weights(self.kd_loss, 'ONEClassifier kd_loss')
        self.kl_rampup = check_rampup(kl_rampup, 'ONEClassifier kl_rampup')

    def shared_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        """The trunk's output ``(N, C, H, W)``."""
        return last_feature(self.trunk(inputs))

    def gate_weights(self, shared: torch.Tensor) -> torch.Tensor:
        """Branch weights ``(N, num_branches)``, each row summing to 1, from the shared feature."""
        return F.softmax(self.gate(F.adaptive_avg_pool2d(shared, 1).flatten(1)), dim=1)

    @staticmethod
    def ensemble(logits: Sequence[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
        """``z_e = sum_i g_i z_i`` for branch logits ``z_i`` ``(N, C)`` and weights ``g`` ``(N, B)``."""
        return (weights.unsqueeze(-1) * torch.stack(list(logits), dim=1)).sum(dim=1)

    def forward_all(self, inputs: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Branch logits ``[z_i]``, gate weights ``g`` ``(N, B)`` and ensemble logits ``z_e``."""
        shared = self.shared_feature(inputs)
        logits = [head(branch(shared)) for branch, head in zip(self.branches, self.heads)]
        weights = self.gate_weights(shared)
        return logits, weights, self.ensemble(logits, weights)

    def branch_logits(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        return self.forward_all(inputs)[0]

    def predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ensemble logits, or those of ``predict_branch`` (only that branch is run)."""
        if self.predict_branch is None:
            return self.forward_all(inputs)[2]
        i = self.predict_branch
        return self.heads[i](self.branches[i](self.shared_feature(inputs)))

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """The ONE loss (see the class docstring), one logged key per term."""
        logits, _, ensemble = self.forward_all(inputs)
        labels = self.labels(data_samples, ensemble)
        losses = {}
        for i, (z, head) in enumerate(zip(logits, self.heads)):
            losses[f'loss_cls_branch{i}'] = head.loss_module(z, labels)
        losses['loss_cls_ensemble'] = self.ensemble_loss(ensemble, labels)
        ramp = rampup_weight(self.kl_rampup)
        for i, z in enumerate(logits):
            losses[f'loss_kl_branch{i}'] = ramp * self.kd_loss(z, ensemble.detach())
        shown = ensemble if self.predict_branch is None else logits[self.predict_branch]
        losses.update(self.accuracies(shown, labels, self.heads[0].topk))
        return losses

    def export_prefixes(self, index: int) -> List[Tuple[str, str]]:
        if index not in range(self.num_branches):
            raise ValueError(f'branch index must be in 0..{self.num_branches - 1}, got {index!r}.')
        return [('trunk.', 'backbone.'), (f'branches.{index}.', 'backbone.'), (f'heads.{index}.', 'head.')]
