from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.runner.amp import autocast

from mmkd.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed precision on the CPU: forward under ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    mmengine's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU. On the CPU, autocast supports bfloat16 only;
    bfloat16 has float32's exponent range, so no loss scaling is needed and backward/step are the plain
    ``OptimWrapper``'s. ``tools/train.py --amp`` picks this wrapper when no accelerator is present.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs):
        super().__init__(**kwargs)
        if dtype != 'bfloat16':
            raise ValueError(f'CPU autocast supports only bfloat16, got dtype={dtype!r}; '
                             'remove `dtype` or set it to "bfloat16".')
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), autocast(device_type='cpu', dtype=self.cast_dtype):
            yield
