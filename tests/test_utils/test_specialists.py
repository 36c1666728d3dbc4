"""Hinton et al. (2015)'s specialists: class clustering, the specialist's initial weights and data, the KL
combination of generalist and specialists, the SpecialistEnsemble model and tools/specialists.py end to end."""
import json
import math
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool
from mmkd.models.classifiers.specialist_ensemble import (combine_specialists, reduce_log_probs,
                                                         specialist_objective)
from mmkd.registry import DATASETS, MODELS
from mmkd.structures import ClsDataSample
from mmkd.utils.specialists import (agglomerative_clusters, cluster_classes, confusion_matrix,
                                    dustbin_logit_offset, kmeans_columns, prediction_covariance,
                                    specialist_state_dict)

PLANTED = [[0, 3, 5], [1, 2], [4, 6, 7]]


def planted_probabilities(n=600, seed=0):
    """Softmax-like outputs whose mass stays inside one planted cluster per image, spread at random."""
    rng = np.random.default_rng(seed)
    probs = np.full((n, 8), 1e-3)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        cluster = PLANTED[rng.integers(len(PLANTED))]
        probs[i, cluster] += rng.dirichlet(np.ones(len(cluster)))
        labels[i] = cluster[rng.integers(len(cluster))]
    return probs / probs.sum(axis=1, keepdims=True), labels


# ------------------------------------------------------------------------------------- clustering
def test_covariance_and_confusion_matrix_by_hand():
    probs = np.array([[0.5, 0.5, 0.0], [0.1, 0.3, 0.6]])
    # mean (0.3, 0.4, 0.3); deviations +-(0.2, 0.1, -0.3); 1/N sum of outer products = the outer product
    dev = np.array([0.2, 0.1, -0.3])
    np.testing.assert_allclose(prediction_covariance(probs), np.outer(dev, dev))
    matrix = confusion_matrix(preds=[0, 1, 1, 2, 2], labels=[0, 0, 1, 2, 1], num_classes=3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        confusion_matrix([3], [0], 3)


@pytest.mark.parametrize('method', ['kmeans', 'agglomerative'])
def test_clustering_the_prediction_covariance_finds_the_planted_clusters(method):
    probs, _ = planted_probabilities()
    assert cluster_classes(probs, 3, method=method) == PLANTED
    # two clusters of 3 survive min_size=3; the pair is dropped
    assert cluster_classes(probs, 3, method=method, min_size=3) == [[0, 3, 5], [4, 6, 7]]


def test_clustering_the_confusion_matrix_finds_the_planted_clusters():
    probs, labels = planted_probabilities(seed=1)
    assert cluster_classes(probs, 3, labels=labels, source='confusion', method='agglomerative') == PLANTED
    with pytest.raises(ValueError, match='needs the ground-truth labels'):
        cluster_classes(probs, 3, source='confusion')


def test_kmeans_and_agglomerative_on_a_hand_made_matrix():
    # block similarity: {0, 2} and {1, 3, 4} similar inside, dissimilar across
    sim = np.array([[1.0, 0.0, 0.9, 0.1, 0.0],
                    [0.0, 1.0, 0.1, 0.8, 0.9],
                    [0.9, 0.1, 1.0, 0.0, 0.1],
                    [0.1, 0.8, 0.0, 1.0, 0.7],
                    [0.0, 0.9, 0.1, 0.7, 1.0]])
    assert agglomerative_clusters(sim, 2) == [[0, 2], [1, 3, 4]]
    assert kmeans_columns(sim, 2, seed=3) == [[0, 2], [1, 3, 4]]
    assert kmeans_columns(sim, 5) == [[0], [1], [2], [3], [4]]
    with pytest.raises(ValueError, match=r'num_clusters must be in \[1, 5\]'):
        kmeans_columns(sim, 6)


# ------------------------------------------------------------------------ the specialist's weights
def test_specialist_head_is_initialised_from_the_generalist_rows():
    weight = torch.arange(15.).reshape(5, 3)
    bias = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0])
    state = {'backbone.conv.weight': torch.randn(2, 3), 'head.fc.weight': weight, 'head.fc.bias': bias}
    out = specialist_state_dict(state, [3, 1])
    torch.testing.assert_close(out['backbone.conv.weight'], state['backbone.conv.weight'])
    # rows of classes 3 and 1, then the dustbin: mean of rows 0, 2, 4 and their mean bias + log 3
    torch.testing.assert_close(out['head.fc.weight'],
                               torch.tensor([[9., 10., 11.], [3., 4., 5.], [6., 7., 8.]]))
    torch.testing.assert_close(out['head.fc.bias'], torch.tensor([0.0, -1.0, 3.5 / 3 + math.log(3)]))
    # where the other classes' logits are equal, the dustbin logit is exactly their log-sum-exp
    x = torch.tensor([1.0, -2.0, 0.5])
    flat = {'head.fc.weight': torch.ones(4, 3) * x.new_tensor([[1.], [2.], [1.], [1.]]),
            'head.fc.bias': torch.tensor([0.3, 0.1, 0.3, 0.3])}
    spec = specialist_state_dict(flat, [1])
    z_g = flat['head.fc.weight'] @ x + flat['head.fc.bias']
    z_s = spec['head.fc.weight'] @ x + spec['head.fc.bias']
    torch.testing.assert_close(z_s, torch.stack([z_g[1], torch.logsumexp(z_g[[0, 2, 3]], 0)]))
    with pytest.raises(ValueError, match='empty dustbin'):
        specialist_state_dict(state, [0, 1, 2, 3, 4])
    with pytest.raises(KeyError, match='fc=<name'):
        specialist_state_dict(state, [0], fc='head.linear')


