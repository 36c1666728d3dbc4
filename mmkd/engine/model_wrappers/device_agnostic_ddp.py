from mmengine.model import MMDistributedDataParallel

from mmkd.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also works for modules on the CPU.

    mmengine's ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for a
    CPU module (it must be ``None`` there). This wrapper drops ``device_ids`` when the module's parameters
    are not on an accelerator and keeps them otherwise, so one config runs on GPUs (NCCL) and on CPUs
    (gloo). ``broadcast_buffers`` defaults to ``False`` as in mmengine.
    """

    def __init__(self, module, device_ids=None, broadcast_buffers=False, **kwargs):
        param = next(module.parameters(), None)
        if param is None or param.device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, broadcast_buffers=broadcast_buffers,
                         **kwargs)

    def train_step(self, data, optim_wrapper):
        """mmengine's DDP step; a model trained by steps with their own optimizers (``AssistantDistiller``)
        first picks the current step's from the ``OptimWrapperDict``."""
        select = getattr(self.module, 'active_optim_wrapper', None)
        if select is not None:
            optim_wrapper = select(optim_wrapper)
        return super().train_step(data, optim_wrapper)
