"""Teacher -> assistant -> student in one run: the assistant is trained first, then teaches the student."""
import copy
from contextlib import contextmanager
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import load_weights
from mmkd.utils.config import load_model_config
from mmkd.utils.loss_guard import FiniteLossMixin
from mmkd.utils.progress import progress_from, training_progress
from ..utils import check_shared_preprocessor, forward_by_mode
from .feature_distiller import FeatureDistiller, ForwardResults
from .frozen_teacher import FrozenTeacher

SHARED_KWARGS = ('teacher_bn', 'input_size', 'diagnostics', 'teacher_precision', 'teacher_precision_tolerance',
                 'teacher_channels_last', 'truncate_teacher', 'teacher_compile')
STEP_NAMES = ('assistant', 'student')
# What the student's step shows of itself as a FeatureDistiller, shown by the AssistantDistiller as its own:
# its teacher (the assistant's frozen copy), its recorders, stages, schedule and diagnostics.
STUDENT_STEP_FACE = frozenset((
    'frozen_teacher', 'teacher', 'teacher_recorders', 'teacher_checkpoint', 'teacher_identity', 'teacher_bn',
    'teacher_precision', 'teacher_precision_tolerance', 'teacher_channels_last', 'teacher_precision_errors',
    'teacher_execution', 'teacher_inputs', 'teacher_features', 'load_teacher_state', 'teacher_derived_state',
    'measure_teacher_precisions', 'student_recorders', 'student_checkpoint', 'input_size', 'stages',
    'current_stage', 'loss_weight_schedule', 'diagnostics'))


class AssistantTaughtStep(FeatureDistiller):
    """Step 2 of :class:`AssistantDistiller`: a :class:`FeatureDistiller` whose teacher has the assistant's
    architecture and gets the trained assistant's weights when the step begins (``load_teacher_state``)."""

    def _build_teacher(self, teacher: dict, **kwargs) -> FrozenTeacher:
        return super()._build_teacher(teacher, weights_note='AssistantDistiller: the student\'s teacher is the '
                                      'assistant; its weights are copied from the assistant when step 2 begins',
                                      **kwargs)


