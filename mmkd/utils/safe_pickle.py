"""Reading pickled data files without letting them run code.

A pickle names the functions that rebuild its objects, so ``pickle.load`` on a crafted file can call
anything (``os.system``, ``exec``, ...). :class:`ArrayUnpickler` resolves only what the CIFAR python
format holds -- numpy arrays and dtypes -- and refuses every other global with
:class:`UnsafePickleError`; dicts, lists, ints and strings need no global at all.
"""
import codecs
import importlib
import pickle
from typing import Any, Callable, Dict, Tuple

import numpy as np


class UnsafePickleError(pickle.UnpicklingError):
    """A file asked for a global outside the allow-list; nothing it names was called."""


def refusal_message(name: str, source: str, allowed: str, trusted_load: str) -> str:
    """The message for a refused global: what was refused, from where, and the trusted-file escape."""
    return (f'refused to unpickle {name} from {source}: not an allowed type; {allowed}. A file holding '
            f'other objects can run code when unpickled: only load it with {trusted_load} if you trust '
            'the file.')


def _numpy_reconstruct() -> Callable:
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            return importlib.import_module(module)._reconstruct
        except (ImportError, AttributeError):
            continue
    raise ImportError('numpy has no multiarray._reconstruct')


_RECONSTRUCT = _numpy_reconstruct()
# numpy < 2 pickles name numpy.core, numpy >= 2 numpy._core; both mean the running numpy's function.
ARRAY_GLOBALS: Dict[Tuple[str, str], Any] = {
    ('numpy.core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy._core.multiarray', '_reconstruct'): _RECONSTRUCT,
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): np.dtype,
    ('_codecs', 'encode'): codecs.encode,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler whose only globals are numpy array reconstruction (:data:`ARRAY_GLOBALS`)."""

    def __init__(self, file, source: str, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ARRAY_GLOBALS:
            return ARRAY_GLOBALS[(module, name)]
        raise UnsafePickleError(refusal_message(
            f'{module}.{name}', self.source,
            'data files are read with a restricted unpickler that only rebuilds numpy arrays, '
            'dicts, lists, numbers and strings', 'plain pickle.load'))


def load_array_pickle(path: str, encoding: str = 'bytes') -> Any:
    """Unpickle ``path`` with :class:`ArrayUnpickler` (``encoding`` as in :func:`pickle.load`).

    Raises:
        UnsafePickleError: The file names a global outside the allow-list.
        ValueError: The file is truncated or not a pickle.
    """
    with open(path, 'rb') as f:
        try:
            return ArrayUnpickler(f, path, encoding=encoding).load()
        except UnsafePickleError:
            raise
        except Exception as err:  # nothing ran: any other failure means a broken file
            raise ValueError(f'{path} could not be unpickled ({type(err).__name__}: {err}); the file is '
                             'corrupt or not a pickle. Regenerate or re-download it.') from err
