from typing import Optional


class LossWeightSchedule:
    """A multiplier on every distillation loss, driven by the training iteration (or epoch).

    factor(it) = min(1, (it + 1) / warmup_iters)   (linear warm-up; 1 when ``warmup_iters`` is 0)
    factor(it) = 0                                   when it >= ``stop_iter`` or epoch >= ``stop_epoch``

    Stopping turns "continuous" distillation into distillation used only as an initialisation
    (the comparison of Heo et al., ICCV 2019, Sec. 4).

    Args:
        warmup_iters (int): iterations of linear warm-up from ``1 / warmup_iters`` to 1.
        stop_iter (int, optional): iteration from which distillation losses are switched off.
        stop_epoch (int, optional): epoch (0-based, as MMEngine counts) from which they are switched off.
    """

    def __init__(self, warmup_iters: int = 0, stop_iter: Optional[int] = None,
                 stop_epoch: Optional[int] = None):
        for name, value in (('warmup_iters', warmup_iters), ('stop_iter', stop_iter),
                            ('stop_epoch', stop_epoch)):
            if value is not None and value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        self.warmup_iters = warmup_iters
        self.stop_iter = stop_iter
        self.stop_epoch = stop_epoch

    def __call__(self, it: int, epoch: int = 0) -> float:
        if self.stop_iter is not None and it >= self.stop_iter:
            return 0.0
        if self.stop_epoch is not None and epoch >= self.stop_epoch:
            return 0.0
        if self.warmup_iters == 0:
            return 1.0
        return min(1.0, (it + 1) / self.warmup_iters)
