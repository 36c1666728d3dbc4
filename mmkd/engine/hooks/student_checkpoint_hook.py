import glob
import os
import os.path as osp

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook

from mmkd.registry import HOOKS
from mmkd.utils.checkpoint import export_student

STUDENT_SUFFIX = '_student.pth'
STUDENT_CONFIG = 'student_config.py'


def student_config(cfg: Config) -> Config:
    """The distillation config with the distiller replaced by its student: a plain task config."""
    cfg = cfg.copy()
    if 'student' not in cfg.get('model', {}):
        raise ValueError('the config model has no `student`; it is not a distillation config')
    cfg.model = cfg.model.student
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if not str(h.get('type', '')).startswith('mmkd.')]
    for key in ('model_wrapper_cfg', 'load_from', 'resume'):
        cfg.pop(key, None)
    return cfg


@HOOKS.register_module()
class StudentCheckpointHook(Hook):
    """Write a student-only twin beside every checkpoint the run saves, plus the student's config.

    ``iter_200.pth`` gets ``iter_200_student.pth`` (weights of ``student.*`` without the prefix) and the
    work dir gets ``student_config.py``: together they load with ``mmdet.apis.init_detector`` /
    ``mmseg.apis.init_model`` with no missing or unexpected keys. Twins are read back from the saved file,
    so they hold exactly what was saved; twins whose checkpoint was removed (``max_keep_ckpts``) go too.
    Runs after mmengine's ``CheckpointHook`` (priority ``LOWEST``).
    """

    priority = 'LOWEST'

    def __init__(self):
        self.out_dir = None

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
            if not osp.exists(twin) or osp.getmtime(twin) < osp.getmtime(ckpt):
                export_student(ckpt, twin)
                runner.logger.info(f'student-only checkpoint written to {twin}')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._sync_twins(runner)

    def after_train_epoch(self, runner) -> None:
        self._sync_twins(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._sync_twins(runner)

    def after_train(self, runner) -> None:
        self._sync_twins(runner)
