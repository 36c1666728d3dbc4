"""The frozen teacher of a distiller: built from its config and checkpoint, frozen, and run as configured."""
import logging
from contextlib import contextmanager, nullcontext
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import broadcast_object_list, get_world_size, is_distributed
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import BaseDataElement
from torch.nn.modules.batchnorm import _BatchNorm

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import load_weights
from mmkd.utils.config import load_model_config
from mmkd.utils.device import fast_low_precisions
from mmkd.utils.teacher_identity import teacher_identity
from ..recorders import AutocastAfterFirstRecord, Float32Norms, ForwardTruncator, RecorderManager
from ..utils import dry_forward

TEACHER_DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16, 'fp16': torch.float16}
# '<dtype>-deep': float32 up to the teacher's first recorded feature, <dtype> autocast after it
TEACHER_PRECISIONS = ('fp32', 'bf16', 'fp16', 'bf16-deep', 'fp16-deep')
TEACHER_KEYS = ('config', 'checkpoint', 'cfg_options')
FeatureView = Callable[[], Dict[str, torch.Tensor]]
_teacher_weights = dict(load=True)


@contextmanager
def without_teacher_weights():
    """Distillers built in this block read no teacher checkpoint (their teachers keep random weights).

    For evaluation (``tools/test.py``): a distiller checkpoint holds everything its student and the
    distillation points need, and only the student is evaluated, so the teacher file need not exist.
    Such distillers record no teacher, so loading a checkpoint re-derives nothing from the random teacher.
    """
    previous = _teacher_weights['load']
    _teacher_weights['load'] = False
    try:
        yield
    finally:
        _teacher_weights['load'] = previous


def relative_error(value: torch.Tensor, reference: torch.Tensor) -> float:
    """||value - reference|| / ||reference|| (L2 over all elements); inf when ``value`` is not finite."""
    if not torch.isfinite(value).all():
        return float('inf')
    return ((value.double() - reference.double()).norm() / reference.double().norm().clamp_min(1e-30)).item()


def set_frozen_teacher_mode(teacher: nn.Module, teacher_bn: str) -> nn.Module:
    """Put a frozen teacher in eval mode, its BatchNorm layers with ``teacher_bn='train'`` in train mode
    without running-statistics updates (batch statistics, buffers untouched). Returns ``teacher``."""
    teacher.eval()
    if teacher_bn == 'train':
        for module in teacher.modules():
            if isinstance(module, _BatchNorm):
                module.train()
                module.track_running_stats = False
    return teacher


def local_norms(model: nn.Module) -> nn.Module:
    """``model`` with its SyncBatchNorm layers (mmseg's ``SyncBN``) turned into BatchNorm when no process group
    is initialised; unchanged under distributed training.

    MMEngine's Runner does the same to the model it trains in one process, after the model is built: that
    reaches the student but not the teacher (kept out of the module tree), and the new layers would not carry
    the recorders' hooks. Done here, before any hook is attached, both models get the same layers and the
    Runner finds nothing left to replace."""
    return model if is_distributed() else revert_sync_batchnorm(model)


def check_teacher_options(bn_mode: str, precision: str, precision_tolerance: float,
                          names: Tuple[str, str, str] = ('bn_mode', 'precision', 'precision_tolerance')) -> None:
    """Refuse a BN mode, precision or tolerance the teacher cannot run with; ``names`` are the option names
    the caller's config uses (a distiller's ``teacher_bn``, ``teacher_precision``, ...)."""
    if bn_mode not in ('train', 'eval'):
        raise ValueError(f"{names[0]} must be 'train' or 'eval', got {bn_mode!r}")
    if precision not in TEACHER_PRECISIONS and precision != 'auto':
        raise ValueError(f'{names[1]} must be auto, {", ".join(TEACHER_PRECISIONS)}; got {precision!r}')
    if not precision_tolerance > 0:
        raise ValueError(f'{names[2]} must be > 0, got {precision_tolerance!r}')


