"""Ensembles of specialists (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015,
Sec. 5): confusable class clusters from a generalist's predictions, and a specialist's initial weights.

The paper clusters the covariance matrix of the generalist's predicted probabilities, "so that a set of
classes that are often predicted together" becomes the target set of one specialist, with an on-line
K-means on the columns of that matrix. Here :func:`kmeans_columns` is a batch K-means (K-means++ seeding,
Lloyd iterations, several seeded restarts) on those columns; :func:`agglomerative_clusters`
(average linkage) is the alternative for a symmetric similarity such as the confusion matrix's.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

DUSTBIN = 'dustbin'


def prediction_covariance(probs: np.ndarray) -> np.ndarray:
    """(C, C) covariance of the predicted class probabilities over the data,
    ``Sigma = 1/N sum_n (p_n - mean p)(p_n - mean p)^T``.

    Args:
        probs (ndarray): (N, C) softmax outputs of the generalist.

    Returns:
        ndarray: (C, C) covariance (float64).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] < 2:
        raise ValueError(f'probs must be (N, C) with N >= 2 predictions, got shape {probs.shape}')
    centred = probs - probs.mean(axis=0, keepdims=True)
    return centred.T @ centred / probs.shape[0]


def confusion_matrix(preds: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) counts ``M[i, j] = #{n: label_n = i, pred_n = j}``."""
    preds, labels = np.asarray(preds).reshape(-1), np.asarray(labels).reshape(-1)
    if preds.shape != labels.shape:
        raise ValueError(f'{preds.size} predictions but {labels.size} labels')
    if preds.size and (min(preds.min(), labels.min()) < 0 or max(preds.max(), labels.max()) >= num_classes):
        raise ValueError(f'predictions and labels must lie in [0, {num_classes})')
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, preds), 1)
    return matrix


def confusion_similarity(matrix: np.ndarray) -> np.ndarray:
    """Symmetric similarity of a confusion matrix: ``S = R + R^T`` with ``R`` its row-normalised form
    (the rate at which class i is predicted as j) and a zero diagonal."""
    matrix = np.asarray(matrix, dtype=np.float64)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    sim = rates + rates.T
    np.fill_diagonal(sim, 0.0)
    return sim


