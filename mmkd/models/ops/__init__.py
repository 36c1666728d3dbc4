from .backbone_stages import StageSequence, take_stages, truncate_backbone
from .grad_scale import grad_scale

__all__ = ['StageSequence', 'grad_scale', 'take_stages', 'truncate_backbone']
