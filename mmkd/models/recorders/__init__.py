from .module_recorder import ModuleRecorder
from .recorder_manager import RecorderManager

__all__ = ['ModuleRecorder', 'RecorderManager']