@MODELS.register_module()
class AssistantDistiller(FiniteLossMixin, BaseModel):
    """Distil through an assistant (an intermediate network) trained first, in the same run.

    Two :class:`FeatureDistiller` steps. Step 1 (iterations ``[0, assistant_iters)`` or epochs
    ``[0, assistant_epochs)``): the assistant learns from the frozen teacher through ``assistant_points``
    (:attr:`assistant_step`). Step 2 (to the end of training): the assistant's weights are copied into a
    frozen copy, the teacher of :attr:`student_step`, and the student learns from it through
    ``distill_points``. This is the auxiliary teacher of information-flow KD, "a network of the student's
    architecture with more capacity" bridging a teacher and a student whose layers do not correspond
    (Passalis et al., CVPR 2020), and the teacher assistant of TAKD (Mirzadeh et al., AAAI 2020).

    Each step has its own schedules: ``stages``, ``loss_weight_schedule`` and decaying losses of step 2
    count iterations / epochs from the start of step 2 (:func:`mmkd.utils.progress.progress_from`). With an
    ``OptimWrapperDict`` keyed ``assistant`` / ``student`` (``optim_wrapper`` with
    ``constructor='mmkd.ModuleGroupsOptimWrapperConstructor'``) each step also has its own optimizer and
    ``param_scheduler`` (step 2's schedulers begin at ``assistant_iters``); with a single optimizer the
    two steps share one learning-rate schedule. Validation and ``tools/test.py`` evaluate the network the
    checkpoint was training: the assistant during step 1, the student after. Under DDP, set
    ``find_unused_parameters = True``: each step leaves the other step's parameters unused.

    State dict: ``step`` and ``step2_origin`` (where step 2 began), step 2's ``student.*`` and
    ``distill_points.*`` (its student and points are sub-modules of the AssistantDistiller itself, so the
    student's weights are ``student.*`` as in any distiller and ``StudentCheckpointHook`` exports it), and
    step 1 under ``assistant_step.*``. Step 2's teacher, the student's recorders, stages, schedule and
    diagnostics are :attr:`student_step`'s, shown as the AssistantDistiller's own (``teacher``,
    ``teacher_recorders``, ``load_teacher_state``, ``stages``, ...) as for a :class:`FeatureDistiller`.

    Args:
        teacher (dict): the teacher of step 1, as in :class:`FeatureDistiller`.
        assistant (str | dict): the assistant model (a model dict or a config path); it must use the
            student's ``data_preprocessor``.
        student (dict): the student model config.
        assistant_points (dict): distillation points of step 1 (teacher -> assistant).
        distill_points (dict): distillation points of step 2 (assistant -> student).
        assistant_iters (int, optional) / assistant_epochs (int, optional): the length of step 1; give one.
        assistant_distiller (dict, optional): further :class:`FeatureDistiller` arguments of step 1;
            ``teacher_bn``, ``input_size``, ``diagnostics``, ``teacher_precision``,
            ``teacher_precision_tolerance``, ``teacher_channels_last``, ``truncate_teacher`` and
            ``teacher_compile`` default to those given for step 2.
        init_cfg (dict, optional): initialisation of the whole model (mmengine's ``init_cfg``).
        **kwargs: :class:`FeatureDistiller` arguments of step 2.
    """

    def __init__(self,
                 teacher: dict,
                 assistant: Union[str, dict],
                 student: dict,
                 assistant_points: Dict[str, dict],
                 distill_points: Dict[str, dict],
                 assistant_iters: Optional[int] = None,
                 assistant_epochs: Optional[int] = None,
                 assistant_distiller: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **kwargs):
        if (assistant_iters is None) == (assistant_epochs is None):
            raise ValueError('give exactly one of assistant_iters / assistant_epochs: the length of step 1, '
                             'in which the assistant learns from the teacher')
        length = assistant_iters if assistant_iters is not None else assistant_epochs
        if not isinstance(length, int) or length < 1:
            raise ValueError(f'the assistant step must last at least 1 iteration/epoch, got {length!r}')
        student_pre = student.get('data_preprocessor')
        assistant = dict(load_model_config(assistant))
        if assistant.get('data_preprocessor') is None:
            assistant['data_preprocessor'] = copy.deepcopy(student_pre)
        check_shared_preprocessor(type(self).__name__, dict(student=student_pre,
                                                            assistant=assistant['data_preprocessor']), None)
        check_shared_preprocessor(type(self).__name__, dict(student=student_pre), kwargs.pop('data_preprocessor', None),
                                  role='student')
        student_step = AssistantTaughtStep(student=student, teacher=dict(config=assistant, checkpoint=None),
                                           distill_points=distill_points, **kwargs)
        super().__init__(data_preprocessor=student_step.data_preprocessor, init_cfg=init_cfg)
        # Kept outside the module tree; its student and points are this model's, under their own keys.
        object.__setattr__(self, '_student_step', student_step)
        self.student = student_step.student
        self.distill_points = student_step.distill_points
        step1 = {k: copy.deepcopy(kwargs[k]) for k in SHARED_KWARGS if k in kwargs}
        step1.update(assistant_distiller or {})
        self.assistant_step = FeatureDistiller(student=assistant, teacher=teacher,
                                               distill_points=assistant_points, **step1)
        self.assistant_iters = assistant_iters
        self.assistant_epochs = assistant_epochs
        # 0: step 1 (the assistant learns), 1: step 2; and where step 2 began. Saved in checkpoints.
        self.register_buffer('step', torch.tensor(0, dtype=torch.long))
        self.register_buffer('step2_origin', torch.tensor([-1, -1], dtype=torch.long))
        self._teacher_synced = False

    def __getattr__(self, name: str):
        student_step = self.__dict__.get('_student_step')
        if name in STUDENT_STEP_FACE and student_step is not None:
            return getattr(student_step, name)
        return super().__getattr__(name)

    @property
    def student_step(self) -> FeatureDistiller:
        """Step 2: the student learns from the assistant's frozen copy."""
        return self._student_step

    @property
    def assistant(self) -> nn.Module:
        return self.assistant_step.student

    # ------------------------------------------------------------------------------------------ steps
    def _step_of(self, it: int, epoch: int) -> int:
        if self.assistant_iters is not None:
            return int(it >= self.assistant_iters)
        return int(epoch >= self.assistant_epochs)

    def _enter_current_step(self) -> int:
        """The step of the runner's current iteration; on entering step 2 (or resuming in it), copy the
        trained assistant into the frozen teacher."""
        it, epoch = training_progress()
        step = self._step_of(it, epoch)
        if step == 1 and int(self.step) == 0:
            self.step.fill_(1)
            self.step2_origin.copy_(torch.tensor([it, epoch]))
        if step == 1 and not self._teacher_synced:
            self._student_step.load_teacher_state(self.assistant.state_dict())
            self._teacher_synced = True
            print_log(f'AssistantDistiller: step 2 from iter {int(self.step2_origin[0])} (epoch '
                      f'{int(self.step2_origin[1])}): the student learns from the assistant', logger='current')
        return step

    def optim_groups(self) -> Dict[str, nn.Module]:
        """The parameters each step trains, for ``mmkd.ModuleGroupsOptimWrapperConstructor``."""
        return dict(assistant=self.assistant_step,
                    student=nn.ModuleDict(dict(student=self.student, distill_points=self.distill_points)))

    def active_optim_wrapper(self, optim_wrapper):
        """The optimizer of the current step: ``optim_wrapper[step]`` of an ``OptimWrapperDict``, else the
        single optimizer."""
        if not isinstance(optim_wrapper, OptimWrapperDict):
            return optim_wrapper
        missing = [k for k in STEP_NAMES if k not in optim_wrapper]
        if missing:
            raise KeyError(f'AssistantDistiller needs optimizers named {STEP_NAMES}, {missing} missing: use '
                           "optim_wrapper=dict(constructor='mmkd.ModuleGroupsOptimWrapperConstructor', "
                           'assistant=dict(optimizer=...), student=dict(optimizer=...))')
        it, epoch = training_progress()
        return optim_wrapper[STEP_NAMES[self._step_of(it, epoch)]]

    def train_step(self, data, optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        return super().train_step(data, self.active_optim_wrapper(optim_wrapper))

    # ------------------------------------------------------------------- the model around the steps
    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)  # the student, the points and step 1 (with its teacher)
        self._student_step.frozen_teacher._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True):
        """Both steps in ``mode``; their teachers stay frozen."""
        super().train(mode)
        self._student_step.train(mode)
        return self

    def init_weights(self) -> None:
        """Initialise both steps (step 1 loads its student's checkpoint), then load step 2's
        ``student_checkpoint`` if given."""
        super().init_weights()
        checkpoint = self._student_step.student_checkpoint
        if checkpoint is not None:
            load_weights(self.student, checkpoint, 'student')
            print_log(f'student initialised from {checkpoint}', logger='current')

    # ---------------------------------------------------------------------------------------- forward
    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        if self._enter_current_step() == 0:
            return self.assistant_step.loss(inputs, data_samples)
        origin_it, origin_epoch = (int(v) for v in self.step2_origin)
        with progress_from(origin_it, origin_epoch):
            return self._student_step.loss(inputs, data_samples)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        evaluated = (self.assistant_step if int(self.step) == 0 or self.assistant_step._predict_with_teacher
                     else self._student_step)
        return forward_by_mode(self, inputs, data_samples, mode, evaluated)

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """Release both steps' recorded features, then MMEngine's loss parsing, which stops at a non-finite
        loss (:meth:`FeatureDistiller.parse_losses`)."""
        for step in (self.assistant_step, self._student_step):
            step.teacher_recorders.reset()
            step.student_recorders.reset()
        return super().parse_losses(losses)

    def describe_loss(self, key: str) -> str:
        """Name the point of a ``loss_distill_<name>`` key: an assistant point in step 1, else a student one."""
        if int(self.step) == 0:
            return FeatureDistiller.describe_point_loss(key, self.assistant_step.distill_points, 'assistant_points')
        return FeatureDistiller.describe_point_loss(key, self.distill_points, 'distill_points')

    def load_student_state(self, state_dict: Dict[str, torch.Tensor]) -> None:
        """Load a student-only state dict into the student and evaluate the student (step 2)."""
        self._student_step.load_student_state(state_dict)
        self.step.fill_(1)

    @contextmanager
    def predict_with_teacher(self):
        """Within the context, ``predict``/``tensor`` modes run step 1's teacher (``TeacherEvalHook``)."""
        with self.assistant_step.predict_with_teacher():
            yield
