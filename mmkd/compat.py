"""Fixes for the measured breakages of mmkd's pinned stack, applied in one place.

``apply()`` is idempotent; ``tools/*.py`` and ``mmkd.models`` call it. Each fix states the breakage it
answers so it can be dropped when the stack moves on.

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
"""
import pickle

import numpy as np
import torch

_applied = False


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


def apply() -> None:
    """Apply every fix once."""
    global _applied
    if _applied:
        return
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    patch_ssd_head()
    patch_voc_metric_class_names()
    patch_seg_cross_entropy()
    _applied = True
