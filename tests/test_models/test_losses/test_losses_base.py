"""The shared loss shape (mmkd.models.losses.base), the one KL helper, and per-pixel weights / ignore_index:
hand computations of the masked losses, and masked pixels changing neither a loss nor its gradient."""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmkd.models.losses as losses_module
from mmkd.models.algorithms.distill_point import DistillPoint
from mmkd.models.connectors import IdentityConnector
from mmkd.models.losses import (ABLoss, ATLoss, ChannelWiseDivergence, DISTLoss, DistillLoss, FSPLoss, HintLoss,
                                KDLoss, MGDLoss, PartialL2Loss, PKDLoss, compute_dtype, fit_weight,
                                ignore_mask, kl_divergence, needs_data_samples, reduce_loss, softmax_kl)
from mmkd.registry import MODELS


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------------------------------ shared shape
def test_every_registered_distillation_loss_shares_the_base():
    classes = [getattr(losses_module, name) for name in losses_module.__all__
               if inspect.isclass(getattr(losses_module, name))]
    distill = [c for c in classes if c.__name__.endswith(('Loss', 'Divergence')) and c.__name__ not in
               ('DistillLoss', 'LabelSmoothingLoss')]
    assert len(distill) == 19
    for cls in distill:
        assert issubclass(cls, DistillLoss), cls.__name__
        assert MODELS.get(f'mmkd.{cls.__name__}') is cls
        # loss_weight is applied in one place: no subclass overrides forward
        assert cls.forward is DistillLoss.forward, cls.__name__


def test_reduce_loss_by_hand():
    loss = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    assert reduce_loss(loss, 'sum').item() == 12.0
    assert reduce_loss(loss, 'mean').item() == 3.0
    assert reduce_loss(loss, 'batch').item() == 6.0
    assert reduce_loss(loss, 'mean', avg_factor=4.0).item() == 3.0
    assert torch.equal(reduce_loss(loss, 'none'), loss)
    weight = torch.tensor([[1.0], [0.0]])  # the second row ignored
    assert reduce_loss(loss, 'mean', weight).item() == pytest.approx(1.5)  # (1 + 2) / 2 weighted elements
    assert reduce_loss(loss, 'sum', weight).item() == 3.0
    assert reduce_loss(loss, 'batch', weight).item() == 1.5
    assert reduce_loss(loss, 'mean', torch.zeros(2, 1)).item() == 0.0  # all ignored: 0, not NaN
    with pytest.raises(ValueError, match='reduction'):
        reduce_loss(loss, 'avg')


def test_low_precision_inputs_are_computed_in_float32_and_the_teacher_is_detached():
    assert compute_dtype(torch.zeros(1, dtype=torch.bfloat16), torch.zeros(1, dtype=torch.float16)) == torch.float32
    assert compute_dtype([torch.zeros(1), torch.zeros(1, dtype=torch.float64)]) == torch.float64
    s = randn(2, 3, 4, 4, seed=1, dtype=torch.float32)
    t = randn(2, 3, 4, 4, seed=2, dtype=torch.float32)
    ref = HintLoss(loss_weight=3.0)(s, t)
    x = s.bfloat16().requires_grad_(True)
    y = t.bfloat16().requires_grad_(True)
    out = HintLoss(loss_weight=3.0)(x, y)
    assert out.dtype == torch.float32
    # the bf16 rounding of the inputs, not of the computation
    torch.testing.assert_close(out, HintLoss(loss_weight=3.0)(x.float(), y.float()))
    assert out.item() == pytest.approx(ref.item(), rel=2e-2)
    out.backward()
    assert x.grad is not None and x.grad.dtype == torch.bfloat16 and y.grad is None


def test_ignore_index_is_refused_by_losses_without_a_per_pixel_form():
    with pytest.raises(ValueError, match='no per-pixel form'):
        DistillLoss(ignore_index=255)
    with pytest.raises(ValueError, match='no per-pixel form'):
        FSPLoss()([randn(2, 3, 4, 4)] * 2, [randn(2, 3, 4, 4)] * 2, weight=torch.ones(2, 4, 4))
    assert not needs_data_samples(HintLoss()) and needs_data_samples(HintLoss(ignore_index=255))
    assert not needs_data_samples(KDLoss()) and needs_data_samples(KDLoss(target='cwtm'))


