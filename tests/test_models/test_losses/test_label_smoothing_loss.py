"""LabelSmoothingLoss: hand values, gradient, reductions, dense scores, the classifier head and its config."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from conftest import REPO
from mmkd.models.heads import LinearClsHead
from mmkd.models.losses import LabelSmoothingLoss
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample


def test_hand_values():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    # eps = 0.3, C = 3: targets (0.8, 0.1, 0.1) and (0.1, 0.1, 0.8); -log p_c = lse - x_c
    lse1, lse2 = math.log(math.e ** 2 + 2), math.log(2 + math.e)
    row1 = 0.8 * (lse1 - 2) + 0.1 * lse1 + 0.1 * lse1  # = lse1 - 1.6
    row2 = 0.1 * lse2 + 0.1 * (lse2 - 1) + 0.8 * lse2  # = lse2 - 0.1
    loss = LabelSmoothingLoss(epsilon=0.3, loss_weight=2.0)(logits, labels)
    assert loss.item() == pytest.approx(2.0 * (row1 + row2) / 2, rel=1e-6)
    per_row = LabelSmoothingLoss(epsilon=0.3, reduction='none')(logits, labels)
    assert per_row.tolist() == pytest.approx([row1, row2], rel=1e-6)


def test_zero_epsilon_is_cross_entropy_and_gradient_is_p_minus_q():
    torch.manual_seed(0)
    logits = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 3, 1, 1, 2])
    assert LabelSmoothingLoss(epsilon=0.0)(logits, labels).item() == pytest.approx(
        F.cross_entropy(logits, labels).item(), rel=1e-6)
    eps = 0.2
    LabelSmoothingLoss(epsilon=eps)(logits, labels).backward()
    q = (1 - eps) * F.one_hot(labels, 4).double() + eps / 4
    expected = (F.softmax(logits.detach(), dim=1) - q) / 5
    torch.testing.assert_close(logits.grad, expected)


def test_weight_avg_factor_and_override():
    logits = torch.tensor([[1.0, 0.0], [0.0, 3.0], [0.5, 0.5]])
    labels = torch.tensor([0, 0, 1])
    loss = LabelSmoothingLoss(epsilon=0.1)
    rows = loss(logits, labels, reduction_override='none')
    weight = torch.tensor([1.0, 0.0, 2.0])
    assert loss(logits, labels, weight=weight, reduction_override='sum').item() == pytest.approx(
        (rows[0] + 2 * rows[2]).item(), rel=1e-6)
    assert loss(logits, labels, avg_factor=10.0).item() == pytest.approx(rows.sum().item() / 10, rel=1e-6)


def test_dense_scores_and_ignore_index():
    torch.manual_seed(1)
    scores = torch.randn(2, 3, 2, 2)
    labels = torch.tensor([[[0, 1], [255, 2]], [[2, 255], [1, 0]]])
    loss = LabelSmoothingLoss(epsilon=0.1, ignore_index=255)
    rows = scores.movedim(1, -1).reshape(-1, 3)
    flat = labels.reshape(-1)
    keep = flat != 255
    expected = LabelSmoothingLoss(epsilon=0.1)(rows[keep], flat[keep])
    assert loss(scores, labels).item() == pytest.approx(expected.item(), rel=1e-6)
    per_pixel = loss(scores, labels, reduction_override='none')
    assert per_pixel.shape == (2, 2, 2)
    assert per_pixel[0, 1, 0].item() == 0 and per_pixel[1, 0, 1].item() == 0


def test_bad_input():
    with pytest.raises(ValueError, match=r'epsilon must be in \[0, 1\)'):
        LabelSmoothingLoss(epsilon=1.0)
    with pytest.raises(ValueError, match='reduction must be one of'):
        LabelSmoothingLoss(reduction='avg')
    loss = LabelSmoothingLoss()
    with pytest.raises(ValueError, match=r'expected class indices of shape \(2,\)'):
        loss(torch.zeros(2, 3), torch.zeros(2, 1, dtype=torch.long))
    with pytest.raises(ValueError, match=r'class indices in \[0, 3\)'):
        loss(torch.zeros(2, 3), torch.tensor([0, 3]))


def test_as_classifier_head_loss():
    torch.manual_seed(2)
    head = LinearClsHead(num_classes=4, in_channels=8, topk=(),
                         loss=dict(type='mmkd.LabelSmoothingLoss', epsilon=0.2, loss_weight=0.5), init_cfg=None)
    feats = torch.randn(3, 8, 2, 2)
    samples = [ClsDataSample().set_gt_label(torch.tensor([k])) for k in (1, 0, 3)]
    losses = head.loss((feats, ), samples)
    logits = head(feats)
    q = 0.8 * F.one_hot(torch.tensor([1, 0, 3]), 4).float() + 0.05
    expected = 0.5 * (-(q * F.log_softmax(logits, dim=1)).sum(dim=1)).mean()
    assert losses['loss_cls'].item() == pytest.approx(expected.item(), rel=1e-5)
    losses['loss_cls'].backward()
    assert head.fc.weight.grad is not None and head.fc.weight.grad.abs().sum() > 0


def test_config():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'cls', 'cls_r18_toy_label_smoothing.py'))
    assert cfg.model.head.loss == dict(type='mmkd.LabelSmoothingLoss', epsilon=0.1, loss_weight=1.0)
    baseline = Config.fromfile(osp.join(REPO, 'configs', 'cls', 'cls_r18_toy.py'))
    assert cfg.train_dataloader == baseline.train_dataloader and cfg.train_cfg == baseline.train_cfg
    loss = MODELS.build(cfg.model.head.loss)
    assert isinstance(loss, LabelSmoothingLoss) and loss.epsilon == 0.1
