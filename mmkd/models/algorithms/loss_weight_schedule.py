from typing import Optional


class LossWeightSchedule:
    """A multiplier on every distillation loss, driven by the training iteration.

    factor(it) = min(1, (it + 1) / warmup_iters)   (linear warm-up; 1 when ``warmup_iters`` is 0)
    factor(it) = 0                                   when ``stop_iter`` is set and it >= stop_iter

    ``stop_iter`` turns "continuous" distillation into distillation used only as an initialisation
    (the comparison of Heo et al., ICCV 2019, Sec. 4).

    Args:
        warmup_iters (int): iterations of linear warm-up from ``1 / warmup_iters`` to 1.
        stop_iter (int, optional): iteration from which distillation losses are switched off.
    """

    def __init__(self, warmup_iters: int = 0, stop_iter: Optional[int] = None):
        if warmup_iters < 0 or (stop_iter is not None and stop_iter < 0):
            raise ValueError(f'warmup_iters and stop_iter must be >= 0, got {warmup_iters}, {stop_iter}')
        self.warmup_iters = warmup_iters
        self.stop_iter = stop_iter

    def __call__(self, it: int) -> float:
        if self.stop_iter is not None and it >= self.stop_iter:
            return 0.0
        if self.warmup_iters == 0:
            return 1.0
        return min(1.0, (it + 1) / self.warmup_iters)
