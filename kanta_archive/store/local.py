"""The local file-system backend: a store directory.

Crash safety comes from workspaces in ``<store>/.staging`` (same filesystem) renamed into
place, ``os.replace`` for the root inventory, and fsync (or one ``syncfs(2)`` per step in a
batch); concurrency from one ``flock`` per object (4096 striped lock files in
``<store>/.locks``). The protocol is in docs/store-layout.md; the placing of versions is in
:mod:`kanta_archive.store.local_commit`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from kanta_archive.errors import ConflictError, StoreError
from kanta_archive.store import local_commit
from kanta_archive.store.fsync import fsync_path, makedirs_durable, write_file
from kanta_archive.store.inventory import OBJECT_NAMASTE
from kanta_archive.store.layout import LOCATORS
from kanta_archive.store.locking import exclusive_lock, exclusive_locks, try_exclusive_lock
from kanta_archive.store.storage import Leftover, StagedVersion, Storage

STAGING = ".staging"
LOCKS = ".locks"
CONTROLLERS = "controllers"
LOCK_STRIPE_CHARS = 3
_RENAME_RETRIES = 20
_KEY_RE = re.compile(r"(root-)?[0-9a-f]{64}")


class LocalStorage(Storage):
    """A store directory on a local (POSIX) filesystem."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._base = os.fspath(path)
        self._staging = path / STAGING
        self._locks = path / LOCKS

    @property
    def location(self) -> str:
        return self._base

    def full(self, key: str) -> str:
        """The filesystem path of a key."""
        return f"{self._base}/{key}" if key else self._base

    def open_existing(self) -> None:
        """Make the store's own directories if an older version of the tool did not."""
        if self.readonly:
            return
        for name in (CONTROLLERS, STAGING, LOCKS, LOCATORS):
            os.makedirs(self.full(name), exist_ok=True)

    # ------------------------------------------------------------------ reading

    def read(self, key: str) -> bytes | None:
        try:
            with open(self.full(key), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except IsADirectoryError as exc:
            raise StoreError(f"{self.full(key)} is a directory, not a file") from exc

    def is_file(self, key: str) -> bool:
        return os.path.isfile(self.full(key))

    def size(self, key: str) -> int | None:
        try:
            return os.stat(self.full(key)).st_size if self.is_file(key) else None
        except OSError:
            return None

    def is_dir(self, key: str) -> bool:
        """Is there a directory at ``key``?"""
        return os.path.isdir(self.full(key))

    def list_dirs(self, key: str) -> list[str]:
        try:
            with os.scandir(self.full(key)) as entries:
                return sorted(e.name for e in entries if e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def walk(self, key: str) -> Iterator[tuple[str, list[str], list[str]]]:
        start = self.full(key)
        for dirpath, dirs, files in os.walk(start):
            rel = os.path.relpath(dirpath, self._base).replace(os.sep, "/")
            dirs.sort()
            yield rel, dirs, sorted(files)

    def object_dirs(self, root_key: str) -> Iterator[str]:
        root = self.full(root_key)
        for dirpath, dirs, files in os.walk(root):
            if OBJECT_NAMASTE in files:
                dirs.clear()
                yield os.path.relpath(dirpath, self._base).replace(os.sep, "/")
            elif dirpath == root and "extensions" in dirs:
                dirs.remove("extensions")
            dirs.sort()

    def entries(self, key: str) -> list[tuple[str, bool]]:
        """``(name, is directory)`` of every entry directly below ``key``."""
        try:
            with os.scandir(self.full(key)) as found:
                return sorted((e.name, e.is_dir()) for e in found)
        except (FileNotFoundError, NotADirectoryError):
            return []

    # ------------------------------------------------------------------ store and roots

    def create_store(self, marker: str, data: bytes, own_names: Sequence[str]) -> None:
        root = self.path
        if root.exists():
            if not root.is_dir():
                raise StoreError(f"{root} is not a kanta-archive store (not a directory)")
            ours = {*own_names, CONTROLLERS, STAGING, LOCKS, LOCATORS}
            others = [
                n for n in os.listdir(root) if n not in ours and not n.startswith(marker + ".")
            ]
            if others:
                raise StoreError(
                    f"{root} is not a kanta-archive store (directory is not empty and has no "
                    f"{marker})"
                )
        else:
            makedirs_durable(root.absolute(), stop=Path(root.absolute().anchor))
        for name in (CONTROLLERS, STAGING, LOCKS, LOCATORS):
            (root / name).mkdir(exist_ok=True)
        tmp = root / f"{marker}.{secrets.token_hex(8)}.tmp"
        write_file(tmp, data, sync=True)
        os.replace(tmp, root / marker)
        fsync_path(root)

    def ensure_root(self, root_key: str, files: Sequence[tuple[str, bytes]]) -> None:
        root = Path(self.full(root_key))
        declaration = root / files[0][0]
        if declaration.is_file():
            return
        controller = root_key.rsplit("/", 1)[-1]
        key = "root-" + hashlib.sha256(controller.encode()).hexdigest()
        with exclusive_lock(self.lock_file(key)):
            if declaration.is_file():
                return
            if root.exists():
                raise StoreError(f"{root} exists but is not an OCFL storage root")
            workspace = self._staging / f"{key}.{secrets.token_hex(8)}"
            try:
                workspace.mkdir()
                made = {workspace}
                for name, data in files:
                    target = workspace / name
                    if target.parent not in made:
                        target.parent.mkdir(parents=True)
                        made.update((target.parent, *target.parent.parents))
                    write_file(target, data, sync=True)
                for directory in sorted(
                    (d for d in made if workspace in (d, *d.parents)),
                    key=lambda d: len(d.parts),
                    reverse=True,
                ):
                    fsync_path(directory)
                try:
                    os.rename(workspace, root)
                except OSError as exc:  # another process (without our lock?) won the race
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                fsync_path(root.parent)
            finally:
                if workspace.exists():
                    shutil.rmtree(workspace, ignore_errors=True)

    # ------------------------------------------------------------------ writing

    def lock_file(self, key: str) -> Path:
        """Lock file for an object key (striped: 4096 files, so ``.locks`` stays small; two
        objects sharing a stripe just serialise) or a storage-root key (``root-...``)."""
        if key.startswith("root-"):
            return self._locks / key
        return self._locks / f"obj-{key[:LOCK_STRIPE_CHARS]}"

    def lock(self, lock_keys: Sequence[str]) -> AbstractContextManager[None]:
        return exclusive_locks([self.lock_file(k) for k in lock_keys])

    def prepare_batch(self) -> set[str] | None:
        # Only holders of these locks add entries for these keys, and the caller holds
        # them all: one listing serves the whole batch.
        return {name.split(".", 1)[0] for name in os.listdir(self._staging)}

    def write_versions(self, staged: Sequence[StagedVersion], *, batch: bool) -> None:
        local_commit.write_versions(self, staged, batch=batch)

    def workspace(self, key: str) -> str:
        """A new, unique workspace path for the object of ``key`` (not created)."""
        return f"{self._staging}/{key}.{secrets.token_hex(8)}"

    def rename_into(self, source: str, target: str, stop: str, touched: set[str]) -> None:
        """Rename ``source`` to ``target``, creating the target's parents; refuse to replace
        a non-empty directory. A concurrent cleanup may remove an empty parent between the
        mkdir and the rename: retry then. Every directory whose entries changed is added to
        ``touched``; the caller fsyncs them all before reporting success."""
        parent = os.path.dirname(target)
        for _attempt in range(_RENAME_RETRIES):
            for created in makedirs_durable(parent, stop, sync=False):
                touched.add(os.path.dirname(created))
            try:
                os.rename(source, target)
            except FileNotFoundError:
                if not os.path.exists(source):
                    raise
                continue
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise ConflictError(f"{target} already exists") from exc
                raise
            touched.add(parent)
            return
        raise StoreError(f"could not rename {source} to {target}: parent keeps disappearing")

    def replace(self, key: str, data: bytes, *, lock_key: str, token: object | None) -> None:
        target = self.full(key)
        tmp = f"{self._staging}/{lock_key}.{secrets.token_hex(8)}.tmp"
        write_file(tmp, data, sync=True)
        os.replace(tmp, target)
        fsync_path(os.path.dirname(target))

    def remove_tree(self, key: str, *, lock_key: str) -> bool:
        path = self.full(key)
        trash = f"{self._staging}/{lock_key}.trash-{secrets.token_hex(8)}"
        os.rename(path, trash)
        fsync_path(os.path.dirname(path))
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def move_object(
        self, source_key: str, target_key: str, target_root: str, locators: tuple[str, str]
    ) -> None:
        source = self.full(source_key)
        target = self.full(target_key)
        if os.path.exists(target):
            raise ConflictError(f"{target} already exists")
        old_locator, new_locator = locators
        self.add_locator(new_locator, source_key)
        touched: set[str] = set()
        self.rename_into(source, target, self.full(target_root), touched)
        touched.add(os.path.dirname(source))
        for directory in touched:
            fsync_path(directory)
        self.remove_locator(old_locator)
        source_root = self.full("/".join(source_key.split("/")[:2]))
        self._prune_empty(Path(source).parent, Path(source_root))

    def names_with_prefix(self, dir_key: str, prefix: str) -> list[str]:
        try:
            with os.scandir(self.full(dir_key)) as entries:
                return sorted(e.name for e in entries if e.name.startswith(prefix))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def link_locator(self, key: str, source: str, *, sync: bool) -> list[str]:
        """Create locator ``key`` as a hard link to ``source`` (an object declaration: a
        directory entry, no new inode), or as an empty file where links fail. Returns the
        directories whose entries changed (the caller makes them durable unless ``sync``)."""
        path = self.full(key)
        directory = os.path.dirname(path)
        changed = [directory]
        for created in makedirs_durable(directory, self._base, sync=sync):
            changed.append(os.path.dirname(created))
        try:
            os.link(source, path)
        except FileExistsError:
            return changed
        except OSError:
            try:
                write_file(path, b"", sync=sync)
            except FileExistsError:
                return changed
        if sync:
            fsync_path(directory)
        return changed

    def add_locator(self, key: str, object_key: str) -> None:
        self.link_locator(key, f"{self.full(object_key)}/{OBJECT_NAMASTE}", sync=True)

    def remove_locator(self, key: str) -> None:
        path = self.full(key)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        fsync_path(os.path.dirname(path))

    @staticmethod
    def _prune_empty(directory: Path, stop: Path) -> None:
        """Remove empty directories from ``directory`` up to (not including) ``stop``."""
        while directory != stop and stop in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            fsync_path(directory.parent)
            directory = directory.parent

    # ------------------------------------------------------------------ housekeeping

    def leftovers(self) -> list[Leftover]:
        found = []
        for entry in sorted(os.scandir(self._staging), key=lambda e: e.name):
            found.append(Leftover(entry.name.split(".", 1)[0], f"{STAGING}/{entry.name}"))
        return found

    def remove_leftovers(self, lock_key: str, names: Sequence[str] | None = None) -> list[str]:
        removed = []
        wanted = None if names is None else {n.rsplit("/", 1)[-1] for n in names}
        for entry in os.scandir(self._staging):
            if not entry.name.startswith(lock_key + "."):
                continue
            if wanted is not None and entry.name not in wanted:
                continue
            path = Path(entry.path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(f"removed {STAGING}/{entry.name}")
        return removed

    def sweep_leftovers(self) -> list[str]:
        """Each leftover is named after the key of the lock its writer held while making
        it; a lock taken here without waiting proves that writer gone (a running commit
        holds the lock from before its workspace exists until after it is removed)."""
        removed: list[str] = []
        try:
            names = os.listdir(self._staging)
        except FileNotFoundError:
            return removed
        by_key: dict[str, list[str]] = {}
        for name in names:
            key = name.split(".", 1)[0]
            if self.is_lock_key(key):
                by_key.setdefault(key, []).append(name)
        for key in sorted(by_key):
            with try_exclusive_lock(self.lock_file(key)) as taken:
                if taken:
                    removed += self.remove_leftovers(key, by_key[key])
        return removed

    @staticmethod
    def is_lock_key(key: str) -> bool:
        """Is ``key`` a lock key the store makes (leftovers of anything else are foreign)?"""
        return _KEY_RE.fullmatch(key) is not None

    def remove_empty_dirs(self, root_key: str) -> list[str]:
        """Remove empty directories between the storage root and its objects (left by an
        interrupted move or mkdir). Never looks inside objects or ``extensions``."""
        root = Path(self.full(root_key))
        candidates: list[Path] = []
        for dirpath, dirs, files in os.walk(root):
            path = Path(dirpath)
            if path == root:
                if "extensions" in dirs:
                    dirs.remove("extensions")
                continue
            if files:
                dirs.clear()  # an object (or foreign files): leave it alone
                continue
            candidates.append(path)
        actions = []
        for path in sorted(candidates, key=lambda p: len(p.parts), reverse=True):
            try:
                path.rmdir()  # fails unless empty
            except OSError:
                continue
            fsync_path(path.parent)
            actions.append(f"removed empty directory {path.relative_to(self.path)}")
        return actions