# ------------------------------------------------------------------------------------------ the KL helper
def test_kl_helpers_match_a_hand_computation():
    s, t = randn(3, 5, seed=3), randn(3, 5, seed=4)
    tau = 2.0
    p_s, p_t = np_softmax(s.numpy() / tau), np_softmax(t.numpy() / tau)
    expected = (p_t * np.log(p_t / p_s)).sum(axis=1)
    np.testing.assert_allclose(softmax_kl(s, t, tau).numpy(), expected, rtol=1e-10)
    log_q = F.log_softmax(s, dim=1)
    np.testing.assert_allclose(kl_divergence(log_q, F.log_softmax(t, dim=1)).numpy(),
                               kl_divergence(log_q, F.softmax(t, dim=1), log_target=False).numpy(), rtol=1e-10)
    # a target with zeros: 0 log 0 = 0
    p = torch.tensor([[0.0, 0.25, 0.75]], dtype=torch.float64)
    q = torch.tensor([[0.2, 0.3, 0.5]], dtype=torch.float64)
    assert kl_divergence(q.log(), p, log_target=False).item() == pytest.approx(
        0.25 * np.log(0.25 / 0.3) + 0.75 * np.log(0.75 / 0.5), rel=1e-12)
    # the dense (N, C, H, W) form along dim=1
    dense_s, dense_t = randn(2, 4, 3, 3, seed=5), randn(2, 4, 3, 3, seed=6)
    rows = softmax_kl(dense_s.permute(0, 2, 3, 1).reshape(-1, 4), dense_t.permute(0, 2, 3, 1).reshape(-1, 4))
    torch.testing.assert_close(softmax_kl(dense_s, dense_t).reshape(-1), rows)


# ------------------------------------------------------------------------------------ per-pixel weights
MASK = torch.tensor([[[1, 1, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1], [0, 1, 1, 1]],
                     [[0, 0, 1, 1], [1, 1, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]], dtype=torch.float64)[:, None]


def mgd(**kwargs):
    torch.manual_seed(0)
    return MGDLoss(3, 3, lambda_mgd=0.3, **kwargs).double()


PIXEL_LOSSES = {
    'KD': lambda: KDLoss(tau=2.0),
    'DIST': lambda: DISTLoss(tau=1.5),
    'CWD': lambda: ChannelWiseDivergence(tau=2.0),
    'PKD': lambda: PKDLoss(),
    'AT': lambda: ATLoss(),
    'AT-mean_squared': lambda: ATLoss(distance='mean_squared'),
    'FitNets': lambda: HintLoss(),
    'FitNets-mean': lambda: HintLoss(normalize='mean'),
    'AB': lambda: ABLoss(margin=0.5),
    'OFD': lambda: PartialL2Loss(),
    'OFD-mean': lambda: PartialL2Loss(normalize='mean'),
    'MGD': mgd,
}


def call(loss, s, t, weight):
    torch.manual_seed(1)  # MGD's random mask
    return loss(s, t, weight=weight)


@pytest.mark.parametrize('name', sorted(PIXEL_LOSSES))
def test_masked_pixels_change_neither_the_loss_nor_its_gradient(name):
    loss = PIXEL_LOSSES[name]()
    s, t = randn(2, 3, 4, 4, seed=7), randn(2, 3, 4, 4, seed=8)
    noise_s, noise_t = 50 * randn(2, 3, 4, 4, seed=9), 50 * randn(2, 3, 4, 4, seed=10)
    masked = MASK == 0
    s2, t2 = torch.where(masked, noise_s, s), torch.where(masked, noise_t, t)
    x, x2 = s.clone().requires_grad_(True), s2.clone().requires_grad_(True)
    value, value2 = call(loss, x, t, MASK), call(loss, x2, t2, MASK)
    value.backward()
    value2.backward()
    assert value.item() == pytest.approx(value2.item(), rel=1e-9, abs=1e-12)
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-7, atol=1e-10)
    assert torch.count_nonzero(x.grad * masked) == 0
    assert torch.count_nonzero(x.grad * ~masked) > 0
    # the unmasked loss does see those pixels
    assert call(loss, s, t, None).item() != pytest.approx(call(loss, s2, t2, None).item(), rel=1e-6)
    # an all-ones weight is the plain loss
    assert call(loss, s, t, torch.ones(2, 4, 4, dtype=torch.float64)).item() == pytest.approx(
        call(loss, s, t, None).item(), rel=1e-9)


def valid_pixels(x):
    """(M, C) rows of the valid locations of a (N, C, 4, 4) map, in (n, h, w) order."""
    keep = MASK[:, 0].reshape(-1).bool().numpy()
    return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1]).numpy()[keep]


def np_pearson_rows(a, b):
    return np.array([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])


