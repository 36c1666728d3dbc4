"""The classification task: data sample, transforms, head, classifier, Accuracy and a Runner loop."""
import glob
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.transforms import RandomFlip, Resize
from mmengine.dataset import BaseDataset
from mmengine.evaluator import Evaluator

from mmkd.datasets.transforms import PackClsInputs, RandomCropPad
from mmkd.evaluation import Accuracy
from mmkd.models.classifiers import ImageClassifier
from mmkd.models.heads import LinearClsHead
from mmkd.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmkd.structures import ClsDataSample


def _classifier_cfg(backbone, in_channels, num_classes=10):
    return dict(
        type='mmkd.ImageClassifier',
        backbone=backbone,
        head=dict(type='mmkd.LinearClsHead', num_classes=num_classes, in_channels=in_channels))


RESNET18 = dict(type='mmdet.ResNet', depth=18, norm_eval=False, init_cfg=None)
MOBILENET_V2 = dict(type='mmdet.MobileNetV2', out_indices=(7, ), norm_eval=False, init_cfg=None)
MMSEG_MOBILENET_V2 = dict(type='mmseg.MobileNetV2', init_cfg=None)


# ----------------------------------------------------------------------------- data sample
def test_cls_data_sample_converts_labels():
    sample = ClsDataSample(metainfo=dict(img_shape=(4, 5)))
    sample.set_gt_label(3)
    assert sample.gt_label.dtype == torch.long and sample.gt_label.tolist() == [3]
    sample.gt_label = np.int64(7)
    assert sample.gt_label.tolist() == [7]
    sample.set_pred_score(np.array([0.25, 0.75], dtype=np.float32)).set_pred_label([1])
    assert sample.pred_score.tolist() == [0.25, 0.75]
    assert sample.pred_label.tolist() == [1]
    assert set(sample.keys()) == {'gt_label', 'pred_score', 'pred_label'}
    assert sample.to_dict()['img_shape'] == (4, 5)
    with pytest.raises(TypeError, match='class indices'):
        sample.set_gt_label(torch.tensor([0.2, 0.8]))
    with pytest.raises(ValueError, match='1-D'):
        sample.pred_score = torch.zeros(2, 3)


# ----------------------------------------------------------------------------- transforms
def test_pack_cls_inputs_layout_label_and_meta():
    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    out = PackClsInputs()(dict(img=img, gt_label=7, img_shape=(4, 5), ori_shape=(4, 5), sample_idx=2))
    inputs, sample = out['inputs'], out['data_samples']
    assert inputs.shape == (3, 4, 5) and inputs.dtype == torch.uint8
    assert inputs[2, 3, 1].item() == img[3, 1, 2]
    assert torch.equal(inputs.permute(1, 2, 0), torch.from_numpy(img))
    assert isinstance(sample, ClsDataSample)
    assert sample.gt_label.tolist() == [7]
    assert sample.metainfo == dict(img_shape=(4, 5), ori_shape=(4, 5), sample_idx=2)

    gray = PackClsInputs()(dict(img=np.zeros((4, 5), np.uint8)))
    assert gray['inputs'].shape == (1, 4, 5) and 'gt_label' not in gray['data_samples']
    with pytest.raises(KeyError, match='LoadImageFromFile'):
        PackClsInputs()(dict(gt_label=1))


def test_pack_cls_inputs_after_mmcv_flip_and_resize():
    img = np.random.RandomState(0).randint(0, 256, (8, 6, 3)).astype(np.uint8)
    results = dict(img=img, gt_label=1, img_shape=(8, 6), ori_shape=(8, 6), sample_idx=0)
    results = RandomFlip(prob=1.0, direction='horizontal')(results)
    results = Resize(scale=(6, 8), keep_ratio=False)(results)  # same size: pixels unchanged
    out = TRANSFORMS.build(dict(type='mmkd.PackClsInputs'))(results)
    assert torch.equal(out['inputs'], torch.from_numpy(img[:, ::-1].copy()).permute(2, 0, 1))
    meta = out['data_samples'].metainfo
    assert meta['flip'] is True and meta['flip_direction'] == 'horizontal'
    assert meta['img_shape'] == (8, 6) and meta['ori_shape'] == (8, 6)
    assert np.allclose(meta['scale_factor'], (1.0, 1.0))

    small = Resize(scale=(3, 4), keep_ratio=False)(dict(img=img.copy(), img_shape=(8, 6)))
    out = PackClsInputs()(small)
    assert out['inputs'].shape == (3, 4, 3)
    assert out['data_samples'].img_shape == (4, 3)


