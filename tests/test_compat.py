"""The stack fixes in mmkd.compat: SSDHead prediction and weights-only checkpoint loading."""
import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmkd import compat


def ssd_head():
    from mmdet.models.dense_heads import SSDHead
    from mmengine.config import ConfigDict
    head = SSDHead(
        num_classes=3, in_channels=(8, 8, 8),
        anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False, input_size=300,
                              basesize_ratio_range=(0.2, 0.9), strides=[38, 75, 150], ratios=[[2], [2], [2]]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0] * 4, target_stds=[.1, .1, .2, .2]),
        test_cfg=ConfigDict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                            score_thr=0.0, max_per_img=20))
    return head


def test_ssd_head_predicts_after_the_fix_and_fails_without_it():
    from mmdet.models.dense_heads import SSDHead
    compat.apply()
    feats = (torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4), torch.randn(1, 8, 2, 2))
    meta = [dict(img_shape=(300, 300), scale_factor=(1., 1.))]
    head = ssd_head().eval()
    results = head.predict_by_feat(*head(feats), batch_img_metas=meta, rescale=False)
    assert results[0].bboxes.shape[1] == 4 and 0 < len(results[0]) <= 20
    saved = SSDHead.__dict__['loss_cls']
    del SSDHead.loss_cls
    try:
        with pytest.raises(AttributeError, match='loss_cls'):
            head.predict_by_feat(*head(feats), batch_img_metas=meta, rescale=False)
    finally:
        SSDHead.loss_cls = saved


def runner_like_checkpoint():
    hub = MessageHub('compat-test')
    for v in (1.0, 2.0, 4.0):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', 3)
    return dict(meta=dict(seed=np.int64(7), iter=3, arr=np.arange(3, dtype=np.float32)),
                message_hub=hub.state_dict(), state_dict=dict(w=torch.ones(2)))


def test_mmengine_checkpoint_loads_weights_only_and_history_resumes():
    compat.apply()
    buf = io.BytesIO()
    torch.save(runner_like_checkpoint(), buf)
    buf.seek(0)
    loaded = torch.load(buf)  # torch's default: weights_only=True
    history = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.mean() == pytest.approx(7 / 3) and history.current() == 4.0
    assert loaded['meta']['seed'] == 7 and loaded['meta']['arr'].tolist() == [0., 1., 2.]


class _Gadget:
    """Pickles as getattr(np.ndarray, 'tofile'), a file-writing method a checkpoint must not reach."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


def test_getattr_stand_in_refuses_anything_but_history_buffer_statistics():
    compat.apply()
    buf = io.BytesIO()
    torch.save({'x': _Gadget()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf)
    assert compat.history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match='only allows HistoryBuffer'):
        compat.history_buffer_statistic(HistoryBuffer, '__init__')


def test_voc_metric_prints_the_datasets_own_class_names():
    from mmdet.evaluation.metrics import VOCMetric
    from mmengine.logging import MMLogger
    compat.apply()
    classes = ('circle', 'square')
    metric = VOCMetric(eval_mode='11points')
    metric.dataset_meta = dict(classes=classes, dataset_type='VOC2007')
    box = np.array([[10., 10., 50., 50.]], dtype=np.float32)
    gt = dict(bboxes=box, labels=np.array([0]), bboxes_ignore=np.zeros((0, 4), dtype=np.float32),
              labels_ignore=np.zeros(0, dtype=np.int64))
    pred = [np.array([[10., 10., 50., 50., 0.9]], dtype=np.float32), np.zeros((0, 5), dtype=np.float32)]
    logger = MMLogger.get_instance('voc-names-test')
    records = []
    import logging
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        results = metric.compute_metrics([(gt, pred)])
    finally:
        logger.removeHandler(handler)
    table = '\n'.join(records)
    assert 'circle' in table and 'aeroplane' not in table
    assert results['mAP'] == pytest.approx(1.0)  # class 0 found exactly; classes without gt do not count
    assert metric.dataset_meta['dataset_type'] == 'VOC2007'


@pytest.mark.parametrize('avg_non_ignore', [False, True])
def test_seg_cross_entropy_class_weight_with_ignored_pixels(avg_non_ignore):
    from mmkd.registry import MODELS

    torch.manual_seed(0)
    pred = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    label = torch.randint(0, 3, (2, 4, 5))
    label[0, 0, :3] = 255
    label[1, 2, 1] = 255
    weights = [0.5, 1.0, 2.0]
    # by hand: sum_i w_{y_i} * (-log softmax(p_i)[y_i]) over labelled pixels / the average factor
    num, den = 0.0, 0.0
    for n in range(2):
        for y in range(4):
            for x in range(5):
                c = int(label[n, y, x])
                if c == 255:
                    den += 0.0 if avg_non_ignore else 1.0
                    continue
                logp = pred[n, :, y, x] - torch.logsumexp(pred[n, :, y, x], 0)
                num += weights[c] * float(-logp[c])
                den += weights[c]
    loss = MODELS.build(
        dict(type='mmseg.CrossEntropyLoss', class_weight=weights, avg_non_ignore=avg_non_ignore,
             loss_weight=1.0))
    value = loss(pred, label, ignore_index=255)
    assert float(value) == pytest.approx(num / den, rel=1e-6)
    # without the class weight the factor is mmseg's: every pixel, or the labelled ones
    plain = compat.seg_cross_entropy(pred, label, ignore_index=255, avg_non_ignore=avg_non_ignore)
    labelled = label != 255
    ce = torch.nn.functional.cross_entropy(pred, label, ignore_index=255, reduction='sum')
    assert float(plain) == pytest.approx(
        float(ce) / (int(labelled.sum()) if avg_non_ignore else label.numel()), rel=1e-6)


def test_seg_cross_entropy_breakage_is_real():
    """The unpatched mmseg 1.2.2 function fails on the same input; drop fix 4 when this test fails."""
    original = compat.seg_cross_entropy.mmseg_original
    label = torch.zeros(1, 2, 2, dtype=torch.long)
    label[0, 0, 0] = 255
    with pytest.raises(IndexError):
        original(torch.randn(1, 3, 2, 2), label, class_weight=torch.ones(3), ignore_index=255)
