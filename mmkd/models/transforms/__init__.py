from .margin_relu import MarginReLU, ofd_margin
from .teacher_derived import TeacherDerivedTransform, derive_teacher_transforms

__all__ = ['MarginReLU', 'TeacherDerivedTransform', 'derive_teacher_transforms', 'ofd_margin']
