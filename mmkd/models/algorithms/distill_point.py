"""One distillation point: which features it reads, how it maps them, and its loss."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn

from ..losses.base import DistillLoss, data_samples_kwargs, needs_data_samples
from ..recorders import RecorderManager
from .point_positions import PointPositions

Features = Union[torch.Tensor, Sequence[torch.Tensor]]


class DistillPoint(nn.Module):
    """One distillation point: loss(connector(student_feature), transform(teacher_feature)).

    The unit a config declares: where to read the student and the teacher, how to map the student
    feature into the teacher's space (connector), how to transform the teacher feature, and the loss.
    Teacher features reach the transform and the loss in float32, outside autocast.

    A point with several positions per side (FSP's layer pairs, IRG's layers, information-flow KD)
    hands the loss tuples of features; it then holds one connector per student position and one
    transform (or None) per teacher position.

    The point knows where its features are recorded (``positions``, a :class:`PointPositions`: recorder
    names of the student, of the teacher, of the teacher features its connectors align to), so
    :meth:`compute` gives its loss from the distiller's recorder managers. ``positions`` is a plain
    attribute, not a sub-module: the ``state_dict`` keys are those of connector, transform and loss.

    Args:
        connector (nn.Module | nn.ModuleList): student transform(s); called as
            ``connector(x, target_size=(H, W))``.
        teacher_transform (nn.Module | nn.ModuleList, optional): teacher transform(s) (e.g. ``MarginReLU``).
        loss (nn.Module): called as ``loss(student, teacher)``, plus ``data_samples=`` when the loss
            needs them (:func:`~mmkd.models.losses.base.needs_data_samples`): losses that read the labels,
            and pixel-wise losses with ``ignore_index``, which take the ignore mask of the segmentation
            labels (resized by the loss to each compared map).
        multi (bool, optional): whether the positions are lists (the loss receives tuples); by default
            that of ``positions`` (False without them).
        positions (PointPositions, optional): the recorders the point reads; needed by :meth:`compute`,
            :meth:`recorded` and :meth:`teacher_views`.
    """

    def __init__(self, connector: nn.Module, teacher_transform: Optional[nn.Module], loss: nn.Module,
                 multi: Optional[bool] = None, positions: Optional[PointPositions] = None):
        super().__init__()
        if positions is not None and multi is not None and multi != positions.multi:
            raise ValueError(f'DistillPoint: multi={multi} but its positions have multi={positions.multi}; leave '
                             'multi out to take it from the positions')
        self.connector = connector
        self.teacher_transform = teacher_transform
        self.loss = loss
        self.positions = positions
        self.multi = positions.multi if multi is None and positions is not None else bool(multi)
        self.needs_data_samples = needs_data_samples(loss)

    @staticmethod
    def _teacher(teacher: torch.Tensor, transform: Optional[nn.Module]) -> torch.Tensor:
        # one copy to float32 in the default layout: a channels_last (low-precision) teacher would otherwise
        # meet the student's contiguous features in slower mixed-layout elementwise ops
        teacher = teacher.detach().to(torch.float32, memory_format=torch.contiguous_format)
        return transform(teacher) if transform is not None else teacher

    @staticmethod
    def _student(student: torch.Tensor, connector: nn.Module, teacher: Optional[torch.Tensor],
                 reference: Optional[torch.Tensor] = None):
        target_size = tuple(teacher.shape[2:]) if teacher is not None and teacher.dim() > 2 else None
        kwargs = {}
        if getattr(connector, 'uses_reference', False):
            kwargs['reference'] = (reference.detach().to(torch.float32, memory_format=torch.contiguous_format)
                                   if reference is not None else None)
        return connector(student, target_size=target_size, **kwargs).float()

    def align(self, student: Features, teacher: Features, references=None):
        """Return the (student, teacher) pair the loss compares (tuples for a multi-position point).

        ``references``: the teacher features that connectors with ``uses_reference`` read (``align_to`` of
        :class:`~mmkd.models.connectors.TeacherModuleConnector`), one per student position of a list."""
        if not self.multi:
            return (self._student(student, self.connector, teacher, references),
                    self._teacher(teacher, self.teacher_transform))
        transforms = (self.teacher_transform if isinstance(self.teacher_transform, nn.ModuleList)
                      else [self.teacher_transform] * len(teacher))
        references = references if references is not None else [None] * len(student)
        paired = len(student) == len(teacher)
        teachers = tuple(self._teacher(t, tr) for t, tr in zip(teacher, transforms))
        students = tuple(self._student(s, c, teacher[i] if paired else None, r)
                         for i, (s, c, r) in enumerate(zip(student, self.connector, references)))
        return students, teachers

    def forward(self, student: Features, teacher: Features, data_samples: Optional[list] = None,
                references=None):
        student, teacher = self.align(student, teacher, references)
        kwargs = data_samples_kwargs(self.loss, data_samples)
        device = (student[0] if self.multi else student).device
        with torch.autocast(device_type=device.type, enabled=False):
            return self.loss(student, teacher, **kwargs)

    # ------------------------------------------------------------------ from the recorder managers
    def _positions(self) -> PointPositions:
        if self.positions is None:
            raise RuntimeError('this DistillPoint has no positions: build it with positions=PointPositions(...) '
                               'to read recorders, or call it with the features')
        return self.positions

    def recorded(self, student_recorders: RecorderManager, teacher_recorders: RecorderManager):
        """The point's recorded ``(student, teacher, references)`` features (lists for a multi-position
        point; references None where a connector aligns to nothing)."""
        positions = self._positions()
        student, teacher = positions.features(student_recorders, teacher_recorders)
        return student, teacher, positions.references(teacher_recorders)

    def compute(self, student_recorders: RecorderManager, teacher_recorders: RecorderManager,
                data_samples: Optional[list] = None) -> torch.Tensor:
        """The point's loss on the features its positions recorded in this step."""
        student, teacher, references = self.recorded(student_recorders, teacher_recorders)
        return self(student, teacher, data_samples, references=references)

    def teacher_views(self, teacher_recorders: RecorderManager) -> Dict[str, torch.Tensor]:
        """The recorded teacher features as the loss sees them (float32, after the teacher transform, which
        runs in eval mode so that margins estimated from data are not updated), by teacher recorder name."""
        keys = self._positions().teacher_keys
        transforms = self.teacher_transform
        if not isinstance(transforms, nn.ModuleList):
            transforms = [transforms] * len(keys)
        out = {}
        for key, transform in zip(keys, transforms):
            feature = teacher_recorders.get(key).detach().float()
            if transform is not None:
                was_training = transform.training
                transform.eval()
                try:
                    feature = transform(feature)
                finally:
                    transform.train(was_training)
            out[key] = feature
        return out

    @torch.no_grad()
    def check(self, student_shapes: Dict[str, torch.Size], teacher_shapes: Dict[str, torch.Size],
              where: str) -> None:
        """Run the point once on random features of the recorded shapes (by recorder name, from the
        distiller's dry run), so that a connector or a loss that cannot take them fails when the distiller
        is built, naming the point (``where``), rather than at the first training step. Losses that need
        the batch's labels are checked up to their inputs; a pixel-wise loss with ``ignore_index`` runs on
        a per-pixel weight of ones (the ignore mask it gets in training)."""
        s_shapes, t_shapes, r_shapes = self._positions().shapes(student_shapes, teacher_shapes)
        if not self.multi:
            s_shapes, t_shapes, r_shapes = s_shapes[0], t_shapes[0], r_shapes[0]
        was_training = self.training
        self.eval()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                rand = (lambda shapes: [torch.randn(s) for s in shapes]) if self.multi else torch.randn
                student, teacher = rand(s_shapes), rand(t_shapes)
                if self.multi:
                    references = [torch.randn(s) if s is not None else None for s in r_shapes]
                else:
                    references = torch.randn(r_shapes) if r_shapes is not None else None
                if self.needs_data_samples:
                    student, teacher = self.align(student, teacher, references)
                    if isinstance(self.loss, DistillLoss) and not self.loss.uses_data_samples:
                        batch = (student[0] if self.multi else student).shape[0]
                        self.loss(student, teacher, weight=torch.ones(batch, 1, 1, 1))
                else:
                    self(student, teacher, references=references)
        except Exception as err:
            raise ValueError(f'{where}: {err}') from err
        finally:
            self.train(was_training)
