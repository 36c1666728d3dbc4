from .forward_modes import FORWARD_MODES, forward_by_mode
from .shared_preprocessor import check_shared_preprocessor

__all__ = ['FORWARD_MODES', 'check_shared_preprocessor', 'forward_by_mode']
