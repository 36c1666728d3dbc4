"""Fixes for the measured breakages of mmkd's pinned stack, applied in one place.

``apply()`` is idempotent; ``tools/*.py`` and ``mmkd.models`` call it, and ``import mmkd`` applies the
checkpoint fixes (2 and 5). Each fix states the breakage it answers so it can be dropped when the stack
moves on.

1. mmdet 3.3.0 ``SSDHead`` prediction raises ``AttributeError: 'SSDHead' object has no attribute
   'loss_cls'``: ``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` to look for custom
   class channels, but ``SSDHead.__init__`` never builds one (its loss is a hard-coded cross entropy).
   Declaring ``loss_cls = None`` on the class gives the lookup the answer it expects (no custom channels)
   without touching any computation.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``. mmengine checkpoints hold numpy arrays and
   scalars and ``HistoryBuffer`` objects (message hub), so loading or resuming them fails. We allow-list
   exactly those types with ``torch.serialization.add_safe_globals`` -- never ``weights_only=False``.
   ``HistoryBuffer.__getstate__`` also stores its statistics functions, which pickle as
   ``getattr(HistoryBuffer, 'mean')``; allow-listing ``getattr`` itself would let a checkpoint reach any
   attribute of any allowed object, so ``builtins.getattr`` is mapped to a stand-in that resolves only
   HistoryBuffer's statistics methods and refuses everything else.
3. mmdet 3.3.0 ``VOCMetric`` labels its per-class table with the 20 VOC names whenever the dataset sits in
   a ``VOC2007``/``VOC2012`` folder, even when ``metainfo`` gives other classes (the toy sets): the rows
   read "aeroplane, bicycle, ..." for circles and squares. The numbers are right; the dataset type only
   picks the printed names and a warning, so for non-VOC classes it is hidden while metrics are computed.
4. mmseg 1.2.2 ``cross_entropy`` with ``class_weight`` raises ``IndexError: index 255 is out of bounds``
   on any label map holding the ignore index: its average factor looks up ``class_weight[label]`` for
   every pixel, ignored ones included (and does so row by row in Python). The wrapper computes that
   factor with one gather -- each pixel weighs its class weight, an ignored pixel 0 when
   ``avg_non_ignore`` and 1 otherwise (as it counts in the unweighted mean) -- and passes it to mmseg's
   own function, which then skips its broken branch.
5. mmengine 0.10.7 reads ``http(s)://`` checkpoints (and ``torchvision://``, ``modelzoo://``,
   ``open-mmlab://``, ``mmcls://``, which resolve to URLs) through ``torch.hub.load_state_dict_from_url``
   with ``weights_only=False``, so a crafted checkpoint behind a URL runs its code when loaded; its local
   loader relies on torch's default, which ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` turns off. mmkd registers
   its own loaders for the local, ``http(s)://`` and ``open-mmlab://`` schemes and replaces
   ``load_from_http`` (which the other schemes call by name): a URL is downloaded into torch hub's
   checkpoint cache, and every file is read by :func:`load_weights_only` -- ``torch.load(...,
   weights_only=True)`` with fix 2's allow-list. Failures say which of four things happened: a missing
   file (``FileNotFoundError``), a failed download (:class:`CheckpointDownloadError`), a refused global
   (:class:`~mmkd.utils.safe_pickle.UnsafePickleError`) or a corrupt file
   (:class:`CorruptCheckpointError`). Fixes 2 and 5 need only torch and mmengine and are applied by
   ``import mmkd`` (:func:`secure_checkpoint_loading`).
6. mmengine 0.10.7 writes checkpoints (``LocalBackend.put``, which ``save_checkpoint`` and ``dump`` use) by
   opening the final file and writing into it, so a process killed while saving leaves a torn
   ``iter_N.pth`` that ``--resume`` cannot read. ``LocalBackend.put`` writes a hidden temporary file
   beside the target and moves it into place with ``os.replace`` (:mod:`mmkd.utils.atomic_io`): the file
   is either the old one or the complete new one. Targets that exist and are no regular file (a device, a
   pipe) are written as before.
7. An empty dataset (a wrong ``data_root`` or ``ann_file``, or a filter that drops everything) fails in
   mmengine 0.10.7 as ``ValueError: need at least one array to concatenate`` (``BaseDataset``'s
   serialization), or, unserialized, loops forever in the ``InfiniteSampler``. Serializing an empty
   dataset, and building a dataloader over one, raise :class:`EmptyDatasetError` naming the dataset, its
   ``data_root`` and ``ann_file``.
"""
import http.client
import os
import os.path as osp
import pickle
import re
import struct
import urllib.error
from urllib.parse import urlparse

