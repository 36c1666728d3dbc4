from typing import Optional, Sequence, Union

import torch
import torch.nn as nn

from ..losses.base import data_samples_kwargs, needs_data_samples

Features = Union[torch.Tensor, Sequence[torch.Tensor]]


class DistillPoint(nn.Module):
    """One distillation point: loss(connector(student_feature), transform(teacher_feature)).

    The unit a config declares: where to read the student and the teacher, how to map the student
    feature into the teacher's space (connector), how to transform the teacher feature, and the loss.
    Teacher features reach the transform and the loss in float32, outside autocast.

    A point with several positions per side (FSP's layer pairs, IRG's layers, information-flow KD)
    hands the loss tuples of features; it then holds one connector per student position and one
    transform (or None) per teacher position.

    Args:
        connector (nn.Module | nn.ModuleList): student transform(s); called as
            ``connector(x, target_size=(H, W))``.
        teacher_transform (nn.Module | nn.ModuleList, optional): teacher transform(s) (e.g. ``MarginReLU``).
        loss (nn.Module): called as ``loss(student, teacher)``, plus ``data_samples=`` when the loss
            needs them (:func:`~mmkd.models.losses.base.needs_data_samples`): losses that read the labels,
            and pixel-wise losses with ``ignore_index``, which take the ignore mask of the segmentation
            labels (resized by the loss to each compared map).
        multi (bool): whether the positions are lists (the loss receives tuples).
    """

    def __init__(self, connector: nn.Module, teacher_transform: Optional[nn.Module], loss: nn.Module,
                 multi: bool = False):
        super().__init__()
        self.connector = connector
        self.teacher_transform = teacher_transform
        self.loss = loss
        self.multi = multi
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
