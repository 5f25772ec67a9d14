"""A crash-safe, concurrency-safe OCFL 1.1 store (writer and reader).

Layout (see docs/store-layout.md)::

    <store>/kanta-archive-store.json          marker
    <store>/.staging/<key>.<token>/          workspaces (same filesystem)
    <store>/.locks/<key>                      flock files
    <store>/controllers/<controller OID>/     one OCFL 1.1 storage root per controller
        0=ocfl_1.1, ocfl_layout.json, extensions/0003-hash-and-id-n-tuple-storage-layout/
        <aaa>/<bbb>/<ccc>/<percent-encoded urn:oid:<object OID>>/   one OCFL object

The store knows nothing about documents: an object is a set of logical paths with bytes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kanta_archive.errors import ConflictError, StoreError, UsageError
from kanta_archive.jsontext import indented
from kanta_archive.store.fsync import fsync_path, makedirs_durable, syncfs, write_file
from kanta_archive.store.layout import (
    LAYOUT_CONFIG,
    LAYOUT_DESCRIPTION,
    LAYOUT_EXTENSION,
    check_logical_path,
    check_logical_paths,
    check_oid,
    layout_path,
    lock_key,
    object_id_from_ocfl_id,
    ocfl_id,
)
from kanta_archive.store.locking import exclusive_lock, exclusive_locks

MARKER = "kanta-archive-store.json"
MARKER_TYPE = "kanta-archive-store"
MARKER_VERSION = 1
STAGING = ".staging"
LOCKS = ".locks"
CONTROLLERS = "controllers"
ROOT_NAMASTE = "0=ocfl_1.1"
ROOT_NAMASTE_TEXT = b"ocfl_1.1\n"
OBJECT_NAMASTE = "0=ocfl_object_1.1"
OBJECT_NAMASTE_TEXT = b"ocfl_object_1.1\n"
LAYOUT_FILE = "ocfl_layout.json"
INVENTORY = "inventory.json"
SIDECAR = "inventory.json.sha512"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
DIGEST = "sha512"
CONTENT = "content"
#: Most objects one ``commit_many`` call may write (each holds an open lock file).
MAX_BATCH = 512

_VERSION_RE = re.compile(r"v([1-9][0-9]*)", re.ASCII)
_RENAME_RETRIES = 20
_STAGE_THREADS = 4
LOCK_STRIPE_CHARS = 3

MARKER_CONTENT: dict[str, Any] = {
    "type": MARKER_TYPE,
    "version": MARKER_VERSION,
    "grouping": {
        "controllers": "controllers/<controller OID>/ is an OCFL 1.1 storage root",
        "storageLayout": LAYOUT_EXTENSION,
        "objectId": "urn:oid:<document set OID>",
    },
}


@dataclass(frozen=True)
class VersionInfo:
    """One version of an object, from its inventory."""

    number: int
    created: datetime
    message: str
    user_name: str
    user_address: str | None
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Something ``Store.verify`` found. ``severity`` is ``"error"`` or ``"warning"``;
    ``object`` is ``"<controller OID>/<object OID>"`` when known; ``path`` is relative to
    the store."""

    severity: str
    object: str | None
    path: str
    code: str
    message: str


@dataclass(frozen=True)
class CommitRequest:
    """One object version for :meth:`Store.commit_many` (same meaning as ``commit``)."""

    controller_oid: str
    object_id: str
    files: Mapping[str, bytes]
    expected_head: int
    message: str
    user_name: str
    user_address: str | None = None
    created: datetime | None = None


def _sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def _dump_inventory(inventory: Mapping[str, Any]) -> tuple[bytes, bytes]:
    # json.dumps(inventory, indent=1, sort_keys=True, ensure_ascii=False), faster
    data = indented(inventory, 1, sort_keys=True).encode("utf-8")
    return data, f"{_sha512(data)}  {INVENTORY}\n".encode("ascii")


def _sidecar_digest(sidecar: bytes) -> str | None:
    parts = sidecar.decode("ascii", errors="replace").split()
    if len(parts) != 2 or parts[1] != INVENTORY:
        return None
    return parts[0].lower()


def _format_created(created: datetime | None) -> str:
    if created is None:
        created = datetime.now(UTC)
    if created.tzinfo is None or created.utcoffset() is None:
        raise UsageError("created must be a timezone-aware datetime")
    created = created.astimezone(UTC)
    text = created.strftime("%Y-%m-%dT%H:%M:%S")
    if created.microsecond:
        text += f".{created.microsecond:06d}"
    return text + "Z"


def _user_address(address: str | None) -> str | None:
    if address is None:
        return None
    if re.fullmatch(r"[0-9.]+", address, re.ASCII):
        return "urn:oid:" + check_oid(address, "user address")
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:.", address):
        raise UsageError(f"user address must be an actor OID or a URI: {address!r}")
    return address


def _version_number(name: str) -> int | None:
    match = _VERSION_RE.fullmatch(name)
    return int(match.group(1)) if match else None


