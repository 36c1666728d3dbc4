"""Top-k classification accuracy."""
from typing import Any, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.structures import BaseDataElement

from mmkd.registry import METRICS


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k accuracy in percent: ``100 * mean_i [gt_i in topk(pred_score_i)]``.

    A sample counts as correct at ``k`` when its ground-truth class is among the ``k`` highest
    ``pred_score`` entries (ties broken by ``torch.topk``). Results are named ``top{k}``, logged as
    ``{prefix}/top{k}`` (``accuracy/top1`` by default).

    Args:
        topk (int | Sequence[int]): The ``k`` values. Defaults to ``(1, 5)``.
        collect_device (str): Device used to gather results across ranks. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to ``'accuracy'``.
    """

    default_prefix: Optional[str] = 'accuracy'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'accuracy') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(topk, int):
            topk = (topk, )
        topk = tuple(topk)
        if not topk or any(not isinstance(k, int) or k <= 0 for k in topk):
            raise ValueError(f'topk must be a positive int or a non-empty sequence of them, got {topk}.')
        self.topk = topk

    def process(self, data_batch: Any, data_samples: Sequence[Union[dict, BaseDataElement]]) -> None:
        """Collect ``pred_score`` and ``gt_label`` of each predicted sample.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | ClsDataSample]): The model's predictions.
        """
        for i, sample in enumerate(data_samples):
            score = sample.get('pred_score')
            label = sample.get('gt_label')
            if score is None or label is None:
                raise ValueError(f'Accuracy needs "pred_score" and "gt_label" in every sample; sample {i} '
                                 'lacks one. Use a model whose predict() sets pred_score (e.g. '
                                 'mmkd.ImageClassifier) and a pipeline ending with PackClsInputs.')
            score = torch.as_tensor(score).detach().cpu().flatten()
            label = torch.as_tensor(label).detach().cpu().flatten()
            if label.numel() != 1:
                raise ValueError(f'Accuracy is single-label, but sample {i} has gt_label {label.tolist()}.')
            self.results.append(dict(pred_score=score, gt_label=label))

    def compute_metrics(self, results: List[dict]) -> dict:
        """Compute the accuracies.

        Args:
            results (list[dict]): Collected ``pred_score``/``gt_label`` pairs.

        Returns:
            dict: ``{'top{k}': accuracy in percent}`` for each ``k``.
        """
        scores = torch.stack([r['pred_score'] for r in results]).float()
        labels = torch.cat([r['gt_label'] for r in results]).long()
        return self.calculate(scores, labels, self.topk)

    @staticmethod
    def calculate(scores: torch.Tensor, labels: torch.Tensor,
                  topk: Sequence[int] = (1, )) -> dict:
        """Top-k accuracy of ``scores`` ``(N, num_classes)`` against ``labels`` ``(N, )``.

        Args:
            scores (Tensor): Per-class scores.
            labels (Tensor): Ground-truth class indices.
            topk (Sequence[int]): The ``k`` values.

        Returns:
            dict: ``{'top{k}': float percent}``.
        """
        num_classes = scores.shape[1]
        if max(topk) > num_classes:
            raise ValueError(f'topk={tuple(topk)} asks for more classes than the {num_classes} predicted; '
                             f'use only k <= {num_classes}, e.g. Accuracy(topk=(1, )).')
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'gt_label values must lie in [0, {num_classes}), got {labels.min().item()}..'
                             f'{labels.max().item()}; check the head\'s num_classes.')
        top = scores.topk(max(topk), dim=1).indices
        hits = top == labels[:, None]
        return {f'top{k}': hits[:, :k].any(dim=1).float().mean().item() * 100.0 for k in topk}
