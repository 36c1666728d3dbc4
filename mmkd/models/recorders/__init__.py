from .float32_norms import Float32Norms
from .forward_truncator import AutocastAfterFirstRecord, ForwardTruncator, StopForward
from .module_recorder import ModuleRecorder
from .recorder_manager import RecorderManager

__all__ = ['AutocastAfterFirstRecord', 'Float32Norms', 'ForwardTruncator', 'ModuleRecorder', 'RecorderManager', 'StopForward']
