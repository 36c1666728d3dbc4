"""An ensemble of trained classifiers that averages their class probabilities."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel

from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.checkpoint import load_weights
from mmkd.utils.config import load_model_config
from ..utils import check_shared_preprocessor, forward_by_mode


@MODELS.register_module()
class EnsembleClassifier(BaseModel):
    """``p(x) = 1/M * sum_m softmax(z_m(x))``: the mean of M classifiers' softmax probabilities.

    For evaluation only (``predict`` and ``tensor`` modes), e.g. the Born-Again Network ensemble of all
    generations (Furlanello et al., ICML 2018, Sec. 3.2). Each member is built from its config and loaded
    strictly from its checkpoint when the ensemble is built (a distillation checkpoint gives its student);
    members stay frozen in eval mode and ``init_weights`` leaves them as loaded.

    Args:
        models (list[dict | str]): member model configs (dicts, or config paths whose ``model`` is used).
            Each member's ``tensor`` mode must return (N, num_classes) logits (``mmkd.ImageClassifier``),
            and all members must share one data preprocessor (the batch is prepared once).
        checkpoints (list[str | None]): one checkpoint per member (``None``: random weights, for tests).
        data_preprocessor: None or the members' own (mmengine's Runner copies a top-level
            ``data_preprocessor`` of the config into the model dict).
    """

    def __init__(self,
                 models: Sequence[Union[dict, str]],
                 checkpoints: Sequence[Optional[str]],
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if not models:
            raise ValueError('EnsembleClassifier needs at least one member: models=[<model config>, ...]')
        if len(checkpoints) != len(models):
            raise ValueError(f'{len(models)} models but {len(checkpoints)} checkpoints: give one checkpoint '
                             'per model, in the same order')
        cfgs = [load_model_config(m) for m in models]
        check_shared_preprocessor(type(self).__name__, {i: c.get('data_preprocessor') for i, c in enumerate(cfgs)},
                                  data_preprocessor, role='member')
        members = []
        for i, (cfg, checkpoint) in enumerate(zip(cfgs, checkpoints)):
            member = MODELS.build(cfg)
            if checkpoint is None:
                print_log(f'ensemble member {i} has no checkpoint: random weights', logger='current', level=30)
            else:
                load_weights(member, checkpoint, f'ensemble member {i}')
            members.append(member)
        super().__init__(data_preprocessor=members[0].data_preprocessor, init_cfg=init_cfg)
        self.members = nn.ModuleList(members)
        self.checkpoints = list(checkpoints)
        self.members.requires_grad_(False)
        self.members.eval()

    def train(self, mode: bool = True):
        """Members always stay in eval mode (running BN statistics, no dropout)."""
        super().train(mode)
        self.members.eval()
        return self

    def init_weights(self) -> None:
        """Nothing to initialise: the members hold their checkpoints' weights."""

    @torch.no_grad()
    def probabilities(self, inputs: torch.Tensor) -> torch.Tensor:
        """The mean of the members' softmax probabilities, (N, num_classes)."""
        probs = []
        for i, member in enumerate(self.members):
            logits = member(inputs, None, mode='tensor')
            if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
                shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                raise ValueError(f'ensemble member {i} returned {shape} in tensor mode; members must be '
                                 'classifiers returning (N, num_classes) logits (e.g. mmkd.ImageClassifier)')
            if probs and logits.shape != probs[0].shape:
                raise ValueError(f'ensemble member {i} gives {tuple(logits.shape)} logits but member 0 '
                                 f'{tuple(probs[0].shape)}: members must predict the same classes')
            probs.append(F.softmax(logits.float(), dim=1))
        return torch.stack(probs).mean(dim=0)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]] = None,
                mode: str = 'tensor'):
        """``predict``: samples with ``pred_score`` (the mean probabilities) and ``pred_label``;
        ``tensor``: the mean probabilities (N, num_classes)."""
        return forward_by_mode(self, inputs, data_samples, mode)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]]):
        raise RuntimeError('EnsembleClassifier evaluates trained models and has no loss; train the '
                           'members on their own and use the ensemble with tools/test.py')

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[List[ClsDataSample]] = None) -> torch.Tensor:
        return self.probabilities(inputs)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[ClsDataSample]] = None) -> List[ClsDataSample]:
        probs = self.probabilities(inputs)
        if data_samples is None:
            data_samples = [ClsDataSample() for _ in range(probs.shape[0])]
        elif len(data_samples) != probs.shape[0]:
            raise ValueError(f'got {probs.shape[0]} images but {len(data_samples)} data samples')
        for sample, score in zip(data_samples, probs):
            sample.set_pred_score(score).set_pred_label(score.argmax(dim=0, keepdim=True))
        return list(data_samples)
