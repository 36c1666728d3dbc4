from .partial_l2_loss import PartialL2Loss, partial_l2

__all__ = ['PartialL2Loss', 'partial_l2']
