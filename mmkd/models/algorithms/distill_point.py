from typing import Optional

import torch
import torch.nn as nn


class DistillPoint(nn.Module):
    """One distillation point: loss(connector(student_feature), transform(teacher_feature)).

    The unit a config declares: where to read the student and the teacher, how to map the student
    feature into the teacher's space (connector), how to transform the teacher feature, and the loss.
    Teacher features reach the transform and the loss in float32, outside autocast.

    Args:
        connector (nn.Module): student transform; called as ``connector(x, target_size=(H, W))``.
        teacher_transform (nn.Module, optional): teacher transform (e.g. ``MarginReLU``).
        loss (nn.Module): called as ``loss(student, teacher)``.
    """

    def __init__(self, connector: nn.Module, teacher_transform: Optional[nn.Module], loss: nn.Module):
        super().__init__()
        self.connector = connector
        self.teacher_transform = teacher_transform
        self.loss = loss

    def align(self, student: torch.Tensor, teacher: torch.Tensor):
        """Return the (student, teacher) pair the loss compares."""
        target_size = tuple(teacher.shape[2:]) if teacher.dim() > 2 else None
        student = self.connector(student, target_size=target_size)
        teacher = teacher.detach().float()
        if self.teacher_transform is not None:
            teacher = self.teacher_transform(teacher)
        return student.float(), teacher

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        student, teacher = self.align(student, teacher)
        with torch.autocast(device_type=student.device.type, enabled=False):
            return self.loss(student, teacher)
