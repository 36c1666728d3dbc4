"""mmkd.models.utils: the helpers that composite models (distillers, online methods, ensembles) share."""
import pytest

from mmkd.models.utils import check_shared_preprocessor

PRE = dict(type='ImgDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3)


def test_shared_preprocessor_compares_without_scope_tags_and_names_the_odd_network():
    scoped = dict(PRE, _scope_='mmdet')
    check_shared_preprocessor('M', dict(a=PRE, b=scoped), given=scoped, role='peer')  # same but for _scope_
    other = dict(PRE, mean=[1.0] * 3)
    with pytest.raises(ValueError, match=r"M: the peers \['c'\] use another data_preprocessor than peer 'a'"):
        check_shared_preprocessor('M', dict(a=PRE, b=PRE, c=other), given=None, role='peer')
    with pytest.raises(ValueError, match=r"M uses the student's data_preprocessor, but another one was given"):
        check_shared_preprocessor('M', dict(student=PRE), given=other, role='student')
    with pytest.raises(ValueError, match=r"M uses its members' data_preprocessor"):
        check_shared_preprocessor('M', {0: PRE, 1: PRE}, given=other, role='member')
