"""Random crop-with-padding and horizontal flip of an image batch on its device, one draw per image."""
from typing import Optional, Union

import torch


def random_crop_flip(inputs: torch.Tensor,
                     padding: int = 4,
                     flip_prob: float = 0.5,
                     pad_value: Optional[Union[float, torch.Tensor]] = None) -> torch.Tensor:
    """Pad every border of each image by ``padding`` pixels, crop a random window of the original size,
    then flip it horizontally with probability ``flip_prob`` -- the CIFAR augmentation (``mmkd.RandomCropPad``
    + mmcv ``RandomFlip``) drawn independently for each image of the batch.

    Crop and flip commute with the per-pixel normalisation of the data preprocessor, so on a normalised
    batch this gives exactly the normalised result of augmenting the raw image, provided ``pad_value`` is
    the normalised padding colour (``(0 - mean) / std`` for black padding).

    Args:
        inputs (Tensor): ``(N, C, H, W)`` images.
        padding (int): Pixels added to each border before the crop; 0 disables the crop. Defaults to 4.
        flip_prob (float): Probability of a horizontal flip, in ``[0, 1]``. Defaults to 0.5.
        pad_value (float | Tensor, optional): Padding value, a number or one value per channel
            (``(C, )`` or ``(C, 1, 1)``). Defaults to 0.

    Returns:
        Tensor: ``(N, C, H, W)`` augmented images (a new tensor; gradients flow to ``inputs``).
    """
    if inputs.dim() != 4:
        raise ValueError(f'random_crop_flip expects (N, C, H, W) images, got shape {tuple(inputs.shape)}.')
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f'padding must be a non-negative int, got {padding!r}.')
    if not 0.0 <= flip_prob <= 1.0:
        raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}.')
    n, c, h, w = inputs.shape
    out = inputs
    if padding:
        fill = torch.as_tensor(0.0 if pad_value is None else pad_value, dtype=inputs.dtype,
                               device=inputs.device)
        fill = fill.reshape(1, -1, 1, 1) if fill.numel() > 1 else fill.reshape(1, 1, 1, 1)
        padded = fill.expand(n, c, h + 2 * padding, w + 2 * padding).clone()
        padded[:, :, padding:padding + h, padding:padding + w] = inputs
        top = torch.randint(0, 2 * padding + 1, (n, ), device=inputs.device)
        left = torch.randint(0, 2 * padding + 1, (n, ), device=inputs.device)
        rows = top[:, None] + torch.arange(h, device=inputs.device)  # (N, H)
        cols = left[:, None] + torch.arange(w, device=inputs.device)  # (N, W)
        batch = torch.arange(n, device=inputs.device)[:, None, None]
        # advanced indices around a slice: the result is (N, H, W, C)
        out = padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()
    if flip_prob > 0:
        flip = torch.rand(n, device=inputs.device) < flip_prob
        out = torch.where(flip[:, None, None, None], out.flip(3), out)
    return out
