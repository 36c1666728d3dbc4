"""Loading a checkpoint for evaluation: strictly, with errors that say which config or file fits."""
import os.path as osp
from typing import Callable, Dict, List, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper

from mmkd.utils.checkpoint import STUDENT_PREFIX, extract_state_dict, load_checkpoint_file

PEERS_PREFIX = 'peers.'


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is evaluated with."""


def state_mismatch(module: nn.Module, state: Dict[str, object]) -> Dict[str, List[str]]:
    """Missing, unexpected and reshaped keys of ``state`` against ``module``'s state dict."""
    own = module.state_dict()
    shape = (lambda v: tuple(getattr(v, 'shape', ())))  # noqa: E731
    return dict(
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        reshaped=[f'{k}: checkpoint {shape(state[k])} vs model {shape(v)}' for k, v in own.items()
                  if k in state and shape(state[k]) != shape(v)])


def fits(module: Optional[nn.Module], state: Dict[str, object]) -> bool:
    """Whether ``state`` has exactly ``module``'s keys (shapes are checked by the strict load: some modules
    resize buffers as they load, e.g. a margin estimated from data)."""
    return isinstance(module, nn.Module) and module.state_dict().keys() == state.keys()


def exported_student(checkpoint: dict) -> bool:
    """Whether a checkpoint is a student exported from a distiller (a ``*_student.pth`` twin)."""
    return str(checkpoint.get('meta', {}).get('exported_from', '')).startswith('mmkd distillation checkpoint')


def _load_strict(module: nn.Module, state: Dict[str, object], path: str, what: str,
                 load: Optional[Callable[[Dict[str, object]], None]] = None) -> None:
    """``load(state)`` (default: ``module.load_state_dict(state, strict=True)``), a failure named."""
    load = load or (lambda sd: module.load_state_dict(sd, strict=True))
    try:
        load(state)
    except RuntimeError as err:
        raise CheckpointMismatchError(f'{path} does not fit {what}: {_diff(module, state) or err}') from err


def _diff(module: nn.Module, state: Dict[str, object]) -> str:
    def head(items):
        return ', '.join(items[:5]) + (f' (+{len(items) - 5} more)' if len(items) > 5 else '')
    found = state_mismatch(module, state)
    labels = dict(missing='missing in the checkpoint', unexpected='not in the model', reshaped='other shape')
    return '; '.join(f'{labels[k]} ({len(v)}): {head(v)}' for k, v in found.items() if v)


def mismatch_message(model: nn.Module, state: Dict[str, object], path: str, config: str) -> str:
    """Why ``state`` (read from ``path``) does not fit the model of ``config``, and what to run instead."""
    has_student = any(k.startswith(STUDENT_PREFIX) for k in state)
    student = getattr(model, 'student', None)
    student = student if isinstance(student, nn.Module) else None
    kind = type(model).__name__
    if has_student and student is None:
        twin = osp.splitext(path)[0] + '_student.pth'
        plain = {k[len(STUDENT_PREFIX):]: v for k, v in state.items() if k.startswith(STUDENT_PREFIX)}
        note = '' if fits(model, plain) else f' (its student does not fit this config either: {_diff(model, plain)})'
        return (f'{path} holds a distiller (keys \'student.*\'), but {config} builds a plain {kind}{note}. '
                'Test it with the distillation config it was trained with, or test its student alone: the '
                f'{twin} twin written beside it by StudentCheckpointHook, or an export by '
                f'tools/model_converters/distill_to_student.py {path}, with the student config '
                '(student_config.py in the work dir).')
    if any(k.startswith(PEERS_PREFIX) for k in state) and not hasattr(model, 'peers'):
        return (f'{path} holds a mutual-learning model (keys \'peers.*\'), but {config} builds a plain {kind}. '
                'Test it with its own config (model.predict_peer=<name> picks the peer), or export one peer '
                f'with tools/model_converters/distill_to_student.py {path} --peer NAME --out-config '
                'PEER_CONFIG and test that.')
    teacher = getattr(model, 'teacher', None)
    if student is not None and fits(teacher, state):
        same = ' and the student (same architecture), and is not an exported *_student.pth twin' if fits(
            student, state) else ''
        return (f'{path} fits the teacher of {config}{same}. A distillation config evaluates its student: '
                'test a teacher (or any plain model) with its own config, and a student with its '
                '*_student.pth twin or the distiller checkpoint.')
    if student is not None and fits(student, state):
        return (f'{path} holds the student of {config} alone; {kind} cannot take it: test it with the '
                'student\'s own config.')
    peers = getattr(model, 'peers', None)
    if isinstance(peers, nn.ModuleDict) and any(fits(p, state) for p in peers.values()):
        return (f'{path} holds a single peer of {config}; test it with the peer\'s own config '
                '(tools/model_converters/distill_to_student.py --peer NAME --out-config writes it).')
    target = student if student is not None and not has_student else model
    what = f"the student of {config}" if target is student else f'the {kind} of {config}'
    return (f'{path} does not fit {what}: {_diff(target, state)}. Test a checkpoint with the config it was '
            'trained with (a teacher\'s checkpoint with the teacher\'s config, a *_student.pth twin with '
            'student_config.py or the distillation config).')


def load_test_checkpoint(runner, path: str, config: Optional[str] = None) -> None:
    """Load ``path`` into the runner's model for evaluation, strictly.

    A checkpoint that fits the model exactly is loaded as is; a student-only checkpoint (a ``*_student.pth``
    twin) given with a distillation config is loaded into the distiller's student, which is what is
    evaluated, and the log says so. Anything else raises :class:`CheckpointMismatchError` naming the config
    or file that fits. Hooks' ``after_load_checkpoint`` run first, as in ``Runner.load_checkpoint``.
    """
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    config = config or 'the config'
    checkpoint = load_checkpoint_file(path, 'test')
    runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    state = extract_state_dict(checkpoint, prefer_student=False)
    student = getattr(model, 'student', None)
    if fits(model, state):
        _load_strict(model, state, path, f'the {type(model).__name__} of {config}')
        runner.logger.info(f'Load checkpoint from {path}')
    elif hasattr(model, 'load_student_state') and fits(student, state) and (
            exported_student(checkpoint) or not fits(getattr(model, 'teacher', None), state)):
        _load_strict(student, state, path, f'the student of {config}', load=model.load_student_state)
        runner.logger.info(f'Load checkpoint from {path}: it holds the student alone, loaded into the '
                           'distiller\'s student (the model evaluated).')
    else:
        raise CheckpointMismatchError(mismatch_message(model, state, path, config))
