"""Identifier checks and the OCFL storage layout (extension 0003) used by the store.

Everything that turns a caller-supplied string into a path goes through this module, so
that no identifier can name a path outside the store.
"""

from __future__ import annotations

import hashlib
import re

from kanta_archive.errors import UsageError

#: Registered OCFL storage layout extension used for every storage root.
LAYOUT_EXTENSION = "0003-hash-and-id-n-tuple-storage-layout"
LAYOUT_DESCRIPTION = (
    "Extension 0003: Hashed Truncated N-tuple Trees with Object ID Encapsulating "
    "Directory for OCFL Storage Hierarchies"
)
LAYOUT_DIGEST = "sha256"
LAYOUT_TUPLE_SIZE = 3
LAYOUT_NUMBER_OF_TUPLES = 3
LAYOUT_CONFIG: dict[str, object] = {
    "extensionName": LAYOUT_EXTENSION,
    "digestAlgorithm": LAYOUT_DIGEST,
    "tupleSize": LAYOUT_TUPLE_SIZE,
    "numberOfTuples": LAYOUT_NUMBER_OF_TUPLES,
}

#: OCFL object ids are the object OID as a URI (OCFL says the id SHOULD be a URI).
OCFL_ID_PREFIX = "urn:oid:"

MAX_OID_LENGTH = 256
# ASCII digits only (re.ASCII keeps \d from matching other Unicode digits).
_OID_RE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*", re.ASCII)
_SEGMENT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}", re.ASCII)
_UNSAFE_CHARS_RE = re.compile(r"[^A-Za-z0-9_-]+")
# Percent-encoding of every ASCII character outside A-Za-z0-9_- (lower-case hex).
_ASCII_ESCAPES = str.maketrans(
    {c: f"%{c:02x}" for c in range(128) if not re.fullmatch(r"[A-Za-z0-9_-]", chr(c))}
)
MAX_LOGICAL_PATH_LENGTH = 1024


def check_oid(value: object, what: str) -> str:
    """Return ``value`` if it is an OID (arcs of ASCII digits separated by single dots, no
    leading zeros, ≤ 256 characters); otherwise raise :class:`UsageError`."""
    if not isinstance(value, str):
        raise UsageError(f"{what} must be a string OID, got {type(value).__name__}")
    if len(value) > MAX_OID_LENGTH or not _OID_RE.fullmatch(value):
        raise UsageError(f"{what} is not a valid OID: {value!r}")
    return value


def check_logical_path(value: object) -> str:
    """Return ``value`` if it is a safe logical path (``/``-separated segments of
    ``[A-Za-z0-9._-]`` not starting with a dot); otherwise raise :class:`UsageError`."""
    if not isinstance(value, str) or not value:
        raise UsageError(f"logical path must be a non-empty string, got {value!r}")
    if len(value) > MAX_LOGICAL_PATH_LENGTH:
        raise UsageError(f"logical path is too long: {value[:40]!r}...")
    for segment in value.split("/"):
        if not _SEGMENT_RE.fullmatch(segment):
            raise UsageError(f"unsafe logical path: {value!r}")
    return value


def check_logical_paths(paths: list[str]) -> None:
    """Refuse a set of logical paths where one path is a directory of another (OCFL E095)."""
    as_set = set(paths)
    for path in paths:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in as_set:
                raise UsageError(f"logical path {path!r} conflicts with {'/'.join(parts[:i])!r}")


def ocfl_id(object_id: str) -> str:
    """OCFL object id (``urn:oid:<object OID>``) for an object OID."""
    return OCFL_ID_PREFIX + object_id


def object_id_from_ocfl_id(identifier: str) -> str | None:
    """Object OID from an OCFL id, or ``None`` when the id is not one the store writes."""
    if not identifier.startswith(OCFL_ID_PREFIX):
        return None
    oid = identifier[len(OCFL_ID_PREFIX) :]
    try:
        return check_oid(oid, "object id")
    except UsageError:
        return None


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02x}" for byte in match.group().encode("utf-8"))


def _encapsulation_directory(identifier: str, digest: str) -> str:
    if identifier.isascii():
        name = identifier.translate(_ASCII_ESCAPES)
    else:
        name = _UNSAFE_CHARS_RE.sub(_percent_encode, identifier)
    if len(name) > 100:
        return f"{name[:100]}-{digest}"
    return name


def layout_path(identifier: str) -> tuple[str, ...]:
    """Path segments of an OCFL object below its storage root, as extension 0003 defines
    them with sha256, tuple size 3 and 3 tuples: the digest of the UTF-8 id split into
    tuples, then the percent-encoded id (lower-case hex; truncated to 100 characters plus
    ``-<digest>`` when longer)."""
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()
    tuples = tuple(
        digest[i * LAYOUT_TUPLE_SIZE : (i + 1) * LAYOUT_TUPLE_SIZE]
        for i in range(LAYOUT_NUMBER_OF_TUPLES)
    )
    return (*tuples, _encapsulation_directory(identifier, digest))


def lock_key(controller_oid: str, object_id: str) -> str:
    """Name of the lock (and staging prefix) of one object in one controller."""
    return hashlib.sha256(f"{controller_oid}/{object_id}".encode()).hexdigest()


#: Where the set -> controller locators live (outside every storage root).
LOCATORS = "sets"
LOCATOR_SEPARATOR = "@"


def locator_dir(object_id: str) -> str:
    """The locator directory (key) of an object: one of 4096 shards."""
    return f"{LOCATORS}/{hashlib.sha256(object_id.encode()).hexdigest()[:3]}"


def locator_key(object_id: str, controller_oid: str) -> str:
    """The locator entry saying that ``controller_oid`` holds (or is about to hold)
    ``object_id``: ``sets/<shard>/<object OID>@<controller OID>``."""
    return f"{locator_dir(object_id)}/{object_id}{LOCATOR_SEPARATOR}{controller_oid}"
