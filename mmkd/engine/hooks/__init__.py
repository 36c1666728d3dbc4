from .checkpoint_guard_hook import CheckpointGuardHook
from .codistillation_hook import CodistillationHook
from .student_checkpoint_hook import StudentCheckpointHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = ['CheckpointGuardHook', 'CodistillationHook', 'StudentCheckpointHook', 'TeacherEvalHook']
