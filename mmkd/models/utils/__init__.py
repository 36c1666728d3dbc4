from .dry_run import dry_batch, dry_forward, dry_samples, eval_mode
from .forward_modes import FORWARD_MODES, forward_by_mode
from .shared_preprocessor import check_shared_preprocessor

__all__ = ['FORWARD_MODES', 'check_shared_preprocessor', 'dry_batch', 'dry_forward', 'dry_samples', 'eval_mode',
           'forward_by_mode']
