from . import metrics
from .metrics import Accuracy

__all__ = ['metrics', 'Accuracy']