def check_compile_options(compile: bool, truncate: Optional[bool],
                          names: Tuple[str, str] = ('compile', 'truncate')) -> bool:
    """Refuse a non-bool ``compile`` and truncation of a compiled forward; return whether to truncate
    (``truncate=None``: unless compiled)."""
    if not isinstance(compile, bool):
        raise ValueError(f'{names[0]} must be True or False, got {compile!r}')
    if compile and truncate:
        raise ValueError(f'{names[1]}=True cannot be combined with {names[0]}=True: truncation stops the forward '
                         'by raising from a hook, which a compiled graph cannot do. Leave '
                         f'{names[1]} unset (a compiled teacher runs whole) or set {names[0]}=False.')
    return not compile if truncate is None else bool(truncate)


def renormalisation(student_preprocessor: Optional[nn.Module], teacher_preprocessor: Optional[nn.Module]):
    """Channel flip, shift and scale that turn student-normalised inputs into teacher-normalised ones.

    x_t = (P(x_s * std_s + mean_s) - mean_t) / std_t, when the two preprocessors normalise differently
    (e.g. mmdet's SSD300 VGG16 uses std 1, ResNet configs the ImageNet std). P reverses the channel order
    when one preprocessor converts BGR to RGB and the other does not (mmdet's caffe-style ResNet configs
    read BGR images); otherwise it is the identity. Returns (flip, shift, scale); shift and scale are None
    when the normalisations agree.
    """
    stats = []
    for pre in (student_preprocessor, teacher_preprocessor):
        stats.append((getattr(pre, 'mean', None), getattr(pre, 'std', None),
                      bool(getattr(pre, '_channel_conversion', False))))
    (mean_s, std_s, rgb_s), (mean_t, std_t, rgb_t) = stats
    flip = rgb_s != rgb_t
    if any(v is None for v in (mean_s, std_s, mean_t, std_t)):
        return flip, None, None
    if flip:
        mean_s, std_s = mean_s.flip(0), std_s.flip(0)
    if torch.equal(mean_s, mean_t) and torch.equal(std_s, std_t):
        return flip, None, None
    return flip, (mean_s - mean_t) / std_t, std_s / std_t


