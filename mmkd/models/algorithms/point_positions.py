"""Where a distillation point reads its features: recorders of the student and of the teacher."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from ..recorders import RecorderManager

Position = Union[str, dict]
Positions = Union[Position, Sequence[Position]]


def position_recorder_cfgs(position: Positions, side: str, name: str, what: str = 'distill point'
                           ) -> Dict[str, dict]:
    """Recorder configs of one side of a point: ``{name: cfg}``, or ``{name.i: cfg}`` for a list of positions
    (a position is a module name, recorded at its output, or ``ModuleRecorder`` kwargs)."""
    multi = isinstance(position, (list, tuple))
    positions = list(position) if multi else [position]
    if not positions:
        raise ValueError(f'{what} {name!r}: the {side} position list is empty')
    cfgs = {}
    for i, pos in enumerate(positions):
        cfg = dict(source=pos) if isinstance(pos, str) else dict(pos)
        cfg.setdefault('type', 'mmkd.ModuleRecorder')
        cfgs[f'{name}.{i}' if multi else name] = cfg
    return cfgs


def per_position_cfgs(cfg, num: int, key: str, where: str) -> list:
    """One config per position: a list as given, or one config copied ``num`` times; a connector left out
    is ``mmkd.IdentityConnector``."""
    if isinstance(cfg, (list, tuple)):
        if len(cfg) != num:
            raise ValueError(f'{where}: {len(cfg)} {key} configs for {num} positions; give one per '
                             'position or a single config for all')
        cfgs = [copy.deepcopy(c) for c in cfg]
    else:
        cfgs = [copy.deepcopy(cfg) for _ in range(num)]
    if key == 'connector':
        cfgs = [dict(c) if c else dict(type='mmkd.IdentityConnector') for c in cfgs]
    return cfgs


class PointPositions:
    """The recorders one distillation point reads, by their names in the student's and the teacher's
    :class:`~mmkd.models.recorders.RecorderManager`.

    A plain object (no ``nn.Module``): the point that holds it keeps its ``state_dict`` keys. Built from a
    point's config by :meth:`from_cfg`, which also gives the recorder configs the distiller attaches
    (:attr:`recorder_cfgs`): ``<name>`` for a single position, ``<name>.<i>`` for position ``i`` of a list,
    and ``<name>.ref`` / ``<name>.ref.<i>`` for the teacher feature a connector aligns to (``align_to``).

    Args:
        name (str): the point's name.
        student_keys (list[str]): student recorders, one per student position.
        teacher_keys (list[str]): teacher recorders, one per teacher position.
        reference_keys (list[str | None], optional): per student position, the teacher recorder its
            connector reads (``align_to``), None where it reads none.
        multi (bool): whether the positions are lists (features are handed over as lists).
    """

    def __init__(self, name: str, student_keys: Sequence[str], teacher_keys: Sequence[str],
                 reference_keys: Optional[Sequence[Optional[str]]] = None, multi: bool = False):
        if not multi and (len(student_keys) != 1 or len(teacher_keys) != 1):
            raise ValueError(f'point {name!r}: a single-position point reads one student and one teacher '
                             f'recorder, got {list(student_keys)} and {list(teacher_keys)}; set multi=True')
        self.name = name
        self.student_keys = list(student_keys)
        self.teacher_keys = list(teacher_keys)
        self.reference_keys = list(reference_keys) if reference_keys is not None else [None] * len(student_keys)
        if len(self.reference_keys) != len(self.student_keys):
            raise ValueError(f'point {name!r}: give one reference key (or None) per student position')
        self.multi = multi
        self.recorder_cfgs: Dict[str, Dict[str, dict]] = dict(student={}, teacher={})

    @classmethod
    def from_cfg(cls, name: str, student: Positions, teacher: Positions, connector=None,
                 what: str = 'distill point') -> 'PointPositions':
        """The positions of a point config (``student``, ``teacher`` and the ``connector`` config(s), whose
        ``align_to`` adds a teacher recorder), with the recorder configs in :attr:`recorder_cfgs`."""
        student_cfgs = position_recorder_cfgs(student, 'student', name, what)
        teacher_cfgs = position_recorder_cfgs(teacher, 'teacher', name, what)
        multi = isinstance(student, (list, tuple)) or isinstance(teacher, (list, tuple))
        teacher_keys = list(teacher_cfgs)
        reference_keys = []
        for i, cfg in enumerate(per_position_cfgs(connector, len(student_cfgs), 'connector', f'{what} {name!r}')):
            position = cfg.get('align_to')
            if position is None:
                reference_keys.append(None)
                continue
            key = f'{name}.ref.{i}' if multi else f'{name}.ref'
            teacher_cfgs[key] = position_recorder_cfgs(position, 'teacher', key, what)[key]
            reference_keys.append(key)
        positions = cls(name, list(student_cfgs), teacher_keys, reference_keys, multi)
        positions.recorder_cfgs = dict(student=student_cfgs, teacher=teacher_cfgs)
        return positions

    def _pick(self, items: list):
        return items if self.multi else items[0]

    def features(self, student_recorders: RecorderManager, teacher_recorders: RecorderManager):
        """The recorded ``(student, teacher)`` features: tensors, or lists for a multi-position point."""
        student = [student_recorders.get(k) for k in self.student_keys]
        teacher = [teacher_recorders.get(k) for k in self.teacher_keys]
        return self._pick(student), self._pick(teacher)

    def references(self, teacher_recorders: RecorderManager):
        """The teacher features the connectors align to: per student position (a list for a multi-position
        point), None where a connector reads none."""
        return self._pick([teacher_recorders.get(k) if k is not None else None for k in self.reference_keys])

    def shapes(self, student_shapes: Dict[str, torch.Size], teacher_shapes: Dict[str, torch.Size]
               ) -> Tuple[List[torch.Size], List[torch.Size], List[Optional[torch.Size]]]:
        """Student, teacher and reference shapes per position, from shapes by recorder name."""
        return ([student_shapes[k] for k in self.student_keys], [teacher_shapes[k] for k in self.teacher_keys],
                [teacher_shapes[k] if k is not None else None for k in self.reference_keys])

    def describe(self, student_recorders: RecorderManager, teacher_recorders: RecorderManager,
                 student_shapes: Dict[str, torch.Size], teacher_shapes: Dict[str, torch.Size],
                 what: str = 'distill point') -> str:
        """``distill point 'name' (student <source>[<io>] (shape), ..., teacher ...)`` for error messages."""
        sides = []
        for side, keys, recorders, shapes in (('student', self.student_keys, student_recorders, student_shapes),
                                              ('teacher', self.teacher_keys, teacher_recorders, teacher_shapes)):
            described = []
            for key in keys:
                recorder = recorders.recorders[key]
                described.append(f'{recorder.source}[{recorder.io}] {tuple(shapes[key])}')
            sides.append(f'{side} ' + ', '.join(described))
        return f'{what} {self.name!r} (' + ', '.join(sides) + ')'

    def __repr__(self) -> str:
        refs = f', references={self.reference_keys}' if any(k is not None for k in self.reference_keys) else ''
        return (f'{type(self).__name__}({self.name!r}, student={self.student_keys}, teacher={self.teacher_keys}'
                f'{refs}, multi={self.multi})')
