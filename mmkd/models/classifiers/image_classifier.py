"""An image classifier assembled from registered parts: backbone, optional neck, head."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.loss_guard import FiniteLossMixin
from ..utils import forward_by_mode

DEFAULT_DATA_PREPROCESSOR = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)


def classifier_preprocessor(data_preprocessor: Optional[Union[dict, nn.Module]]) -> Union[dict, nn.Module]:
    """A classifier's data preprocessor config: :data:`DEFAULT_DATA_PREPROCESSOR` for None, a dict with
    ``type`` defaulting to ``ImgDataPreprocessor``, anything else (a built module) as it is."""
    if data_preprocessor is None:
        return dict(DEFAULT_DATA_PREPROCESSOR)
    if isinstance(data_preprocessor, dict):
        data_preprocessor = dict(data_preprocessor)
        data_preprocessor.setdefault('type', DEFAULT_DATA_PREPROCESSOR['type'])
    return data_preprocessor


@MODELS.register_module()
class ImageClassifier(FiniteLossMixin, BaseModel):
    """``head(neck(backbone(normalise(img))))`` with mmdet-style ``loss``/``predict``/``tensor`` modes.

    Sub-modules are built with :data:`mmkd.registry.MODELS`, so any registered backbone works, e.g.
    ``dict(type='mmdet.ResNet', depth=18)`` or ``dict(type='mmdet.MobileNetV2', out_indices=(7, ))``.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config. Defaults to None.
        head (dict): Head config (required), e.g. ``dict(type='mmkd.LinearClsHead', ...)``; it must
            provide ``forward(feats)``, ``loss(feats, data_samples)`` and ``predict(feats, data_samples)``.
        data_preprocessor (dict, optional): Data preprocessor config; ``type`` defaults to
            ``ImgDataPreprocessor``. Defaults to an ``ImgDataPreprocessor`` with the ImageNet mean/std
            (RGB order) and ``bgr_to_rgb=True``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=classifier_preprocessor(data_preprocessor), init_cfg=init_cfg)
        if head is None:
            raise ValueError('ImageClassifier needs a head, e.g. head=dict(type="mmkd.LinearClsHead", '
                             'num_classes=100, in_channels=512).')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    @property
    def with_neck(self) -> bool:
        """Whether the classifier has a neck."""
        return self.neck is not None

    def extract_feat(self, inputs: torch.Tensor) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Return the backbone (and neck) features of a normalised ``(N, C, H, W)`` batch."""
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, torch.Tensor], List[ClsDataSample], torch.Tensor]:
        """Run in one of three modes.

        Args:
            inputs (Tensor): Normalised images ``(N, C, H, W)``.
            data_samples (list[ClsDataSample], optional): Samples with ``gt_label`` (``loss``) or to
                fill with predictions (``predict``).
            mode (str): ``'loss'`` returns a dict of losses, ``'predict'`` a list of samples with
                ``pred_score``/``pred_label``, ``'tensor'`` the logits ``(N, num_classes)``.

        Returns:
            dict | list[ClsDataSample] | Tensor: As described for ``mode``.
        """
        return forward_by_mode(self, inputs, data_samples, mode)

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[List[ClsDataSample]] = None) -> torch.Tensor:
        """Return the logits ``(N, num_classes)``."""
        return self.head(self.extract_feat(inputs))

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """Return the head's losses (``loss_cls`` and logged accuracies)."""
        if data_samples is None:
            raise ValueError('mode="loss" needs data_samples with gt_label; pack them with PackClsInputs.')
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[ClsDataSample]] = None) -> List[ClsDataSample]:
        """Return the samples with ``pred_score`` (softmax) and ``pred_label`` set."""
        return self.head.predict(self.extract_feat(inputs), data_samples)
