"""A classification dataset seen by a specialist (Hinton et al., 2015, Sec. 5): its classes plus a dustbin,
optionally enriched so that a given share of the images comes from its classes."""
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS
from mmkd.utils.specialists import DUSTBIN


def dataset_labels(dataset: BaseDataset) -> np.ndarray:
    """The ``gt_label`` of every item of a classification dataset, (N, ) int64."""
    dataset.full_init()
    labels = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if 'gt_label' not in info:
            raise KeyError(f'item {i} of {type(dataset).__name__} has no gt_label: specialists need a '
                           'single-label classification dataset')
        labels.append(int(np.asarray(info['gt_label']).reshape(-1)[0]))
    return np.asarray(labels, dtype=np.int64)


@DATASETS.register_module()
class SpecialistDataset:
    """Relabel a classification dataset for a specialist: class ``classes[i]`` becomes ``i`` and every
    other class the dustbin ``K = len(classes)``.

    With ``cluster_fraction=r`` the item list is enriched: all images of the specialist's classes plus
    ``round(n_S (1 - r) / r)`` images drawn once, without replacement (with replacement when there are too
    few), from the other classes -- "half from the special subset and half sampled at random from the
    remainder of the training set" for ``r = 0.5``. ``cluster_fraction=None`` keeps every image (to
    evaluate the specialist on its K + 1 classes).

    Args:
        dataset (dict | BaseDataset): The original dataset (config or object); its ``pipeline`` is used.
        classes (Sequence[int]): The specialist's classes, indices of the original dataset.
        cluster_fraction (float, optional): ``r`` in (0, 1), or None. Defaults to None.
        seed (int): Seed of the drawn dustbin images. Defaults to 0.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 classes: Sequence[int],
                 cluster_fraction: Optional[float] = None,
                 seed: int = 0) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        names = self.dataset.metainfo.get('classes')
        classes = [int(c) for c in classes]
        num = len(names) if names is not None else None
        if not classes or len(set(classes)) != len(classes) or (num is not None and not all(
                0 <= c < num for c in classes)):
            raise ValueError(f'classes must be distinct class indices of the dataset (0..{num}), got {classes}')
        if num is not None and len(classes) >= num:
            raise ValueError('a specialist covering every class leaves its dustbin empty; leave classes out')
        if cluster_fraction is not None and not 0 < cluster_fraction < 1:
            raise ValueError(f'cluster_fraction must lie in (0, 1) or be None, got {cluster_fraction}')
        self.classes = classes
        self.cluster_fraction = cluster_fraction
        self._label_map = {c: i for i, c in enumerate(classes)}
        labels = dataset_labels(self.dataset)
        self.original_labels = labels
        in_cluster = np.isin(labels, classes)
        inside, outside = np.flatnonzero(in_cluster), np.flatnonzero(~in_cluster)
        if cluster_fraction is None:
            indices = np.arange(len(labels))
        else:
            if not len(inside) or not len(outside):
                raise ValueError(f'the dataset has {len(inside)} images of classes {classes} and {len(outside)} '
                                 'of the others; enrichment needs both')
            rng = np.random.default_rng(seed)
            num_out = max(1, int(round(len(inside) * (1 - cluster_fraction) / cluster_fraction)))
            drawn = rng.choice(outside, num_out, replace=num_out > len(outside))
            indices = np.sort(np.concatenate([inside, drawn]))
        self.indices: List[int] = indices.tolist()
        metainfo = dict(self.dataset.metainfo)
        if names is not None:
            metainfo['classes'] = tuple(names[c] for c in classes) + (DUSTBIN, )
        self._metainfo = metainfo

    @property
    def metainfo(self) -> dict:
        """The original metainfo, with ``classes`` = the specialist's class names and ``'dustbin'``."""
        return dict(self._metainfo)

    @property
    def pipeline(self):
        return self.dataset.pipeline

    def specialist_label(self, label: int) -> int:
        """The specialist's index of an original class (``K`` for the dustbin)."""
        return self._label_map.get(int(label), len(self.classes))

    def full_init(self) -> None:
        """The wrapped dataset is fully initialised when the wrapper is built."""

    def __len__(self) -> int:
        return len(self.indices)

    def get_data_info(self, idx: int) -> dict:
        """The original item with ``gt_label`` relabelled and ``original_label`` kept."""
        info = self.dataset.get_data_info(self.indices[idx])
        info['original_label'] = int(np.asarray(info['gt_label']).reshape(-1)[0])
        info['gt_label'] = self.specialist_label(info['original_label'])
        return info

    def __getitem__(self, idx: int) -> dict:
        return self.dataset.pipeline(self.get_data_info(idx))
