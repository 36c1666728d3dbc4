import copy
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config, ConfigDict
from mmengine.utils import get_installed_path


def load_config(path: str) -> Config:
    """``Config.fromfile`` that also takes the configs shipped in packages, ``'mmdet::ssd/x.py'``."""
    if '::' in path:
        package, rel = path.split('::', 1)
        path = osp.join(get_installed_path(package), '.mim', 'configs', rel)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path!r} does not exist (relative paths are read from the '
                                'current directory; package configs are written "mmdet::dir/file.py").')
    return Config.fromfile(path)


def load_model_config(config: Union[str, dict], cfg_options: Optional[dict] = None) -> ConfigDict:
    """The ``model`` dict of a config file (``mmdet::``/``mmseg::`` package paths allowed) or a dict."""
    if isinstance(config, str):
        cfg = load_config(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        model = copy.deepcopy(cfg.model)
        if cfg.get('default_scope'):
            model.setdefault('_scope_', cfg.default_scope)
        return model
    if cfg_options:
        raise ValueError('cfg_options applies to a teacher given as a config path, not as a dict; '
                         'edit the dict instead.')
    return ConfigDict(copy.deepcopy(config))


def strip_scope(obj):
    """A plain copy of ``obj`` without the ``_scope_`` tags that ``mmdet::``/``mmseg::`` bases add."""
    if isinstance(obj, dict):
        return {k: strip_scope(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return [strip_scope(v) for v in obj]
    return obj


STANDALONE_IMPORT = 'mmkd.models'


def standalone_config(cfg: Config) -> Config:
    """Make an exported config load in a fresh process: add ``mmkd.models`` to its ``custom_imports``.

    ``Config.fromfile`` (and so ``mmdet.apis.init_detector`` and ``mmseg.apis.init_model``) imports it,
    which registers mmkd's modules and applies :func:`mmkd.compat.apply` (without it mmdet 3.3.0's
    ``SSDHead`` cannot predict). ``cfg`` is changed in place and returned.
    """
    custom = dict(cfg.get('custom_imports') or {})
    imports = custom.get('imports') or []
    imports = [imports] if isinstance(imports, str) else list(imports)
    if STANDALONE_IMPORT not in imports:
        imports.append(STANDALONE_IMPORT)
    custom.update(imports=imports, allow_failed_imports=custom.get('allow_failed_imports', False))
    cfg.custom_imports = custom
    return cfg
