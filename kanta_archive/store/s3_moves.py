"""Moving an object to another storage root on S3: an intent record, copy, fence, delete.

S3 has no rename. A move records its intent under ``moves/`` first (outside every storage
root), so that a move cut short is finished by ``recover`` (:func:`resume_moves`); see
docs/store-layout.md, "S3 backend".
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Final

from kanta_archive.errors import ConflictError, StoreError
from kanta_archive.store.inventory import INVENTORY, OBJECT_NAMASTE, OBJECT_NAMASTE_TEXT, SIDECAR
from kanta_archive.store.inventory import sha512 as _sha512
from kanta_archive.store.s3_bucket import S3Bucket

#: Where move intents live (outside every storage root).
MOVES = "moves"
#: how often the copy is made again while writers keep publishing versions of the source.
_COPY_ATTEMPTS: Final = 20


def _intent_key(source_key: str) -> str:
    return f"{MOVES}/{hashlib.sha256(source_key.encode()).hexdigest()}.json"


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def move_object(
    bucket: S3Bucket, source_key: str, target_key: str, locators: tuple[str, str]
) -> None:
    """Copy, fence, delete: see :func:`finish_move`. An intent under ``moves/`` is
    recorded first, so an interrupted move is finished by ``recover``."""
    bucket.writable()
    if any(bucket.etag(f"{target_key}/{name}") is not None for name in (OBJECT_NAMASTE, INVENTORY)):
        raise ConflictError(f"{target_key} already exists")
    intent = json.dumps(
        {
            "source": source_key,
            "target": target_key,
            "locators": list(locators),
            "started": _now_text(),
        },
        sort_keys=True,
    ).encode()
    intent_key = _intent_key(source_key)
    try:
        bucket.put(intent_key, intent, IfNoneMatch="*")
    except bucket.client_error as exc:
        if not bucket.precondition(exc):
            raise StoreError(f"{bucket.location}: writing {intent_key} failed: {exc}") from exc
        raise ConflictError(f"{source_key} is already being moved ({intent_key})") from exc
    finish_move(bucket, source_key, target_key, intent_key, locators)


def finish_move(
    bucket: S3Bucket, source_key: str, target_key: str, intent_key: str, locators: tuple[str, str]
) -> None:
    """Copy the source to the target (root inventory last), then delete the source's
    root inventory with ``If-Match`` on the ETag read before the copy: that delete is
    the fence. A writer that published a version meanwhile changed the ETag: copy again.
    A writer that commits after the fence cannot publish (its ``If-Match`` on the source
    root fails) and is not acknowledged. Then the rest of the source goes, then the
    intent."""
    bucket.put(locators[1], b"")
    for _attempt in range(_COPY_ATTEMPTS):
        found = bucket.read_versioned(f"{source_key}/{INVENTORY}")
        if found is None:
            break  # fenced already (an interrupted move): only deletion is left
        inventory, token = found
        _copy_object(bucket, source_key, target_key, inventory)
        try:
            bucket.call(
                "deleting",
                source_key,
                bucket.client.delete_object,
                Key=bucket.key(f"{source_key}/{INVENTORY}"),
                IfMatch=str(token),
            )
            break
        except bucket.client_error as exc:
            if not bucket.precondition(exc):
                raise StoreError(f"{bucket.location}: deleting {source_key} failed: {exc}") from exc
    else:
        raise StoreError(f"{bucket.location}: {source_key} keeps changing; move not finished")
    bucket.delete_tree(source_key)
    bucket.delete([locators[0], intent_key])


def _copy_object(bucket: S3Bucket, source_key: str, target_key: str, inventory: bytes) -> None:
    """Server-side copy of every key of the object; the root inventory (the bytes read
    before, which name only versions whose files exist), its sidecar and the object
    declaration last."""
    root_files = {f"{source_key}/{n}" for n in (INVENTORY, SIDECAR, OBJECT_NAMASTE)}
    for rel, _item in bucket.all_keys(source_key):
        if rel in root_files:
            continue
        bucket.call(
            "copying",
            rel,
            bucket.client.copy_object,
            Key=bucket.key(target_key + rel[len(source_key) :]),
            CopySource={"Bucket": bucket.name, "Key": bucket.key(rel)},
        )
    sidecar = f"{_sha512(inventory)}  {INVENTORY}\n".encode("ascii")
    bucket.put(f"{target_key}/{INVENTORY}", inventory)
    bucket.put(f"{target_key}/{SIDECAR}", sidecar)
    bucket.put(f"{target_key}/{OBJECT_NAMASTE}", OBJECT_NAMASTE_TEXT)


def resume_moves(bucket: S3Bucket) -> list[str]:
    """Finish every interrupted move (intents under ``moves/``)."""
    actions = []
    for rel, _item in list(bucket.all_keys(MOVES)):
        data = bucket.read(rel)
        try:
            intent = json.loads(data or b"")
            source, target = str(intent["source"]), str(intent["target"])
            old, new = (str(k) for k in intent["locators"])
        except (ValueError, KeyError, TypeError):
            actions.append(f"cannot resume the move in {rel}: unreadable intent")
            continue
        finish_move(bucket, source, target, rel, (old, new))
        actions.append(f"finished moving {source} to {target}")
    return actions
