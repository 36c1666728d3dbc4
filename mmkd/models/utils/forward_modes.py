from typing import Callable, Optional

import torch.nn as nn

FORWARD_MODES = ('loss', 'predict', 'tensor')


def forward_by_mode(model: nn.Module, inputs, data_samples: Optional[list], mode: str,
                    evaluated: Optional[Callable] = None):
    """MMEngine's three forward modes of a model, dispatched as mmdet and mmseg models do.

    ``'loss'``: ``model.loss(inputs, data_samples)``. ``'predict'`` and ``'tensor'``: with ``evaluated`` (the
    network a composite model evaluates: a distiller's student, a peer) ``evaluated(inputs, data_samples,
    mode=mode)``; without it the model's own ``predict(inputs, data_samples)`` / ``_forward(inputs,
    data_samples)``.

    Raises:
        RuntimeError: for any other mode, naming the three.
    """
    if mode not in FORWARD_MODES:
        raise RuntimeError(f'invalid mode "{mode}"; {type(model).__name__} supports "loss", "predict" and '
                           '"tensor".')
    if mode == 'loss':
        return model.loss(inputs, data_samples)
    if evaluated is not None:
        return evaluated(inputs, data_samples, mode=mode)
    if mode == 'predict':
        return model.predict(inputs, data_samples)
    return model._forward(inputs, data_samples)