def _kmeans_once(points: np.ndarray, k: int, rng: np.random.Generator, iters: int):
    """One K-means run (K-means++ seeding, Lloyd iterations): (assignment, inertia)."""
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        d2 = np.min([((points - c)**2).sum(axis=1) for c in centres], axis=0)
        total = d2.sum()
        idx = rng.integers(len(points)) if total <= 0 else rng.choice(len(points), p=d2 / total)
        centres.append(points[idx])
    centres = np.stack(centres)
    assign = None
    for _ in range(iters):
        dist = ((points[:, None, :] - centres[None, :, :])**2).sum(axis=2)
        new = dist.argmin(axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = points[assign == j]
            if len(members):
                centres[j] = members.mean(axis=0)
            else:  # an empty cluster takes the point farthest from its centre
                far = dist[np.arange(len(points)), assign].argmax()
                centres[j] = points[far]
                assign[far] = j
    inertia = float(((points - centres[assign])**2).sum())
    return assign, inertia


def kmeans_columns(matrix: np.ndarray, num_clusters: int, seed: int = 0, restarts: int = 10,
                   iters: int = 100) -> List[List[int]]:
    """K-means on the columns of ``matrix`` (the paper's clustering of the covariance matrix); the run of
    least inertia over ``restarts`` seeded restarts is kept.

    Args:
        matrix (ndarray): (D, C); column c describes class c.
        num_clusters (int): K.
        seed (int): Seed of the restarts (the result is deterministic given it).
        restarts (int): Number of K-means++ restarts.
        iters (int): Maximum Lloyd iterations per restart.

    Returns:
        list[list[int]]: The non-empty clusters, each a sorted list of classes, ordered by their smallest
        class.
    """
    points = np.asarray(matrix, dtype=np.float64).T
    if not 1 <= num_clusters <= len(points):
        raise ValueError(f'num_clusters must be in [1, {len(points)}] (the number of classes), got {num_clusters}')
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(max(1, restarts)):
        assign, inertia = _kmeans_once(points, num_clusters, rng, iters)
        if best is None or inertia < best[1] - 1e-12:
            best = (assign, inertia)
    return _as_clusters(best[0])


def agglomerative_clusters(similarity: np.ndarray, num_clusters: int) -> List[List[int]]:
    """Average-linkage agglomerative clustering: start from singletons and repeatedly merge the two
    clusters of the largest mean pairwise similarity until ``num_clusters`` remain (ties: the pair of
    smallest indices).

    Args:
        similarity (ndarray): (C, C) symmetric similarity (e.g. :func:`confusion_similarity`, or the
            covariance matrix).
        num_clusters (int): Number of clusters to stop at.

    Returns:
        list[list[int]]: Sorted clusters, ordered by their smallest class.
    """
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.ndim != 2 or sim.shape[0] != sim.shape[1]:
        raise ValueError(f'similarity must be a square (C, C) matrix, got shape {sim.shape}')
    if not 1 <= num_clusters <= len(sim):
        raise ValueError(f'num_clusters must be in [1, {len(sim)}] (the number of classes), got {num_clusters}')
    sim = (sim + sim.T) / 2
    clusters = [[c] for c in range(len(sim))]
    while len(clusters) > num_clusters:
        best, pair = -np.inf, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                link = sim[np.ix_(clusters[a], clusters[b])].mean()
                if link > best + 1e-12:
                    best, pair = link, (a, b)
        a, b = pair
        clusters[a] = sorted(clusters[a] + clusters[b])
        del clusters[b]
    return sorted(clusters, key=lambda c: c[0])


def _as_clusters(assign: np.ndarray) -> List[List[int]]:
    clusters = [sorted(np.flatnonzero(assign == j).tolist()) for j in np.unique(assign)]
    return sorted(clusters, key=lambda c: c[0])


def cluster_classes(probs: np.ndarray, num_clusters: int, labels: Optional[np.ndarray] = None,
                    source: str = 'covariance', method: str = 'kmeans', min_size: int = 2,
                    seed: int = 0) -> List[List[int]]:
    """Confusable class clusters from a generalist's (N, C) predicted probabilities.

    Args:
        probs (ndarray): (N, C) softmax outputs.
        num_clusters (int): Number of clusters to form (all classes are partitioned).
        labels (ndarray, optional): (N, ) ground truth, needed by ``source='confusion'``.
        source (str): ``'covariance'`` (:func:`prediction_covariance`, the paper's) or ``'confusion'``
            (:func:`confusion_similarity` of the arg-max confusion matrix).
        method (str): ``'kmeans'`` (on the columns of the matrix) or ``'agglomerative'`` (average linkage
            on the matrix as a similarity).
        min_size (int): Clusters with fewer classes get no specialist and are dropped.
        seed (int): K-means seed.

    Returns:
        list[list[int]]: The specialists' class sets.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if source == 'covariance':
        matrix = prediction_covariance(probs)
    elif source == 'confusion':
        if labels is None:
            raise ValueError("source='confusion' needs the ground-truth labels")
        matrix = confusion_similarity(confusion_matrix(probs.argmax(axis=1), labels, probs.shape[1]))
    else:
        raise ValueError(f"source must be 'covariance' or 'confusion', got {source!r}")
    if method == 'kmeans':
        clusters = kmeans_columns(matrix, num_clusters, seed=seed)
    elif method == 'agglomerative':
        clusters = agglomerative_clusters(matrix, num_clusters)
    else:
        raise ValueError(f"method must be 'kmeans' or 'agglomerative', got {method!r}")
    return [c for c in clusters if len(c) >= min_size]


def dustbin_logit_offset(class_counts: Sequence[int], classes: Sequence[int], cluster_fraction: float) -> float:
    """Prior correction of a specialist trained on enriched data, added to its dustbin logit at inference.

    A specialist sees its classes S with probability ``r = cluster_fraction`` in training, but with the true
    frequency ``f_S`` at test time; by Bayes' rule the posterior odds of dustbin vs. any class of S scale
    with the prior odds, so ``offset = log((1 - f_S) / (1 - r)) - log(f_S / r)``. (The paper increments the
    dustbin logit "by the log of the proportion by which the specialist class is oversampled", i.e.
    ``log(r / f_S)``; the two agree when ``f_S`` is small.)

    Args:
        class_counts (Sequence[int]): Training images per class of the original data.
        classes (Sequence[int]): The specialist's classes.
        cluster_fraction (float): ``r``, the share of cluster images in the specialist's training data.

    Returns:
        float: The offset (0 when the data is not enriched, ``r = f_S``).
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    f_s = counts[list(classes)].sum() / counts.sum()
    if not 0 < f_s < 1 or not 0 < cluster_fraction < 1:
        raise ValueError(f'the cluster share of the data ({f_s:.3f}) and cluster_fraction ({cluster_fraction}) '
                         'must both lie strictly between 0 and 1')
    return float(np.log((1 - f_s) / (1 - cluster_fraction)) - np.log(f_s / cluster_fraction))


def specialist_state_dict(state: Dict[str, torch.Tensor], classes: Sequence[int],
                          fc: str = 'head.fc') -> 'OrderedDict[str, torch.Tensor]':
    """A specialist's initial weights from the generalist's: everything copied, the classifier re-sized to
    the specialist's ``K + 1`` outputs (its classes, then the dustbin).

    Rows ``0..K-1`` are the generalist's rows of ``classes``. The dustbin logit should be the log-sum-exp of
    the other classes' logits ``z_j = w_j x + b_j``, which a linear row cannot represent; it is initialised
    to that log-sum-exp's value when all those logits are equal, its lower bound by Jensen's inequality,
    ``log sum_j exp(z_j) >= mean_j z_j + log |others|``: ``w_d = mean_j w_j``, ``b_d = mean_j b_j + log |others|``.

    Args:
        state (dict): The generalist's state dict.
        classes (Sequence[int]): The specialist's classes (generalist indices).
        fc (str): Prefix of the final linear layer (``<fc>.weight`` (C, D), ``<fc>.bias`` (C, )).

    Returns:
        OrderedDict: The specialist's state dict.
    """
    weight_key, bias_key = f'{fc}.weight', f'{fc}.bias'
    if weight_key not in state:
        raise KeyError(f'the generalist state has no {weight_key!r}; pass fc=<name of the final nn.Linear>')
    weight = state[weight_key]
    num_classes = weight.shape[0]
    classes = [int(c) for c in classes]
    if not classes or len(set(classes)) != len(classes) or not all(0 <= c < num_classes for c in classes):
        raise ValueError(f'classes must be distinct indices in [0, {num_classes}), got {classes}')
    others = [c for c in range(num_classes) if c not in set(classes)]
    if not others:
        raise ValueError('a specialist covering every class has an empty dustbin; leave a class out')
    out = OrderedDict((k, v.clone()) for k, v in state.items())
    out[weight_key] = torch.cat([weight[classes], weight[others].mean(dim=0, keepdim=True)])
    if bias_key in state:
        bias = state[bias_key]
        dustbin = bias[others].mean() + float(np.log(len(others)))
        out[bias_key] = torch.cat([bias[classes], dustbin.reshape(1).to(bias.dtype)])
    return out