import numpy as np
import torch

from mmkd.utils.safe_pickle import UnsafePickleError, refusal_message

_applied = False
_checkpoints_secured = False

CHECKPOINT_ALLOWED = ('mmkd reads checkpoints with torch.load(weights_only=True), which allows tensors '
                      'and containers, plus the numpy types and mmengine HistoryBuffer that mmengine '
                      'checkpoints hold')
# How torch's weights-only unpickler and history_buffer_statistic name what they refused.
_REFUSED_GLOBAL = (r'GLOBAL (\S+) was not an allowed global', r'unsupported GLOBAL (\S+) whose module',
                   r'checkpoint asks for (getattr\(.*?\));', r'unrecognized function (.+?)(?: which |\n|$)',
                   r'allowlisted via `add_safe_globals`,? but got (.+?)(?:\n|$)')
# What torch raises for a truncated or foreign file: the unpickler's errors on a garbled stream, and
# runtime errors naming the zip archive or the legacy magic number (others, e.g. a device mapping
# failure, keep torch's own message).
_BROKEN_STREAM = (pickle.UnpicklingError, EOFError, KeyError, IndexError, ValueError, TypeError,
                  AttributeError, OverflowError, struct.error)
_BROKEN_ARCHIVE = r'PytorchStreamReader|zip archive|magic number'


class CheckpointDownloadError(ConnectionError):
    """A checkpoint URL could not be fetched (unreachable host, HTTP error, dropped connection)."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint's pickle stream is broken: a truncated, corrupt or non-PyTorch file."""


class EmptyDatasetError(ValueError):
    """A dataset holds no samples."""


def history_buffer_statistic(owner, name: str):
    """Unpickling stand-in for ``getattr``: only ``HistoryBuffer.<statistics method>`` resolves."""
    from mmengine.logging import HistoryBuffer

    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); mmkd only allows HistoryBuffer statistics '
        'methods. Load this file only if you trust it, with torch.load(..., weights_only=False).')


