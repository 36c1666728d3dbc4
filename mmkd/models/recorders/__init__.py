from .forward_truncator import AutocastAfterFirstRecord, ForwardTruncator, StopForward
from .module_recorder import ModuleRecorder
from .recorder_manager import RecorderManager

__all__ = ['AutocastAfterFirstRecord', 'ForwardTruncator', 'ModuleRecorder', 'RecorderManager', 'StopForward']