def test_masked_losses_match_hand_computations_on_the_valid_pixels():
    s, t = randn(2, 3, 4, 4, seed=11), randn(2, 3, 4, 4, seed=12)
    keep = MASK.numpy().astype(bool)  # (2, 1, 4, 4)
    n_valid = keep.sum()
    sn, tn = s.numpy(), t.numpy()
    # FitNets / AB / OFD: per-pixel terms summed over the valid pixels, divided by N
    d = (sn - tn) ** 2 / 2
    assert HintLoss()(s, t, weight=MASK).item() == pytest.approx((d * keep).sum() / 2, rel=1e-12)
    assert HintLoss(normalize='mean')(s, t, weight=MASK).item() == pytest.approx(
        (d * keep).sum() / (3 * n_valid), rel=1e-12)
    ab = np.where(tn > 0, np.maximum(0.5 - sn, 0), np.maximum(0.5 + sn, 0)) ** 2
    assert ABLoss(margin=0.5)(s, t, weight=MASK).item() == pytest.approx((ab * keep).sum() / 2, rel=1e-12)
    pl2 = (sn - tn) ** 2 * ((sn > tn) | (tn > 0))
    assert PartialL2Loss()(s, t, weight=MASK).item() == pytest.approx((pl2 * keep).sum() / 2, rel=1e-12)
    # KD: tau^2 * the mean over the valid pixels of the per-pixel KL
    ps, pt = np_softmax(valid_pixels(s) / 2.0), np_softmax(valid_pixels(t) / 2.0)
    assert KDLoss(tau=2.0)(s, t, weight=MASK).item() == pytest.approx(
        4.0 * (pt * np.log(pt / ps)).sum(axis=1).mean(), rel=1e-10)
    # DIST: the correlations over the valid pixels only
    ps, pt = np_softmax(valid_pixels(s)), np_softmax(valid_pixels(t))
    expected = (1 - np_pearson_rows(ps, pt).mean()) + (1 - np_pearson_rows(ps.T, pt.T).mean())
    assert DISTLoss()(s, t, weight=MASK).item() == pytest.approx(expected, rel=1e-9)
    # CWD: each channel's distribution over its sample's valid locations
    total = 0.0
    for i in range(2):
        cols = keep[i, 0].reshape(-1)
        for c in range(3):
            p_s = np_softmax(sn[i, c].reshape(-1)[cols] / 2.0)
            p_t = np_softmax(tn[i, c].reshape(-1)[cols] / 2.0)
            total += (p_t * np.log(p_t / p_s)).sum()
    assert ChannelWiseDivergence(tau=2.0)(s, t, weight=MASK).item() == pytest.approx(4.0 * total / 6, rel=1e-10)
    # PKD: standardised over the valid locations of each sample and channel, mean over the valid elements
    total = 0.0
    for i in range(2):
        cols = keep[i, 0].reshape(-1)
        for c in range(3):
            a, b = sn[i, c].reshape(-1)[cols], tn[i, c].reshape(-1)[cols]
            za, zb = (a - a.mean()) / (a.std() + 1e-6), (b - b.mean()) / (b.std() + 1e-6)
            total += ((za - zb) ** 2).sum()
    assert PKDLoss()(s, t, weight=MASK).item() == pytest.approx(total / (3 * n_valid) / 2, rel=1e-9)
    # AT: the attention maps restricted to the valid locations, normalised there
    q_s, q_t = (sn ** 2).sum(axis=1) * keep[:, 0], (tn ** 2).sum(axis=1) * keep[:, 0]
    q_s = q_s.reshape(2, -1) / np.linalg.norm(q_s.reshape(2, -1), axis=1, keepdims=True)
    q_t = q_t.reshape(2, -1) / np.linalg.norm(q_t.reshape(2, -1), axis=1, keepdims=True)
    assert ATLoss()(s, t, weight=MASK).item() == pytest.approx(
        np.linalg.norm(q_s - q_t, axis=1).mean() / 2, rel=1e-10)
    assert ATLoss(distance='mean_squared')(s, t, weight=MASK).item() == pytest.approx(
        ((q_s - q_t) ** 2).sum() / n_valid, rel=1e-10)


def test_masked_mgd_matches_a_hand_computation():
    loss = mgd()
    s, t = randn(2, 3, 4, 4, seed=13), randn(2, 3, 4, 4, seed=14)
    torch.manual_seed(1)
    value = loss(s, t, weight=MASK)
    torch.manual_seed(1)
    random_keep = (torch.rand(2, 1, 4, 4) >= 0.3).double()
    with torch.no_grad():
        generated = loss.generation(s * random_keep * MASK)
    expected = 2e-5 * ((generated - t) ** 2 * MASK).sum() / 2  # alpha_mgd * sum / N
    assert value.item() == pytest.approx(expected.item(), rel=1e-10)


def seg_samples(labels):
    out = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        out.append(sample)
    return out


