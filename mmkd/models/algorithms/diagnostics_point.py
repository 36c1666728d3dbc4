"""A log-only point: how far the student's logits are from the teacher's, logged and never optimised."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F

from ..losses.utils import class_labels, flatten_classes, softmax_kl
from ..recorders import RecorderManager
from .point_positions import PointPositions

DIAGNOSTICS = '_diagnostics'


class DiagnosticsPoint:
    """Log-only point on the student's and the teacher's logits, recorded as the distillation points'
    features are (recorders named ``_diagnostics``)::

        distill_kl = KL(softmax(t / tau) || softmax(s / tau))   (mean over samples and locations)
        student_ce = CE(s, labels)                              (classifiers: samples with ``gt_label``)

    to compare "initial" and "continuous" distillation (Heo et al., ICCV 2019, Sec. 4.3). :meth:`compute`
    runs under ``torch.no_grad()`` and its keys (:attr:`KEYS`) contain no ``loss``: MMEngine's
    ``parse_losses`` logs them but leaves them out of the optimised sum. A plain object (no ``nn.Module``),
    so the distiller's ``state_dict`` has no key of it.

    Args:
        student (str | dict): position of the student's logits (e.g. ``'head.fc'``).
        teacher (str | dict): position of the teacher's logits.
        tau (float): temperature of the KL divergence.
    """

    KEYS = ('distill_kl', 'student_ce')

    def __init__(self, student, teacher, tau: float = 1.0):
        if any(isinstance(p, (list, tuple)) for p in (student, teacher)):
            raise ValueError('diagnostics: student and teacher are one position each (the logits, e.g. '
                             f"'head.fc'), got {student!r} and {teacher!r}")
        self.tau = tau
        self.positions = PointPositions.from_cfg(DIAGNOSTICS, student, teacher, what='diagnostics')

    @classmethod
    def from_cfg(cls, cfg: Optional[dict]) -> Optional['DiagnosticsPoint']:
        """The point of ``diagnostics=dict(student=..., teacher=..., tau=1.0)``; None for None."""
        if cfg is None:
            return None
        cfg = dict(cfg)
        unknown = set(cfg) - {'student', 'teacher', 'tau'}
        if unknown or not {'student', 'teacher'} <= set(cfg):
            raise ValueError('diagnostics must be dict(student=<logits position>, teacher=<logits position>, '
                             f'tau=1.0); got keys {sorted(cfg)}')
        return cls(**cfg)

    @property
    def recorder_cfgs(self) -> Dict[str, Dict[str, dict]]:
        """``dict(student={'_diagnostics': cfg}, teacher={'_diagnostics': cfg})``: the recorders it reads."""
        return self.positions.recorder_cfgs

    def check_shapes(self, student_shapes: Dict[str, torch.Size], teacher_shapes: Dict[str, torch.Size]) -> None:
        """Refuse student and teacher logits of different shapes (from the distiller's dry run)."""
        (s_shape, ), (t_shape, ), _ = self.positions.shapes(student_shapes, teacher_shapes)
        if s_shape != t_shape:
            raise ValueError(f'diagnostics: student logits {tuple(s_shape)} and teacher logits '
                             f'{tuple(t_shape)} differ; name the classifier outputs (e.g. head.fc)')

    @torch.no_grad()
    def compute(self, student_recorders: RecorderManager, teacher_recorders: RecorderManager,
                data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """``distill_kl`` and, for classifiers, ``student_ce``, from the recorded logits; no gradient."""
        student, teacher = self.positions.features(student_recorders, teacher_recorders)
        s, t = flatten_classes(student.float()), flatten_classes(teacher.float())
        out = dict(distill_kl=softmax_kl(s, t, self.tau).mean())
        if data_samples and hasattr(data_samples[0], 'gt_label') and s.shape[0] == len(data_samples):
            out['student_ce'] = F.cross_entropy(s, class_labels(data_samples, s.device))
        return out

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.positions!r}, tau={self.tau})'
