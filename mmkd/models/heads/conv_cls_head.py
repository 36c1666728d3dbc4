"""A small convolutional classification head: conv-BN-ReLU blocks, global average pooling, one linear
layer. Used as an auxiliary classifier on an intermediate feature (DCM, Yao & Sun, ECCV 2020)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from mmkd.registry import MODELS
from .linear_cls_head import FeatsType, LinearClsHead


@MODELS.register_module()
class ConvClsHead(LinearClsHead):
    """``logits = fc(pool(convs(x)))``: ``num_convs`` 3x3 conv-BN-ReLU blocks (the first with ``stride``,
    the others with stride 1, all with ``conv_channels`` outputs) in front of :class:`LinearClsHead`.

    An auxiliary classifier on an intermediate stage needs more than ``pool + fc`` to be a useful
    classifier: the convolutions stand in for the later stages the main classifier has (the DCM paper
    builds its auxiliary classifiers from blocks like the backbone's own). ``num_convs=0`` is a plain
    ``pool + fc`` head on the intermediate feature.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the input feature.
        conv_channels (int, optional): Output channels of every convolution. Defaults to ``in_channels``.
        num_convs (int): Number of conv-BN-ReLU blocks. Defaults to 1.
        stride (int): Stride of the first convolution. Defaults to 1.
        norm_cfg (dict): Normalisation layer of the blocks. Defaults to ``dict(type='BN')``.
        loss, topk, dropout_ratio, init_cfg: As in :class:`LinearClsHead` (``init_cfg`` also applies
            Kaiming initialisation to the convolutions).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 conv_channels: Optional[int] = None,
                 num_convs: int = 1,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 loss: dict = dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0),
                 topk: Union[int, Sequence[int]] = (1, ),
                 dropout_ratio: float = 0.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = (
                     dict(type='Normal', layer='Linear', std=0.01),
                     dict(type='Kaiming', layer='Conv2d'))) -> None:
        if isinstance(num_convs, bool) or not isinstance(num_convs, int) or num_convs < 0:
            raise ValueError(f'num_convs must be an int >= 0, got {num_convs!r}.')
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f'stride must be a positive int, got {stride!r}.')
        conv_channels = in_channels if conv_channels is None else conv_channels
        fc_channels = conv_channels if num_convs > 0 else in_channels
        super().__init__(num_classes=num_classes, in_channels=fc_channels, loss=loss, topk=topk,
                         dropout_ratio=dropout_ratio,
                         init_cfg=list(init_cfg) if isinstance(init_cfg, tuple) else init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'in_channels must be a positive int, got {in_channels!r}.')
        self.feat_channels = in_channels
        blocks = []
        for i in range(num_convs):
            blocks.append(ConvModule(in_channels if i == 0 else conv_channels, conv_channels, 3,
                                     stride=stride if i == 0 else 1, padding=1, norm_cfg=norm_cfg))
        self.convs = nn.Sequential(*blocks)

    def pre_logits(self, feats: FeatsType) -> torch.Tensor:
        """Run the convolutions on the (last) feature ``(N, in_channels, H, W)``, then pool it."""
        if isinstance(feats, (tuple, list)):
            if len(feats) == 0:
                raise ValueError('ConvClsHead got an empty tuple of features.')
            feats = feats[-1]
        if feats.dim() != 4:
            raise ValueError(f'ConvClsHead expects (N, C, H, W) features, got shape {tuple(feats.shape)}.')
        if feats.shape[1] != self.feat_channels:
            raise ValueError(f'the feature has {feats.shape[1]} channels but in_channels='
                             f'{self.feat_channels}; set in_channels={feats.shape[1]}.')
        return super().pre_logits(self.convs(feats))
