"""Which teacher a distiller was built with: its checkpoint path and the SHA-256 of the file's content."""
import hashlib
import os.path as osp
from typing import Optional


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes (what ``sha256sum`` prints)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def teacher_identity(checkpoint: Optional[str]) -> Optional[dict]:
    """``dict(checkpoint=<path or URL>, sha256=<hex or None>)`` of a teacher checkpoint; None without one.

    The SHA-256 is that of a local file's content; a teacher given by URL is identified by its URL.
    """
    if checkpoint is None:
        return None
    local = checkpoint[len('file://'):] if checkpoint.startswith('file://') else checkpoint
    sha256 = file_sha256(local) if '://' not in local and osp.isfile(local) else None
    return dict(checkpoint=checkpoint, sha256=sha256)


def same_teacher(a: dict, b: dict) -> bool:
    """Whether two identities name the same teacher: same content when both have a SHA-256 (a moved or
    renamed file is the same teacher), else the same path or URL."""
    if a.get('sha256') and b.get('sha256'):
        return a['sha256'] == b['sha256']
    return a.get('checkpoint') == b.get('checkpoint')


def describe_teacher(identity: dict) -> str:
    """``<path> (sha256 <hex>)`` for messages."""
    return f"{identity.get('checkpoint')} (sha256 {identity.get('sha256') or 'unknown'})"
