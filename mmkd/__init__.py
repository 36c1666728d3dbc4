__version__ = '0.1.0'

from mmkd import compat as _compat  # noqa: E402

_compat.secure_checkpoint_loading()