def test_dustbin_prior_correction():
    # f_S = 0.2 of the data, half of the specialist's: log(0.8 / 0.5) - log(0.2 / 0.5) = log 4
    assert dustbin_logit_offset([10, 10, 20, 60], [0, 1], 0.5) == pytest.approx(math.log(4))
    assert dustbin_logit_offset([10, 10, 20, 60], [0, 1], 0.2) == pytest.approx(0.0, abs=1e-12)


def write_cifar(root, labels, side=4):
    root.mkdir(parents=True, exist_ok=True)
    data = np.arange(len(labels) * 3 * side * side, dtype=np.int64).reshape(len(labels), -1) % 256
    for split in ('train', 'test'):
        with open(root / split, 'wb') as f:
            pickle.dump({'data': data.astype(np.uint8), 'fine_labels': list(labels)}, f)
    with open(root / 'meta', 'wb') as f:
        pickle.dump({'fine_label_names': ['a', 'b', 'c', 'd']}, f)
    return str(root)


def test_specialist_dataset_relabels_and_enriches(tmp_path):
    labels = [0, 1, 2, 3] * 4 + [3] * 8  # 4 images of class 1 among 24
    root = write_cifar(tmp_path / 'cifar', labels)
    base = dict(type='mmkd.CIFAR100Dataset', data_root=root, split='train',
                pipeline=[dict(type='mmkd.PackClsInputs')])
    full = DATASETS.build(dict(type='mmkd.SpecialistDataset', dataset=base, classes=[2, 1]))
    assert len(full) == 24 and full.metainfo['classes'] == ('c', 'b', 'dustbin')
    assert [full.get_data_info(i)['gt_label'] for i in range(4)] == [2, 1, 0, 2]
    assert full[1]['data_samples'].gt_label.tolist() == [1]
    enriched = DATASETS.build(dict(type='mmkd.SpecialistDataset', dataset=base, classes=[1],
                                   cluster_fraction=0.5, seed=0))
    originals = [enriched.get_data_info(i)['original_label'] for i in range(len(enriched))]
    assert len(enriched) == 8 and originals.count(1) == 4  # all 4 of class 1, 4 drawn from the others
    assert [enriched.get_data_info(i)['gt_label'] for i in range(8)] == [0 if o == 1 else 1 for o in originals]
    quarter = DATASETS.build(dict(type='mmkd.SpecialistDataset', dataset=base, classes=[1], cluster_fraction=0.25))
    assert len(quarter) == 4 + 12
    with pytest.raises(ValueError, match='dustbin empty'):
        DATASETS.build(dict(type='mmkd.SpecialistDataset', dataset=base, classes=[0, 1, 2, 3]))


