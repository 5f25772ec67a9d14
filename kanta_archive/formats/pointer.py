"""JSON Pointer helpers (RFC 6901)."""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: str | int) -> str:
    """Escape one reference token."""
    text = str(token)
    if "~" not in text and "/" not in text:
        return text  # the usual key: nothing to escape (this runs for every content node)
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The name one escaped reference token stands for."""
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: str | int) -> str:
    """Append reference tokens to a pointer."""
    return base + "".join("/" + escape(t) for t in tokens)


def from_path(tokens: Iterable[str | int], base: str = "") -> str:
    """Build a pointer from a sequence of keys and indexes."""
    return join(base, *tokens)


def parents(pointer: str) -> Iterable[str]:
    """The pointer itself, then each ancestor up to the root ``""``."""
    while True:
        yield pointer
        if not pointer:
            return
        pointer = pointer[: pointer.rindex("/")]
