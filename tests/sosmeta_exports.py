"""Where the tests find THL's real Sosmeta exports (the 202 structures of ``shared/sosmeta``).

``KANTA_ARCHIVE_SOSMETA_DIR`` names the folder; without it the tests look for
``shared/sosmeta`` beside the checkout (and beside its parent, for a git worktree).
The structures kanta-archive bundles are copies of some of these exports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = "KANTA_ARCHIVE_SOSMETA_DIR"


def exports_dir() -> Path:
    """The folder of real exports; a test that needs it fails (never skips) without it."""
    named = os.environ.get(ENV)
    candidates = (
        [Path(named)] if named else [parent / "shared" / "sosmeta" for parent in ROOT.parents]
    )
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.json")):
            return folder
    pytest.fail(
        f"no Sosmeta exports found (looked in {', '.join(map(str, candidates))}); "
        f"set {ENV} to the folder of THL's exports"
    )


def export(name: str) -> Path:
    """One real export by its file name, e.g. ``1.2.246.537.6.1505.1.2023.6.1.json``."""
    path = exports_dir() / name
    assert path.is_file(), f"{path}: no such export"
    return path
