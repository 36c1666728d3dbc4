from .student_checkpoint_hook import StudentCheckpointHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = ['StudentCheckpointHook', 'TeacherEvalHook']
