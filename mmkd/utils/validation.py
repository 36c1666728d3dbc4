"""Argument checks shared by the components' constructors."""


def check_positive_ints(**values) -> None:
    """Raise a ValueError naming the first argument that is not a positive int (bools are refused).

    Example: ``check_positive_ints(in_channels=in_channels, out_channels=out_channels)``.
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f'{name} must be a positive int, got {value!r}')


def check_odd_kernel_size(kernel_size) -> None:
    """Raise a ValueError unless ``kernel_size`` is a positive odd int (padding ``k // 2`` keeps the size)."""
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size <= 0 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd int (so the spatial size is kept), got {kernel_size!r}')