def _safe_relpath(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and all(p not in ("", ".", "..") and "\0" not in p for p in parts)


@dataclass
class _Plan:
    """Everything one object commit stages before the renames."""

    request: CommitRequest
    key: str
    root: Path
    objdir: Path
    version: int
    workspace: Path
    staged: Path  # staged object (new object) or staged vN directory
    inventory: bytes
    sidecar: bytes
    files: list[str] = field(default_factory=list)  # staged files and directories
    dirs: list[str] = field(default_factory=list)


class Store:
    """A kanta-archive store directory. Create instances with :meth:`Store.open`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._controllers = path / CONTROLLERS
        self._staging = path / STAGING
        self._locks = path / LOCKS

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = False) -> Store:
        """Open the store at ``path``. With ``create=True`` a missing or empty directory is
        made into a new store. Anything else without the marker file raises
        :class:`StoreError`."""
        root = Path(path)
        marker = root / MARKER
        if marker.is_file():
            try:
                content = json.loads(marker.read_bytes())
            except (OSError, ValueError) as exc:
                msg = f"{root} is not a kanta-archive store (bad marker: {exc})"
                raise StoreError(msg) from exc
            if (
                not isinstance(content, dict)
                or content.get("type") != MARKER_TYPE
                or content.get("version") != MARKER_VERSION
            ):
                raise StoreError(f"{root} is not a kanta-archive store (unknown marker content)")
        elif create:
            cls._create(root)
        else:
            raise StoreError(f"{root} is not a kanta-archive store (no {MARKER})")
        store = cls(root)
        for directory in (store._controllers, store._staging, store._locks):
            directory.mkdir(exist_ok=True)
        return store

    @classmethod
    def _create(cls, root: Path) -> None:
        if root.exists():
            if not root.is_dir():
                raise StoreError(f"{root} is not a kanta-archive store (not a directory)")
            ours = {CONTROLLERS, STAGING, LOCKS}
            others = [
                n for n in os.listdir(root) if n not in ours and not n.startswith(MARKER + ".")
            ]
            if others:
                raise StoreError(
                    f"{root} is not a kanta-archive store (directory is not empty and has no "
                    f"{MARKER})"
                )
        else:
            makedirs_durable(root.absolute(), stop=Path(root.absolute().anchor))
        for name in (CONTROLLERS, STAGING, LOCKS):
            (root / name).mkdir(exist_ok=True)
        tmp = root / f"{MARKER}.{secrets.token_hex(8)}.tmp"
        write_file(tmp, json.dumps(MARKER_CONTENT, indent=2).encode() + b"\n", sync=True)
        os.replace(tmp, root / MARKER)
        fsync_path(root)

    # ------------------------------------------------------------------ paths

    def _root_dir(self, controller_oid: str) -> Path:
        return self._controllers / controller_oid

    def _object_dir(self, controller_oid: str, object_id: str) -> Path:
        return self._root_dir(controller_oid).joinpath(*layout_path(ocfl_id(object_id)))

    def _lock_file(self, key: str) -> Path:
        """Lock file for an object key (striped: 4096 files, so ``.locks`` stays small; two
        objects sharing a stripe just serialise) or a storage-root key (``root-...``)."""
        if key.startswith("root-"):
            return self._locks / key
        return self._locks / f"obj-{key[:LOCK_STRIPE_CHARS]}"

    def _workspace(self, key: str) -> Path:
        return self._staging / f"{key}.{secrets.token_hex(8)}"

    @staticmethod
    def _ids(controller_oid: str, object_id: str) -> None:
        check_oid(controller_oid, "controller OID")
        check_oid(object_id, "object id")

    # ------------------------------------------------------------------ reading

    def _load_inventory(self, objdir: Path) -> dict[str, Any] | None:
        try:
            data = (objdir / INVENTORY).read_bytes()
        except FileNotFoundError:
            return None
        try:
            inventory = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"unreadable inventory in {objdir}: {exc}") from exc
        if not isinstance(inventory, dict):
            raise StoreError(f"unreadable inventory in {objdir}: not a JSON object")
        return inventory

    @staticmethod
    def _head_of(inventory: Mapping[str, Any], where: object) -> int:
        head = _version_number(str(inventory.get("head", "")))
        if head is None:
            raise StoreError(f"bad head in the inventory of {where}")
        return head

    def _require_inventory(self, controller_oid: str, object_id: str) -> dict[str, Any]:
        self._ids(controller_oid, object_id)
        inventory = self._load_inventory(self._object_dir(controller_oid, object_id))
        if inventory is None:
            raise UsageError(f"no object {object_id} in controller {controller_oid}")
        return inventory

    def head(self, controller_oid: str, object_id: str) -> int:
        """Head version number of an object, 0 when the object does not exist."""
        self._ids(controller_oid, object_id)
        inventory = self._load_inventory(self._object_dir(controller_oid, object_id))
        if inventory is None:
            return 0
        return self._head_of(inventory, object_id)

    def inventory(self, controller_oid: str, object_id: str) -> dict[str, Any]:
        """The object's root inventory as a dict (its ``id`` is ``urn:oid:<object id>``)."""
        return self._require_inventory(controller_oid, object_id)

    def versions(self, controller_oid: str, object_id: str) -> list[VersionInfo]:
        """Every version of an object, oldest first."""
        inventory = self._require_inventory(controller_oid, object_id)
        result = []
        for name, version in inventory["versions"].items():
            number = _version_number(name)
            if number is None:
                raise StoreError(f"bad version name {name!r} in object {object_id}")
            user = version.get("user", {})
            paths = sorted(p for ps in version["state"].values() for p in ps)
            result.append(
                VersionInfo(
                    number=number,
                    created=datetime.fromisoformat(version["created"].replace("Z", "+00:00")),
                    message=version.get("message", ""),
                    user_name=user.get("name", ""),
                    user_address=user.get("address"),
                    paths=tuple(paths),
                )
            )
        return sorted(result, key=lambda v: v.number)

    def read(
        self,
        controller_oid: str,
        object_id: str,
        logical_path: str,
        version: int | None = None,
    ) -> bytes:
        """Bytes of ``logical_path`` in ``version`` (default: head), checked against the
        inventory digest. A missing or altered content file raises :class:`StoreError`."""
        inventory = self._require_inventory(controller_oid, object_id)
        head = self._head_of(inventory, object_id)
        number = head if version is None else version
        if not isinstance(number, int) or not 1 <= number <= head:
            raise UsageError(f"object {object_id} has no version {version!r} (head v{head})")
        state = inventory["versions"][f"v{number}"]["state"]
        digest = next((d for d, paths in state.items() if logical_path in paths), None)
        if digest is None:
            raise UsageError(f"object {object_id} v{number} has no file {logical_path!r}")
        content_path = str(inventory["manifest"][digest][0])
        where = f"object {object_id} in controller {controller_oid}"
        if not _safe_relpath(content_path):
            raise StoreError(f"{where}: unsafe content path {content_path!r} in inventory")
        objdir = self._object_dir(controller_oid, object_id)
        try:
            data: bytes = (objdir / content_path).read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(f"{where}: content file {content_path} is missing") from exc
        if _sha512(data) != digest:
            raise StoreError(f"{where}: content file {content_path} does not match its digest")
        return data

    def _object_dirs(self, root: Path) -> Iterator[Path]:
        for dirpath, dirs, files in os.walk(root):
            if OBJECT_NAMASTE in files:
                dirs.clear()
                yield Path(dirpath)
            elif Path(dirpath) == root and "extensions" in dirs:
                dirs.remove("extensions")
            dirs.sort()

    def _controller_roots(self) -> Iterator[tuple[str, Path]]:
        for name, root in self._controller_root_paths():
            yield name, Path(root)

    def _controller_root_paths(self) -> list[tuple[str, str]]:
        """(controller OID, path) of every storage root, by name; plain strings, as
        ``find_object`` runs once per ingested document."""
        with os.scandir(self._controllers) as entries:
            found = [(e.name, e.path) for e in entries if e.is_dir()]
        return [(n, p) for n, p in sorted(found) if os.path.isfile(f"{p}/{ROOT_NAMASTE}")]

    def iter_objects(self) -> Iterator[tuple[str, str]]:
        """(controller OID, object id) of every object, ids read from the inventories."""
        for controller, root in self._controller_roots():
            for objdir in self._object_dirs(root):
                inventory = self._load_inventory(objdir)
                if inventory is None:
                    continue
                object_id = object_id_from_ocfl_id(str(inventory.get("id", "")))
                if object_id is not None:
                    yield controller, object_id

    def find_object(self, object_id: str) -> str | None:
        """Controller OID of the storage root holding ``object_id``, or ``None``."""
        check_oid(object_id, "object id")
        relative = "/".join((*layout_path(ocfl_id(object_id)), OBJECT_NAMASTE))
        for controller, root in self._controller_root_paths():
            if os.path.isfile(f"{root}/{relative}"):
                return controller
        return None

    # ------------------------------------------------------------------ writing

    def commit(
        self,
        controller_oid: str,
        object_id: str,
        files: Mapping[str, bytes],
        *,
        expected_head: int,
        message: str,
        user_name: str,
        user_address: str | None = None,
        created: datetime | None = None,
    ) -> int:
        """Write version ``expected_head + 1`` of an object whose complete state is
        ``files`` (logical path -> bytes); ``expected_head=0`` creates the object. Raises
        :class:`ConflictError`, writing nothing, when the head is not ``expected_head``.
        Durable (fsynced) when it returns; returns the new version number."""
        request = CommitRequest(
            controller_oid,
            object_id,
            files,
            expected_head,
            message,
            user_name,
            user_address,
            created,
        )
        return self._commit([request], batch=False)[0]

    def commit_many(self, requests: Sequence[CommitRequest]) -> list[int]:
        """Commit up to :data:`MAX_BATCH` objects (distinct controller/object pairs) with
        one filesystem sync instead of per-file fsyncs. Heads are checked for every request
        first: one mismatch raises :class:`ConflictError` and nothing is written. Each object
        is crash-atomic on its own; the batch as a whole is not (after a crash some of its
        objects may be committed). Returns the new version numbers in request order."""
        if len(requests) > MAX_BATCH:
            raise UsageError(f"commit_many takes at most {MAX_BATCH} requests")
        if not requests:
            return []
        return self._commit(list(requests), batch=True)

    def _check_request(self, request: CommitRequest) -> None:
        self._ids(request.controller_oid, request.object_id)
        if not isinstance(request.expected_head, int) or request.expected_head < 0:
            raise UsageError(f"expected_head must be an integer >= 0: {request.expected_head!r}")
        if not isinstance(request.message, str) or not isinstance(request.user_name, str):
            raise UsageError("message and user_name must be strings")
        paths = [check_logical_path(p) for p in request.files]
        check_logical_paths(paths)
        for path, data in request.files.items():
            if not isinstance(data, bytes):
                raise UsageError(f"content of {path!r} must be bytes")

    def _commit(self, requests: list[CommitRequest], *, batch: bool) -> list[int]:
        for request in requests:
            self._check_request(request)
        keys = [lock_key(r.controller_oid, r.object_id) for r in requests]
        if len(set(keys)) != len(keys):
            raise UsageError("commit_many got the same object twice")
        for controller in sorted({r.controller_oid for r in requests}):
            self._ensure_root(controller)
        with exclusive_locks([self._lock_file(k) for k in keys]):
            current: list[dict[str, Any] | None] = []
            objdirs = [self._object_dir(r.controller_oid, r.object_id) for r in requests]
            # One listing for the whole batch: only holders of these locks add entries for
            # these keys, and this process holds them all.
            leftovers = {name.split(".", 1)[0] for name in os.listdir(self._staging)}
            conflicts = []
            for request, key, objdir in zip(requests, keys, objdirs, strict=True):
                self._recover_object_locked(
                    request.controller_oid, request.object_id, key, leftovers=leftovers
                )
                inventory = self._load_inventory(objdir)
                head = 0 if inventory is None else self._head_of(inventory, request.object_id)
                if head != request.expected_head:
                    conflicts.append(
                        f"object {request.object_id} in controller {request.controller_oid} "
                        f"is at v{head}, not v{request.expected_head}"
                    )
                current.append(inventory)
            if conflicts:
                raise ConflictError("; ".join(conflicts))
            plans: list[_Plan] = []
            workspaces = [self._workspace(key) for key in keys]
            try:
                # Staging is metadata-bound (mkdir/create), not CPU-bound: in a batch, a few
                # threads overlap the filesystem waits.
                with ThreadPoolExecutor(max_workers=_STAGE_THREADS if batch else 1) as pool:
                    plans = list(
                        pool.map(
                            lambda args: self._stage(*args, sync=not batch),
                            zip(requests, keys, current, workspaces, objdirs, strict=True),
                        )
                    )
                self._sync_staged(plans, batch=batch)
                self._install(plans, batch=batch)
            finally:
                for workspace in workspaces:
                    if workspace.exists():
                        shutil.rmtree(workspace, ignore_errors=True)
        return [plan.version for plan in plans]

    def _stage(
        self,
        request: CommitRequest,
        key: str,
        current: dict[str, Any] | None,
        workspace: Path,
        objdir: Path,
        *,
        sync: bool,
    ) -> _Plan:
        identifier = ocfl_id(request.object_id)
        if current is None:
            inventory: dict[str, Any] = {
                "id": identifier,
                "type": INVENTORY_TYPE,
                "digestAlgorithm": DIGEST,
                "head": "v1",
                "contentDirectory": CONTENT,
                "manifest": {},
                "versions": {},
            }
        else:
            inventory = current
        version = request.expected_head + 1
        vname = f"v{version}"
        manifest: dict[str, list[str]] = inventory["manifest"]
        state: dict[str, list[str]] = {}
        new_content: list[tuple[str, bytes]] = []
        for path in sorted(request.files):
            data = request.files[path]
            digest = _sha512(data)
            state.setdefault(digest, []).append(path)
            if digest not in manifest:
                content_path = f"{vname}/{CONTENT}/{path}"
                manifest[digest] = [content_path]
                new_content.append((content_path, data))
        user: dict[str, str] = {"name": request.user_name}
        address = _user_address(request.user_address)
        if address is not None:
            user["address"] = address
        inventory["head"] = vname
        inventory["versions"][vname] = {
            "created": _format_created(request.created),
            "message": request.message,
            "user": user,
            "state": state,
        }
        inv_bytes, sidecar = _dump_inventory(inventory)

        root = self._root_dir(request.controller_oid)
        # A new object is staged as the workspace itself (renamed to the object path); a new
        # version of an existing object is staged as <workspace>/vN, next to the temp root
        # inventory and sidecar.
        staged = workspace if current is None else workspace / vname
        plan = _Plan(request, key, root, objdir, version, workspace, staged, inv_bytes, sidecar)
        # Plain string paths and no existence checks: the workspace is new, so everything
        # in it is made here (pathlib costs more than some of these system calls).
        base = os.fspath(workspace)
        vdir = f"{base}/{vname}"

        def mkdir(path: str) -> None:
            os.mkdir(path)
            plan.dirs.append(path)

        def write(path: str, data: bytes) -> None:
            write_file(path, data, sync=sync)
            plan.files.append(path)

        def link(source: str, path: str, data: bytes) -> None:
            # A second name for a file with the same bytes: a hard link costs a directory
            # entry, a new file a new inode (several times slower on ext4). Store files are
            # never written in place (a later version replaces the root inventory with a new
            # inode), so the version's copy keeps its bytes. The directory holding ``path``
            # is synced with the other staged directories; link(2) is one journal
            # transaction (entry and link count). No hard links here: write the bytes.
            try:
                os.link(source, path)
            except OSError:
                write(path, data)

        mkdir(base)
        if current is None:
            write(f"{base}/{OBJECT_NAMASTE}", OBJECT_NAMASTE_TEXT)
        mkdir(vdir)
        made = {vdir}
        for content_path, data in new_content:
            target = f"{base}/{content_path}"
            parents = []
            parent = os.path.dirname(target)
            while parent not in made:
                parents.append(parent)
                parent = os.path.dirname(parent)
            for directory in reversed(parents):
                mkdir(directory)
                made.add(directory)
            write(target, data)
        write(f"{vdir}/{INVENTORY}", inv_bytes)
        write(f"{vdir}/{SIDECAR}", sidecar)
        # Root inventory: inside the staged object (new object) or as temp files in the
        # workspace that replace the root inventory after the version dir is in place. Same
        # bytes as the version's inventory and sidecar: hard links to them.
        link(f"{vdir}/{INVENTORY}", f"{base}/{INVENTORY}", inv_bytes)
        link(f"{vdir}/{SIDECAR}", f"{base}/{SIDECAR}", sidecar)
        return plan

    def _sync_staged(self, plans: list[_Plan], *, batch: bool) -> None:
        if batch and syncfs(self._staging):
            return
        for plan in plans:
            if batch:  # no syncfs(2): fsync each file now
                for path in plan.files:
                    fsync_path(path)
            for directory in reversed(plan.dirs):
                fsync_path(directory)

    def _rename_into(self, source: Path, target: Path, stop: Path, touched: set[str]) -> None:
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
                if not source.exists():
                    raise
                continue
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise ConflictError(f"{target} already exists") from exc
                raise
            touched.add(parent)
            return
        raise StoreError(f"could not rename {source} to {target}: parent keeps disappearing")

    def _install(self, plans: list[_Plan], *, batch: bool) -> None:
        touched: set[str] = set()
        for plan in plans:
            target = plan.objdir if plan.version == 1 else plan.objdir / plan.staged.name
            self._rename_into(plan.staged, target, plan.root, touched)
        # Every version directory is durable before any root inventory names it.
        self._sync_dirs(touched, batch=batch)
        updates = [plan for plan in plans if plan.version > 1]
        for name in (INVENTORY, SIDECAR):  # inventory first, sidecar last
            for plan in updates:
                os.replace(plan.workspace / name, plan.objdir / name)
            self._sync_dirs({os.fspath(plan.objdir) for plan in updates}, batch=batch)

    def _sync_dirs(self, directories: set[str], *, batch: bool) -> None:
        """Make the entries of ``directories`` durable: in a batch one ``syncfs(2)`` (a
        single flush instead of one journal commit per directory), else (or without
        ``syncfs``) an fsync of each directory."""
        if not directories:
            return
        if batch and syncfs(self._controllers):
            return
        self._fsync_dirs(directories, batch=batch)

    @staticmethod
    def _fsync_dirs(directories: set[str], *, batch: bool) -> None:
        ordered = sorted(directories, key=lambda p: p.count(os.sep), reverse=True)
        if batch and len(ordered) > 1:
            with ThreadPoolExecutor(max_workers=_STAGE_THREADS) as pool:
                list(pool.map(fsync_path, ordered))
        else:
            for directory in ordered:
                fsync_path(directory)

    def _ensure_root(self, controller_oid: str) -> Path:
        root = self._root_dir(controller_oid)
        if (root / ROOT_NAMASTE).is_file():
            return root
        key = "root-" + hashlib.sha256(controller_oid.encode()).hexdigest()
        with exclusive_lock(self._lock_file(key)):
            if (root / ROOT_NAMASTE).is_file():
                return root
            if root.exists():
                raise StoreError(f"{root} exists but is not an OCFL storage root")
            workspace = self._staging / f"{key}.{secrets.token_hex(8)}"
            try:
                workspace.mkdir()
                write_file(workspace / ROOT_NAMASTE, ROOT_NAMASTE_TEXT, sync=True)
                layout = {"extension": LAYOUT_EXTENSION, "description": LAYOUT_DESCRIPTION}
                write_file(
                    workspace / LAYOUT_FILE,
                    json.dumps(layout, indent=2, sort_keys=True).encode() + b"\n",
                    sync=True,
                )
                ext = workspace / "extensions" / LAYOUT_EXTENSION
                ext.mkdir(parents=True)
                write_file(
                    ext / "config.json",
                    json.dumps(LAYOUT_CONFIG, indent=2, sort_keys=True).encode() + b"\n",
                    sync=True,
                )
                for directory in (ext, ext.parent, workspace):
                    fsync_path(directory)
                try:
                    os.rename(workspace, root)
                except OSError as exc:  # another process (without our lock?) won the race
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                fsync_path(self._controllers)
            finally:
                if workspace.exists():
                    shutil.rmtree(workspace, ignore_errors=True)
        return root

    # ------------------------------------------------------------------ moving

    def move_object(self, object_id: str, from_controller: str, to_controller: str) -> None:
        """Move an object (all versions) to another controller's storage root with one
        atomic rename. Raises :class:`ConflictError` if the target already holds it."""
        self._ids(from_controller, object_id)
        check_oid(to_controller, "controller OID")
        if from_controller == to_controller:
            raise UsageError("move_object needs two different controllers")
        source_key = lock_key(from_controller, object_id)
        target_key = lock_key(to_controller, object_id)
        target_root = self._ensure_root(to_controller)
        with exclusive_locks([self._lock_file(source_key), self._lock_file(target_key)]):
            self._recover_object_locked(from_controller, object_id, source_key)
            source = self._object_dir(from_controller, object_id)
            if not (source / INVENTORY).is_file():
                raise UsageError(f"no object {object_id} in controller {from_controller}")
            target = self._object_dir(to_controller, object_id)
            if target.exists():
                raise ConflictError(f"controller {to_controller} already has object {object_id}")
            touched: set[str] = set()
            self._rename_into(source, target, target_root, touched)
            touched.add(os.fspath(source.parent))
            for directory in touched:
                fsync_path(directory)
            self._prune_empty(source.parent, self._root_dir(from_controller))

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

    # ------------------------------------------------------------------ recovery

    def _trash(self, path: Path, key: str) -> None:
        trash = self._staging / f"{key}.trash-{secrets.token_hex(8)}"
        os.rename(path, trash)
        fsync_path(path.parent)
        shutil.rmtree(trash, ignore_errors=True)

    def _replace_root_file(self, objdir: Path, key: str, name: str, data: bytes) -> None:
        tmp = self._staging / f"{key}.{secrets.token_hex(8)}.tmp"
        write_file(tmp, data, sync=True)
        os.replace(tmp, objdir / name)
        fsync_path(objdir)

    def _version_checks_out(
        self, objdir: Path, number: int, root_inventory: Mapping[str, Any] | None
    ) -> bytes | None:
        """The inventory bytes of ``v<number>`` if that version is complete and continues
        ``root_inventory``; otherwise ``None``."""
        vdir = objdir / f"v{number}"
        try:
            inv_bytes = (vdir / INVENTORY).read_bytes()
            sidecar = (vdir / SIDECAR).read_bytes()
            inventory = json.loads(inv_bytes)
        except (OSError, ValueError):
            return None
        if _sidecar_digest(sidecar) != _sha512(inv_bytes) or not isinstance(inventory, dict):
            return None
        if inventory.get("head") != f"v{number}":
            return None
        if root_inventory is not None:
            if inventory.get("id") != root_inventory.get("id"):
                return None
            old_versions = root_inventory.get("versions", {})
            new_versions = inventory.get("versions", {})
            if set(new_versions) != set(old_versions) | {f"v{number}"}:
                return None
            if any(new_versions[v] != old_versions[v] for v in old_versions):
                return None
        elif number != 1:
            return None
        for digest, paths in inventory.get("manifest", {}).items():
            for path in paths:
                if not path.startswith(f"v{number}/"):
                    continue
                if not _safe_relpath(path):
                    return None
                try:
                    if _sha512((objdir / path).read_bytes()) != digest:
                        return None
                except OSError:
                    return None
        return inv_bytes

    def _repair_object(self, objdir: Path, key: str) -> list[str]:
        actions: list[str] = []
        try:
            root_inventory = self._load_inventory(objdir)
        except StoreError as exc:
            return [f"cannot repair {objdir}: {exc}"]
        head = 0 if root_inventory is None else self._head_of(root_inventory, objdir)
        numbers = sorted(
            n for n in (_version_number(e.name) for e in os.scandir(objdir) if e.is_dir()) if n
        )
        rel = objdir.relative_to(self.path)
        for number in (n for n in numbers if n > head):
            inv_bytes = None
            if number == head + 1:
                inv_bytes = self._version_checks_out(objdir, number, root_inventory)
            if inv_bytes is not None:
                sidecar = (objdir / f"v{number}" / SIDECAR).read_bytes()
                self._replace_root_file(objdir, key, INVENTORY, inv_bytes)
                self._replace_root_file(objdir, key, SIDECAR, sidecar)
                root_inventory = json.loads(inv_bytes)
                head = number
                actions.append(f"rolled forward {rel}/v{number}")
            else:
                self._trash(objdir / f"v{number}", key)
                actions.append(f"removed incomplete {rel}/v{number}")
        if root_inventory is None:
            return [*actions, f"cannot repair {rel}: no inventory"]
        inv_bytes = (objdir / INVENTORY).read_bytes()
        try:
            recorded = _sidecar_digest((objdir / SIDECAR).read_bytes())
        except FileNotFoundError:
            recorded = None
        if recorded != _sha512(inv_bytes):
            version_dir = objdir / f"v{head}"
            if (version_dir / INVENTORY).is_file() and (
                version_dir / INVENTORY
            ).read_bytes() == inv_bytes:
                sidecar = (version_dir / SIDECAR).read_bytes()
                if _sidecar_digest(sidecar) == _sha512(inv_bytes):
                    self._replace_root_file(objdir, key, SIDECAR, sidecar)
                    actions.append(f"rewrote the sidecar of {rel}")
                    return actions
            actions.append(f"cannot repair {rel}: inventory does not match its sidecar")
        return actions

    def _remove_staging(self, prefix: str) -> list[str]:
        removed = []
        for entry in os.scandir(self._staging):
            if entry.name.startswith(prefix):
                path = Path(entry.path)
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(f"removed {STAGING}/{entry.name}")
        return removed

    def _recover_object_locked(
        self, controller_oid: str, object_id: str, key: str, *, leftovers: set[str] | None = None
    ) -> list[str]:
        """Recover one object whose lock the caller holds. ``leftovers``: the keys that have
        entries in ``.staging`` (one listing for a whole batch); default: look now."""
        actions = []
        if leftovers is None or key in leftovers:
            actions += self._remove_staging(key + ".")
        objdir = self._object_dir(controller_oid, object_id)
        if os.path.isdir(objdir):
            actions += self._repair_object(objdir, key)
        return actions

    def recover(self) -> list[str]:
        """Undo or finish interrupted work: remove leftover workspaces and temp files, roll
        forward (or remove) a version directory newer than the root head, rewrite a stale
        root sidecar, remove empty directories in storage roots. Each object is repaired
        under its lock. Returns a description of every action."""
        actions: list[str] = []
        for entry in sorted(os.scandir(self._staging), key=lambda e: e.name):
            key = entry.name.split(".", 1)[0]
            if not re.fullmatch(r"(root-)?[0-9a-f]{64}", key):
                continue
            with exclusive_lock(self._lock_file(key)):
                if os.path.lexists(entry.path):
                    actions += self._remove_staging(entry.name)
        for controller, root in list(self._controller_roots()):
            for objdir in list(self._object_dirs(root)):
                object_id = self._object_id_of(objdir)
                if object_id is None:
                    actions.append(f"cannot repair {objdir.relative_to(self.path)}: unknown id")
                    continue
                key = lock_key(controller, object_id)
                with exclusive_lock(self._lock_file(key)):
                    actions += self._recover_object_locked(controller, object_id, key)
            actions += self._remove_empty_dirs(root)
        return actions

    def _object_id_of(self, objdir: Path) -> str | None:
        try:
            inventory = self._load_inventory(objdir)
        except StoreError:
            inventory = None
        if inventory is not None:
            return object_id_from_ocfl_id(str(inventory.get("id", "")))
        name = objdir.name
        if len(name) > 100:
            return None
        return object_id_from_ocfl_id(unquote(name, errors="strict"))

    def _remove_empty_dirs(self, root: Path) -> list[str]:
        """Remove empty directories between the storage root and its objects (left by an
        interrupted move or mkdir). Never looks inside objects or ``extensions``."""
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

    # ------------------------------------------------------------------ verification

    def verify(self, full: bool = False) -> list[Problem]:
        """Check the store without changing it. ``full=True`` also checks the digest of
        every content file and of every version inventory."""
        problems: list[Problem] = []

        def problem(code: str, path: Path | str, message: str, obj: str | None = None) -> None:
            rel = str(Path(path).relative_to(self.path)) if isinstance(path, Path) else path
            severity = "warning" if code == "staging-leftover" else "error"
            problems.append(Problem(severity, obj, rel, code, message))

        try:
            marker = json.loads((self.path / MARKER).read_bytes())
            if marker.get("type") != MARKER_TYPE or marker.get("version") != MARKER_VERSION:
                problem("marker", self.path / MARKER, "marker file has unknown content")
        except (OSError, ValueError, AttributeError) as exc:
            problem("marker", self.path / MARKER, f"marker file unreadable: {exc}")
        for entry in sorted(os.scandir(self._staging), key=lambda e: e.name):
            problem("staging-leftover", Path(entry.path), "leftover workspace or temp file")
        for entry in sorted(os.scandir(self._controllers), key=lambda e: e.name):
            root = Path(entry.path)
            try:
                check_oid(entry.name, "controller OID")
            except UsageError:
                problem("foreign-entry", root, "not a controller OID")
                continue
            if not entry.is_dir():
                problem("foreign-entry", root, "not a directory")
                continue
            if not self._verify_root(root, problem):
                continue
            for dirpath, dirs, files in os.walk(root):
                path = Path(dirpath)
                if path == root:
                    if "extensions" in dirs:
                        dirs.remove("extensions")
                    continue
                if OBJECT_NAMASTE in files:
                    dirs.clear()
                    self._verify_object(entry.name, path, full, problem)
                elif files:
                    problem("foreign-entry", path, f"files outside any object: {sorted(files)}")
                elif not dirs:
                    problem("empty-directory", path, "empty directory in a storage root")
        return problems

    def _verify_root(self, root: Path, problem: Any) -> bool:
        namastes = [n for n in os.listdir(root) if n.startswith("0=")]
        if namastes != [ROOT_NAMASTE] or (root / ROOT_NAMASTE).read_bytes() != ROOT_NAMASTE_TEXT:
            problem("root-declaration", root, f"bad OCFL storage root declaration: {namastes}")
            return False
        try:
            layout = json.loads((root / LAYOUT_FILE).read_bytes())
            config = json.loads(
                (root / "extensions" / LAYOUT_EXTENSION / "config.json").read_bytes()
            )
        except (OSError, ValueError) as exc:
            problem("root-layout", root, f"layout files unreadable: {exc}")
            return False
        if layout.get("extension") != LAYOUT_EXTENSION or config != LAYOUT_CONFIG:
            problem("root-layout", root, "unexpected storage layout")
            return False
        return True

    def _verify_object(self, controller: str, objdir: Path, full: bool, problem: Any) -> None:
        label = f"{controller}/?"
        try:
            inv_bytes = (objdir / INVENTORY).read_bytes()
            inventory = json.loads(inv_bytes)
            object_id = object_id_from_ocfl_id(str(inventory.get("id", "")))
            head = self._head_of(inventory, objdir)
        except (OSError, ValueError, AttributeError, StoreError) as exc:
            problem("inventory", objdir / INVENTORY, f"root inventory unreadable: {exc}", label)
            return
        if object_id is None:
            problem("inventory", objdir / INVENTORY, "object id is not urn:oid:<OID>", label)
            return
        label = f"{controller}/{object_id}"
        if objdir != self._object_dir(controller, object_id):
            problem("misplaced-object", objdir, "object is not at its layout path", label)
        if (objdir / OBJECT_NAMASTE).read_bytes() != OBJECT_NAMASTE_TEXT:
            problem("object-declaration", objdir / OBJECT_NAMASTE, "bad declaration", label)
        try:
            recorded = _sidecar_digest((objdir / SIDECAR).read_bytes())
        except OSError:
            recorded = None
        if recorded != _sha512(inv_bytes):
            problem("sidecar", objdir / SIDECAR, "inventory does not match its sidecar", label)
        versions = inventory.get("versions", {})
        if set(versions) != {f"v{n}" for n in range(1, head + 1)}:
            problem("inventory", objdir / INVENTORY, "versions are not v1..head", label)
        expected = {OBJECT_NAMASTE, INVENTORY, SIDECAR}
        for entry in os.scandir(objdir):
            number = _version_number(entry.name)
            if number is not None and entry.is_dir():
                if number > head:
                    problem(
                        "uncommitted-version",
                        Path(entry.path),
                        f"version directory newer than head v{head} (interrupted commit)",
                        label,
                    )
            elif entry.name not in expected:
                problem("foreign-entry", Path(entry.path), "unexpected entry in object", label)
        for number in range(1, head + 1):
            vdir = objdir / f"v{number}"
            if not vdir.is_dir():
                problem("version-missing", vdir, "version directory is missing", label)
            elif full or number == head:
                try:
                    vbytes = (vdir / INVENTORY).read_bytes()
                    ok = _sidecar_digest((vdir / SIDECAR).read_bytes()) == _sha512(vbytes)
                except OSError:
                    ok = False
                if not ok:
                    problem("version-inventory", vdir, "version inventory missing or bad", label)
        for digest, paths in inventory.get("manifest", {}).items():
            for content_path in paths:
                if not _safe_relpath(content_path):
                    problem("inventory", objdir / INVENTORY, f"unsafe path {content_path}", label)
                    continue
                path = objdir / content_path
                if not path.is_file():
                    problem("content-missing", path, "content file is missing", label)
                elif full and _sha512(path.read_bytes()) != digest:
                    problem("content-digest", path, "content file does not match digest", label)