def checkpoint_safe_globals() -> list:
    """The non-tensor types mmengine writes into a checkpoint, for ``torch.serialization``."""
    from mmengine.logging import HistoryBuffer

    multiarray = np.core.multiarray
    dtypes = {type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGOUSV'}
    return [HistoryBuffer, multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *sorted(dtypes, key=lambda t: t.__name__), (history_buffer_statistic, 'builtins.getattr')]


def patch_ssd_head() -> None:
    """Give mmdet's ``SSDHead`` the ``loss_cls`` attribute its shared prediction code reads."""
    from mmdet.models.dense_heads import SSDHead

    if 'loss_cls' not in vars(SSDHead):
        SSDHead.loss_cls = None


def patch_voc_metric_class_names() -> None:
    """Make mmdet's ``VOCMetric`` print the dataset's own class names when they are not VOC's."""
    from mmdet.datasets import VOCDataset
    from mmdet.evaluation.metrics import VOCMetric

    original = VOCMetric.compute_metrics
    if getattr(original, 'mmkd_patched', False):
        return

    def compute_metrics(self, results):
        meta = self.dataset_meta
        if tuple(meta.get('classes', ())) == tuple(VOCDataset.METAINFO['classes']):
            return original(self, results)
        self._dataset_meta = dict(meta, dataset_type=None)
        try:
            return original(self, results)
        finally:
            self._dataset_meta = meta

    compute_metrics.mmkd_patched = True
    VOCMetric.compute_metrics = compute_metrics


def seg_cross_entropy(pred, label, weight=None, class_weight=None, reduction='mean', avg_factor=None,
                      ignore_index=-100, avg_non_ignore=False):
    """mmseg's ``cross_entropy``, given the class-weighted average factor it fails to compute.

    ``loss = sum_i w_i * ce_i / sum_i a_i`` with ``w_i = class_weight[y_i]`` (0 where ``y_i`` is ignored)
    and ``a_i = w_i``, except ``a_i = 1`` for ignored pixels unless ``avg_non_ignore``. Everything else
    (the loss, the unweighted factor, sample weights) is mmseg's own function.
    """
    if class_weight is not None and avg_factor is None and reduction == 'mean':
        ignored = label == ignore_index
        per_pixel = class_weight[label.masked_fill(ignored, 0)]
        avg_factor = per_pixel.masked_fill(ignored, 0.0 if avg_non_ignore else 1.0).sum()
    return seg_cross_entropy.mmseg_original(pred, label, weight, class_weight, reduction, avg_factor,
                                            ignore_index, avg_non_ignore)


def patch_seg_cross_entropy() -> None:
    """Point mmseg's ``CrossEntropyLoss`` (built after this call) at :func:`seg_cross_entropy`."""
    from mmseg.models.losses import cross_entropy_loss

    if cross_entropy_loss.cross_entropy is not seg_cross_entropy:
        seg_cross_entropy.mmseg_original = cross_entropy_loss.cross_entropy
        cross_entropy_loss.cross_entropy = seg_cross_entropy


def load_weights_only(file, map_location=None, source=None):
    """``torch.load(file, weights_only=True)`` under the allow-list, naming what it refuses.

    Raises:
        UnsafePickleError: The checkpoint names a global outside the allow-list; nothing was called.
        CorruptCheckpointError: The pickle stream is broken (a corrupt or non-PyTorch file).
    """
    source = source or file
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except _BROKEN_STREAM + (RuntimeError, ) as err:
        message = str(err)
        refused = next((m.group(1) for m in (re.search(p, message) for p in _REFUSED_GLOBAL) if m), None)
        if refused is not None:
            raise UnsafePickleError(refusal_message(
                refused, source, CHECKPOINT_ALLOWED, 'torch.load(..., weights_only=False)')) from None
        if not isinstance(err, _BROKEN_STREAM) and not re.search(_BROKEN_ARCHIVE, message):
            raise
        detail = message.rsplit('WeightsUnpickler error: ', 1)[-1].strip().splitlines()
        raise CorruptCheckpointError(
            f'checkpoint {source} is corrupt or not a PyTorch checkpoint ({type(err).__name__}: '
            f'{detail[0] if detail else "end of file"}); download, export or train it again.') from None


def load_from_local_weights_only(filename, map_location=None):
    """mmengine's local scheme, reading the file with :func:`load_weights_only`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist; check the path.')
    return load_weights_only(filename, map_location)


def download_checkpoint(url: str, model_dir=None, progress: bool = False) -> str:
    """Download ``url`` once into torch hub's ``checkpoints`` cache (or ``model_dir``); its path."""
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.isfile(cached):
        try:
            torch.hub.download_url_to_file(url, cached, progress=progress)
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as err:
            reason = err if isinstance(err, urllib.error.HTTPError) else getattr(err, 'reason', err)
            raise CheckpointDownloadError(
                f'could not download checkpoint {url} ({type(err).__name__}: {reason}). Check the URL and '
                'the network (and HTTPS_PROXY behind a proxy), or download the file yourself and give '
                'its local path.') from None
    return cached


def load_from_http_weights_only(filename, map_location=None, model_dir=None, progress=os.isatty(0)):
    """mmengine's ``http(s)://`` scheme: download (local rank 0 first), then :func:`load_weights_only`."""
    from mmengine.dist import get_dist_info

    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = load_weights_only(download_checkpoint(filename, model_dir, progress), map_location,
                                       filename)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = load_weights_only(download_checkpoint(filename, model_dir, progress),
                                           map_location, filename)
    return checkpoint


def load_from_openmmlab_weights_only(filename, map_location=None):
    """mmengine's ``open-mmlab://`` scheme: a model name resolved to a URL or a file in mmengine's home."""
    from mmengine.runner import checkpoint as mmengine_checkpoint

    name = filename.split('://', 1)[1]
    name = mmengine_checkpoint.get_deprecated_model_names().get(name, name)
    target = mmengine_checkpoint.get_external_models()[name]
    if target.startswith(('http://', 'https://')):
        return load_from_http_weights_only(target, map_location)
    return load_from_local_weights_only(osp.join(mmengine_checkpoint._get_mmengine_home(), target),
                                        map_location)


def patch_checkpoint_loaders() -> None:
    """Route mmengine's local, URL and model-zoo checkpoint schemes through :func:`load_weights_only`."""
    from mmengine.runner import CheckpointLoader
    from mmengine.runner import checkpoint as mmengine_checkpoint

    CheckpointLoader.register_scheme('', load_from_local_weights_only, force=True)
    CheckpointLoader.register_scheme(('http://', 'https://'), load_from_http_weights_only, force=True)
    CheckpointLoader.register_scheme(('open-mmlab://', 'openmmlab://'), load_from_openmmlab_weights_only,
                                     force=True)
    mmengine_checkpoint.load_from_http = load_from_http_weights_only


def atomic_local_put(self, obj: bytes, filepath) -> None:
    """``LocalBackend.put`` through a temporary file beside ``filepath`` and ``os.replace``."""
    from mmengine.utils import mkdir_or_exist

    from mmkd.utils.atomic_io import atomic_write

    filepath = str(filepath)
    if osp.exists(filepath) and not osp.isfile(filepath):
        return atomic_local_put.mmengine_original(self, obj, filepath)
    mkdir_or_exist(osp.dirname(filepath))
    with atomic_write(filepath) as f:
        f.write(obj)


def patch_atomic_local_writes() -> None:
    """Make mmengine's local file writes (checkpoints included) atomic."""
    from mmengine.fileio.backends import LocalBackend

    if LocalBackend.put is not atomic_local_put:
        atomic_local_put.mmengine_original = LocalBackend.put
        LocalBackend.put = atomic_local_put


def describe_dataset(dataset) -> str:
    """``Type (data_root=..., ann_file=...)`` of a dataset, for error messages."""
    fields = [f'{key}={getattr(dataset, key)!r}' for key in ('data_root', 'ann_file')
              if getattr(dataset, key, None) not in (None, '')]
    return type(dataset).__name__ + (f' ({", ".join(fields)})' if fields else '')


def empty_dataset_error(dataset) -> EmptyDatasetError:
    return EmptyDatasetError(
        f'{describe_dataset(dataset)} holds no samples. Check that data_root and ann_file point at the data '
        '(e.g. --cfg-options train_dataloader.dataset.data_root=...), and that filter_cfg and indices keep '
        'some samples.')


def patch_empty_datasets() -> None:
    """Raise :class:`EmptyDatasetError` when an empty dataset is serialized or loaded by the Runner."""
    from mmengine.dataset import BaseDataset
    from mmengine.runner import Runner

    serialize = BaseDataset._serialize_data
    if getattr(serialize, 'mmkd_patched', False):
        return

    def _serialize_data(self):
        if len(self.data_list) == 0:
            raise empty_dataset_error(self)
        return serialize(self)

    build = Runner.build_dataloader

    def build_dataloader(dataloader, *args, **kwargs):
        loader = build(dataloader, *args, **kwargs)
        dataset = getattr(loader, 'dataset', None)
        if hasattr(dataset, '__len__') and len(dataset) == 0:
            raise empty_dataset_error(dataset)
        return loader

    _serialize_data.mmkd_patched = True
    BaseDataset._serialize_data = _serialize_data
    Runner.build_dataloader = staticmethod(build_dataloader)


def secure_checkpoint_loading() -> None:
    """Fixes 2 and 5 once: the checkpoint allow-list and the weights-only scheme loaders."""
    global _checkpoints_secured
    if _checkpoints_secured:
        return
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    patch_checkpoint_loaders()
    _checkpoints_secured = True


def apply() -> None:
    """Apply every fix once."""
    global _applied
    if _applied:
        return
    secure_checkpoint_loading()
    patch_ssd_head()
    patch_voc_metric_class_names()
    patch_seg_cross_entropy()
    patch_atomic_local_writes()
    patch_empty_datasets()
    _applied = True
