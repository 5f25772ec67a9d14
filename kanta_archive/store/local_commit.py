"""Placing versions on the local filesystem: stage in a workspace, make it durable, rename.

For each object (the caller holds its lock):

1. Stage in ``<store>/.staging/<key>.<random>/``: a new object is staged as the whole
   object directory; a new version N as ``vN/`` next to the new root inventory and sidecar.
   In a single commit every file is fsynced as it is written, then every staged directory.
2. Rename into place (``rename(2)`` fails onto a non-empty directory: first writer wins),
   then fsync the directories whose entries changed.
3. New version only: ``os.replace`` the root inventory, fsync; then the sidecar, last.

A batch writes the staged files without fsync and makes each step durable with one
``syncfs(2)`` of the store's filesystem (fallback: fsync every file and directory).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kanta_archive.store.fsync import fsync_path, syncfs, write_file
from kanta_archive.store.inventory import (
    INVENTORY,
    OBJECT_NAMASTE,
    OBJECT_NAMASTE_TEXT,
    SIDECAR,
)
from kanta_archive.store.storage import StagedVersion


class LocalStorage(Protocol):
    """What placing needs of :class:`kanta_archive.store.local.LocalStorage` (a protocol,
    so that this module does not import the one that calls it)."""

    path: Path

    def full(self, key: str) -> str: ...

    def workspace(self, key: str) -> str: ...

    def rename_into(self, source: str, target: str, stop: str, touched: set[str]) -> None: ...

    def link_locator(self, key: str, source: str, *, sync: bool) -> list[str]: ...


_STAGE_THREADS = 4


@dataclass
class _Plan:
    """One staged object version: where it is staged and where it goes."""

    staged_version: StagedVersion
    objdir: str
    root: str
    workspace: str
    staged: str  # the staged object (new object) or the staged vN directory
    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)


def write_versions(storage: LocalStorage, staged: Sequence[StagedVersion], *, batch: bool) -> None:
    """Stage, sync and install ``staged`` (see the module docstring)."""
    workspaces = [storage.workspace(s.lock_key) for s in staged]
    try:
        # Staging is metadata-bound (mkdir/create), not CPU-bound: in a batch, a few
        # threads overlap the filesystem waits.
        with ThreadPoolExecutor(max_workers=_STAGE_THREADS if batch else 1) as pool:
            plans = list(
                pool.map(
                    lambda args: _stage(storage, *args, sync=not batch),
                    zip(staged, workspaces, strict=True),
                )
            )
        _sync_staged(storage, plans, batch=batch)
        _install(storage, plans, batch=batch)
    except BaseException:
        # The locators of new objects that did not get in would name nothing: remove them
        # (best effort: a full disk may refuse this too; recovery removes what is left).
        for item in staged:
            if item.locator is not None and not os.path.exists(storage.full(item.object_key)):
                with contextlib.suppress(OSError):
                    os.unlink(storage.full(item.locator))
        raise
    finally:
        for workspace in workspaces:
            if os.path.exists(workspace):
                shutil.rmtree(workspace, ignore_errors=True)


def _stage(storage: LocalStorage, item: StagedVersion, workspace: str, *, sync: bool) -> _Plan:
    version = item.version
    vname = f"v{version.number}"
    objdir = storage.full(item.object_key)
    root = storage.full("/".join(item.object_key.split("/")[:2]))
    # A new object is staged as the workspace itself (renamed to the object path); a new
    # version of an existing object is staged as <workspace>/vN, next to the temp root
    # inventory and sidecar.
    staged = workspace if item.new_object else f"{workspace}/{vname}"
    plan = _Plan(item, objdir, root, workspace, staged)
    # Plain string paths and no existence checks: the workspace is new, so everything
    # in it is made here (pathlib costs more than some of these system calls).
    base = workspace
    vdir = f"{base}/{vname}"

    def mkdir(path: str) -> None:
        os.mkdir(path)
        plan.dirs.append(path)

    def write(path: str, data: bytes) -> None:
        write_file(path, data, sync=sync)
        plan.files.append(path)

    mkdir(base)
    if item.new_object:
        write(f"{base}/{OBJECT_NAMASTE}", OBJECT_NAMASTE_TEXT)
        if item.locator is not None:
            # Before the object is renamed into place: whoever finds the object finds its
            # locator too. A link to the staged declaration (same inode after the rename).
            plan.dirs.extend(
                storage.link_locator(item.locator, f"{base}/{OBJECT_NAMASTE}", sync=False)
            )
    mkdir(vdir)
    made = {vdir}
    for content_path, data in version.new_content:
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
    write(f"{vdir}/{INVENTORY}", version.inventory)
    write(f"{vdir}/{SIDECAR}", version.sidecar)
    # Root inventory: inside the staged object (new object) or as temp files in the
    # workspace that replace the root inventory after the version dir is in place. Same
    # bytes as the version's inventory and sidecar, but files of their own, not hard
    # links: one damaged copy must leave the other to repair it from (issue 15).
    write(f"{base}/{INVENTORY}", version.inventory)
    write(f"{base}/{SIDECAR}", version.sidecar)
    return plan


def _sync_staged(storage: LocalStorage, plans: list[_Plan], *, batch: bool) -> None:
    if batch and syncfs(storage.path / ".staging"):
        return
    for plan in plans:
        if batch:  # no syncfs(2): fsync each file now
            for path in plan.files:
                fsync_path(path)
        for directory in reversed(plan.dirs):
            fsync_path(directory)


def _install(storage: LocalStorage, plans: list[_Plan], *, batch: bool) -> None:
    touched: set[str] = set()
    for plan in plans:
        new_object = plan.staged_version.new_object
        target = plan.objdir if new_object else f"{plan.objdir}/{os.path.basename(plan.staged)}"
        storage.rename_into(plan.staged, target, plan.root, touched)
    # Every version directory is durable before any root inventory names it.
    _sync_dirs(storage, touched, batch=batch)
    updates = [plan for plan in plans if not plan.staged_version.new_object]
    for name in (INVENTORY, SIDECAR):  # inventory first, sidecar last
        for plan in updates:
            os.replace(f"{plan.workspace}/{name}", f"{plan.objdir}/{name}")
        _sync_dirs(storage, {plan.objdir for plan in updates}, batch=batch)


def _sync_dirs(storage: LocalStorage, directories: set[str], *, batch: bool) -> None:
    """Make the entries of ``directories`` durable: in a batch one ``syncfs(2)`` (a
    single flush instead of one journal commit per directory), else (or without
    ``syncfs``) an fsync of each directory."""
    if not directories:
        return
    if batch and syncfs(storage.path / "controllers"):
        return
    ordered = sorted(directories, key=lambda p: p.count(os.sep), reverse=True)
    if batch and len(ordered) > 1:
        with ThreadPoolExecutor(max_workers=_STAGE_THREADS) as pool:
            list(pool.map(fsync_path, ordered))
    else:
        for directory in ordered:
            fsync_path(directory)
