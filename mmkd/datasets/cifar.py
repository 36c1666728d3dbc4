"""CIFAR-100 in its python (pickle) format, read into memory."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS
from mmkd.utils.safe_pickle import load_array_pickle

_GENERATOR_HINT = ('generate the toy set with `python tools/misc/make_toy_data.py --out data/toy` '
                   "(then data_root='data/toy/cifar-toy'), or extract the real cifar-100-python.tar.gz "
                   "and use data_root='.../cifar-100-python'")


def load_cifar_pickle(path: str) -> dict:
    """Load one CIFAR python file with ``str`` keys.

    The real files are Python 2 pickles, so they are read with ``encoding='bytes'`` and the keys
    decoded (``b'data'`` -> ``'data'``). They are read with
    :func:`mmkd.utils.safe_pickle.load_array_pickle`, which rebuilds numpy arrays and plain containers
    only, so a crafted file cannot run code.

    Args:
        path (str): Path of ``train``, ``test`` or ``meta``.

    Returns:
        dict: The unpickled dict with ``str`` keys.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        mmkd.utils.safe_pickle.UnsafePickleError: The file names anything but numpy array types.
        ValueError: The file is corrupt or holds no dict.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'CIFAR-100 file {path} not found. CIFAR100Dataset expects the python-format files '
            f'`train`, `test` and `meta` in data_root; {_GENERATOR_HINT}.')
    obj = load_array_pickle(path, encoding='bytes')
    if not isinstance(obj, dict):
        raise ValueError(f'{path} does not hold a CIFAR dict (got {type(obj).__name__}).')
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _as_str(name) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


@DATASETS.register_module()
class CIFAR100Dataset(BaseDataset):
    """CIFAR-100 (or the toy ``cifar-toy`` set) from the python-format pickles in ``data_root``.

    Each item holds the decoded image, so pipelines start after image loading (no
    ``LoadImageFromFile``). Labels are the ``fine_labels``; class names come from ``meta``'s
    ``fine_label_names`` unless ``metainfo`` gives ``classes``.

    Args:
        data_root (str): Folder holding ``train``, ``test`` and ``meta``.
        split (str, optional): File to read. Defaults to ``'test'`` when ``test_mode`` else
            ``'train'``.
        test_mode (bool): Defaults to False.
        metainfo (dict, optional): Overrides, e.g. ``dict(classes=(...))``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``indices``,
            ``serialize_data``, ``lazy_init``, ...).

    Each data info is a dict with ``img`` ((H, W, 3) uint8, **BGR** like ``LoadImageFromFile``),
    ``gt_label`` (int), ``coarse_label`` (int, when the file has them), ``img_shape`` and
    ``ori_shape`` ((H, W)) and ``sample_idx``.
    """
    METAINFO: dict = dict()

    def __init__(self,
                 data_root: str = '',
                 split: Optional[str] = None,
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if 'ann_file' in kwargs:
            raise TypeError('CIFAR100Dataset reads `<data_root>/<split>`; pass split= (e.g. '
                            "'train' or 'test') instead of ann_file.")
        if split is None:
            split = 'test' if test_mode else 'train'
        if not isinstance(split, str) or not split:
            raise ValueError(f"split must be a file name such as 'train' or 'test', got {split!r}.")
        self.split = split
        metainfo = dict(metainfo or {})
        if 'classes' not in metainfo:
            meta = load_cifar_pickle(osp.join(data_root, 'meta'))
            if 'fine_label_names' not in meta:
                raise KeyError(f"{osp.join(data_root, 'meta')} has no 'fine_label_names'; pass "
                               'metainfo=dict(classes=...) instead.')
            metainfo['classes'] = tuple(_as_str(n) for n in meta['fine_label_names'])
        super().__init__(data_root=data_root, test_mode=test_mode, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Decode ``<data_root>/<split>`` into one dict per image."""
        path = osp.join(self.data_root, self.split)
        obj = load_cifar_pickle(path)
        if 'data' not in obj or 'fine_labels' not in obj:
            raise KeyError(f"{path} lacks 'data' or 'fine_labels' ({sorted(obj)} found); it is not a "
                           'CIFAR-100 python file.')
        data = np.asarray(obj['data'], dtype=np.uint8)
        labels = [int(label) for label in obj['fine_labels']]
        side = int(round((data.shape[-1] / 3)**0.5)) if data.ndim == 2 else 0
        if data.ndim != 2 or 3 * side * side != data.shape[1] or len(data) != len(labels):
            raise ValueError(f'{path}: data must be (N, 3*S*S) row-major RGB planes with one label '
                             f'per row; got {data.shape} and {len(labels)} labels.')
        num_classes = len(self._metainfo['classes'])
        if labels and not 0 <= min(labels) <= max(labels) < num_classes:
            raise ValueError(f'{path}: labels span {min(labels)}..{max(labels)} but there are '
                             f'{num_classes} classes; check metainfo["classes"].')
        images = data.reshape(-1, 3, side, side).transpose(0, 2, 3, 1)[..., ::-1]
        coarse = obj.get('coarse_labels')
        data_list = []
        for i, label in enumerate(labels):
            info = dict(
                img=np.ascontiguousarray(images[i]),
                gt_label=label,
                img_shape=(side, side),
                ori_shape=(side, side))
            if coarse is not None:
                info['coarse_label'] = int(coarse[i])
            data_list.append(info)
        return data_list
