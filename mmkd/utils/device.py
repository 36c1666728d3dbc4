import functools
from typing import List

import torch


@functools.lru_cache(maxsize=None)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16), read from /proc/cpuinfo."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = next((line for line in f if line.startswith('flags')), '')
    except OSError:
        return False
    return bool({'avx512_bf16', 'amx_bf16'} & set(flags.split()))


def fast_low_precisions(device: torch.device) -> List[str]:
    """The autocast precisions (``'bf16'``, ``'fp16'``) that run faster than float32 on ``device``, the one
    with float32's range first: CUDA GPUs compute both on tensor cores (bf16 where supported); CPUs bf16
    with AVX512-BF16/AMX (their fp16 convolutions are slower than float32, measured on an AVX512-FP16 CPU
    without AMX-FP16)."""
    if device.type == 'cuda':
        return (['bf16'] if torch.cuda.is_bf16_supported() else []) + ['fp16']
    if device.type == 'cpu' and cpu_has_native_bf16():
        return ['bf16']
    return []