# ----------------------------------------------------------------------------------- combination
def test_one_specialist_reaches_the_closed_form_optimum():
    p_g = torch.tensor([[0.4, 0.3, 0.2, 0.1]])
    p_m = torch.tensor([[0.2, 0.3, 0.5]])  # classes (0, 1) + dustbin
    # optimum of KL(p_g || q) + KL(p_m || q_m): q_c = (p_g(c) + p_m(c)) / 2 on the specialist's classes,
    # the generalist's distribution rescaled to the remaining mass (0.4) elsewhere
    expected = torch.tensor([[0.3, 0.3, 0.2 * 0.4 / 0.3, 0.1 * 0.4 / 0.3]])
    q = combine_specialists(p_g, [p_m], [[0, 1]], torch.ones(1, 1), steps=300)
    torch.testing.assert_close(q, expected, atol=1e-5, rtol=0)
    # the default 100 steps are already within 1e-3
    torch.testing.assert_close(combine_specialists(p_g, [p_m], [[0, 1]], torch.ones(1, 1)), expected, atol=1e-3,
                               rtol=0)
    # inactive: q is the generalist's distribution
    torch.testing.assert_close(combine_specialists(p_g, [p_m], [[0, 1]], torch.zeros(1, 1)), p_g)


def numpy_em_reference(p_g, spec_probs, spec_classes, iters=5000):
    """An independent solver of the same objective: EM for coarsened observations,
    q_c <- (p_g(c) + sum_m [c in S_m] p_m(c) + [c not in S_m] p_m(d) q_c / Q_m) / (1 + M)."""
    q = p_g.copy()
    for _ in range(iters):
        new = p_g.copy()
        for p_m, classes in zip(spec_probs, spec_classes):
            others = np.setdiff1d(np.arange(len(q)), classes)
            new[classes] += p_m[:-1]
            new[others] += p_m[-1] * q[others] / q[others].sum()
        q = new / (1 + len(spec_probs))
    return q


def test_two_specialists_match_an_independent_numpy_solver():
    p_g = np.array([0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    spec_probs = [np.array([0.6, 0.1, 0.3]), np.array([0.05, 0.5, 0.15, 0.3])]
    spec_classes = [[0, 1], [1, 2, 4]]  # overlapping clusters are allowed too
    expected = numpy_em_reference(p_g, spec_probs, spec_classes)
    gen = torch.from_numpy(p_g[None]).float()
    specs = [torch.from_numpy(p[None]).float() for p in spec_probs]
    q = combine_specialists(gen, specs, spec_classes, torch.ones(1, 2), steps=2000)
    np.testing.assert_allclose(q[0].numpy(), expected, atol=1e-4)
    # and the objective there is lower than at the generalist's distribution
    args = (gen, specs, spec_classes, torch.ones(1, 2))
    assert specialist_objective(q.log(), *args) < specialist_objective(gen.log(), *args)


def test_reduce_log_probs_sums_the_dustbin():
    q = torch.tensor([[0.1, 0.2, 0.3, 0.4]])
    torch.testing.assert_close(reduce_log_probs(q.log(), [2, 0]).exp(), torch.tensor([[0.3, 0.1, 0.6]]))


def tiny_classifier(num_classes):
    return dict(
        type='mmkd.ImageClassifier',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3),
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=4, out_indices=(3, ), init_cfg=None),
        head=dict(type='mmkd.LinearClsHead', num_classes=num_classes, in_channels=32))


def constant_classifier(path, logits):
    """Save a classifier whose logits are ``logits`` for every input (zero fc weight)."""
    model = MODELS.build(tiny_classifier(len(logits)))
    with torch.no_grad():
        model.head.fc.weight.zero_()
        model.head.fc.bias.copy_(torch.tensor(logits))
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    return str(path)


