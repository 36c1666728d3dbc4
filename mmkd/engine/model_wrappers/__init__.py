from .device_agnostic_ddp import DeviceAgnosticDDP
from .local_model_wrapper import LocalModelWrapper

__all__ = ['DeviceAgnosticDDP', 'LocalModelWrapper']
