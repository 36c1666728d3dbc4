from typing import Dict, List, Optional, Sequence, Union

from mmkd.utils.loss_guard import check_loss_weights


class DistillStage:
    """One training stage: which distillation points are on (with their weights) and the task loss weight.

    Args:
        name (str): shown in the log and passed to ``set_stage(name)`` of every point loss that has it.
        points (dict[str, float] | list[str]): active points and their weights (a list: weight 1).
        task_loss_weight (float): multiplier of the student's own losses; 0 keeps them logged but
            detached, so no gradient reaches the parameters only they would train.
        end_iter (int, optional) / end_epoch (int, optional): the stage lasts while iter < end_iter
            (epoch < end_epoch); the last stage has neither.
    """

    def __init__(self, name: str, points: Union[Dict[str, float], Sequence[str]] = (),
                 task_loss_weight: float = 1.0, end_iter: Optional[int] = None,
                 end_epoch: Optional[int] = None):
        self.name = name
        self.points = dict(points) if isinstance(points, dict) else {p: 1.0 for p in points}
        self.task_loss_weight = task_loss_weight
        check_loss_weights(dict({f'points.{p}': w for p, w in self.points.items()},
                                task_loss_weight=task_loss_weight), f'stage {name!r}')
        self.end_iter = end_iter
        self.end_epoch = end_epoch

    def active(self, it: int, epoch: int) -> bool:
        if self.end_iter is not None:
            return it < self.end_iter
        if self.end_epoch is not None:
            return epoch < self.end_epoch
        return True


class DistillStages:
    """The stages of a multi-stage distillation (FitNets' hint stage, AB's initialisation, FT's
    paraphraser pre-training), switched by iteration or epoch inside one MMEngine run.

    Example::

        stages=[dict(name='hint', end_iter=500, points=dict(hint=1.0), task_loss_weight=0.0),
                dict(name='kd', points=dict(kd=1.0))]

    Without stages every point is on with weight 1 and the task loss has weight 1.

    Args:
        stages (list[dict], optional): kwargs of :class:`DistillStage`, in training order.
        point_names (list[str]): the distiller's points, to check the names.
    """

    def __init__(self, stages: Optional[List[dict]], point_names: Sequence[str]):
        if not stages:
            self.stages = [DistillStage('distill', points=list(point_names))]
            return
        allowed = {'name', 'points', 'task_loss_weight', 'end_iter', 'end_epoch'}
        self.stages = []
        for i, cfg in enumerate(stages):
            unknown = set(cfg) - allowed
            if unknown or 'name' not in cfg:
                raise ValueError(f'stage {i} needs a name and takes only {sorted(allowed)}; got '
                                 f'{sorted(cfg)}')
            stage = DistillStage(**cfg)
            missing = [p for p in stage.points if p not in point_names]
            if missing:
                raise ValueError(f'stage {stage.name!r} names points {missing} that are not in distill_points '
                                 f'({", ".join(point_names)}); fix the name or add the point')
            last = i == len(stages) - 1
            ends = [e for e in (stage.end_iter, stage.end_epoch) if e is not None]
            if not last and len(ends) != 1:
                raise ValueError(f'stage {stage.name!r} is not the last: give it exactly one of end_iter / '
                                 'end_epoch')
            if last and ends:
                raise ValueError(f'the last stage {stage.name!r} runs to the end of training: remove its '
                                 'end_iter / end_epoch')
            self.stages.append(stage)
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f'stage names must differ, got {names}')
        ends = [s.end_iter if s.end_iter is not None else s.end_epoch for s in self.stages[:-1]]
        if ends != sorted(ends) or len(set(ends)) != len(ends):
            raise ValueError(f'stage ends must increase, got {ends}')
        if len({s.end_iter is None for s in self.stages[:-1]}) > 1:
            raise ValueError('mix of end_iter and end_epoch: use one of them for all stages')

    def current(self, it: int, epoch: int = 0) -> DistillStage:
        for stage in self.stages:
            if stage.active(it, epoch):
                return stage
        return self.stages[-1]

    def __len__(self) -> int:
        return len(self.stages)
