"""Generated documents as files: serialised, validated in the form written, written safely.

``write_documents`` refuses to overwrite a file and to write into a path that is a file;
every file is validated before anything is written for it (an invalid one is a generator
bug and stops the run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from kanta_archive.access.registry import Organisation
from kanta_archive.codesets import load_codesets
from kanta_archive.errors import UsageError
from kanta_archive.generate.documents import generate_documents, resolve_structure
from kanta_archive.generate.forms import Checker, document_bytes
from kanta_archive.schemas import SchemaRegistry, StructureSchema

FORMATS = ("json", "xhtml", "both")


def _target_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder: not writing into it")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out}: cannot create the folder: {exc.strerror or exc}") from exc


def write_documents(
    structure: str | StructureSchema,
    count: int,
    seed: int,
    out: Path,
    fmt: str = "json",
    registry: SchemaRegistry | None = None,
    *,
    orgs: Sequence[Organisation] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Generate documents into ``out`` as ``json``, ``xhtml`` or ``both``; return the paths.

    Nothing is overwritten: a file that exists already stops the run before anything is
    written (exit 2). Every file is validated in the form written before it is written.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    registry = registry or SchemaRegistry()
    chosen = resolve_structure(structure, registry)
    forms = ("json", "xhtml") if fmt == "both" else (fmt,)
    checker = Checker(registry, load_codesets(registry.extra_dirs))
    _target_folder(out)
    documents = list(generate_documents(chosen, count, seed, registry, orgs=orgs, validate=False))
    targets = [out / f"{stem}.{form}" for stem, _ in documents for form in forms]
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError(
            f"{existing[0]}: exists already ({len(existing)} of the files to write do): "
            "not overwriting; choose another --out or remove them"
        )
    written: list[Path] = []
    for stem, document in documents:
        for form in forms:
            data = document_bytes(document, form, chosen)
            checker.check(data, f"{stem}.{form}")
            path = out / f"{stem}.{form}"
            try:
                with path.open("xb") as handle:  # "x": never replace a file made meanwhile
                    handle.write(data)
            except OSError as exc:
                raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
            written.append(path)
        if progress is not None:
            progress(1)
    return written


def write_all(
    registry: SchemaRegistry,
    count: int,
    seed: int,
    out: Path,
    fmt: str = "json",
    *,
    orgs: Sequence[Organisation] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, list[Path]]:
    """``count`` documents of every known structure (its newest version), each structure in
    a folder of its own named by its full dated OID."""
    newest: dict[str, StructureSchema] = {}
    for structure in registry.structures():
        newest[structure.oid] = structure  # sorted by version: the last one wins
    if not newest:
        raise UsageError("no structures known: nothing to generate")
    _target_folder(out)
    for s in newest.values():  # checked before anything is written: never half a run
        folder = out / s.dated_oid
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UsageError(f"{folder}: exists already and is not empty: not overwriting")
    return {
        s.dated_oid: write_documents(
            s, count, seed, out / s.dated_oid, fmt, registry, orgs=orgs, progress=progress
        )
        for s in newest.values()
    }
