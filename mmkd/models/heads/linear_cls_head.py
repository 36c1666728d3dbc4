"""A linear classification head: global average pooling, optional dropout, one fully connected layer."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample

FeatsType = Union[torch.Tensor, Sequence[torch.Tensor]]


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """Global-average-pool the last feature, then ``logits = fc(dropout(pooled))``.

    ``fc`` is a plain ``nn.Linear`` submodule (``head.fc`` in a classifier), so a distillation recorder
    can hook the logits. ``loss`` is any registered loss called as ``loss(cls_score, labels)``; the
    default, mmdet's ``CrossEntropyLoss``, equals ``F.cross_entropy(logits, labels)`` (batch mean)
    times ``loss_weight``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the last backbone/neck feature.
        loss (dict): Config of the classification loss. Defaults to
            ``dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | Sequence[int]): ``k`` values whose training top-k accuracy (percent) is logged by
            :meth:`loss` as ``acc_top{k}`` (a key without "loss", so it is logged, not optimised).
            ``()`` logs none. Defaults to ``(1, )``.
        dropout_ratio (float): Dropout probability before ``fc``; 0 disables it. Defaults to 0.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: dict = dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0),
                 topk: Union[int, Sequence[int]] = (1, ),
                 dropout_ratio: float = 0.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Normal', layer='Linear', std=0.01)) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f'num_classes must be a positive int, got {num_classes!r}.')
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'in_channels must be a positive int, got {in_channels!r}.')
        if isinstance(topk, int):
            topk = (topk, )
        topk = tuple(topk)
        for k in topk:
            if not isinstance(k, int) or k <= 0 or k > num_classes:
                raise ValueError(f'every topk value must be an int in [1, num_classes={num_classes}], '
                                 f'got topk={topk}; drop the larger values (e.g. topk=(1, )).')
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f'dropout_ratio must be in [0, 1), got {dropout_ratio}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.topk = topk
        self.dropout_ratio = dropout_ratio
        self.loss_module = MODELS.build(loss) if isinstance(loss, dict) else loss
        self.dropout = nn.Dropout(p=dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: FeatsType) -> torch.Tensor:
        """Pool the last feature to ``(N, in_channels)``.

        Args:
            feats (Tensor | Sequence[Tensor]): A feature or a tuple of features (the last one is used),
                each ``(N, C, H, W)`` or already pooled ``(N, C)``.

        Returns:
            Tensor: ``(N, in_channels)``.
        """
        if isinstance(feats, (tuple, list)):
            if len(feats) == 0:
                raise ValueError('LinearClsHead got an empty tuple of features; check the backbone\'s '
                                 'out_indices.')
            feats = feats[-1]
        if feats.dim() == 4:
            feats = F.adaptive_avg_pool2d(feats, 1).flatten(1)
        elif feats.dim() != 2:
            raise ValueError(f'LinearClsHead expects (N, C, H, W) or (N, C) features, got shape '
                             f'{tuple(feats.shape)}.')
        if feats.shape[1] != self.in_channels:
            raise ValueError(f'the last feature has {feats.shape[1]} channels but in_channels='
                             f'{self.in_channels}; set in_channels={feats.shape[1]} (or pick another '
                             'out_indices in the backbone).')
        return feats

    def forward(self, feats: FeatsType) -> torch.Tensor:
        """Return the logits ``(N, num_classes)``."""
        return self.fc(self.dropout(self.pre_logits(feats)))

    @staticmethod
    def _gt_labels(data_samples: Sequence[ClsDataSample]) -> torch.Tensor:
        """Concatenate the single-label ``gt_label`` of each sample into an ``(N, )`` tensor."""
        labels = []
        for i, sample in enumerate(data_samples):
            if 'gt_label' not in sample:
                raise ValueError(f'data sample {i} has no gt_label; the training pipeline must end with '
                                 'PackClsInputs and the dataset must provide "gt_label".')
            if sample.gt_label.numel() != 1:
                raise ValueError(f'LinearClsHead is single-label, but sample {i} has gt_label '
                                 f'{sample.gt_label.tolist()}.')
            labels.append(sample.gt_label)
        return torch.cat(labels)

    def loss(self, feats: FeatsType, data_samples: Sequence[ClsDataSample]) -> dict:
        """Compute the classification loss.

        Args:
            feats (Tensor | Sequence[Tensor]): Backbone/neck features.
            data_samples (Sequence[ClsDataSample]): Samples carrying ``gt_label``.

        Returns:
            dict: ``loss_cls`` and, for each ``k`` in ``topk``, ``acc_top{k}`` (percent, no gradient).
        """
        cls_score = self(feats)
        labels = self._gt_labels(data_samples).to(cls_score.device)
        if labels.numel() != cls_score.shape[0]:
            raise ValueError(f'got {cls_score.shape[0]} images but {labels.numel()} data samples.')
        losses = dict(loss_cls=self.loss_module(cls_score, labels))
        if self.topk:
            with torch.no_grad():
                top = cls_score.topk(max(self.topk), dim=1).indices
                hits = top == labels[:, None]
                for k in self.topk:
                    losses[f'acc_top{k}'] = hits[:, :k].any(dim=1).float().mean() * 100.0
        return losses

    def predict(self,
                feats: FeatsType,
                data_samples: Optional[Sequence[Optional[ClsDataSample]]] = None) -> List[ClsDataSample]:
        """Predict softmax scores and labels.

        Args:
            feats (Tensor | Sequence[Tensor]): Backbone/neck features.
            data_samples (Sequence[ClsDataSample], optional): Samples to fill in; new ones are made
                when None.

        Returns:
            list[ClsDataSample]: Samples with ``pred_score`` (softmax, ``(num_classes, )``) and
            ``pred_label`` (``(1, )``).
        """
        cls_score = self(feats)
        return self._get_predictions(cls_score, data_samples)

    @staticmethod
    def _get_predictions(cls_score: torch.Tensor,
                         data_samples: Optional[Sequence[Optional[ClsDataSample]]]) -> List[ClsDataSample]:
        """Attach ``softmax(cls_score)`` and its argmax to the data samples."""
        scores = F.softmax(cls_score, dim=1).detach()
        labels = scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [None] * scores.shape[0]
        elif len(data_samples) != scores.shape[0]:
            raise ValueError(f'got {scores.shape[0]} images but {len(data_samples)} data samples.')
        out = []
        for sample, score, label in zip(data_samples, scores, labels):
            sample = ClsDataSample() if sample is None else sample
            sample.set_pred_score(score).set_pred_label(label)
            out.append(sample)
        return out
