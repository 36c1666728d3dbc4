"""Rocket launching (Zhou et al., "Rocket Launching: A Universal and Efficient Framework for Training
Well-performing Light Net", AAAI 2018)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from ..ops.backbone_stages import in_channels, last_feature, out_channels, stage_names, take_stages, \
    truncate_backbone
from .multi_branch_classifier import MultiBranchClassifier


@MODELS.register_module()
class RocketClassifier(MultiBranchClassifier):
    """A light net and a booster net that share their lower layers, trained together.

    The light net is ``backbone`` + ``head``; the booster reads the light net's shared stages (the stem and
    the first ``shared_stages`` stages) and continues with the later stages of ``booster_backbone`` and
    ``booster_head``. With light logits ``l`` and booster logits ``z`` (Zhou et al., 2018, Eq. 1-3)::

        loss = CE(l, y) + CE(z, y) + lambda * mean_n ||l_n - stopgrad(z_n)||^2

    The hint (squared L2 distance of the logits, summed over classes, averaged over the batch) is the
    paper's best hint loss, ``kd_loss``: ``mmkd.HintLoss``, ``loss_weight * 1/2 * mean_n ||l_n - z_n||^2``,
    so ``loss_weight = 2 lambda`` (0.2 for mmkd's ``lambda = 0.1``). ``stopgrad`` is the paper's "gradient
    block": the hint moves the light net and the shared layers, never the booster's own layers. Without it
    (``gradient_block=False``) the booster also follows the hint, with the gradient of ``kd_loss(z, l)``
    (``l`` fixed), which for the symmetric L2 distance is exactly the gradient of the undetached hint; the
    logged value stays ``kd_loss(l, z)``. Prediction uses the light net; deploy it alone with
    :meth:`export_state_dict` / :meth:`export_model_config` (or
    ``tools/model_converters/online_to_single.py``), which give a plain ``mmkd.ImageClassifier``.

    Logged keys: ``loss_cls_light``, ``loss_cls_booster``, ``loss_hint``, the light net's top-k accuracy
    and ``acc_booster_top1``.

    Args:
        backbone (dict): Config of the light backbone (mmdet/mmseg ResNet or MobileNetV2).
        head (dict): Config of the light head (``mmkd.LinearClsHead``).
        booster_backbone (dict): Config of a whole backbone whose stages after ``shared_stages`` form the
            booster (its stem and first stages are dropped); its first kept stage must take the light
            net's stage-``shared_stages`` channels (ResNet-18 light and ResNet-34 booster: 64 after
            stage 1).
        booster_head (dict, optional): Config of the booster head. Defaults to ``head``.
        shared_stages (int): Stages shared (with the stem). Defaults to 1.
        kd_loss (dict): Config of the hint. Defaults to ``dict(type='mmkd.HintLoss', loss_weight=0.2)``
            (``lambda = 0.1``).
        gradient_block (bool): Keep the hint's gradient from the booster. Defaults to True.
        predict_net (str): ``'light'`` or ``'booster'``: the logits ``'predict'``/``'tensor'`` give.
            Defaults to ``'light'``.
        data_preprocessor (dict, optional): As in ``mmkd.ImageClassifier``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 booster_backbone: dict,
                 booster_head: Optional[dict] = None,
                 shared_stages: int = 1,
                 kd_loss: dict = dict(type='mmkd.HintLoss', loss_weight=0.2),
                 gradient_block: bool = True,
                 predict_net: str = 'light',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if predict_net not in ('light', 'booster'):
            raise ValueError(f'predict_net must be "light" or "booster", got {predict_net!r}.')
        self.shared_stages = shared_stages
        self.kd_loss = self.build_kd_loss(kd_loss, 'RocketClassifier')
        self.gradient_block = gradient_block
        self.predict_net = predict_net
        trunk = MODELS.build(copy.deepcopy(backbone))
        self.light = take_stages(trunk, shared_stages)
        self.trunk = truncate_backbone(trunk, shared_stages)
        self.booster = take_stages(MODELS.build(copy.deepcopy(booster_backbone)), shared_stages)
        shared_out = out_channels(getattr(self.trunk, stage_names(self.trunk)[-1]))
        booster_in = in_channels(getattr(self.booster, self.booster.stage_names[0]))
        if shared_out != booster_in:
            raise ValueError(f'the shared stages end with {shared_out} channels but the booster\'s stage '
                             f'{self.booster.stage_names[0]} takes {booster_in}: pick a booster_backbone of '
                             f'the same block type and widths (e.g. ResNet-34 for a ResNet-18 light net) '
                             f'or another shared_stages.')
        self.head = self.build_head(head)
        self.booster_head = self.build_head(booster_head if booster_head is not None else head,
                                            'booster_head')

    def branch_logits(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """``[light logits, booster logits]``."""
        shared = last_feature(self.trunk(inputs))
        return [self.head(self.light(shared)), self.booster_head(self.booster(shared))]

    def predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The light net's logits (only the light net runs), or the booster's for
        ``predict_net='booster'``."""
        shared = last_feature(self.trunk(inputs))
        if self.predict_net == 'light':
            return self.head(self.light(shared))
        return self.booster_head(self.booster(shared))

    def hint_loss(self, light: torch.Tensor, booster: torch.Tensor) -> torch.Tensor:
        """``kd_loss(light, booster)``; without gradient block the booster gets the gradient of
        ``kd_loss(booster, light)``, the value unchanged."""
        hint = self.kd_loss(light, booster)
        if self.gradient_block:
            return hint
        pull = self.kd_loss(booster, light)
        return hint + (pull - pull.detach())

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """The rocket-launching loss (see the class docstring)."""
        light, booster = self.branch_logits(inputs)
        labels = self.labels(data_samples, light)
        losses = dict(
            loss_cls_light=self.head.loss_module(light, labels),
            loss_cls_booster=self.booster_head.loss_module(booster, labels),
            loss_hint=self.hint_loss(light, booster))
        losses.update(self.accuracies(light if self.predict_net == 'light' else booster, labels,
                                      self.head.topk))
        losses['acc_booster_top1'] = self.accuracies(booster, labels, (1, ))['acc_top1']
        return losses

    def export_prefixes(self, index: int) -> List[Tuple[str, str]]:
        if index != 0:
            raise ValueError(f'only the light net (index 0) exports as a plain classifier, got {index!r}.')
        return [('trunk.', 'backbone.'), ('light.', 'backbone.'), ('head.', 'head.')]
