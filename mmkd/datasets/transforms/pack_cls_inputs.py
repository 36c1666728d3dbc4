"""Pack an image and its label into the ``inputs``/``data_samples`` pair a classifier consumes."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmkd.registry import TRANSFORMS
from mmkd.structures import ClsDataSample


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Pack ``results['img']`` and ``results['gt_label']`` for :class:`mmkd.ImageClassifier`.

    The image (``H x W x C`` or ``H x W`` numpy array, as loaded by mmcv: BGR for colour images)
    becomes a ``C x H x W`` tensor of the same dtype (no normalisation: the model's data preprocessor
    does it). ``gt_label``, when present and not None, goes to a :class:`ClsDataSample`, and every key of
    ``meta_keys`` present in ``results`` goes to its metainfo; absent meta keys are skipped, so the
    transform works after mmcv's ``Resize``/``RandomFlip`` (which add ``scale_factor``/``flip``...) and
    without them.

    Args:
        meta_keys (Sequence[str]): Keys copied to the sample's metainfo when present. Defaults to
            ``('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
            'flip_direction')``.

    Returns:
        dict: ``dict(inputs=Tensor[C, H, W], data_samples=ClsDataSample)``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                                             'scale_factor', 'flip', 'flip_direction')) -> None:
        if isinstance(meta_keys, str):
            meta_keys = (meta_keys, )
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one sample.

        Args:
            results (dict): The pipeline's result dict; must contain ``img``.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        if 'img' not in results:
            raise KeyError('PackClsInputs needs results["img"]; load the image first (e.g. '
                           'LoadImageFromFile) or have the dataset return it under "img".')
        img = results['img']
        if isinstance(img, np.ndarray):
            if img.ndim == 2:
                img = img[..., None]
            if img.ndim != 3:
                raise ValueError(f'results["img"] must be H x W or H x W x C, got shape {img.shape}.')
            inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        elif isinstance(img, torch.Tensor):
            if img.dim() != 3:
                raise ValueError('a tensor results["img"] must already be C x H x W, got shape '
                                 f'{tuple(img.shape)}.')
            inputs = img
        else:
            raise TypeError(f'results["img"] must be a numpy array or a tensor, got {type(img).__name__}.')

        data_sample = ClsDataSample()
        if results.get('gt_label') is not None:
            data_sample.set_gt_label(results['gt_label'])
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