def test_random_crop_pad_is_a_window_of_the_padded_image():
    img = np.random.RandomState(1).randint(1, 256, (32, 32, 3)).astype(np.uint8)
    padded = np.pad(img, ((4, 4), (4, 4), (0, 0)))
    transform = TRANSFORMS.build(dict(type='mmkd.RandomCropPad', crop_size=32, padding=4))
    np.random.seed(0)
    offsets = set()
    for _ in range(20):
        out = transform(dict(img=img.copy(), img_shape=(32, 32)))
        assert out['img'].shape == (32, 32, 3) and out['img_shape'] == (32, 32)
        found = [(t, l) for t in range(9) for l in range(9)
                 if np.array_equal(out['img'], padded[t:t + 32, l:l + 32])]
        assert len(found) == 1
        offsets.add(found[0])
    assert len(offsets) > 1
    assert np.array_equal(RandomCropPad(padding=0)(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='raise padding'):
        RandomCropPad(crop_size=40, padding=2)(dict(img=img.copy()))


# ----------------------------------------------------------------------------- head
def _identity_head(num_classes=3, **kwargs):
    head = LinearClsHead(num_classes=num_classes, in_channels=num_classes, init_cfg=None, **kwargs)
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(num_classes))
        head.fc.bias.zero_()
    return head


