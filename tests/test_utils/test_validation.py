import pytest

from mmkd.utils.validation import check_odd_kernel_size, check_positive_ints


def test_check_positive_ints_names_the_first_bad_argument():
    check_positive_ints(in_channels=1, out_channels=512)
    for bad in (0, -3, 2.0, True, None, '8'):
        with pytest.raises(ValueError, match=rf'out_channels must be a positive int, got {bad!r}'):
            check_positive_ints(in_channels=4, out_channels=bad)
    with pytest.raises(ValueError, match='in_channels'):
        check_positive_ints(in_channels=0, out_channels=0)


def test_check_odd_kernel_size():
    for ok in (1, 3, 7):
        check_odd_kernel_size(ok)
    for bad in (0, 2, -1, True, 3.0):
        with pytest.raises(ValueError, match='kernel_size must be a positive odd int'):
            check_odd_kernel_size(bad)
