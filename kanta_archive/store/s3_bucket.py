"""One S3 bucket and key prefix through boto3: keys relative to the prefix, errors mapped.

Every request goes through :meth:`S3Bucket.call`: transport and server failures become
:class:`StoreError`, while "no such key" and "precondition failed" stay botocore's
``ClientError`` for the caller to decide (:meth:`S3Bucket.missing`,
:meth:`S3Bucket.precondition`): for the commit protocol they are answers, not failures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from kanta_archive.errors import ConflictError, StoreError
from kanta_archive.store.inventory import OBJECT_NAMASTE
from kanta_archive.store.inventory import sha512 as _sha512

_LIST_PAGE = 1000


class S3Bucket:
    """The keys of a store in a bucket, under a key prefix; ``readonly`` refuses writes."""

    def __init__(self, client: Any, name: str, prefix: str, *, readonly: bool = False) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self.client = client
        self.name = name
        self.prefix = prefix
        self.readonly = readonly
        self.client_error = ClientError
        self._boto_error = BotoCoreError

    @property
    def location(self) -> str:
        """``s3://bucket/prefix`` (or ``s3://bucket``)."""
        return f"s3://{self.name}/{self.prefix}" if self.prefix else f"s3://{self.name}"

    def key(self, key: str) -> str:
        """The full key of ``key`` (relative to the prefix)."""
        if not self.prefix:
            return key
        return f"{self.prefix}/{key}" if key else self.prefix

    def rel(self, full: str) -> str:
        """The key relative to the prefix of a full key."""
        return full[len(self.prefix) + 1 :] if self.prefix else full

    # ------------------------------------------------------------------ errors

    def code(self, exc: Exception) -> str:
        """The S3 error code (or HTTP status) of a botocore error, ``""`` for others."""
        if isinstance(exc, self.client_error):
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return str(error.get("Code") or status)
        return ""

    def call(self, what: str, key: str, fn: Any, **kwargs: Any) -> Any:
        """One S3 request; transport and server failures become :class:`StoreError`."""
        try:
            return fn(Bucket=self.name, **kwargs)
        except self.client_error as exc:
            code = self.code(exc)
            if code in ("NoSuchKey", "404", "NotFound", "PreconditionFailed", "412"):
                raise
            raise StoreError(f"{self.location}: {what} {key} failed: {exc}") from exc
        except self._boto_error as exc:
            raise StoreError(f"{self.location}: {what} {key} failed: {exc}") from exc

    def missing(self, exc: Exception) -> bool:
        """Was ``exc`` "no such key"?"""
        return self.code(exc) in ("NoSuchKey", "404", "NotFound")

    def precondition(self, exc: Exception) -> bool:
        """Was ``exc`` a failed ``If-Match``/``If-None-Match``?"""
        return self.code(exc) in ("PreconditionFailed", "412")

    def writable(self) -> None:
        """Raise :class:`StoreError` when the store is open read-only."""
        if self.readonly:
            raise StoreError(f"the store {self.location} is open read-only")

    # ------------------------------------------------------------------ reading

    def read_versioned(self, key: str) -> tuple[bytes, object | None] | None:
        """The bytes and ETag of ``key``, ``None`` when absent."""
        try:
            got = self.call("reading", key, self.client.get_object, Key=self.key(key))
        except self.client_error as exc:
            if self.missing(exc):
                return None
            raise StoreError(f"{self.location}: reading {key} failed: {exc}") from exc
        data: bytes = got["Body"].read()
        return data, got.get("ETag")

    def read(self, key: str) -> bytes | None:
        """The bytes of ``key``, ``None`` when absent."""
        found = self.read_versioned(key)
        return None if found is None else found[0]

    def head(self, key: str) -> dict[str, Any] | None:
        """The HEAD response of ``key`` (ETag, LastModified, the server's date), ``None``
        when absent."""
        try:
            got: dict[str, Any] = self.call(
                "checking", key, self.client.head_object, Key=self.key(key)
            )
        except self.client_error as exc:
            if self.missing(exc):
                return None
            raise StoreError(f"{self.location}: checking {key} failed: {exc}") from exc
        return got

    def etag(self, key: str) -> str | None:
        """The ETag of ``key``, ``None`` when absent."""
        got = self.head(key)
        return None if got is None else str(got.get("ETag"))

    def pages(self, key: str, delimiter: bool) -> Iterator[dict[str, Any]]:
        """The listing pages of every key below ``key`` (with ``delimiter``: one level)."""
        prefix = self.key(key) + "/" if (key or self.prefix) else ""
        kwargs: dict[str, Any] = {"Prefix": prefix, "MaxKeys": _LIST_PAGE}
        if delimiter:
            kwargs["Delimiter"] = "/"
        while True:
            page = self.call("listing", key, self.client.list_objects_v2, **kwargs)
            yield page
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def all_keys(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every key below ``key`` (relative to the prefix) with its listing item."""
        for page in self.pages(key, delimiter=False):
            for item in page.get("Contents", []):
                yield self.rel(item["Key"]), item

    def names_with_prefix(self, dir_key: str, prefix: str) -> list[str]:
        """The names of the keys directly in ``dir_key`` that start with ``prefix``, sorted."""
        names = []
        kwargs: dict[str, Any] = {"Prefix": self.key(f"{dir_key}/{prefix}"), "MaxKeys": _LIST_PAGE}
        while True:
            page = self.call("listing", dir_key, self.client.list_objects_v2, **kwargs)
            names += [item["Key"].rsplit("/", 1)[-1] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(names)
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    # ------------------------------------------------------------------ writing

    def put(self, key: str, data: bytes, **conditions: str) -> str:
        """PUT ``data`` at ``key`` with conditions (``IfNoneMatch``/``IfMatch``); returns
        the new ETag; a failed condition raises botocore's ClientError (412)."""
        self.writable()
        got = self.call(
            "writing", key, self.client.put_object, Key=self.key(key), Body=data, **conditions
        )
        return str(got.get("ETag"))

    def create(self, key: str, data: bytes) -> bool:
        """Create ``key`` unless it exists. False when it existed with the same bytes;
        :class:`ConflictError` when it exists with other bytes."""
        try:
            self.put(key, data, IfNoneMatch="*")
            return True
        except self.client_error as exc:
            if not self.precondition(exc):
                raise StoreError(f"{self.location}: writing {key} failed: {exc}") from exc
        existing = self.read(key)
        if existing is not None and _sha512(existing) == _sha512(data):
            return False
        raise ConflictError(f"{self.location}: {key} was written by another writer")

    def delete(self, keys: Sequence[str]) -> None:
        """Delete ``keys`` (a request per thousand)."""
        self.writable()
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            got = self.call(
                "deleting",
                chunk[0],
                self.client.delete_objects,
                Delete={"Objects": [{"Key": self.key(k)} for k in chunk], "Quiet": True},
            )
            if got.get("Errors"):
                raise StoreError(f"{self.location}: deleting failed: {got['Errors'][:3]}")

    def delete_tree(self, key: str) -> None:
        """Delete every key below ``key``: the object declaration first (so the object stops
        being found), then the rest."""
        items = sorted(rel for rel, _ in self.all_keys(key))
        first = [r for r in items if r.endswith("/" + OBJECT_NAMASTE)]
        if first:
            self.delete(first)
        rest = [r for r in items if r not in first]
        if rest:
            self.delete(rest)
