import os.path as osp

from mmengine.config import Config
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
