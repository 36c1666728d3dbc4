from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Evaluate the distiller's teacher once, before training, with the run's own val loop.

    The teacher's metrics are logged as ``teacher/<metric>`` next to the student's later validation,
    so one log shows both numbers. Teacher BatchNorm uses running statistics for this evaluation.

    Args:
        enabled (bool): the config switch; ``False`` keeps the hook but skips the evaluation.
    """

    priority = 'LOW'

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def before_train(self, runner) -> None:
        if not self.enabled:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'predict_with_teacher'):
            raise TypeError(f'TeacherEvalHook needs a distiller model, got {type(model).__name__}; '
                            'remove the hook from custom_hooks for plain models.')
        loop = runner.val_loop
        if loop is None:
            raise ValueError('TeacherEvalHook evaluates with the val loop: set val_dataloader, '
                             'val_evaluator and val_cfg, or set enabled=False.')
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