def test_ignore_mask_from_segmentation_labels_and_nearest_resize():
    labels = torch.tensor([[[0, 255, 3, 3], [1, 1, 255, 2], [4, 4, 4, 4], [255, 255, 0, 0]]])
    mask = ignore_mask(seg_samples(labels), 255)
    assert mask.shape == (1, 1, 4, 4)
    assert torch.equal(mask[0, 0], (labels[0] != 255).float())
    # stride 2: each feature location takes the label of the pixel it samples (the top-left of its cell)
    assert torch.equal(fit_weight(mask, (2, 2))[0, 0], torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
    assert torch.equal(fit_weight(1 - mask, (2, 2))[0, 0], torch.zeros(2, 2))
    assert fit_weight(mask[:, 0], (8, 8)).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match='gt_sem_seg'):
        ignore_mask([], 255)


def test_distill_point_hands_the_ignore_mask_to_the_loss():
    """A point whose loss has ignore_index gets the batch's data samples; the loss takes the labels' ignore
    mask, resized to the compared feature: the same as the explicit weight."""
    gen = torch.Generator().manual_seed(15)
    labels = torch.randint(0, 5, (2, 8, 8), generator=gen)
    labels[0, :4] = 255  # the top half of image 0 is ignored (stride 2: feature rows 0-1)
    labels[1, :, 6:] = 255  # padding on the right of image 1
    samples = seg_samples(labels)
    s, t = randn(2, 3, 4, 4, seed=16), randn(2, 3, 4, 4, seed=17)
    point = DistillPoint(IdentityConnector(), None, HintLoss(ignore_index=255))
    assert point.needs_data_samples
    weight = torch.ones(2, 1, 4, 4, dtype=torch.float64)
    weight[0, :, :2] = 0
    weight[1, :, :, 3:] = 0
    expected = (((s - t) ** 2 / 2) * weight).sum() / 2
    assert point(s, t, samples).item() == pytest.approx(expected.item(), rel=1e-6)
    assert point(s, t, samples).item() != pytest.approx(HintLoss()(s, t).item(), rel=1e-3)
    # without ignore_index the loss takes no data samples and every pixel counts
    plain = DistillPoint(IdentityConnector(), None, HintLoss())
    assert not plain.needs_data_samples
    assert plain(s, t, samples).item() == pytest.approx(HintLoss()(s, t).item(), rel=1e-6)


def tiny_segmentor():
    return dict(
        type='mmseg.EncoderDecoder',
        data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=[0.] * 3, std=[1.] * 3),
        backbone=dict(type='mmseg.ResNetV1c', depth=18, base_channels=8, num_stages=2, strides=(1, 2),
                      dilations=(1, 1), out_indices=(1, ), norm_eval=False, init_cfg=None),
        decode_head=dict(type='mmseg.FCNHead', in_channels=16, in_index=0, channels=8, num_convs=1,
                         num_classes=4, loss_decode=dict(type='mmseg.CrossEntropyLoss', loss_weight=1.0)))


@pytest.mark.parametrize('loss', [dict(type='mmkd.ChannelWiseDivergence', tau=2.0, loss_weight=3.0),
                                  dict(type='mmkd.HintLoss', loss_weight=0.5)])
def test_feature_distiller_excludes_ignored_pixels_of_segmentation_labels(loss):
    """Through the distiller: the point's loss with ignore_index gets the batch's label maps (32 x 32) and
    leaves the ignored pixels out at the decode head's resolution (4 x 4, nearest), exactly as the loss
    called with that mask by hand."""
    cfg = dict(type='mmkd.FeatureDistiller', student=tiny_segmentor(),
               teacher=dict(config=tiny_segmentor(), checkpoint=None), teacher_precision='fp32',
               input_size=(32, 32), distill_points=dict(
                   logits=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
                               loss=dict(loss, ignore_index=255))))
    model = MODELS.build(cfg)
    assert model.distill_points.logits.needs_data_samples
    gen = torch.Generator().manual_seed(18)
    labels = torch.randint(0, 4, (2, 32, 32), generator=gen)
    labels[0, :, :12] = 255  # left part of image 0 unlabelled
    labels[1, 20:] = 255  # bottom padding of image 1
    samples = []
    for label in labels:
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32), pad_shape=(32, 32), ori_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    model.train()
    value = model.loss(torch.rand(2, 3, 32, 32, generator=gen), samples)['loss_distill_logits']
    s = model.student_recorders.get('logits').float()
    t = model.teacher_recorders.get('logits').float()
    assert s.shape == (2, 4, 4, 4)
    mask = F.interpolate((labels != 255).float()[:, None], size=(4, 4), mode='nearest')
    assert 0 < mask.sum() < mask.numel()
    plain = MODELS.build(loss)
    assert value.item() == pytest.approx(plain(s, t, weight=mask).item(), rel=1e-5)
    assert value.item() != pytest.approx(plain(s, t).item(), rel=1e-3)
