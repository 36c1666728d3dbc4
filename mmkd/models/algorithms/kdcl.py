"""KDCL (Guo et al., "Online Knowledge Distillation via Collaborative Learning", CVPR 2020): peers trained
together, each on its own augmentation of the batch, all distilled from one ensemble of their logits."""
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F

from mmkd.registry import MODELS
from ..losses.base import data_samples_kwargs
from ..losses.utils import class_labels
from ..ops.batch_augment import random_crop_flip
from .mutual_learning import LOGITS, MutualLearning

ENSEMBLES = ('naive', 'linear', 'minlogit', 'general')


def naive_ensemble(logits: torch.Tensor) -> torch.Tensor:
    """KDCL-Naive: ``z_t = 1 / m * sum_k z_k`` for stacked peer logits ``(m, N, C)``."""
    return logits.mean(dim=0)


def minlogit_ensemble(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """KDCL-MinLogit: ``z_t,c = min_k (z_k,c - z_k,y)`` for stacked logits ``(m, N, C)`` and labels ``(N, )``.

    Each peer's logits are shifted so that its true-class logit is 0; the element-wise minimum then keeps,
    for every wrong class, the peer that separates it most from the true class (the true class stays 0).
    """
    true = logits.gather(2, labels.view(1, -1, 1).expand(logits.shape[0], -1, 1))
    return (logits - true).min(dim=0).values


def weighted_ensemble(logits: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``z_t = sum_k w_k z_k`` for stacked logits ``(m, N, C)`` and weights ``(m, )``."""
    return torch.einsum('k,knc->nc', weights.to(logits), logits)


def linear_weights(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 50) -> torch.Tensor:
    """KDCL-Linear: the convex weights ``w`` (``w_k >= 0``, ``sum_k w_k = 1``) minimising
    ``CE(sum_k w_k z_k, y)`` over the batch.

    The cross-entropy of a linear combination of logits is convex in ``w``. It is solved per batch with
    L-BFGS (strong-Wolfe line search, at most ``max_iter`` iterations, float64) on ``w = softmax(v)``, which
    keeps ``w`` on the simplex; ``v`` starts at 0 (the naive mean). A weight at a corner of the simplex is
    approached, not reached exactly (``v`` then grows large). No gradient reaches the logits.

    Args:
        logits (Tensor): Stacked peer logits ``(m, N, C)``.
        labels (Tensor): ``(N, )`` class indices.
        max_iter (int): L-BFGS iterations. Defaults to 50.

    Returns:
        Tensor: ``(m, )`` weights (float32, on the logits' device).
    """
    z = logits.detach().double()
    v = torch.zeros(z.shape[0], dtype=torch.float64, device=z.device, requires_grad=True)
    with torch.enable_grad(), torch.autocast(device_type=z.device.type, enabled=False):
        solver = torch.optim.LBFGS([v], lr=1.0, max_iter=max_iter, tolerance_grad=1e-10,
                                   tolerance_change=1e-14, line_search_fn='strong_wolfe')

        def closure():
            solver.zero_grad()
            loss = F.cross_entropy(weighted_ensemble(z, torch.softmax(v, dim=0)), labels)
            loss.backward()
            return loss

        solver.step(closure)
    return torch.softmax(v.detach(), dim=0).float()


@MODELS.register_module()
class KDCL(MutualLearning):
    """KDCL: ``m`` peers each see a different augmentation of the same images; one soft target built from
    all peers' logits teaches every peer (Guo et al., CVPR 2020). Loss of peer ``k``::

        CE(z_k, y) + T^2 * KL(softmax(z_t / T) || softmax(z_k / T))      (z_t detached)

    The CE is the peer's own task loss; the KL is ``loss`` (``mmkd.KDLoss``, which applies ``T^2``), called
    as ``loss(z_k, z_t)``. The ensemble ``z_t`` (``ensemble``):

    - ``'naive'``: ``z_t = mean_k z_k``.
    - ``'linear'``: ``z_t = sum_k w_k z_k`` with the convex ``w`` minimising the batch's CE to the labels,
      solved per batch by L-BFGS on ``w = softmax(v)`` (:func:`linear_weights`).
    - ``'minlogit'``: ``z_t,c = min_k (z_k,c - z_k,y)`` (:func:`minlogit_ensemble`).
    - ``'general'``: the paper picks ``w`` on a held-out split to minimise the generalisation error; mmkd
      approximates it by a running estimate: the batch uses ``general_weights``, the exponential moving
      average (``general_momentum``) of the ``'linear'`` solutions of the *earlier* batches, which did not
      see this batch; the buffer is updated after use (and saved in checkpoints). It starts at the mean.

    **Different augmentations, in the model.** The peers share the batch prepared by the data
    preprocessor, and each peer ``k`` gets its own random pad-and-crop + horizontal flip of it
    (:func:`mmkd.models.ops.random_crop_flip`, padding with the normalised black, so the view equals the
    normalised result of ``RandomCropPad`` + ``RandomFlip`` on the raw image). This was chosen over a
    multi-view data transform because the peers' data preprocessor, validation pipeline and exported
    single-peer configs stay those of a plain classifier (a multi-view input needs a multi-view-aware
    preprocessor and differs in shape between training and testing), and the augmentation runs on the
    accelerator. Its limit: only the CIFAR crop/flip family (the paper's CIFAR setting); the configs
    therefore pack the training images without augmentation (``train_pipeline = [PackClsInputs]``).
    ``peer_augment=None`` gives every peer the same batch (then augment in the pipeline).

    Logged keys: ``<peer>.<key>`` for each peer's own losses, ``loss_kd_<peer>``, and ``ens_w_<peer>`` (the
    weights of ``'linear'`` / ``'general'``). Prediction, ``predict_peer`` and export with
    ``tools/model_converters/distill_to_student.py --peer`` are those of :class:`MutualLearning`.

    Args:
        peers (dict): Peer name -> classifier config (or config path), as in :class:`MutualLearning`.
        logits (str | dict): Position of the logits (``'head.fc'``), as in :class:`MutualLearning`.
        ensemble (str): ``'naive'``, ``'linear'``, ``'minlogit'`` or ``'general'``. Defaults to
            ``'minlogit'``.
        loss (dict): The KL term ``loss(z_k, z_t)``. Defaults to ``mmkd.KDLoss`` with ``tau=2`` (mmkd's
            choice; set the temperature here).
        peer_augment (dict, optional): ``dict(padding=4, flip_prob=0.5)``: kwargs of
            :func:`random_crop_flip`, drawn independently per peer and image. None: no augmentation.
        linear_iters (int): L-BFGS iterations of ``'linear'`` / ``'general'``. Defaults to 50.
        general_momentum (float): EMA momentum of ``'general'``'s weights, in ``[0, 1)``. Defaults to 0.9.
        predict_peer (str, optional): The peer of ``predict``/``tensor`` modes. Defaults to the first.
        input_size (tuple, optional): (H, W) of the build-time dry forward (:class:`MutualLearning`).
        data_preprocessor: None or the peers' own.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 peers: Dict[str, Union[dict, str]],
                 logits: Union[str, dict],
                 ensemble: str = 'minlogit',
                 loss: dict = dict(type='mmkd.KDLoss', tau=2.0),
                 peer_augment: Optional[dict] = dict(padding=4, flip_prob=0.5),
                 linear_iters: int = 50,
                 general_momentum: float = 0.9,
                 predict_peer: Optional[str] = None,
                 input_size: Optional[Tuple[int, int]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if ensemble not in ENSEMBLES:
            raise ValueError(f'ensemble must be one of {ENSEMBLES}, got {ensemble!r}')
        if not 0.0 <= general_momentum < 1.0:
            raise ValueError(f'general_momentum must be in [0, 1), got {general_momentum}')
        if isinstance(linear_iters, bool) or not isinstance(linear_iters, int) or linear_iters < 1:
            raise ValueError(f'linear_iters must be a positive int, got {linear_iters!r}')
        if peer_augment is not None:
            unknown = set(peer_augment) - {'padding', 'flip_prob'}
            if unknown:
                raise ValueError(f'peer_augment takes padding and flip_prob (e.g. dict(padding=4, '
                                 f'flip_prob=0.5)), or None for no augmentation; got keys {sorted(unknown)}')
        super().__init__(peers=peers, logits=logits, loss=loss, predict_peer=predict_peer,
                         input_size=input_size, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.ensemble = ensemble
        self.peer_augment = dict(peer_augment) if peer_augment is not None else None
        self.linear_iters = linear_iters
        self.general_momentum = general_momentum
        num = len(self.peers)
        self.register_buffer('general_weights', torch.full((num, ), 1.0 / num))

    # ---------------------------------------------------------------------------------- augmentation
    def pad_value(self) -> Optional[torch.Tensor]:
        """The normalised black ``(0 - mean) / std`` of the data preprocessor, or None (pad with 0)."""
        pre = self.data_preprocessor
        mean, std = getattr(pre, 'mean', None), getattr(pre, 'std', None)
        if mean is None or std is None or not getattr(pre, '_enable_normalize', True):
            return None
        return -mean / std

    def peer_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """One peer's random view of the normalised batch (the batch itself when ``peer_augment`` is None)."""
        if self.peer_augment is None:
            return inputs
        return random_crop_flip(inputs, pad_value=self.pad_value(), **self.peer_augment)

    # -------------------------------------------------------------------------------------- ensemble
    def ensemble_logits(self, logits: torch.Tensor, labels: torch.Tensor
                        ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The ensemble target of stacked peer logits ``(m, N, C)`` and its weights ``(m, )`` (None for
        ``'naive'``/``'minlogit'``); detached. ``'general'`` updates its running weights in training."""
        logits = logits.detach().float()
        if self.ensemble == 'naive':
            return naive_ensemble(logits), None
        if self.ensemble == 'minlogit':
            return minlogit_ensemble(logits, labels), None
        if self.ensemble == 'linear':
            weights = linear_weights(logits, labels, self.linear_iters)
            return weighted_ensemble(logits, weights), weights
        weights = self.general_weights.clone()
        target = weighted_ensemble(logits, weights)
        if self.training:
            fitted = linear_weights(logits, labels, self.linear_iters)
            self.general_weights.mul_(self.general_momentum).add_((1.0 - self.general_momentum) * fitted)
        return target, weights

    # -------------------------------------------------------------------------------------- losses
    def mutual_losses(self, logits: Dict[str, torch.Tensor],
                      data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """``loss_kd_k = loss(z_k, z_t)`` for every peer, with the detached ensemble ``z_t``.

        Args:
            logits (dict[str, Tensor]): Each peer's ``(N, C)`` logits.
            data_samples (list): The batch's samples, with ``gt_label`` (every ensemble but ``'naive'``
                uses the labels).

        Returns:
            dict[str, Tensor]: ``loss_kd_<peer>`` and, for ``'linear'``/``'general'``, ``ens_w_<peer>``.
        """
        shapes = {name: tuple(value.shape) for name, value in logits.items()}
        if len(set(shapes.values())) > 1 or any(len(s) != 2 for s in shapes.values()):
            raise ValueError(f'KDCL needs (N, C) class logits of one shape from every peer, got {shapes}; '
                             'name each peer\'s classifier fc (logits="head.fc") and give the peers the '
                             'same classes')
        names = list(logits)
        stacked = torch.stack([logits[n].detach().float() for n in names])
        labels = (class_labels(data_samples, stacked.device) if self.ensemble != 'naive' else None)
        target, weights = self.ensemble_logits(stacked, labels)
        kwargs = data_samples_kwargs(self.mutual_loss, data_samples)
        out = {}
        with torch.autocast(device_type=stacked.device.type, enabled=False):
            for name in names:
                out[f'loss_kd_{name}'] = self.mutual_loss(logits[name].float(), target, **kwargs)
        if weights is not None:
            out.update({f'ens_w_{name}': weights[i].detach() for i, name in enumerate(names)})
        return out
