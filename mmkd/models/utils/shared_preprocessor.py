from typing import Dict, Hashable, Optional

from mmkd.utils.config import strip_scope


def check_shared_preprocessor(owner: str, preprocessors: Dict[Hashable, Optional[dict]], given: Optional[dict],
                              role: str = 'model') -> None:
    """Check the data preprocessor configs of a model that prepares each batch once for several networks.

    Every network of ``preprocessors`` (name -> its ``data_preprocessor`` config) must use the first one's,
    and ``given`` (the composite model's own ``data_preprocessor`` argument, where mmengine's Runner puts a
    top-level ``data_preprocessor`` of the config) must be None or that one too. Configs are compared
    without the ``_scope_`` tags of ``mmdet::``/``mmseg::`` bases. ``role`` names the networks in the
    errors (``'peer'``, ``'member'``, ``'student'``).

    Raises:
        ValueError: naming the networks that differ, or the top-level setting to remove.
    """
    plain = {name: strip_scope(pre) for name, pre in preprocessors.items()}
    first = next(iter(plain))
    differ = [name for name, pre in plain.items() if pre != plain[first]]
    if differ:
        raise ValueError(
            f'{owner}: the {role}s {differ} use another data_preprocessor than {role} {first!r}; the batch is '
            f'prepared once for all {role}s, so give every {role} the same one ({role} {first!r}: '
            f'{plain[first]}; {role} {differ[0]!r}: {plain[differ[0]]})')
    if given is not None and strip_scope(given) != plain[first]:
        whose = f"the {role}'s" if len(plain) == 1 else f"its {role}s'"
        raise ValueError(
            f'{owner} uses {whose} data_preprocessor, but another one was given (mmengine\'s Runner copies a '
            f'top-level `data_preprocessor` of the config into the model dict): move it into the {role} '
            'config, or set `data_preprocessor = None` at the top level of the config.')
