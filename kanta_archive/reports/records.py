"""Records for people and machines: every listing and every single record the archive and
access commands print goes through here, in one vocabulary of formats.

A listing is an iterable of flat-ish records (mappings of column -> value) rendered as

- ``text``: aligned columns for people (a header line unless ``header=False``);
- ``json``: one JSON document ``{..envelope.., "<key>": [records]}``;
- ``jsonl``: one JSON object per line, nothing else (as ``sqlite-utils --nl`` writes);
- ``csv`` / ``tsv``: RFC 4180 CSV or tab-separated values, header unless ``header=False``.

Every format but ``text`` is written as the records arrive, so a listing of any length
streams in constant memory. In ``csv``, ``tsv`` and ``text`` booleans are ``true`` /
``false`` (as in JSON), ``None`` is empty and a list is its items joined by ``;``; ``json``
and ``jsonl`` keep the values as they are. ``columns`` picks and orders the columns (every
format); an unknown column is a :class:`UsageError` naming the known ones.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any, Final

from kanta_archive.errors import UsageError

LISTING_FORMATS: Final = ("text", "json", "jsonl", "csv", "tsv")
RECORD_FORMATS: Final = ("text", "json")


def plain(value: Any) -> Any:
    """``value`` with dataclasses, dates and tuples turned into JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_json(value: Any) -> str:
    """One JSON document for machines: indented by 2, UTF-8 text as is, a final newline."""
    return json.dumps(plain(value), indent=2, ensure_ascii=False) + "\n"


def cell(value: Any) -> str:
    """One value as text for ``text``, ``csv`` and ``tsv``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)
    return str(plain(value))


def _tsv_cell(value: Any) -> str:
    # TSV has no quoting: a tab or line break inside a value would break the row.
    return cell(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def pick(columns: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    """The columns to print: ``columns`` (checked against ``known``) or every known one."""
    if not columns:
        return list(known)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise UsageError(f"unknown column {unknown[0]!r}; the columns are: {', '.join(known)}")
    return list(columns)


def render_listing(
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str],
    header: bool = True,
    key: str = "items",
    envelope: Mapping[str, Any] | None = None,
    trailer: Callable[[], Mapping[str, Any]] | None = None,
) -> Iterator[str]:
    """The listing as chunks of text (see the module docstring). For ``json``,
    ``envelope`` comes before the records and ``trailer()`` after them (called when the
    last record has been written, so it may report counts made while streaming)."""
    if fmt == "text":
        yield _text_table(records, columns, header)
    elif fmt == "jsonl":
        for record in records:
            yield json.dumps(_only(record, columns), ensure_ascii=False) + "\n"
    elif fmt in ("csv", "tsv"):
        yield from _delimited(records, columns, header, fmt)
    elif fmt == "json":
        yield from _json_listing(records, columns, key, envelope or {}, trailer or dict)
    else:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(LISTING_FORMATS)}")


def _only(record: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {c: plain(record.get(c)) for c in columns}


def _text_table(records: Iterable[Mapping[str, Any]], columns: Sequence[str], header: bool) -> str:
    rows = [[cell(r.get(c)) for c in columns] for r in records]
    lines = [list(columns)] if header else []
    lines += rows
    if not lines:
        return ""
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def _delimited(
    records: Iterable[Mapping[str, Any]], columns: Sequence[str], header: bool, fmt: str
) -> Iterator[str]:
    if fmt == "tsv":
        if header:
            yield "\t".join(columns) + "\n"
        for record in records:
            yield "\t".join(_tsv_cell(record.get(c)) for c in columns) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for record in records:
        writer.writerow([cell(record.get(c)) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_listing(
    records: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    key: str,
    envelope: Mapping[str, Any],
    trailer: Callable[[], Mapping[str, Any]],
) -> Iterator[str]:
    head = json.dumps(plain(envelope), indent=2, ensure_ascii=False)
    yield (head[:-2] + ",\n" if envelope else "{\n") + f"  {json.dumps(key)}: ["
    first = True
    for record in records:
        body = json.dumps(_only(record, columns), indent=2, ensure_ascii=False)
        yield ("\n" if first else ",\n") + _indent(body, 4)
        first = False
    yield ("\n  ]" if not first else "]")
    for name, value in trailer().items():
        text = json.dumps(plain(value), indent=2, ensure_ascii=False)
        yield f",\n  {json.dumps(name)}: " + _indent(text, 2).lstrip()
    yield "\n}\n"


def _indent(text: str, by: int) -> str:
    pad = " " * by
    return "\n".join(pad + line for line in text.split("\n"))


def render_record(record: Mapping[str, Any], fmt: str, *, order: Sequence[str] = ()) -> str:
    """One record: ``json``, or ``text`` as ``name  value`` lines (``order`` first)."""
    if fmt == "json":
        return to_json(record)
    if fmt != "text":
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(RECORD_FORMATS)}")
    names = [*order, *(k for k in record if k not in order)]
    width = max((len(n) for n in names), default=0)
    return "".join(f"{n.ljust(width)}  {cell(record.get(n))}".rstrip() + "\n" for n in names)


__all__ = [
    "LISTING_FORMATS",
    "RECORD_FORMATS",
    "cell",
    "pick",
    "plain",
    "render_listing",
    "render_record",
    "to_json",
]
