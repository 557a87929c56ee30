"""Files holding the company's data (the SQLite database, attachments, the signing key) are
readable by the server's own user only: 0600, in directories of mode 0700.

Modes are given when a file or directory is created (so there is no moment at which it is
readable by others) and tightened on ones made by an earlier release that is still ours.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700; tighten it if it exists."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
    tighten(path, DIRECTORY_MODE)


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """Remove group and other rights from ``path`` if it exists and belongs to us."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) & 0o077:
        path.chmod(stat.S_IMODE(status.st_mode) & mode)


def create_private(path: Path) -> int:
    """A new file (it must not exist) of mode 0600, opened for writing: its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def write_private(path: Path, content: bytes) -> None:
    with os.fdopen(create_private(path), "wb") as out:
        out.write(content)