class FrozenTeacher(nn.Module):
    """A frozen teacher network and how it runs: built, loaded, frozen, fed the student's inputs, recorded.

    - Build: ``config`` (a model dict or a config path such as ``'mmdet::ssd/ssd300_coco.py'``, with
      ``cfg_options``), SyncBN turned into BN without a process group (:func:`local_norms`).
    - Weights: read from ``checkpoint`` (its path and SHA-256 are :attr:`identity`), except inside
      :func:`without_teacher_weights`; :meth:`load_state` replaces them later.
    - Frozen: ``requires_grad=False``; eval mode whatever :meth:`train` is asked, with BatchNorm in
      ``bn_mode='train'`` using batch statistics without updating its running statistics (Heo et al.,
      ICCV 2019, Sec. 3.4). An owner keeps it out of its own module tree (no ``parameters()``,
      ``state_dict()``, optimizer or DDP) and forwards ``_apply`` (``.to()``, ``.cuda()``) to it.
    - Inputs: the student's preprocessed batch re-normalised for the teacher's preprocessor,
      x_t = (P(x_s * std_s + mean_s) - mean_t) / std_t (:meth:`inputs`, :func:`renormalisation`).
    - Recording: recorders named by the owner (:meth:`attach_recorders`); a dry forward
      (:meth:`dry_run`) gives their shapes and counts their modules' calls, which truncation (stop the
      forward once every recorder holds its feature) and the ``-deep`` precisions need.
    - Precision: ``'fp32'``, ``'bf16'`` / ``'fp16'`` autocast, ``'bf16-deep'`` / ``'fp16-deep'`` (float32 up to
      the first recorded feature), or ``'auto'``: at the first :meth:`record`, the first of the device's fast
      precisions, then their ``-deep`` forms, whose features are within ``precision_tolerance`` (relative L2)
      of float32 on that batch; float32 when none is. BatchNorm computes in float32 in low precision; an
      fp16 forward whose features overflow falls back to fp32. Memory format channels_last when
      ``channels_last`` (``None``: when the precision is not fp32).
    - Compilation (``compile=True``): the forward runs through ``torch.compile(module)`` (inference only,
      compiled at the first :meth:`record` and again for each precision or memory format); the recorders'
      hooks run inside the compiled graph. Truncation stops a forward by raising from a hook, which compiled
      graphs cannot do, so a compiled teacher runs whole. Where compilation fails (no C++ compiler, an
      unsupported operator), the failure is logged and the teacher runs eagerly.

    Args:
        config (str | dict): the teacher model (a model dict or a config path).
        checkpoint (str, optional): its weights (local path or URL); ``None``: random weights, with a warning.
        cfg_options (dict, optional): overrides applied to a config path.
        student_preprocessor (nn.Module, optional): the data preprocessor that prepared the inputs the teacher
            is given; ``None``: the inputs are the teacher's as they are.
        bn_mode (str): ``'train'`` (batch statistics, running statistics untouched) or ``'eval'``.
        precision (str): ``'auto'`` or one of ``TEACHER_PRECISIONS``.
        precision_tolerance (float): the largest relative L2 error against float32 ``'auto'`` accepts.
        channels_last (bool, optional): run in channels_last memory format; ``None``: when not fp32.
        truncate (bool, optional): stop the forward once the recorded features exist; ``None``: unless
            ``compile``. ``True`` with ``compile=True`` is refused.
        compile (bool): run the forward through ``torch.compile``.
        weights_note (str, optional): for a teacher whose owner loads its weights later (:meth:`load_state`)
            and gives no checkpoint: logged instead of the warning about random weights.
    """

    def __init__(self,
                 config: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 student_preprocessor: Optional[nn.Module] = None,
                 bn_mode: str = 'train',
                 precision: str = 'auto',
                 precision_tolerance: float = 1e-2,
                 channels_last: Optional[bool] = None,
                 truncate: Optional[bool] = None,
                 weights_note: Optional[str] = None,
                 compile: bool = False):
        check_teacher_options(bn_mode, precision, precision_tolerance)
        truncate = check_compile_options(compile, truncate)
        super().__init__()
        self.module = local_norms(MODELS.build(load_model_config(config, cfg_options)))
        self.checkpoint = checkpoint
        self.identity = None  # recorded in the run's checkpoints
        if _teacher_weights['load']:
            self._load_checkpoint(weights_note)
            self.identity = teacher_identity(checkpoint)
        elif checkpoint is not None:
            print_log(f'teacher weights not read ({checkpoint}): only the student is evaluated', logger='current')
        self.module.requires_grad_(False)
        self.bn_mode = bn_mode
        self.flip_channels, self.input_shift, self.input_scale = (
            renormalisation(student_preprocessor, getattr(self.module, 'data_preprocessor', None))
            if student_preprocessor is not None else (False, None, None))
        self.precision = precision
        self.precision_tolerance = precision_tolerance
        self.channels_last = channels_last
        self.truncate = truncate
        self.compile = compile
        # torch.compile(module), built at the first recorded forward and kept out of the module tree;
        # False once compiling failed
        self._compiled = None
        self.recorders = RecorderManager({})
        self._truncator = None
        self._autocast_switch = None
        self._float32_norms = None
        # resolved on the first recorded forward, when the device and a batch are known
        self._execution = None  # precision name the teacher runs in
        self._memory_format = torch.contiguous_format
        # 'auto' only: precision -> {feature name: relative L2 error against fp32} on the first batch
        self.precision_errors: Dict[str, Dict[str, float]] = {}
        self.train()

    @classmethod
    def from_cfg(cls, teacher: dict, **kwargs) -> 'FrozenTeacher':
        """Build from a distiller's ``teacher=dict(config=..., checkpoint=..., cfg_options=...)``."""
        teacher = dict(teacher)
        unknown = set(teacher) - set(TEACHER_KEYS)
        if unknown or 'config' not in teacher or 'checkpoint' not in teacher:
            raise ValueError('teacher must be dict(config=<model dict or config path>, checkpoint=<path '
                             f'or URL or None>, cfg_options=<optional>); got keys {sorted(teacher)}')
        return cls(teacher['config'], teacher['checkpoint'], teacher.get('cfg_options'), **kwargs)

    def _load_checkpoint(self, weights_note: Optional[str]) -> None:
        if self.checkpoint is not None:
            load_weights(self.module, self.checkpoint, 'teacher')
        elif weights_note is not None:
            print_log(weights_note, logger='current')
        else:
            print_log('teacher.checkpoint is None: distilling from a randomly initialised teacher',
                      logger='current', level=30)

    @torch.no_grad()
    def load_state(self, state_dict: Dict[str, torch.Tensor]) -> None:
        """Replace the teacher's weights (exact keys); its precision is chosen anew at the next record."""
        self.module.load_state_dict(state_dict, strict=True)
        self._execution = None

    # ------------------------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> 'FrozenTeacher':
        """Frozen whatever ``mode``: eval, BatchNorm in train mode without statistics updates when
        ``bn_mode='train'``."""
        self.training = False
        set_frozen_teacher_mode(self.module, self.bn_mode)
        return self

    @contextmanager
    def evaluating(self) -> Iterator[None]:
        """Within the context the whole teacher is in eval mode (running statistics), to evaluate it; its
        frozen mode is restored after."""
        self.train()
        bn_modes = [(m, m.training) for m in self.module.modules() if isinstance(m, _BatchNorm)]
        self.module.eval()
        try:
            yield
        finally:
            for module, training in bn_modes:
                module.train(training)

    # ---------------------------------------------------------------------------------- inputs
    def inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The student's preprocessed batch as the teacher's preprocessor would have made it."""
        if self.flip_channels:
            inputs = inputs.flip(1)
        if self.input_scale is None:
            return inputs
        shape = (1, -1, 1, 1)
        scale = self.input_scale.to(inputs).view(shape)
        shift = self.input_shift.to(inputs).view(shape)
        return inputs * scale + shift

    @torch.no_grad()
    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[BaseDataElement], torch.Tensor]:
        """The whole teacher on the student's preprocessed ``inputs`` (``mode`` ``'tensor'`` or ``'predict'``)."""
        return self.module(self.inputs(inputs), data_samples, mode=mode)

    # ------------------------------------------------------------------------------- recording
    def attach_recorders(self, recorders: Dict[str, dict]) -> RecorderManager:
        """Hook recorders (name -> :class:`~mmkd.models.recorders.ModuleRecorder` config) into the teacher,
        once, before :meth:`dry_run`."""
        if self._autocast_switch is not None:
            raise RuntimeError('FrozenTeacher: attach the recorders before dry_run, once')
        self.recorders.remove()
        self.recorders = RecorderManager(recorders)
        self.recorders.prepare(self.module, model_name='teacher')
        return self.recorders

    @torch.no_grad()
    def dry_run(self, input_size: Tuple[int, int]) -> Dict[str, torch.Size]:
        """One forward on a random batch (``input_size`` = (H, W)): checks the recorders' positions, counts
        their modules' calls in a full forward and sets up truncation and the ``-deep`` precisions with them.
        Returns each recorder's feature shape."""
        dry_forward(self.module, input_size, self.recorders)
        self.train()  # the dry forward leaves the network in its plain mode
        shapes = {name: self.recorders.get(name).shape for name in self.recorders.names}
        calls = {name: r.num_calls for name, r in self.recorders.recorders.items()}
        if self._autocast_switch is None:
            if self.truncate:
                self._truncator = ForwardTruncator(self.module, self.recorders, calls)
            self._autocast_switch = AutocastAfterFirstRecord(self.module, self.recorders, calls)
            self._float32_norms = Float32Norms(self.module)
        return shapes

    def run(self, inputs: torch.Tensor, data_samples: Optional[list], precision: str) -> None:
        """One recorded forward in ``precision`` (``'fp32'``, ``'bf16'``, ``'bf16-deep'``, ...) in the current
        memory format, truncated if configured."""
        if self._autocast_switch is None:
            raise RuntimeError('FrozenTeacher.run needs the call counts of a full forward: call '
                               'attach_recorders(...) and dry_run(input_size) first')
        dtype = TEACHER_DTYPES[precision.split('-')[0]]
        inputs = self.inputs(inputs)
        if self._memory_format is torch.channels_last and inputs.dim() == 4:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        device_type = inputs.device.type
        if dtype == torch.float32:
            autocast = nullcontext()
        elif precision.endswith('-deep'):
            autocast = self._autocast_switch.armed(device_type, dtype)
        else:
            autocast = torch.autocast(device_type, dtype=dtype)
        norms = self._float32_norms.armed() if dtype != torch.float32 else nullcontext()
        truncation = self._truncator.armed() if self._truncator is not None else nullcontext()
        with torch.no_grad(), self.recorders.recording(), autocast, norms, truncation:
            self._forward(inputs, data_samples)

    def _forward(self, inputs: torch.Tensor, data_samples: Optional[list]) -> None:
        """The teacher's forward, compiled when ``compile`` (eager from the first failure on, logged)."""
        if self.compile and self._compiled is not False:
            if self._compiled is None:
                object.__setattr__(self, '_compiled', torch.compile(self.module, dynamic=False))
            try:
                self._compiled(inputs, data_samples, mode='tensor')
                return
            except Exception as error:  # compilers fail with many types; the eager forward shows real errors
                message = str(error).strip().splitlines()
                print_log(f'torch.compile of the teacher failed ({type(error).__name__}: '
                          f'{message[0] if message else ""}); the teacher runs eagerly from now on '
                          '(teacher_compile=False avoids the attempt)', logger='current', level=logging.WARNING)
                object.__setattr__(self, '_compiled', False)
                self.recorders.reset()
        self.module(inputs, data_samples, mode='tensor')

    def record(self, inputs: torch.Tensor, data_samples: Optional[list], view: Optional[FeatureView] = None) -> None:
        """Run the teacher as configured (precision, memory format, truncation) and record its features.

        ``view`` returns the features whose errors ``'auto'`` measures, read from the recorders after a
        forward (a distiller's: after its teacher transforms, as its losses see them); default: every
        recorded feature in float32.
        """
        precision = self._resolve_execution(inputs, data_samples, view)
        self.run(inputs, data_samples, precision)
        if precision.startswith('fp16') and not all(torch.isfinite(self.recorders.get(name)).all()
                                                    for name in self.recorders.names):
            print_log(f'teacher features overflowed float16 ({precision}): the teacher runs in fp32 from now on',
                      logger='current', level=30)
            self._execution = 'fp32'
            self.run(inputs, data_samples, 'fp32')

    # ------------------------------------------------------------------------------- precision
    @property
    def execution(self) -> Optional[dict]:
        """How the teacher runs, once the first :meth:`record` chose it (else None):
        ``dict(precision=..., channels_last=..., truncated=..., compiled=...)``."""
        if self._execution is None:
            return None
        return dict(precision=self._execution, channels_last=self._memory_format is torch.channels_last,
                    truncated=self._truncator is not None, compiled=self.compiled)

    @property
    def compiled(self) -> bool:
        """Whether the forward runs compiled (False before the first forward, and after compiling failed)."""
        return self._compiled not in (None, False)

    def _resolve_execution(self, inputs: torch.Tensor, data_samples: Optional[list],
                           view: Optional[FeatureView]) -> str:
        """Pick the precision (measured on this batch for ``'auto'``) and memory format once, on the device
        training runs on, and log the choice and why."""
        if self._execution is None:
            device = inputs.device
            if self.precision == 'auto':
                precision, why = self._choose_precision(inputs, data_samples, view)
                if get_world_size() > 1:  # every process runs the teacher as the first one measured
                    choice = [precision, why]
                    broadcast_object_list(choice, src=0)
                    precision, why = choice[0], choice[1] + ' (measured by process 0)'
            else:
                precision, why = self.precision, 'as configured'
            self._execution = precision
            self._set_memory_format(self._uses_channels_last(precision))
            print_log(f'teacher forward on {device.type}: {precision} (teacher_precision='
                      f'{self.precision!r}: {why}), channels_last={self._uses_channels_last(precision)}, '
                      f'truncated={self._truncator is not None}, compile={self.compile}', logger='current')
        return self._execution

    def _uses_channels_last(self, precision: str) -> bool:
        if self.channels_last is not None:
            return self.channels_last
        return precision != 'fp32'

    def _set_memory_format(self, channels_last: bool) -> None:
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if memory_format is not self._memory_format:
            self.module.to(memory_format=memory_format)
            self._memory_format = memory_format

    @torch.no_grad()
    def _choose_precision(self, inputs: torch.Tensor, data_samples: Optional[list],
                          view: Optional[FeatureView]) -> Tuple[str, str]:
        """``'auto'``: the first of the device's fast precisions, then their ``-deep`` forms, whose features
        (``view``) are within the tolerance of float32 on this batch; float32 when none is. Returns the
        precision and the reason, with the errors."""
        fast = fast_low_precisions(inputs.device)
        if not fast:
            return 'fp32', f'{inputs.device.type} computes neither bf16 nor fp16 natively'
        tolerance = self.precision_tolerance
        errors = self.measure_precisions(inputs, data_samples, fast + [f'{p}-deep' for p in fast], view,
                                         stop_within=tolerance)
        self.precision_errors = errors
        tried = []
        for precision, errs in errors.items():
            worst = max(errs, key=errs.get)
            tried.append(f'{precision} {errs[worst]:.1e} at {worst!r}')
            if errs[worst] <= tolerance:
                return precision, (f'the first precision within {tolerance:g} (relative L2) of fp32 at every '
                                   f'distillation point on the first batch: {", ".join(tried)}')
        return 'fp32', (f'no fast precision within {tolerance:g} (relative L2) of fp32 at every distillation '
                        f'point on the first batch: {", ".join(tried)}')

    @torch.no_grad()
    def measure_precisions(self, inputs: torch.Tensor, data_samples: Optional[list], precisions: List[str],
                           view: Optional[FeatureView] = None,
                           stop_within: Optional[float] = None) -> Dict[str, Dict[str, float]]:
        """Relative L2 error against fp32 of the features ``view`` returns (default: every recorded feature),
        for each of ``precisions`` in turn, on one batch.

        Args:
            inputs (Tensor): the batch as the student's data preprocessor returns it.
            data_samples (list, optional): its data samples.
            precisions (list[str]): precisions to measure (``'bf16'``, ``'fp16-deep'``, ...).
            view (callable, optional): the features to compare, read after each forward.
            stop_within (float, optional): stop after the first precision whose largest error is at most this.

        Returns:
            dict: precision -> {feature name: relative error}; inf where a feature is not finite.
        """
        reference = self._features_in('fp32', inputs, data_samples, view)
        out = {}
        for precision in precisions:
            features = self._features_in(precision, inputs, data_samples, view)
            out[precision] = {key: relative_error(features[key], ref) for key, ref in reference.items()}
            if stop_within is not None and max(out[precision].values()) <= stop_within:
                break
        return out

    def _features_in(self, precision: str, inputs: torch.Tensor, data_samples: Optional[list],
                     view: Optional[FeatureView]) -> Dict[str, torch.Tensor]:
        self._set_memory_format(self._uses_channels_last(precision))
        self.run(inputs, data_samples, precision)
        if view is not None:
            return view()
        return {name: self.recorders.get(name).detach().float() for name in self.recorders.names}
