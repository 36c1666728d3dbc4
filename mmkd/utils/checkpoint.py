"""Reading model checkpoints with errors that say what to do, and exporting student-only checkpoints."""
import os.path as osp
import zipfile
from collections import OrderedDict
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint

from mmkd.compat import CheckpointDownloadError, CorruptCheckpointError
from mmkd.utils.atomic_io import torch_save_atomic
from mmkd.utils.safe_pickle import UnsafePickleError

STUDENT_PREFIX = 'student.'


def load_checkpoint_file(path: str, what: str = 'model') -> dict:
    """Load a checkpoint from a local path or URL, turning failures into actionable errors.

    Every scheme reads the file with ``torch.load(weights_only=True)`` and mmkd's allow-list (see
    :mod:`mmkd.compat`).

    Raises:
        FileNotFoundError: The local file does not exist.
        CheckpointDownloadError: The URL could not be fetched.
        UnsafePickleError: The file asks for a type outside the allow-list (it may be crafted to run code).
        CorruptCheckpointError: The file is corrupt (a ``RuntimeError``, as are other read failures).
        RuntimeError: The file could not be read otherwise, or holds no checkpoint dict.
    """
    if not isinstance(path, str) or not path:
        raise ValueError(f'{what} checkpoint must be a path or URL, got {path!r}')
    is_remote = '://' in path and not path.startswith('file://')
    if not is_remote and not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} checkpoint {path!r} does not exist. Train it first (tools/train.py writes '
            f'<work_dir>/iter_N.pth or epoch_N.pth) or point the config at an existing file.')
    try:
        checkpoint = _load_checkpoint(path, map_location='cpu')
    except (FileNotFoundError, CheckpointDownloadError, UnsafePickleError) as err:
        raise type(err)(f'{what} checkpoint: {err}') from None
    except CorruptCheckpointError as err:
        raise CorruptCheckpointError(f'{what} {err}') from None
    except Exception as err:  # torch raises many types for truncated/corrupt files
        raise RuntimeError(f'{what} checkpoint {path!r} could not be read ({type(err).__name__}: '
                           f'{err}). The file is corrupt or not a PyTorch checkpoint; re-export or '
                           'retrain it.') from err
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'{what} checkpoint {path!r} holds a {type(checkpoint).__name__}, not a '
                           'state dict or an mmengine checkpoint dict.')
    return checkpoint


def checkpoint_problem(path: str) -> Optional[str]:
    """Why the local checkpoint ``path`` cannot be read, or ``None`` when it can.

    A zip-format file (what ``torch.save`` writes) is checked against its CRCs without unpickling it; any
    other file is loaded.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                damaged = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f'a damaged archive ({err})'
        return None if damaged is None else f'a damaged archive (entry {damaged} fails its CRC)'
    try:
        load_checkpoint_file(path, 'the')
    except Exception as err:  # every read failure makes the file unusable
        return f'unreadable ({type(err).__name__}): torn by an interrupted save, or corrupt'
    return None


def extract_state_dict(checkpoint: dict, prefer_student: bool = True) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint; a distillation checkpoint yields its student's weights."""
    state = checkpoint.get('state_dict', checkpoint)
    state = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                        for k, v in state.items())
    if prefer_student and any(k.startswith(STUDENT_PREFIX) for k in state):
        state = OrderedDict((k[len(STUDENT_PREFIX):], v) for k, v in state.items()
                            if k.startswith(STUDENT_PREFIX))
    return state


def check_state_dict_fits(model: nn.Module, state: Dict[str, torch.Tensor], what: str,
                          path: str) -> None:
    """Raise if ``state`` does not fit ``model`` exactly (missing, unexpected or reshaped tensors)."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    reshaped = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
                for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or reshaped:
        def head(items):
            return ', '.join(items[:5]) + (f' (+{len(items) - 5} more)' if len(items) > 5 else '')
        lines = [f'{what} checkpoint {path!r} does not fit the {what} model built from its config:']
        if missing:
            lines.append(f'  missing in checkpoint ({len(missing)}): {head(missing)}')
        if unexpected:
            lines.append(f'  not in model ({len(unexpected)}): {head(unexpected)}')
        if reshaped:
            lines.append(f'  shape mismatch ({len(reshaped)}): {head(reshaped)}')
        lines.append(f'  Check that the {what} config is the one the checkpoint was trained with.')
        raise RuntimeError('\n'.join(lines))


def load_weights(model: nn.Module, path: str, what: str) -> dict:
    """Load ``path`` into ``model`` strictly, after checking it fits; returns the checkpoint's meta."""
    checkpoint = load_checkpoint_file(path, what)
    state = extract_state_dict(checkpoint)
    check_state_dict_fits(model, state, what, path)
    model.load_state_dict(state, strict=True)
    return checkpoint.get('meta', {})


def student_checkpoint(checkpoint: dict) -> dict:
    """A plain checkpoint of the student alone, loadable by ``init_detector`` / ``init_model``."""
    state = checkpoint.get('state_dict', checkpoint)
    if not any(k.startswith(STUDENT_PREFIX) for k in state):
        raise ValueError('this checkpoint has no "student." weights; it is not a distillation '
                         'checkpoint (a plain model checkpoint needs no export).')
    meta = dict(checkpoint.get('meta', {}))
    meta['exported_from'] = 'mmkd distillation checkpoint (student only)'
    return dict(meta=meta, state_dict=extract_state_dict(checkpoint))


def export_student(src: str, dst: Optional[str] = None) -> str:
    """Write the student-only twin of distillation checkpoint ``src`` (default: ``*_student.pth``), atomically."""
    dst = dst or osp.splitext(src)[0] + '_student.pth'
    torch_save_atomic(student_checkpoint(load_checkpoint_file(src, 'distillation')), dst)
    return dst
