import glob
import os
import os.path as osp
import zipfile
from typing import Tuple

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook

from mmkd.registry import HOOKS
from mmkd.utils.checkpoint import export_student
from mmkd.utils.config import standalone_config

STUDENT_SUFFIX = '_student.pth'
STUDENT_CONFIG = 'student_config.py'


def student_config(cfg: Config) -> Config:
    """The distillation config with the distiller replaced by its student: a plain task config that loads
    in a fresh process (:func:`~mmkd.utils.config.standalone_config`)."""
    cfg = cfg.copy()
    if 'student' not in cfg.get('model', {}):
        raise ValueError('the config model has no `student`; it is not a distillation config')
    cfg.model = cfg.model.student
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if not str(h.get('type', '')).startswith('mmkd.')]
    for key in ('model_wrapper_cfg', 'load_from', 'resume'):
        cfg.pop(key, None)
    return standalone_config(cfg)


@HOOKS.register_module()
class StudentCheckpointHook(Hook):
    """Write a student-only twin beside every checkpoint the run saves, plus the student's config.

    ``iter_200.pth`` gets ``iter_200_student.pth`` (weights of ``student.*`` without the prefix) and the
    work dir gets ``student_config.py``: together they load with ``mmdet.apis.init_detector`` /
    ``mmseg.apis.init_model`` with no missing or unexpected keys. Twins are read back from the saved file,
    so they hold exactly what was saved; twins whose checkpoint was removed (``max_keep_ckpts``) go too.
    Twins are written atomically; a twin that is not a complete file is written again, and a checkpoint
    that cannot be read (torn by an interrupted save) is skipped with a warning. Runs after mmengine's
    ``CheckpointHook`` (priority ``LOWEST``).
    """

    priority = 'LOWEST'

    def __init__(self):
        self.out_dir = None
        self._unreadable = {}
        self._complete = {}

    def before_train(self, runner) -> None:
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        self.out_dir = getattr(hooks[0], 'out_dir', None) if hooks else None
        self.out_dir = self.out_dir or runner.work_dir
        if is_main_process():
            student_config(runner.cfg).dump(osp.join(runner.work_dir, STUDENT_CONFIG))

    def _sync_twins(self, runner) -> None:
        if self.out_dir is None or not is_main_process():
            return
        for twin in glob.glob(osp.join(self.out_dir, '*' + STUDENT_SUFFIX)):
            if not osp.exists(twin[:-len(STUDENT_SUFFIX)] + '.pth'):
                os.remove(twin)
        for ckpt in glob.glob(osp.join(self.out_dir, '*.pth')):
            if ckpt.endswith(STUDENT_SUFFIX):
                continue
            twin = ckpt[:-len('.pth')] + STUDENT_SUFFIX
            if self._twin_current(twin, ckpt) or self._unreadable.get(ckpt) == _stamp(ckpt):
                continue
            try:
                export_student(ckpt, twin)
            except RuntimeError as err:
                self._unreadable[ckpt] = _stamp(ckpt)
                runner.logger.warning(
                    f'{ckpt} has no student-only twin: {err} It was probably cut short by an interrupted '
                    'save; --resume skips it, and this run overwrites it when it saves that step again.')
                continue
            runner.logger.info(f'student-only checkpoint written to {twin}')

    def _twin_current(self, twin: str, ckpt: str) -> bool:
        """Whether ``twin`` exists, is not older than ``ckpt`` and is a complete file."""
        if not osp.exists(twin) or osp.getmtime(twin) < osp.getmtime(ckpt):
            return False
        stamp = _stamp(twin)
        if self._complete.get(twin) != stamp:
            if not zipfile.is_zipfile(twin):
                return False
            self._complete[twin] = stamp
        return True

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._sync_twins(runner)

    def after_train_epoch(self, runner) -> None:
        self._sync_twins(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._sync_twins(runner)

    def after_train(self, runner) -> None:
        self._sync_twins(runner)


def _stamp(path: str) -> Tuple[int, int]:
    """``(mtime in ns, size)`` of ``path``: changes when the file is rewritten."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size
