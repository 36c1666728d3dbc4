"""ONE (Lan et al., "Knowledge Distillation by On-the-Fly Native Ensemble", NeurIPS 2018) for semantic
segmentation: copies of the decode head as branches, gated into an ensemble teacher."""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ModuleList
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.utils import add_prefix

from mmkd.registry import MODELS
from mmkd.utils.progress import check_rampup, rampup_weight
from ..losses.base import data_samples_kwargs
from ..ops.backbone_stages import out_channels, stage_names

ONE_KEYS = ('num_branches', 'kd_loss', 'predict_branch', 'gate_in_channels', 'kl_rampup')


@MODELS.register_module()
class ONEEncoderDecoder(EncoderDecoder):
    """An mmseg ``EncoderDecoder`` whose decode head is copied into ``num_branches`` branches on the shared
    backbone, with a gate (FC + BN + ReLU + softmax on the globally pooled last backbone feature) giving
    one weight per branch and image.

    With branch score maps ``z_i`` ``(N, C, h, w)`` and gate weights ``g`` ``(N, B)``, the ensemble is
    ``z_e = sum_i g_i z_i`` and the loss is::

        sum_i CE(z_i, y) + CE(z_e, y) + T^2 * sum_i KL(softmax(z_e / T) || softmax(z_i / T))

    (plus the auxiliary head's loss). Each CE is the decode head's own loss (``loss_by_feat``: upsampling,
    ``ignore_index``); the KL (``kd_loss``, ``mmkd.KDLoss`` with ``T = 3``) is averaged over all
    locations of the decode-head maps, with ``z_e`` detached (a ``kd_loss`` with ``ignore_index=255``
    leaves the ignored pixels out); ``kl_rampup`` ramps it up as
    :class:`~mmkd.models.classifiers.ONEClassifier` describes (off by default). Logged keys:
    ``decode_b{i}.loss_ce``, ``decode_ens.loss_ce``, ``loss_kl_b{i}`` (and the ``acc_seg`` of each).

    Prediction uses the ensemble, or branch ``predict_branch``. :meth:`export_state_dict` and
    :meth:`export_model_config` give one branch as a plain ``EncoderDecoder``.

    Args:
        num_branches (int): Number of decode-head copies. Defaults to 3.
        kd_loss (dict): Config of the KL term. Defaults to ``dict(type='mmkd.KDLoss', tau=3.0)``.
        predict_branch (int, optional): Branch used for prediction; None: the ensemble. Defaults to None.
        gate_in_channels (int, optional): Channels of the last backbone feature; inferred from a
            ResNet-style backbone when None. Defaults to None.
        kl_rampup (dict, optional): ``dict(length=L, by='epoch' | 'iter')``: the release's ramp of the KL
            terms. Defaults to None (full weight throughout).
        **kwargs: ``EncoderDecoder`` arguments (``backbone``, ``decode_head``, ``auxiliary_head``, ...).
    """

    def __init__(self,
                 num_branches: int = 3,
                 kd_loss: dict = dict(type='mmkd.KDLoss', tau=3.0),
                 predict_branch: Optional[int] = None,
                 gate_in_channels: Optional[int] = None,
                 kl_rampup: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(num_branches, bool) or not isinstance(num_branches, int) or num_branches < 2:
            raise ValueError(f'num_branches must be an int >= 2, got {num_branches!r}.')
        if predict_branch is not None and predict_branch not in range(num_branches):
            raise ValueError(f'predict_branch must be None (the ensemble) or a branch index in '
                             f'0..{num_branches - 1}, got {predict_branch!r}.')
        super().__init__(**kwargs)
        self.num_branches = num_branches
        self.predict_branch = predict_branch
        for _ in range(num_branches - 1):
            self.decode_heads.append(MMSEG_MODELS.build(copy.deepcopy(self._decode_head_cfg)))
        if gate_in_channels is None:
            try:
                gate_in_channels = out_channels(getattr(self.backbone, stage_names(self.backbone)[-1]))
            except (TypeError, ValueError) as err:
                raise ValueError(f'cannot infer the backbone output channels ({err}); set '
                                 'gate_in_channels.') from err
        self.gate = nn.Sequential(
            nn.Linear(gate_in_channels, num_branches), nn.BatchNorm1d(num_branches), nn.ReLU(inplace=True))
        self.kd_loss = MODELS.build(copy.deepcopy(kd_loss))
        self.kl_rampup = check_rampup(kl_rampup, 'ONEEncoderDecoder kl_rampup')

    def _init_decode_head(self, decode_head: dict) -> None:
        """Build the first branch (the others are added once ``num_branches`` is set)."""
        self._decode_head_cfg = copy.deepcopy(decode_head)
        self.decode_heads = ModuleList([MMSEG_MODELS.build(copy.deepcopy(decode_head))])
        first = self.decode_heads[0]
        self.align_corners = first.align_corners
        self.num_classes = first.num_classes
        self.out_channels = first.out_channels

    @property
    def decode_head(self) -> nn.Module:
        """The prediction branch (branch 0 when predicting with the ensemble)."""
        branch = getattr(self, 'predict_branch', None)
        return self.decode_heads[0 if branch is None else branch]

    def gate_weights(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Branch weights ``(N, num_branches)`` (rows sum to 1) from the last backbone feature."""
        last = feats[-1] if isinstance(feats, (list, tuple)) else feats
        return F.softmax(self.gate(F.adaptive_avg_pool2d(last, 1).flatten(1)), dim=1)

    @staticmethod
    def ensemble(logits: Sequence[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
        """``z_e = sum_i g_i z_i`` for score maps ``z_i`` ``(N, C, h, w)`` and weights ``(N, B)``."""
        return (weights[:, :, None, None, None] * torch.stack(list(logits), dim=1)).sum(dim=1)

    def forward_all(self, inputs: torch.Tensor) -> Tuple[tuple, List[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Backbone features, branch score maps, gate weights and the ensemble score map."""
        feats = self.extract_feat(inputs)
        logits = [head(feats) for head in self.decode_heads]
        weights = self.gate_weights(feats)
        return feats, logits, weights, self.ensemble(logits, weights)

    def _predict_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.predict_branch is None:
            return self.forward_all(inputs)[3]
        return self.decode_head(self.extract_feat(inputs))

    def encode_decode(self, inputs: torch.Tensor, batch_img_metas: List[dict]) -> torch.Tensor:
        """Ensemble (or ``predict_branch``) score maps resized to the input, as mmseg's heads do."""
        return self.decode_heads[0].predict_by_feat(self._predict_logits(inputs), batch_img_metas)

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        """Ensemble (or ``predict_branch``) score maps at the decode-head resolution."""
        return self._predict_logits(inputs)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> Dict[str, torch.Tensor]:
        """The ONE loss of every branch and the ensemble, plus the auxiliary head's."""
        feats, logits, _, ensemble = self.forward_all(inputs)
        losses = {}
        for i, (z, head) in enumerate(zip(logits, self.decode_heads)):
            losses.update(add_prefix(head.loss_by_feat(z, data_samples), f'decode_b{i}'))
        losses.update(add_prefix(self.decode_heads[0].loss_by_feat(ensemble, data_samples), 'decode_ens'))
        target = ensemble.detach()
        ramp = rampup_weight(self.kl_rampup)
        kwargs = data_samples_kwargs(self.kd_loss, data_samples)
        for i, z in enumerate(logits):
            losses[f'loss_kl_b{i}'] = ramp * self.kd_loss(z, target, **kwargs)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        return losses

    def export_state_dict(self, index: int = 0) -> 'OrderedDict[str, torch.Tensor]':
        """Branch ``index`` as a plain ``EncoderDecoder`` state dict (``decode_heads.{index}`` becomes
        ``decode_head``; the gate and the other branches are dropped)."""
        if index not in range(self.num_branches):
            raise ValueError(f'branch index must be in 0..{self.num_branches - 1}, got {index!r}.')
        out = OrderedDict()
        own = f'decode_heads.{index}.'
        for key, value in self.state_dict().items():
            if key.startswith(own):
                key = 'decode_head.' + key[len(own):]
            elif key.startswith(('decode_heads.', 'gate.', 'kd_loss.')):
                continue
            out[key] = value.detach().cpu().clone()
        return out

    @staticmethod
    def export_model_config(model_cfg: dict) -> dict:
        """The plain mmseg ``EncoderDecoder`` config of one branch."""
        out = {k: copy.deepcopy(v) for k, v in dict(model_cfg).items() if k not in ONE_KEYS}
        out['type'] = 'mmseg.EncoderDecoder'
        return out
