"""CIFAR-style augmentation: pad every border, then crop a random window of the original size."""
from typing import Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCropPad(BaseTransform):
    """Pad the image by ``padding`` pixels on each side, then take a random ``crop_size`` window.

    The standard CIFAR augmentation (He et al., "Deep Residual Learning for Image Recognition",
    CVPR 2016): pad 4 pixels on every border and crop 32x32 at random. mmcv's ``Pad`` pads only the
    bottom/right and mmcv has no random crop, hence this transform. Updates ``img`` and ``img_shape``.

    Args:
        crop_size (int | Sequence[int]): Output ``(h, w)``; an int means square. ``None`` keeps the
            input size. Defaults to None.
        padding (int): Pixels added to each of the four borders. Defaults to 4.
        pad_val (int | float): Fill value for ``padding_mode='constant'``. Defaults to 0.
        padding_mode (str): ``'constant'``, ``'edge'`` or ``'reflect'`` (numpy's ``np.pad`` modes).
            Defaults to ``'constant'``.
    """

    _MODES = ('constant', 'edge', 'reflect')

    def __init__(self,
                 crop_size: Optional[Union[int, Sequence[int]]] = None,
                 padding: int = 4,
                 pad_val: Union[int, float] = 0,
                 padding_mode: str = 'constant') -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if crop_size is not None:
            crop_size = tuple(crop_size)
            if len(crop_size) != 2 or min(crop_size) <= 0:
                raise ValueError(f'crop_size must be a positive int or (h, w), got {crop_size}.')
        if not isinstance(padding, int) or padding < 0:
            raise ValueError(f'padding must be a non-negative int, got {padding!r}.')
        if padding_mode not in self._MODES:
            raise ValueError(f'padding_mode must be one of {self._MODES}, got {padding_mode!r}.')
        self.crop_size = crop_size
        self.padding = padding
        self.pad_val = pad_val
        self.padding_mode = padding_mode

    def transform(self, results: dict) -> dict:
        """Pad and crop ``results['img']``.

        Args:
            results (dict): Must contain ``img`` (``H x W`` or ``H x W x C`` array).

        Returns:
            dict: ``results`` with the cropped ``img`` and its ``img_shape``.
        """
        img = results['img']
        h, w = img.shape[:2]
        crop_h, crop_w = self.crop_size if self.crop_size is not None else (h, w)
        p = self.padding
        pad_width = ((p, p), (p, p)) + ((0, 0), ) * (img.ndim - 2)
        if self.padding_mode == 'constant':
            padded = np.pad(img, pad_width, mode='constant', constant_values=self.pad_val)
        else:
            padded = np.pad(img, pad_width, mode=self.padding_mode)
        ph, pw = padded.shape[:2]
        if crop_h > ph or crop_w > pw:
            raise ValueError(f'crop_size {(crop_h, crop_w)} is larger than the padded image {(ph, pw)}; '
                             'lower crop_size or raise padding.')
        top = np.random.randint(0, ph - crop_h + 1)
        left = np.random.randint(0, pw - crop_w + 1)
        results['img'] = np.ascontiguousarray(padded[top:top + crop_h, left:left + crop_w])
        results['img_shape'] = (crop_h, crop_w)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, padding={self.padding}, '
                f'pad_val={self.pad_val}, padding_mode={self.padding_mode!r})')
