"""The protocol of teacher transforms whose state is derived from the teacher."""
from typing import Optional

import torch
from torch import nn


class TeacherDerivedTransform:
    """Mixin of a teacher transform whose state comes from the teacher (its weights, or its features
    estimated over training batches), so that the distiller can derive it again when the teacher changes.

    Combine it with ``nn.Module`` (``class MyTransform(TeacherDerivedTransform, nn.Module)``) and keep the
    derived state in buffers, so checkpoints save it. The distiller calls :meth:`derive_from_teacher` on
    every module of a point's ``teacher_transform`` that is a ``TeacherDerivedTransform``:

    - when it builds the point, and in ``load_teacher_state`` (new teacher weights), with
      ``reset_estimates=False``: state read from the teacher's weights is set, state estimated from data kept;
    - in ``teacher_derived_state`` (a checkpoint trained with another teacher is loaded; on a copy), with
      ``reset_estimates=True``: state estimated from data is also forgotten, to be estimated anew.

    :class:`~mmkd.models.transforms.MarginReLU` (OFD's margins, from the teacher BN or estimated from data)
    implements it.
    """

    def derive_from_teacher(self, teacher: nn.Module, reset_estimates: bool = False) -> None:
        """Set the state derived from ``teacher`` (the teacher network, whose modules
        :func:`~mmkd.utils.modules.get_module` finds by ``named_modules()`` path); with ``reset_estimates``,
        forget state estimated from data."""
        raise NotImplementedError(f'{type(self).__name__} is a TeacherDerivedTransform: implement '
                                  'derive_from_teacher(teacher, reset_estimates)')


@torch.no_grad()
def derive_teacher_transforms(transform: Optional[nn.Module], teacher: nn.Module,
                              reset_estimates: bool = False) -> None:
    """Call :meth:`TeacherDerivedTransform.derive_from_teacher` on every module of ``transform`` (a
    transform, an ``nn.ModuleList`` of them, or None) that implements the protocol."""
    if transform is None:
        return
    for module in transform.modules():
        if isinstance(module, TeacherDerivedTransform):
            module.derive_from_teacher(teacher, reset_estimates=reset_estimates)
