from .kd_loss import KDLoss, permute_non_argmax
from .partial_l2_loss import PartialL2Loss, partial_l2

__all__ = ['KDLoss', 'PartialL2Loss', 'partial_l2', 'permute_non_argmax']
