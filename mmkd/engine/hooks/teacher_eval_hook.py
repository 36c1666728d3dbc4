import numbers

from mmengine.hooks import Hook, LoggerHook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS

CONFIG_KEY = 'teacher_eval'


def teacher_eval_enabled(cfg) -> bool:
    """The config's top-level ``teacher_eval`` switch (default True); anything but a bool is refused."""
    value = cfg.get(CONFIG_KEY, True) if cfg is not None else True
    if not isinstance(value, bool):
        raise TypeError(f'{CONFIG_KEY} must be True or False, got {value!r}; e.g. '
                        f'--cfg-options {CONFIG_KEY}=False')
    return value


def scalar_metrics(metrics: dict) -> dict:
    """The entries of ``metrics`` that are single numbers, as floats (what a scalar backend can store)."""
    out = {}
    for key, value in metrics.items():
        try:
            value = value.item() if hasattr(value, 'item') else value  # numpy / torch scalars
        except (ValueError, RuntimeError):  # arrays of several values
            continue
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[key] = float(value)
    return out


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Evaluate the distiller's teacher once, before training, with the run's own val loop.

    The teacher's metrics are logged as ``teacher/<metric>`` in the text log and in the visualizer's
    scalars (``vis_data/scalars.json``, which ``tools/analysis/plot_logs.py`` draws as the teacher's
    reference line), next to the student's later validation. Teacher BatchNorm uses running statistics
    for this evaluation. The config's top-level ``teacher_eval = False`` (``--cfg-options
    teacher_eval=False``) skips it, e.g. for short smoke runs.

    Args:
        enabled (bool): this hook's own switch; the evaluation runs when both it and the config's
            ``teacher_eval`` are True.
    """

    priority = 'LOW'

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def before_train(self, runner) -> None:
        if not teacher_eval_enabled(getattr(runner, 'cfg', None)):
            runner.logger.info('Teacher evaluation skipped (teacher_eval=False).')
            return
        if not self.enabled:
            runner.logger.info('Teacher evaluation skipped (TeacherEvalHook enabled=False).')
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'predict_with_teacher'):
            raise TypeError(f'TeacherEvalHook needs a distiller model, got {type(model).__name__}; '
                            'remove the hook from custom_hooks for plain models.')
        loop = runner.val_loop
        if loop is None:
            raise ValueError('TeacherEvalHook evaluates with the val loop: set val_dataloader, '
                             'val_evaluator and val_cfg, or skip it with --cfg-options teacher_eval=False.')
        was_training = runner.model.training
        runner.model.eval()
        with model.predict_with_teacher():
            for data_batch in loop.dataloader:
                outputs = runner.model.val_step(data_batch)
                loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        runner.model.train(was_training)
        metrics = {f'teacher/{k}': v for k, v in metrics.items()}
        runner.logger.info('Teacher evaluation: ' + '  '.join(f'{k}: {v}' for k, v in metrics.items()))
        for key, value in metrics.items():
            runner.message_hub.update_info(key, value)
        scalars = scalar_metrics(metrics)
        if scalars:
            json_logs = [h.json_log_path for h in runner.hooks
                         if isinstance(h, LoggerHook) and getattr(h, 'json_log_path', None)]
            runner.visualizer.add_scalars(scalars, step=runner.iter,
                                          file_path=json_logs[0] if json_logs else None)
