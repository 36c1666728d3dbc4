"""Writing files so that a process killed mid-write leaves the old file or the new one, never half of one."""
import contextlib
import os
import os.path as osp
import re
import uuid
from typing import IO, Iterator, List

import torch

TEMP_TAG = '.mmkd-tmp-'
_TEMP_NAME = re.compile(r'^\..+' + re.escape(TEMP_TAG) + r'(\d+)-[0-9a-f]+$')


def temp_path(path: str) -> str:
    """A hidden temporary name beside ``path``: ``.<name>.mmkd-tmp-<pid>-<random>``."""
    folder, name = osp.split(osp.abspath(path))
    return osp.join(folder, f'.{name}{TEMP_TAG}{os.getpid()}-{uuid.uuid4().hex[:8]}')


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'wb') -> Iterator[IO]:
    """Open a temporary file beside ``path``; when the block ends without error it is flushed to disk and
    replaces ``path`` with ``os.replace``, otherwise it is removed and ``path`` is left as it was."""
    tmp = temp_path(path)
    try:
        with open(tmp, mode.replace('w', 'x')) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def torch_save_atomic(obj, path: str) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write`."""
    with atomic_write(path) as f:
        torch.save(obj, f)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(folder: str) -> List[str]:
    """Remove the temporary files in ``folder`` that writers killed mid-write left; their paths."""
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in os.listdir(folder):
        match = _TEMP_NAME.match(name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.remove(osp.join(folder, name))
                removed.append(osp.join(folder, name))
    return removed
