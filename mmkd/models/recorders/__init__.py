from .forward_truncator import ForwardTruncator, StopForward
from .module_recorder import ModuleRecorder
from .recorder_manager import RecorderManager

__all__ = ['ForwardTruncator', 'ModuleRecorder', 'RecorderManager', 'StopForward']
