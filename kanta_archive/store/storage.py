"""The storage interface under the OCFL logic.

:class:`kanta_archive.store.Store` knows OCFL (inventories, versions, layout, verification
and recovery decisions); a :class:`Storage` knows where bytes live and how to place them
so that a crash or a concurrent writer never leaves a torn object. Two backends:
:class:`kanta_archive.store.local.LocalStorage` (a directory: workspaces, ``rename(2)``,
``fsync``/``syncfs``, ``flock``) and :class:`kanta_archive.store.s3.S3Storage`
(S3-compatible object storage: conditional writes, no lock service).

Keys are ``/``-separated paths relative to the store root (``controllers/<OID>/...``);
the OCFL layer builds them only from checked identifiers (:mod:`kanta_archive.store.layout`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from kanta_archive.errors import ConflictError
from kanta_archive.store.inventory import NewVersion


class PartialCommitError(ConflictError):
    """Some versions of a batch were committed and others conflicted (a backend without
    locks finds conflicts only while writing). ``committed`` maps the position of each
    committed request in the batch to its new version number: those are durable."""

    def __init__(self, message: str, committed: dict[int, int]) -> None:
        super().__init__(message)
        self.committed = committed


@dataclass(frozen=True)
class StagedVersion:
    """One version to place: the object's key, the lock key that protects it, the version
    itself, and the token (ETag) of the root inventory it replaces (``None`` for a new
    object, or on a backend without tokens)."""

    object_key: str
    lock_key: str
    version: NewVersion
    previous: object | None = None
    #: For a new object: the locator entry (``sets/<shard>/<id>@<controller>``) to create
    #: before the object becomes visible.
    locator: str | None = None

    @property
    def new_object(self) -> bool:
        """True for version 1: the whole object appears at once."""
        return self.version.number == 1


@dataclass(frozen=True)
class Leftover:
    """Unfinished work a backend found (a workspace, a temp file, an upload without its
    inventory): ``key`` names the lock that protects it; ``name`` is for people."""

    key: str
    name: str


class Storage(ABC):
    """Where the bytes of one store live. See the module docstring."""

    #: True when the store was opened read-only: every write raises ``StoreError``.
    readonly: bool = False
    #: True when :meth:`lock` excludes other writers (then ``Store`` recovers each object
    #: under its lock before a commit); False when conditional writes decide instead.
    locks_objects: bool = True

    @property
    @abstractmethod
    def location(self) -> str:
        """The store's path or URL, for messages."""

    # ------------------------------------------------------------------ reading

    @abstractmethod
    def read(self, key: str) -> bytes | None:
        """The bytes at ``key``, ``None`` when there is no such file."""

    def read_versioned(self, key: str) -> tuple[bytes, object | None] | None:
        """The bytes at ``key`` and a token that :meth:`replace` can check (an ETag);
        backends without tokens return ``None`` as the token."""
        data = self.read(key)
        return None if data is None else (data, None)

    @abstractmethod
    def is_file(self, key: str) -> bool:
        """Is there a file at ``key``?"""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The size in bytes of the file at ``key``, ``None`` when there is none."""

    @abstractmethod
    def entries(self, key: str) -> list[tuple[str, bool]]:
        """``(name, is directory)`` of everything directly below ``key``, sorted."""

    def list_dirs(self, key: str) -> list[str]:
        """Names of the directories (key prefixes) directly below ``key``."""
        return [name for name, is_dir in self.entries(key) if is_dir]

    @abstractmethod
    def walk(self, key: str) -> Iterator[tuple[str, list[str], list[str]]]:
        """``(directory key, directory names, file names)`` top-down below ``key``, like
        ``os.walk``: the caller may prune the directory list."""

    @abstractmethod
    def object_dirs(self, root_key: str) -> Iterator[str]:
        """Keys of every OCFL object (a directory holding ``0=ocfl_object_1.1``) below a
        storage root, sorted, never descending into an object or ``extensions``."""

    # ------------------------------------------------------------------ store and roots

    def open_existing(self) -> None:  # noqa: B027 - most backends need nothing here
        """Called when an existing store is opened (a backend may add what an older version
        of the tool did not make)."""

    @abstractmethod
    def create_store(self, marker: str, data: bytes, own_names: Sequence[str]) -> None:
        """Make a new store: refuse a location that holds anything but ``own_names``;
        write the marker file last."""

    @abstractmethod
    def ensure_root(self, root_key: str, files: Sequence[tuple[str, bytes]]) -> None:
        """Create the storage root ``root_key`` with ``files`` (relative names) unless it
        exists; complete or absent for every reader, whatever the crash."""

    # ------------------------------------------------------------------ writing

    @abstractmethod
    def lock(self, lock_keys: Sequence[str]) -> AbstractContextManager[None]:
        """Exclusive locks on the objects of ``lock_keys`` (a backend without a lock
        service returns a no-op and relies on conditional writes)."""

    @abstractmethod
    def write_versions(self, staged: Sequence[StagedVersion], *, batch: bool) -> None:
        """Place every staged version durably: content first, then the version inventory,
        then the root inventory, then the root sidecar, never a root inventory naming a
        version that is not yet durable. Raise ``ConflictError`` for a version another
        writer placed first. ``batch``: many objects, few flushes."""

    @abstractmethod
    def replace(self, key: str, data: bytes, *, lock_key: str, token: object | None) -> None:
        """Replace an existing file atomically and durably (``token``: the expected current
        version where the backend checks one)."""

    @abstractmethod
    def remove_tree(self, key: str, *, lock_key: str) -> bool:
        """Remove a directory (an incomplete version) and everything below it. False when
        it was left alone (a backend without locks leaves work that may still be in
        progress)."""

    @abstractmethod
    def move_object(
        self, source_key: str, target_key: str, target_root: str, locators: tuple[str, str]
    ) -> None:
        """Move an object directory to another storage root: atomic where the backend can
        rename, otherwise crash-safe and resumable. ``ConflictError`` if the target
        exists. ``locators``: the old and the new locator entry; the new one is made before
        the object appears at the target, the old one removed after it left the source."""

    @abstractmethod
    def names_with_prefix(self, dir_key: str, prefix: str) -> list[str]:
        """Names of the files directly in ``dir_key`` that start with ``prefix``, sorted
        (one listing: the locator lookup)."""

    @abstractmethod
    def add_locator(self, key: str, object_key: str) -> None:
        """Create the locator entry ``key`` (durably) for the existing object at
        ``object_key``, unless it exists."""

    @abstractmethod
    def remove_locator(self, key: str) -> None:
        """Remove a locator entry (durably), if it exists."""

    # ------------------------------------------------------------------ housekeeping

    @abstractmethod
    def leftovers(self) -> list[Leftover]:
        """Unfinished work of interrupted writers, for ``verify`` and ``recover``."""

    @abstractmethod
    def remove_leftovers(self, lock_key: str, names: Sequence[str] | None = None) -> list[str]:
        """Remove the leftovers of one lock key (all, or those named); the caller holds
        that lock. Returns what was removed."""

    @abstractmethod
    def remove_empty_dirs(self, root_key: str) -> list[str]:
        """Remove empty directories between a storage root and its objects."""

    def sweep_leftovers(self) -> list[str]:
        """Remove leftovers of writers that are no longer running, without waiting for any
        lock (a live writer's work is never touched). Returns what was removed."""
        return []

    def abandoned(self, key: str) -> bool:
        """May ``key``, left by unfinished work, be removed now? (The caller holds the lock
        of its object where the backend has locks; without locks, only once it is older
        than the backend's grace period.)"""
        return True

    def resume_moves(self) -> list[str]:
        """Finish moves interrupted by a crash (a backend whose moves are not one atomic
        rename records an intent first). Returns what was done."""
        return []

    def prepare_batch(self) -> set[str] | None:
        """Called under the batch's locks: the lock keys that have leftovers (one listing
        for the whole batch), or ``None`` when the backend has no such listing."""
        return None
