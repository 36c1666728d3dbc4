from mmkd import compat

from .algorithms import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .connectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .ops import *  # noqa: F401,F403
from .recorders import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403

compat.apply()