def test_linear_cls_head_loss_equals_cross_entropy():
    head = _identity_head(topk=(1, 2))
    logits = torch.tensor([[0.0, math.log(3.0), -1.0], [2.0, 0.0, 1.0]])
    # (N, C, H, W) maps whose spatial mean is ``logits`` (zero-mean offsets with per-channel maxima
    # 1, 3, 0, so max-pooling would give other probabilities): pooling must average.
    offsets = torch.tensor([[[1.0, -1.0], [0.0, 0.0]], [[3.0, -3.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    maps = logits[:, :, None, None] + offsets
    samples = [ClsDataSample().set_gt_label(0), ClsDataSample().set_gt_label(1)]
    losses = head.loss((torch.zeros(2, 5), maps), samples)
    expected = F.cross_entropy(logits, torch.tensor([0, 1]))
    assert torch.allclose(losses['loss_cls'], expected)
    # Hand-computed: p(sample 0) = 1 / (1 + 3 + e^-1), p(sample 1) = 1 / (e^2 + 1 + e).
    hand = (math.log(4.0 + math.exp(-1.0)) + math.log(math.e**2 + 1 + math.e)) / 2
    # Top-2 classes: {1, 0} holds label 0, {0, 2} misses label 1.
    assert losses['loss_cls'].item() == pytest.approx(hand, rel=1e-6)
    assert losses['acc_top1'].item() == 0.0
    assert losses['acc_top2'].item() == 50.0

    weighted = _identity_head(loss=dict(type='mmdet.CrossEntropyLoss', loss_weight=0.5))
    assert weighted.loss(logits, samples)['loss_cls'].item() == pytest.approx(hand / 2, rel=1e-6)


def test_linear_cls_head_predict_and_errors():
    head = _identity_head()
    logits = torch.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    preds = head.predict(logits)
    assert [p.pred_label.tolist() for p in preds] == [[2], [0]]
    assert torch.allclose(preds[0].pred_score, F.softmax(logits[0], dim=0))
    given = [ClsDataSample().set_gt_label(1), ClsDataSample().set_gt_label(0)]
    assert head.predict(logits, given)[1] is given[1] and given[1].gt_label.tolist() == [0]
    assert isinstance(dict(head.named_modules())['fc'], nn.Linear)
    with pytest.raises(ValueError, match='in_channels=4'):
        head(torch.zeros(1, 4, 2, 2))
    with pytest.raises(ValueError, match='topk'):
        LinearClsHead(num_classes=3, in_channels=3, topk=(1, 5))


# ----------------------------------------------------------------------------- classifier
@pytest.mark.parametrize('backbone,in_channels',
                         [(RESNET18, 512), (MOBILENET_V2, 1280), (MMSEG_MOBILENET_V2, 320)],
                         ids=['mmdet_resnet18', 'mmdet_mobilenet_v2', 'mmseg_mobilenet_v2'])
def test_image_classifier_modes_and_gradients(backbone, in_channels):
    torch.manual_seed(0)
    model = MODELS.build(_classifier_cfg(backbone, in_channels))
    assert isinstance(model, ImageClassifier)
    assert isinstance(dict(model.named_modules())['head.fc'], nn.Linear)
    model.init_weights()
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(2)],
                data_samples=[ClsDataSample().set_gt_label(3), ClsDataSample().set_gt_label(7)])
    batch = model.data_preprocessor(data, training=True)
    assert batch['inputs'].shape == (2, 3, 32, 32) and batch['inputs'].dtype == torch.float32

    model.train()
    losses = model(**batch, mode='loss')
    assert set(losses) == {'loss_cls', 'acc_top1'}
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(losses['loss_cls'].item())
    assert 'acc_top1' in log_vars  # logged, not optimised
    loss.backward()
    first_conv = next(m for m in model.backbone.modules() if isinstance(m, nn.Conv2d))
    assert first_conv.weight.grad is not None and first_conv.weight.grad.abs().sum() > 0
    assert model.head.fc.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        logits = model(batch['inputs'], mode='tensor')
        preds = model(**batch, mode='predict')
    assert logits.shape == (2, 10)
    assert len(preds) == 2 and preds[1].gt_label.tolist() == [7]
    for pred, row in zip(preds, logits):
        assert pred.pred_score.shape == (10, )
        assert torch.allclose(pred.pred_score, F.softmax(row, dim=0), atol=1e-6)
        assert pred.pred_label.item() == row.argmax().item()
    with pytest.raises(RuntimeError, match='invalid mode'):
        model(batch['inputs'], mode='bogus')


# ----------------------------------------------------------------------------- metric
def test_accuracy_against_hand_computed_values():
    # 4 samples, 6 classes. Ranks of the true class: 1st, 3rd, 6th, 1st.
    scores = torch.tensor([[0.9, 0.1, 0.0, 0.0, 0.0, 0.0],
                           [0.1, 0.5, 0.3, 0.06, 0.04, 0.0],
                           [0.3, 0.25, 0.2, 0.15, 0.1, 0.0],
                           [0.0, 0.0, 0.0, 0.0, 0.2, 0.8]])
    labels = [0, 0, 5, 5]
    metric = METRICS.build(dict(type='mmkd.Accuracy', topk=(1, 2, 3, 5)))
    assert isinstance(metric, Accuracy)
    samples = [ClsDataSample().set_pred_score(s).set_gt_label(g) for s, g in zip(scores, labels)]
    metric.process(None, [samples[0], samples[1]])
    metric.process(None, [s.to_dict() for s in samples[2:]])
    result = metric.evaluate(size=4)
    assert result == {'accuracy/top1': 50.0, 'accuracy/top2': 50.0, 'accuracy/top3': 75.0,
                      'accuracy/top5': 75.0}

    evaluator = Evaluator(dict(type='mmkd.Accuracy', topk=(1, 7)))
    evaluator.process(samples)
    with pytest.raises(ValueError, match=r'topk=\(1, 7\).*6 predicted'):
        evaluator.evaluate(4)
    with pytest.raises(ValueError, match='pred_score'):
        Accuracy().process(None, [dict(gt_label=torch.tensor([1]))])


# ----------------------------------------------------------------------------- runner
@DATASETS.register_module(name='TinyClsTestDataset', force=True)
class TinyClsTestDataset(BaseDataset):
    """``num`` random 32x32 BGR images, labels ``i % num_classes``, kept in memory."""

    METAINFO = dict(classes=('a', 'b', 'c', 'd'))

    def __init__(self, num=8, **kwargs):
        self.num = num
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        rng = np.random.RandomState(0)
        return [dict(img=rng.randint(0, 256, (32, 32, 3)).astype(np.uint8), gt_label=i % 4,
                     img_shape=(32, 32), ori_shape=(32, 32)) for i in range(self.num)]


def test_runner_train_and_val_loop(tmp_path, capsys):
    from mmengine.runner import Runner

    def loader(pipeline, shuffle):
        return dict(batch_size=4, num_workers=0,
                    sampler=dict(type='DefaultSampler', shuffle=shuffle),
                    dataset=dict(type='mmkd.TinyClsTestDataset', num=8, pipeline=pipeline))

    runner = Runner(
        model=_classifier_cfg(RESNET18, 512, num_classes=4),
        work_dir=str(tmp_path),
        experiment_name=f'test_cls_{tmp_path.name}',
        default_scope='mmkd',
        train_dataloader=loader([dict(type='mmkd.RandomCropPad', crop_size=32, padding=4),
                                 dict(type='RandomFlip', prob=0.5),
                                 dict(type='mmkd.PackClsInputs')], shuffle=True),
        val_dataloader=loader([dict(type='mmkd.PackClsInputs')], shuffle=False),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2),
        val_cfg=dict(type='ValLoop'),
        val_evaluator=dict(type='mmkd.Accuracy', topk=(1, 2)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        env_cfg=dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0),
        log_level='INFO')
    fc_before = runner.model.head.fc.weight.detach().clone()
    runner.train()
    assert not torch.equal(runner.model.head.fc.weight.detach(), fc_before)
    assert 'accuracy/top1' in capsys.readouterr().out

    log_files = glob.glob(osp.join(str(tmp_path), '*', '*.log'))
    assert len(log_files) == 1
    log = open(log_files[0]).read()
    assert 'loss_cls' in log and 'accuracy/top1' in log and 'accuracy/top2' in log

    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu', weights_only=False)
    assert torch.equal(ckpt['state_dict']['head.fc.weight'], runner.model.head.fc.weight.detach())

    metrics = runner.val()
    assert set(metrics) == {'accuracy/top1', 'accuracy/top2'}
    # 8 samples: every accuracy is a multiple of 12.5 %, and top-2 >= top-1.
    assert metrics['accuracy/top1'] % 12.5 == 0
    assert metrics['accuracy/top1'] <= metrics['accuracy/top2'] <= 100.0
