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
from kanta_archive.generate.forms import SUFFIXES, Checker, document_bytes
from kanta_archive.schemas import SchemaRegistry, StructureSchema

# What ``--form`` names: one form, ``both`` (JSON and XHTML, as before CDA) or ``all`` three.
FORMS_OF = {
    "json": ("json",),
    "xhtml": ("xhtml",),
    "cda": ("cda",),
    "both": ("json", "xhtml"),
    "all": ("json", "xhtml", "cda"),
}
FORMATS = tuple(FORMS_OF)


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
    first_set: int = 1,
) -> list[Path]:
    """Generate documents into ``out`` in the forms ``fmt`` names (``json``, ``xhtml``,
    ``cda``, ``both`` = JSON and XHTML, ``all`` = the three); return the paths.

    Files are ``<stem>.json``, ``<stem>.xhtml`` and ``<stem>.xml`` (CDA). Nothing is
    overwritten: a file that exists already stops the run before anything is written
    (exit 2). Every file is validated in the form written before it is written.
    """
    if fmt not in FORMS_OF:
        raise UsageError(f"unknown form '{fmt}' (one of {', '.join(FORMATS)})")
    registry = registry or SchemaRegistry()
    chosen = resolve_structure(structure, registry)
    forms = FORMS_OF[fmt]
    checker = Checker(registry, load_codesets(registry.extra_dirs))
    _target_folder(out)
    documents = list(
        generate_documents(
            chosen, count, seed, registry, orgs=orgs, validate=False, forms=forms,
            first_set=first_set,
        )
    )  # fmt: skip
    targets = [out / f"{stem}.{SUFFIXES[form]}" for stem, _ in documents for form in forms]
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError(
            f"{existing[0]}: exists already ({len(existing)} of the files to write do): "
            "not overwriting; choose another --out or remove them"
        )
    written: list[Path] = []
    for stem, document in documents:
        for form in forms:
            path = out / f"{stem}.{SUFFIXES[form]}"
            data = document_bytes(document, form, chosen)
            checker.check(data, path.name)
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
    a folder of its own named by its full dated OID.

    The structures' sets are numbered on from one structure to the next, so that no two
    documents of the run share an OID and the whole folder can be archived in one go."""
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
            s, count, seed, out / s.dated_oid, fmt, registry, orgs=orgs, progress=progress,
            first_set=i * count + 1,  # a set has at least one document: no overlap
        )
        for i, s in enumerate(newest.values())
    }  # fmt: skip