def test_specialist_ensemble_selects_by_the_generalist_top_class_and_combines(tmp_path):
    p_g = [0.4, 0.3, 0.2, 0.1]
    gen = constant_classifier(tmp_path / 'g.pth', np.log(p_g).tolist())
    # specialist on (0, 1): raw probabilities prop. to (0.2, 0.3, 0.25); + log 2 on the dustbin: (0.2, 0.3, 0.5)
    spec_a = constant_classifier(tmp_path / 'a.pth', [math.log(0.2), math.log(0.3), math.log(0.25)])
    spec_b = constant_classifier(tmp_path / 'b.pth', [0.0, 0.0, 5.0])  # on (2, 3): never active
    ensemble = MODELS.build(dict(
        type='mmkd.SpecialistEnsemble', generalist=tiny_classifier(4), generalist_checkpoint=gen,
        specialists=[dict(classes=[0, 1], checkpoint=spec_a, dustbin_offset=math.log(2)),
                     dict(classes=[2, 3], checkpoint=spec_b)], steps=300))
    inputs = torch.rand(2, 3, 16, 16)
    q, active = ensemble.combine(inputs)
    assert active.tolist() == [[True, False]] * 2  # the top-1 class 0 lies in specialist a's classes only
    expected = torch.tensor([[0.3, 0.3, 0.2 * 0.4 / 0.3, 0.1 * 0.4 / 0.3]] * 2)
    torch.testing.assert_close(q, expected, atol=1e-5, rtol=0)
    samples = ensemble(inputs, [ClsDataSample().set_gt_label(1), ClsDataSample()], mode='predict')
    torch.testing.assert_close(samples[0].pred_score, expected[0], atol=1e-5, rtol=0)
    assert samples[0].pred_label.tolist() == [0] and samples[0].num_specialists == 1
    # with top_n=3 the generalist's classes (0, 1, 2) reach specialist b too
    wide = MODELS.build(dict(
        type='mmkd.SpecialistEnsemble', generalist=tiny_classifier(4), generalist_checkpoint=gen,
        specialists=[dict(classes=[0, 1], checkpoint=spec_a), dict(classes=[2, 3], checkpoint=spec_b)], top_n=3))
    assert wide.combine(inputs)[1].tolist() == [[True, True]] * 2
    ensemble.train()
    assert not any(m.training for m in ensemble.modules() if m is not ensemble)
    with pytest.raises(RuntimeError, match='no loss'):
        ensemble(inputs, samples, mode='loss')
    with pytest.raises(ValueError, match='specialist 0 must be dict'):
        MODELS.build(dict(type='mmkd.SpecialistEnsemble', generalist=tiny_classifier(4),
                          generalist_checkpoint=None, specialists=[dict(classes=[0])]))


# ------------------------------------------------------------------------------- the tool (slow)
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
         'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
         'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0', 'val_dataloader.dataset.indices=16',
         'test_dataloader.dataset.indices=16', 'specialist_clusters.num_clusters=2']


@pytest.mark.slow
def test_specialists_tool_end_to_end(toy_workspace):
    out = run_tool(toy_workspace, 'tools/specialists.py', 'configs/specialists/specialists_cls_r18_toy.py',
                   '--work-dir', 'work_dirs/spec', '--seed', '0', '--cfg-options', 'generalist_checkpoint=None',
                   'specialist_clusters.min_size=1', *SHORT)
    wd = toy_workspace / 'work_dirs/spec'
    clusters = json.loads((wd / 'clusters.json').read_text())
    assert clusters['generalist_checkpoint'] == 'work_dirs/spec/generalist/iter_2.pth'
    flat = sorted(c for cl in clusters['clusters'] for c in cl)
    assert flat == list(range(10)) and len(clusters['clusters']) == 2  # a partition of the 10 classes
    summary = json.loads((wd / 'summary.json').read_text())
    for m, classes in enumerate(clusters['clusters']):
        info = json.loads((wd / f'specialist{m}/specialist.json').read_text())
        assert info['classes'] == classes and info['checkpoint'] == f'work_dirs/spec/specialist{m}/iter_2.pth'
        assert f'tools/train.py work_dirs/spec/configs/specialist{m}.py --work-dir work_dirs/spec/specialist{m}' in out
        cfg = Config.fromfile(wd / f'configs/specialist{m}.py')
        assert cfg.model.head.num_classes == len(classes) + 1
        assert cfg.train_dataloader.dataset.type == 'mmkd.SpecialistDataset'
        # the init weights: the generalist's rows of the cluster's classes
        init = torch.load(wd / f'specialist{m}/init.pth')['state_dict']
        gen = torch.load(wd / 'generalist/iter_2.pth')['state_dict']
        torch.testing.assert_close(init['head.fc.weight'][:-1], gen['head.fc.weight'][classes])
    ensemble = json.loads((wd / 'ensemble/test.json').read_text())
    generalist = json.loads((wd / 'generalist_test/test.json').read_text())
    assert summary['ensemble'] == ensemble and summary['generalist'] == generalist
    assert all(math.isfinite(v) and 0 <= v <= 100 for v in list(ensemble.values()) + list(generalist.values()))
    row = re.search(r'^ensemble \(\+2 specialists\)\s+([\d.]+)', out, re.M)
    assert row and float(row.group(1)) == round(ensemble['accuracy/top1'], 2)
    assert Config.fromfile(wd / 'configs/ensemble.py').model.type == 'mmkd.SpecialistEnsemble'
