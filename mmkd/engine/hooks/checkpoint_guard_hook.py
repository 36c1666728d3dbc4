"""Keeping checkpoints sound: no non-finite weights saved, and each distiller's teacher recorded and checked."""
from typing import Dict, Iterator, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS
from mmkd.utils.loss_guard import check_finite_weights
from mmkd.utils.teacher_identity import describe_teacher, same_teacher

TEACHERS_KEY = 'teachers'
ROOT = 'model'


def distillers(model: nn.Module) -> Iterator[Tuple[str, str, nn.Module]]:
    """``(name, state-dict prefix, module)`` of every module of ``model`` that distils from a teacher
    checkpoint (``teacher_identity`` is set); ``name`` is ``model`` or ``model.<path>``."""
    for path, module in model.named_modules():
        if getattr(module, 'teacher_identity', None) is not None and hasattr(module, 'teacher_derived_state'):
            yield (f'{ROOT}.{path}' if path else ROOT), (f'{path}.' if path else ''), module


@HOOKS.register_module()
class CheckpointGuardHook(Hook):
    """Refuse to save non-finite weights; record and check the teachers of distillers.

    - Before a checkpoint is saved: if any floating-point tensor of its ``state_dict`` is NaN or infinite,
      raise :class:`~mmkd.utils.loss_guard.NonFiniteWeightsError` instead of writing it; record each
      distiller's teacher (checkpoint path and SHA-256 of its content) in ``meta['teachers']``.
    - When a checkpoint is loaded (``resume`` or ``load_from``) into a distiller whose teacher is not the
      recorded one: the state derived from the teacher (the teacher transforms: OFD margins from the
      teacher's BN are recomputed, margins estimated from data are estimated anew) replaces the
      checkpoint's, and a warning names both teachers.

    ``tools/train.py`` and ``tools/test.py`` add it to every run; add it to ``custom_hooks`` when building a
    Runner yourself.
    """

    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = self._model(runner)
        report = model.last_loss_report() if hasattr(model, 'last_loss_report') else ''
        check_finite_weights(checkpoint.get('state_dict', {}), f'checkpoint of iteration {runner.iter + 1}', report)
        teachers = {name: dict(module.teacher_identity) for name, _, module in distillers(model)}
        if teachers:
            checkpoint.setdefault('meta', {})[TEACHERS_KEY] = teachers

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', checkpoint)
        saved = (checkpoint.get('meta') or {}).get(TEACHERS_KEY)
        for name, prefix, module in distillers(self._model(runner)):
            if not self._holds_distiller(state, prefix):
                continue
            current = module.teacher_identity
            if saved is None or name not in saved:
                runner.logger.warning(
                    f'{name}: the checkpoint does not record its teacher, so it cannot be checked against '
                    f'{describe_teacher(current)}; its teacher transforms are used as saved.')
                continue
            if same_teacher(saved[name], current):
                continue
            derived = module.teacher_derived_state()
            keys = self._state_keys(state, prefix, derived)
            for key, ckpt_key in keys.items():
                state[ckpt_key] = derived[key].detach().clone()
            points = sorted({k.split('.teacher_transform', 1)[0] for k in keys})
            runner.logger.warning(
                f'{name}: the checkpoint was trained with teacher {describe_teacher(saved[name])}, this run '
                f'uses {describe_teacher(current)}. '
                + (f'Re-derived from the current teacher: the teacher transforms of {", ".join(points)} '
                   '(margins recomputed from its BN or estimated anew). ' if points else '')
                + 'The learned weights (student, connectors, losses) continue from the checkpoint.')

    @staticmethod
    def _model(runner) -> nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    @staticmethod
    def _holds_distiller(state: dict, prefix: str) -> bool:
        """Whether ``state`` holds the distiller at ``prefix`` (not, e.g., a student-only twin)."""
        heads = tuple(p + prefix + part for p in ('', 'module.') for part in ('student.', 'distill_points.'))
        return any(key.startswith(heads) for key in state)

    @staticmethod
    def _state_keys(state: dict, prefix: str, derived: Dict[str, object]) -> Dict[str, str]:
        """Derived key -> the checkpoint's key for it (with or without a ``module.`` prefix)."""
        keys = {}
        for key in derived:
            for ckpt_key in (prefix + key, 'module.' + prefix + key):
                if ckpt_key in state:
                    keys[key] = ckpt_key
        return keys
