"""The distiller: a frozen teacher, a student, and distillation points between their features."""
import copy
import inspect
from contextlib import contextmanager
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import load_weights
from mmkd.utils.loss_guard import FiniteLossMixin, check_loss_weights
from mmkd.utils.modules import image_size
from mmkd.utils.progress import training_progress
from ..recorders import RecorderManager
from ..transforms.teacher_derived import derive_teacher_transforms
from ..utils import check_shared_preprocessor, dry_forward, forward_by_mode
from .diagnostics_point import DiagnosticsPoint
from .distill_point import DistillPoint
from .distill_stages import DistillStages
from .frozen_teacher import FrozenTeacher, check_compile_options, check_teacher_options, local_norms
from .loss_weight_schedule import LossWeightSchedule
from .point_positions import PointPositions, per_position_cfgs

POINT_KEYS = ('student', 'teacher', 'connector', 'teacher_transform', 'loss')
ForwardResults = Union[Dict[str, torch.Tensor], List[BaseDataElement], torch.Tensor]


@MODELS.register_module()
class FeatureDistiller(FiniteLossMixin, BaseModel):
    """Distil a student from a frozen teacher through features recorded by forward hooks.

    One training step: the student's data preprocessor prepares the batch once; the teacher runs
    under ``torch.no_grad()`` with its recorders armed; the student runs in ``loss`` mode with its
    recorders armed; each distillation point adds ``loss_distill_<name>``. Validation, test and
    prediction are the student's. The teacher is a :class:`FrozenTeacher` (built, loaded, frozen, its inputs
    re-normalised, run in its precision and truncated there; :attr:`frozen_teacher`) kept out of
    ``parameters()``, ``state_dict()``, the optimizer and DDP: it is reloaded from its own checkpoint whenever
    the distiller is built. The distiller owns the student, the distillation points (each a
    :class:`DistillPoint` that knows its recorders and computes its loss from them), the stages, the
    loss-weight schedule and the diagnostics (a log-only :class:`DiagnosticsPoint`). Teacher transforms
    derived from the teacher (:class:`~mmkd.models.transforms.TeacherDerivedTransform`) are derived when a
    point is built and whenever the teacher's weights change.
    Training stops at the first non-finite loss, naming the point; negative loss weights are refused.

    Args:
        student (dict): the student model config (an mmdet detector, mmseg segmentor or mmkd
            classifier dict, including its ``data_preprocessor``).
        teacher (dict): ``config`` (model dict, or config path such as ``'mmdet::ssd/ssd300_coco.py'``),
            ``checkpoint`` (local path or URL; ``None`` only to time or debug with random weights) and
            optional ``cfg_options`` applied to a config path.
        distill_points (dict): name -> point; a point has ``student`` and ``teacher`` positions (a module
            name for its output, or ``ModuleRecorder`` kwargs such as ``dict(source=..., io='input',
            call=-1)``), ``connector`` (default ``mmkd.IdentityConnector``; ``in_channels`` /
            ``out_channels`` left out are inferred by a dry forward), ``teacher_transform`` (optional)
            and ``loss``. ``student`` / ``teacher`` may be lists of positions (FSP pairs, IRG layers): the
            loss then receives tuples, ``connector`` (one config, copied per position, or a list) maps
            each student feature and ``teacher_transform`` (one or a list) each teacher feature.
        teacher_bn (str): ``'train'``: teacher BatchNorm uses batch statistics (Heo et al., ICCV 2019,
            Sec. 3.4) without touching its running statistics; ``'eval'``: running statistics.
        student_checkpoint (str, optional): plain student checkpoint loaded by ``init_weights``.
        input_size (tuple): (H, W) of the dry forward that checks positions and infers channels.
        loss_weight_schedule (dict, optional): kwargs of :class:`LossWeightSchedule` (warm-up, and
            ``stop_iter`` / ``stop_epoch`` to use distillation only as an initialisation).
        stages (list[dict], optional): training stages (:class:`DistillStages`): which points are on, with
            which weight, and the task-loss weight, switched by ``end_iter`` / ``end_epoch``; losses with a
            ``set_stage(name)`` method are told the stage. For multi-stage methods (FitNets' hints, AB's
            initialisation, FT's paraphraser) in one run. Under DDP, stages that leave parameters unused
            need ``find_unused_parameters = True`` in the config.
        diagnostics (dict, optional): ``dict(student=<logits position>, teacher=<logits position>,
            tau=1.0)``: log ``distill_kl`` = KL(softmax(t / tau) || softmax(s / tau)) and, for classifiers,
            ``student_ce`` = the student's cross-entropy to the labels, every iteration (logged, not
            optimised), to compare "initial" and "continuous" distillation (Heo et al., ICCV 2019).
        teacher_precision (str): the precision of the teacher's forward: ``'fp32'``; ``'bf16'`` or
            ``'fp16'`` (autocast); ``'bf16-deep'`` or ``'fp16-deep'`` (float32 up to the teacher's first
            recorded feature, autocast after it: the early layers, whose rounding errors every later
            batch-statistics BN amplifies, stay exact); or ``'auto'``: at the first training step, the
            fastest of the device's fast precisions (:func:`~mmkd.utils.device.fast_low_precisions`),
            then their ``-deep`` forms, whose teacher features -- after the teacher transforms, as the
            losses see them -- are within ``teacher_precision_tolerance`` (relative L2) of float32 at
            every distillation point on that batch; float32 when none is (docs/distiller.md). The choice
            and the measured errors are logged. Recorded features reach transforms and losses in fp32
            either way. An fp16 teacher whose features overflow falls back to fp32 for the rest of the run.
        teacher_precision_tolerance (float): the largest relative L2 error against float32 that
            ``'auto'`` accepts at a distillation point (default 1e-2).
        teacher_channels_last (bool, optional): run the teacher in channels_last memory format;
            ``None`` = when its precision is not fp32.
        truncate_teacher (bool, optional): stop the teacher's forward once its recorded features exist (no
            neck/head work when only backbone features are distilled); ``None`` (default): unless
            ``teacher_compile``.
        teacher_compile (bool): run the teacher's forward through ``torch.compile`` (inference only; compiled
            at the first step and again per precision; the whole forward, as truncation cannot stop a
            compiled graph). Where compiling fails the teacher runs eagerly, with a warning.
        data_preprocessor: None or the student's own: the student's preprocessor is shared.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 distill_points: Dict[str, dict],
                 teacher_bn: str = 'train',
                 student_checkpoint: Optional[str] = None,
                 input_size: Tuple[int, int] = (224, 224),
                 loss_weight_schedule: Optional[dict] = None,
                 stages: Optional[List[dict]] = None,
                 diagnostics: Optional[dict] = None,
                 teacher_precision: str = 'auto',
                 teacher_precision_tolerance: float = 1e-2,
                 teacher_channels_last: Optional[bool] = None,
                 truncate_teacher: Optional[bool] = None,
                 teacher_compile: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        check_shared_preprocessor(type(self).__name__, dict(student=student.get('data_preprocessor')),
                                  data_preprocessor, role='student')
        check_teacher_options(teacher_bn, teacher_precision, teacher_precision_tolerance,
                              names=('teacher_bn', 'teacher_precision', 'teacher_precision_tolerance'))
        truncate_teacher = check_compile_options(teacher_compile, truncate_teacher,
                                                 names=('teacher_compile', 'truncate_teacher'))
        if not distill_points:
            raise ValueError('distill_points is empty: declare at least one point.')
        student_model = local_norms(MODELS.build(student))
        super().__init__(data_preprocessor=student_model.data_preprocessor, init_cfg=init_cfg)
        self.student = student_model
        self.student_checkpoint = student_checkpoint
        self.input_size = image_size(input_size)
        self.loss_weight_schedule = LossWeightSchedule(**(loss_weight_schedule or {}))
        frozen_teacher = self._build_teacher(
            teacher, student_preprocessor=self.student.data_preprocessor, bn_mode=teacher_bn,
            precision=teacher_precision, precision_tolerance=teacher_precision_tolerance,
            channels_last=teacher_channels_last, truncate=truncate_teacher, compile=teacher_compile)
        # Kept outside the module tree: no parameters(), state_dict(), optimizer or DDP bucket.
        object.__setattr__(self, '_frozen_teacher', frozen_teacher)
        self._predict_with_teacher = False

        positions = {}
        for name, point in distill_points.items():
            self._check_point_cfg(point, name)
            positions[name] = PointPositions.from_cfg(name, point['student'], point['teacher'], point.get('connector'))
        self.diagnostics = DiagnosticsPoint.from_cfg(diagnostics)
        recorder_cfgs = dict(student={}, teacher={})
        for reader in list(positions.values()) + ([self.diagnostics] if self.diagnostics is not None else []):
            for side in recorder_cfgs:
                recorder_cfgs[side].update(reader.recorder_cfgs[side])
        self.student_recorders = RecorderManager(recorder_cfgs['student'])
        self.student_recorders.prepare(self.student, model_name='student')
        self._frozen_teacher.attach_recorders(recorder_cfgs['teacher'])
        self.distill_points = self._build_points(distill_points, positions)
        self.stages = DistillStages(stages, list(distill_points))
        self._stage = None

    # ----------------------------------------------------------------------------------------- build
    @staticmethod
    def _check_point_cfg(point: dict, name: str) -> None:
        unknown = set(point) - set(POINT_KEYS)
        if unknown:
            raise ValueError(f'distill point {name!r} has unknown keys {sorted(unknown)}; allowed: '
                             f'{", ".join(POINT_KEYS)}')
        for key in ('student', 'teacher', 'loss'):
            if key not in point:
                raise ValueError(f'distill point {name!r} needs a {key!r} entry')

    def _build_teacher(self, teacher: dict, **kwargs) -> FrozenTeacher:
        """The frozen teacher of ``teacher=dict(config=..., checkpoint=..., cfg_options=...)``; ``kwargs``:
        the other :class:`FrozenTeacher` arguments, from the distiller's ``teacher_*`` options."""
        return FrozenTeacher.from_cfg(teacher, **kwargs)

    # ------------------------------------------------------------------ the frozen teacher's face
    @property
    def frozen_teacher(self) -> FrozenTeacher:
        """The teacher component: network, weights, BN mode, input re-normalisation, precision, recording."""
        return self._frozen_teacher

    @property
    def teacher(self) -> nn.Module:
        """The teacher network."""
        return self._frozen_teacher.module

    @property
    def teacher_recorders(self) -> RecorderManager:
        return self._frozen_teacher.recorders

    @property
    def teacher_checkpoint(self) -> Optional[str]:
        return self._frozen_teacher.checkpoint

    @property
    def teacher_identity(self) -> Optional[dict]:
        """``dict(checkpoint=..., sha256=...)`` of the teacher's checkpoint, recorded in the run's checkpoints;
        None when no checkpoint was read."""
        return self._frozen_teacher.identity

    @property
    def teacher_bn(self) -> str:
        return self._frozen_teacher.bn_mode

    @property
    def teacher_precision(self) -> str:
        return self._frozen_teacher.precision

    @property
    def teacher_precision_tolerance(self) -> float:
        return self._frozen_teacher.precision_tolerance

    @property
    def teacher_channels_last(self) -> Optional[bool]:
        return self._frozen_teacher.channels_last

    @property
    def teacher_precision_errors(self) -> Dict[str, Dict[str, float]]:
        """``'auto'`` only: precision -> {teacher position: relative L2 error against fp32} on the first batch."""
        return self._frozen_teacher.precision_errors

    @property
    def teacher_execution(self) -> Optional[dict]:
        """How the teacher runs in training, once the first training step chose it (else None):
        ``dict(precision=..., channels_last=..., truncated=..., compiled=...)``."""
        return self._frozen_teacher.execution

    def teacher_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The student's preprocessed batch re-normalised for the teacher (:meth:`FrozenTeacher.inputs`)."""
        return self._frozen_teacher.inputs(inputs)

    @torch.no_grad()
    def load_teacher_state(self, state_dict: Dict[str, torch.Tensor]) -> None:
        """Replace the teacher's weights (exact keys) and derive the teacher transforms from them
        (:class:`~mmkd.models.transforms.TeacherDerivedTransform`, e.g. OFD's margins from its BN), as if the
        distiller had been built with these weights."""
        self._frozen_teacher.load_state(state_dict)  # another teacher: its precision is chosen anew
        for point in self.distill_points.values():
            derive_teacher_transforms(point.teacher_transform, self.teacher, reset_estimates=False)

    def teacher_derived_state(self) -> Dict[str, torch.Tensor]:
        """The state of the teacher transforms as the current teacher gives it
        (:meth:`~mmkd.models.transforms.TeacherDerivedTransform.derive_from_teacher` with
        ``reset_estimates=True``: OFD margins recomputed from its BN, margins estimated from data reset),
        keyed as in :meth:`state_dict`; the distiller's own transforms are left unchanged."""
        out = {}
        for name, point in self.distill_points.items():
            if point.teacher_transform is None:
                continue
            transform = copy.deepcopy(point.teacher_transform)
            derive_teacher_transforms(transform, self.teacher, reset_estimates=True)
            out.update({f'distill_points.{name}.teacher_transform.{k}': v
                        for k, v in transform.state_dict().items()})
        return out

    @torch.no_grad()
    def _dry_run(self):
        """One forward of both networks on a random batch: check positions, get feature shapes (the
        teacher's also counts its recorded modules' calls, for truncation and the ``-deep`` precisions).

        Returns student shapes and teacher shapes.
        """
        dry_forward(self.student, self.input_size, self.student_recorders)
        student_shapes = {name: self.student_recorders.get(name).shape for name in self.student_recorders.names}
        return student_shapes, self._frozen_teacher.dry_run(self.input_size)

    def _build_points(self, points: Dict[str, dict], positions: Dict[str, PointPositions]) -> nn.ModuleDict:
        """The :class:`DistillPoint` of each point config, reading the recorders of its ``positions``."""
        student_shapes, teacher_shapes = self._dry_run()
        if self.diagnostics is not None:
            self.diagnostics.check_shapes(student_shapes, teacher_shapes)
        built = nn.ModuleDict()
        for name, point in points.items():
            point_positions = positions[name]
            s_shapes, t_shapes, _ = point_positions.shapes(student_shapes, teacher_shapes)
            where = point_positions.describe(self.student_recorders, self.teacher_recorders, student_shapes,
                                        teacher_shapes)
            multi = point_positions.multi
            connectors = per_position_cfgs(point.get('connector'), len(s_shapes), 'connector', where)
            paired = len(s_shapes) == len(t_shapes)
            for i, cfg in enumerate(connectors):
                self._fill_channels(cfg, s_shapes[i], t_shapes[i] if paired else None, where)
            connectors = [MODELS.build(cfg) for cfg in connectors]
            for connector in connectors:
                if hasattr(connector, 'bind_teacher'):  # runs teacher modules (CrossKD's cross-head predictions)
                    try:
                        connector.bind_teacher(self.teacher)
                    except ValueError as err:
                        raise ValueError(f'{where}: connector {type(connector).__name__}: {err}') from err
            transforms = []
            for cfg in per_position_cfgs(point.get('teacher_transform'), len(t_shapes), 'teacher_transform', where):
                transform = MODELS.build(cfg) if cfg is not None else None
                derive_teacher_transforms(transform, self.teacher, reset_estimates=False)
                transforms.append(transform)
            if multi:
                if len({t is None for t in transforms}) > 1:
                    raise ValueError(f'{where}: give a teacher_transform for every teacher position or none')
                connector = nn.ModuleList(connectors)
                transform = nn.ModuleList(transforms) if transforms[0] is not None else None
            else:
                connector, transform = connectors[0], transforms[0]
            loss = MODELS.build(point['loss'])
            check_loss_weights(loss, f'distill point {name!r} loss ({loss.__class__.__name__})')
            dp = DistillPoint(connector, transform, loss, positions=point_positions)
            dp.check(student_shapes, teacher_shapes, where)
            built[name] = dp
        return built

    @staticmethod
    def _fill_channels(cfg: dict, s_shape, t_shape, where: str) -> None:
        params = inspect.signature(MODELS.get(cfg['type']).__init__).parameters
        if len(s_shape) < 2 or (t_shape is not None and len(t_shape) < 2):
            return
        fill = [('in_channels', s_shape[1])] + ([('out_channels', t_shape[1])] if t_shape is not None else [])
        for key, value in fill:
            if key not in params:
                continue
            if cfg.get(key) is None:
                cfg[key] = value
            elif key == 'in_channels' and cfg[key] != value:
                raise ValueError(f'{where}: connector in_channels={cfg[key]} but the student feature '
                                 f'has {value} channels; set in_channels={value} or leave it out to '
                                 'infer it.')

    # ------------------------------------------------------------------------------ teacher handling
    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self._frozen_teacher._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True):
        """The student and the points in ``mode``; the teacher stays frozen (:meth:`FrozenTeacher.train`)."""
        super().train(mode)
        self._frozen_teacher.train()
        return self

    def init_weights(self) -> None:
        """Initialise student and connectors, then load the student's own checkpoint if given."""
        super().init_weights()
        if self.student_checkpoint is not None:
            load_weights(self.student, self.student_checkpoint, 'student')
            print_log(f'student initialised from {self.student_checkpoint}', logger='current')

    def load_student_state(self, state_dict: Dict[str, torch.Tensor]) -> None:
        """Load a student-only state dict (an exported ``*_student.pth``) into the student, strictly, for
        evaluation: prediction is the student's."""
        self.student.load_state_dict(state_dict, strict=True)

    @contextmanager
    def predict_with_teacher(self):
        """Within the context, ``predict``/``tensor`` modes run the teacher (to evaluate it)."""
        self._predict_with_teacher = True
        try:
            with self._frozen_teacher.evaluating():
                yield
        finally:
            self._predict_with_teacher = False

    @torch.no_grad()
    def measure_teacher_precisions(self, inputs: torch.Tensor, data_samples: Optional[list],
                                   precisions: List[str], stop_within: Optional[float] = None
                                   ) -> Dict[str, Dict[str, float]]:
        """Relative L2 error against fp32 of the teacher's features at every distillation point, as the
        losses see them (after the teacher transform), for each of ``precisions`` in turn, on one batch.

        Args:
            inputs (Tensor): the batch as the student's data preprocessor returns it.
            data_samples (list, optional): its data samples.
            precisions (list[str]): precisions to measure (``'bf16'``, ``'fp16-deep'``, ...).
            stop_within (float, optional): stop after the first precision whose largest error is at most this.

        Returns:
            dict: precision -> {teacher position name: relative error}; inf where a feature is not finite.
        """
        return self._frozen_teacher.measure_precisions(inputs, data_samples, precisions,
                                                       self._point_teacher_features, stop_within)

    def _point_teacher_features(self) -> Dict[str, torch.Tensor]:
        """The recorded teacher features of every distillation point as its loss sees them
        (:meth:`DistillPoint.teacher_views`), by teacher recorder name."""
        out = {}
        for point in self.distill_points.values():
            out.update(point.teacher_views(self.teacher_recorders))
        return out

    def teacher_features(self, inputs: torch.Tensor, data_samples: Optional[list]) -> None:
        """Run the teacher as configured (precision, memory format, truncation) and record; ``'auto'``
        measures its precisions on the distillation points' features as the losses see them."""
        self._frozen_teacher.record(inputs, data_samples, self._point_teacher_features)

    # ------------------------------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        evaluated = self._frozen_teacher if self._predict_with_teacher else self.student
        return forward_by_mode(self, inputs, data_samples, mode, evaluated)

    def current_stage(self):
        """The stage of the current iteration/epoch; losses with ``set_stage`` are told when it changes."""
        it, epoch = training_progress()
        stage = self.stages.current(it, epoch)
        if stage is not self._stage:
            self._stage = stage
            for point in self.distill_points.values():
                if hasattr(point.loss, 'set_stage'):
                    point.loss.set_stage(stage.name)
            if len(self.stages) > 1:
                print_log(f'distillation stage {stage.name!r} from iter {it}: points {stage.points}, task '
                          f'loss weight {stage.task_loss_weight}', logger='current')
        return stage, it, epoch

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        stage, it, epoch = self.current_stage()
        if stage.points or self.diagnostics is not None:  # a stage without points (AB's, FSP's second) skips it
            self.teacher_features(inputs, data_samples)
        with self.student_recorders.recording():
            losses = self.student(inputs, data_samples, mode='loss')
        if stage.task_loss_weight != 1.0:
            weight = stage.task_loss_weight
            scale = (lambda v: v * weight) if weight else (lambda v: v.detach())  # noqa: E731
            for key, value in losses.items():
                if 'loss' not in key:
                    continue
                if isinstance(value, torch.Tensor):
                    losses[key] = scale(value)
                elif isinstance(value, (list, tuple)):  # mmdet heads return per-image/per-level lists
                    losses[key] = type(value)(scale(v) for v in value)
        factor = self.loss_weight_schedule(it, epoch)
        for name, point in self.distill_points.items():
            if name in stage.points:
                losses[f'loss_distill_{name}'] = factor * stage.points[name] * point.compute(
                    self.student_recorders, self.teacher_recorders, data_samples)
        if self.diagnostics is not None:  # logged, not optimised: no 'loss' in its keys
            losses.update(self.diagnostics.compute(self.student_recorders, self.teacher_recorders, data_samples))
        return losses

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """Drop the recorders' references to the step's features, then MMEngine's loss parsing, which stops
        at a non-finite loss (:class:`~mmkd.utils.loss_guard.FiniteLossMixin`).

        Called by ``train_step`` (also DDP's) between the forward and the backward: teacher features are no
        longer needed once the losses exist, so releasing them here lowers the backward's peak memory (the
        student's recorded features stay alive only where the autograd graph needs them).
        """
        self.teacher_recorders.reset()
        self.student_recorders.reset()
        return super().parse_losses(losses)

    def describe_loss(self, key: str) -> str:
        """Name the distillation point of a ``loss_distill_<name>`` key and its loss weight."""
        return self.describe_point_loss(key, self.distill_points, 'distill_points')

    @staticmethod
    def describe_point_loss(key: str, points: nn.ModuleDict, where: str) -> str:
        """``loss_distill_<name>`` of ``points``: the point and its loss weight setting; other keys are the
        task losses."""
        name = key[len('loss_distill_'):] if key.startswith('loss_distill_') else None
        if name not in points:
            return f'{key} (task loss)'
        weight = getattr(points[name].loss, 'loss_weight', None)
        setting = f'{where}.{name}.loss.loss_weight' + (f'={weight:g}' if isinstance(weight, (int, float)) else '')
        return f'{key} (distillation point {name!r}, {setting})'
