"""The key that seals the audit log: where it is kept, how it is made, what it seals.

The key is 32 random bytes (hex) in a file readable by its owner only, outside the store:
``$KANTA_ARCHIVE_AUDIT_KEY`` (a file path), else ``$XDG_CONFIG_HOME/kanta-archive/audit.key``
(``~/.config/…``). It is made on the first append when missing and refused inside the store:
whoever can write the store must not be able to read the key. Verifying needs the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from kanta_archive.errors import StoreError

KEY_ENV: Final = "KANTA_ARCHIVE_AUDIT_KEY"
KEY_BYTES: Final = 32
_SEAL_CONTEXT: Final = b"kanta-archive audit seal v1\n"
_HEAD_CONTEXT: Final = b"kanta-archive audit head v1\n"


@dataclass(frozen=True)
class AuditKey:
    """The secret that seals the audit log, and its public id (the first 16 hex digits of
    its SHA-256)."""

    secret: bytes = field(repr=False)
    path: Path

    @property
    def key_id(self) -> str:
        """The key's id, recorded in every sealed line and in the store's marker."""
        return hashlib.sha256(self.secret).hexdigest()[:16]

    def seal(self, digest: str) -> str:
        """The ``mac`` of an entry whose ``hash`` is ``digest``."""
        return hmac.new(self.secret, _SEAL_CONTEXT + digest.encode(), "sha256").hexdigest()

    def seal_head(self, seq: int, digest: str) -> str:
        """The ``mac`` of a head record."""
        message = _HEAD_CONTEXT + f"{seq}:{digest}".encode()
        return hmac.new(self.secret, message, "sha256").hexdigest()


def key_path() -> Path:
    """Where the audit key is: ``$KANTA_ARCHIVE_AUDIT_KEY`` or the user's config folder."""
    if env := os.environ.get(KEY_ENV):
        return Path(env).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config) / "kanta-archive" / "audit.key"


def load_key(store_path: str | os.PathLike[str] | None, *, create: bool) -> AuditKey | None:
    """The audit key (made when missing and ``create``), or ``None``.

    A key inside the store is refused: whoever can write the store could then forge lines.
    (``store_path`` ``None``: the store is on object storage, never where the key file is.)
    """
    path = key_path().absolute()
    store = Path(store_path).absolute() if store_path is not None else None
    if store is not None and (path == store or store in path.parents):
        raise StoreError(
            f"the audit key {path} is inside the store {store}: keep it outside (set"
            f" {KEY_ENV} to a file elsewhere), or anyone who can write the store can forge"
            " audit lines"
        )
    if not path.exists():
        return _make_key(path) if create else None
    return load_key_file(path)


def _make_key(path: Path) -> AuditKey:
    """Make a new key file, atomically: a complete file appears, or the one another
    process made first is used."""
    secret = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, secret.hex().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            return load_key_file(path)
        finally:
            tmp.unlink()
    except OSError as exc:
        raise StoreError(f"cannot make the audit key {path}: {exc}") from exc
    return AuditKey(secret, path)


def load_key_file(path: Path) -> AuditKey:
    """Read a key file: at least 16 bytes, as hex."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the audit key {path}: {exc}") from exc
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise StoreError(f"the audit key {path} is not at least 16 bytes of hex")
    return AuditKey(secret, path)
