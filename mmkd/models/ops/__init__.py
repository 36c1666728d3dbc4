from .backbone_stages import StageSequence, take_stages, truncate_backbone
from .batch_augment import random_crop_flip
from .grad_scale import grad_scale

__all__ = ['StageSequence', 'grad_scale', 'random_crop_flip', 'take_stages', 'truncate_backbone']
