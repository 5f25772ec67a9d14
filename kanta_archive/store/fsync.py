"""Small durability helpers: write-and-fsync, directory fsync, filesystem-wide sync."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path


def write_file(path: str | os.PathLike[str], data: bytes, *, sync: bool) -> None:
    """Create ``path`` (must not exist) with ``data``; fsync it when ``sync``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_path(path: str | os.PathLike[str]) -> None:
    """fsync a file or a directory by path."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def makedirs_durable(
    path: str | os.PathLike[str], stop: str | os.PathLike[str], *, sync: bool = True
) -> list[str]:
    """Create ``path`` and missing parents below ``stop`` (which must exist), fsyncing the
    parent of each directory created (unless ``sync=False``: then the caller must fsync the
    parents of the returned directories). Returns the directories created. Tolerates other
    processes creating the same directories concurrently."""
    stop = os.fspath(stop)
    missing: list[str] = []
    current = os.fspath(path)
    while current != stop and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if not parent or parent == current:
            break
        current = parent
    created: list[str] = []
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            continue
        created.append(directory)
        if sync:
            fsync_path(os.path.dirname(directory) or ".")
    return created


_libc: ctypes.CDLL | None = None


def _load_libc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        if name is None:
            return None
        _libc = ctypes.CDLL(name, use_errno=True)
    return _libc


def syncfs(path: Path) -> bool:
    """Flush every dirty file and directory of the filesystem holding ``path`` (Linux
    ``syncfs(2)``). Returns False when the call is not available (the caller must then
    fsync each file itself)."""
    libc = _load_libc()
    if libc is None or not hasattr(libc, "syncfs"):
        return False
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.syncfs(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), str(path))
    finally:
        os.close(fd)
    return True
