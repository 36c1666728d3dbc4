"""Shared plumbing of the classifiers with several heads trained together (ONE, OKDDip, collaborative
learning, rocket launching): data preprocessing, the three modes, labels, accuracies, the distillation term
and single-net export."""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.loss_guard import FiniteLossMixin, check_loss_weights
from ..losses.base import DistillLoss, promote
from ..heads.linear_cls_head import LinearClsHead
from ..utils import forward_by_mode
from .image_classifier import classifier_preprocessor


class MultiBranchClassifier(FiniteLossMixin, BaseModel):
    """Base of the multi-branch classifiers: one network with a shared trunk and several heads.

    Subclasses implement :meth:`branch_logits` (all heads' logits), :meth:`loss` and
    :meth:`export_prefixes`; ``mode='tensor'``/``'predict'`` use :meth:`predict_logits`.

    The distillation term between the heads is a registered loss, given as ``kd_loss=dict(type=...)``
    (:meth:`build_kd_loss`): ``mmkd.KDLoss`` for the KL terms, ``mmkd.HintLoss`` for rocket launching's
    logit hint.

    Every branch, followed from the input to its head, is a plain ``backbone`` + ``head`` classifier, so
    :meth:`export_state_dict` gives the weights of one branch as an ``mmkd.ImageClassifier`` state dict
    and :meth:`export_model_config` the matching model config.

    Args:
        data_preprocessor (dict, optional): As in ``mmkd.ImageClassifier``. Defaults to its default.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=classifier_preprocessor(data_preprocessor), init_cfg=init_cfg)

    @staticmethod
    def build_head(head: Optional[dict], what: str = 'head') -> LinearClsHead:
        """Build a classification head, with an error that shows the expected config."""
        if head is None:
            raise ValueError(f'{what} is required, e.g. dict(type="mmkd.LinearClsHead", num_classes=100, '
                             'in_channels=512).')
        return MODELS.build(copy.deepcopy(head))

    @staticmethod
    def build_kd_loss(kd_loss: dict, where: str) -> nn.Module:
        """Build the distillation term from its loss config, refusing negative weights."""
        if not isinstance(kd_loss, dict) or 'type' not in kd_loss:
            raise ValueError(f'{where}: kd_loss must be a loss config such as dict(type="mmkd.KDLoss", tau=3.0), '
                             f'got {kd_loss!r}.')
        loss = MODELS.build(copy.deepcopy(kd_loss))
        check_loss_weights(loss, f'{where} kd_loss')
        return loss

    @staticmethod
    def check_target_gradient(loss: nn.Module, where: str) -> None:
        """Check that :meth:`distill_with_target_grad` can use ``loss``: an ``mmkd.DistillLoss`` that needs
        no data samples and whose :meth:`~mmkd.models.losses.DistillLoss.loss` passes a gradient to its
        second argument (``mmkd.KDLoss`` does; ``mmkd.HintLoss`` detaches it)."""
        if not isinstance(loss, DistillLoss) or loss.needs_data_samples:
            raise ValueError(f'{where}: the target of this kd_loss must receive gradients, so it must be an '
                             f'mmkd DistillLoss that needs no labels, such as dict(type="mmkd.KDLoss", '
                             f'tau=3.0); got {type(loss).__name__}.')
        target = torch.zeros(2, 3, requires_grad=True)
        with torch.enable_grad():
            value = loss.loss(torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]), target)
        if not value.requires_grad:
            raise ValueError(f'{where}: {type(loss).__name__} detaches its target, so the target\'s own '
                             'parameters would not learn from it; use dict(type="mmkd.KDLoss", tau=3.0).')

    @staticmethod
    def distill_with_target_grad(loss: DistillLoss, student: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``loss(student, target)`` with the gradient reaching ``target`` as well (a loss's ``forward``
        detaches its teacher): ``loss_weight * loss.loss(student, target)`` of the inputs cast as
        ``forward`` casts them. Detach in ``target`` what must not learn from the term."""
        return loss.loss_weight * loss.loss(*promote(student, target))

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, torch.Tensor], List[ClsDataSample], torch.Tensor]:
        """``'loss'``: dict of losses; ``'predict'``: samples with ``pred_score``/``pred_label``;
        ``'tensor'``: the logits used for prediction, ``(N, num_classes)``."""
        if mode == 'loss' and data_samples is None:
            raise ValueError('mode="loss" needs data_samples with gt_label; pack them with PackClsInputs.')
        return forward_by_mode(self, inputs, data_samples, mode)

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]] = None) -> torch.Tensor:
        """``tensor`` mode: :meth:`predict_logits`."""
        return self.predict_logits(inputs)

    def branch_logits(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """The logits ``(N, num_classes)`` of every head, in head order."""
        raise NotImplementedError

    def predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The logits used for prediction."""
        raise NotImplementedError

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """The training losses."""
        raise NotImplementedError

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[ClsDataSample]] = None) -> List[ClsDataSample]:
        """Samples with ``pred_score`` (softmax of :meth:`predict_logits`) and ``pred_label``."""
        return LinearClsHead._get_predictions(self.predict_logits(inputs), data_samples)

    @staticmethod
    def labels(data_samples: Sequence[ClsDataSample], logits: torch.Tensor) -> torch.Tensor:
        """The ``(N, )`` ground-truth labels on the logits' device, checked against the batch size."""
        labels = LinearClsHead._gt_labels(data_samples).to(logits.device)
        if labels.numel() != logits.shape[0]:
            raise ValueError(f'got {logits.shape[0]} images but {labels.numel()} data samples.')
        return labels

    @staticmethod
    @torch.no_grad()
    def accuracies(logits: torch.Tensor, labels: torch.Tensor, topk: Sequence[int]) -> Dict[str, torch.Tensor]:
        """``acc_top{k}`` (percent, no gradient) for each ``k`` in ``topk``."""
        if not topk:
            return {}
        hits = logits.topk(max(topk), dim=1).indices == labels[:, None]
        return {f'acc_top{k}': hits[:, :k].any(dim=1).float().mean() * 100.0 for k in topk}

    def export_prefixes(self, index: int) -> List[Tuple[str, str]]:
        """``(prefix here, prefix in ImageClassifier)`` pairs that map branch ``index``'s weights."""
        raise NotImplementedError

    def export_state_dict(self, index: int = 0) -> 'OrderedDict[str, torch.Tensor]':
        """The weights of one branch as an ``mmkd.ImageClassifier`` state dict (``backbone.*``, ``head.*``).

        It loads with ``strict=True`` into the model built from :meth:`export_model_config` and gives the
        same logits as this branch.

        Args:
            index (int): The branch (head) to export. Defaults to 0.

        Returns:
            OrderedDict[str, Tensor]: Detached CPU copies of the weights.
        """
        prefixes = self.export_prefixes(index)
        out = OrderedDict()
        for key, value in self.state_dict().items():
            for src, dst in prefixes:
                if key.startswith(src):
                    new_key = dst + key[len(src):]
                    if new_key in out:
                        raise RuntimeError(f'two weights map to {new_key!r} when exporting branch {index}.')
                    out[new_key] = value.detach().cpu().clone()
                    break
        return out

    @staticmethod
    def export_model_config(model_cfg: dict) -> dict:
        """The ``mmkd.ImageClassifier`` config of one branch of the model configured by ``model_cfg``."""
        model_cfg = copy.deepcopy(dict(model_cfg))
        out = dict(type='mmkd.ImageClassifier', backbone=model_cfg['backbone'], head=model_cfg['head'])
        if model_cfg.get('data_preprocessor') is not None:
            out['data_preprocessor'] = model_cfg['data_preprocessor']
        return out
