import functools

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


def bf16_is_fast(device: torch.device) -> bool:
    """bfloat16 runs at least as fast as float32 on ``device`` (native support)."""
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported()
    if device.type == 'cpu':
        return cpu_has_native_bf16()
    return False
