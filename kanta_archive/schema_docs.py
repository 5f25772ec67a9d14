"""Readable Markdown documentation of the structure schemas (one page per structure version).

Each page shows the structure's fi/sv title, OID, version and status, and a table of its
fields from the Sosmeta annotations: path, fi/sv names, type, required / conditionally
required / repeatable, code set (OID and name), the implementation note (where the prose
rules live) and whether the field is protected by a non-disclosure marking.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanta_archive.codesets import CodeSet, load_codesets
from kanta_archive.schemas import SchemaRegistry, StructureSchema

__all__ = ["FieldDoc", "fields_of", "page_name", "render_index", "render_page", "write_docs"]


@dataclass(frozen=True)
class FieldDoc:
    """One documented field of a structure."""

    path: str
    depth: int
    type: str
    fi: str
    sv: str
    required: bool
    conditional: bool
    repeatable: bool
    codeset: str
    note_fi: str
    note_sv: str
    non_disclosure: bool


def _lang(values: Any, lang: str) -> str:
    if isinstance(values, list):
        for item in values:
            if isinstance(item, Mapping) and item.get("lang") == lang:
                value = item.get("value")
                return value if isinstance(value, str) else ""
    return ""


def _type_name(node: Mapping[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        return " | ".join(str(t) for t in declared)
    if declared == "array":
        items = node.get("items")
        inner = _type_name(items) if isinstance(items, Mapping) else ""
        return f"array of {inner}" if inner else "array"
    return str(declared or "")


def fields_of(node: Mapping[str, Any], path: str = "", depth: int = 0) -> Iterator[FieldDoc]:
    """Every field below ``node`` in schema order; array items are shown as ``[]``."""
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        yield from fields_of(node["items"], path + "[]", depth)
        return
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return
    required = set(node.get("required") or [])
    for key, child in props.items():
        if not isinstance(child, Mapping):
            continue
        sosmeta = child.get("sosmeta")
        sosmeta = sosmeta if isinstance(sosmeta, Mapping) else {}
        codeset = sosmeta.get("classificationOid")
        yield FieldDoc(
            path=f"{path}/{key}",
            depth=depth,
            type=_type_name(child),
            fi=_lang(sosmeta.get("name"), "fi"),
            sv=_lang(sosmeta.get("name"), "sv"),
            required=key in required,
            conditional=sosmeta.get("conditionalRequired") is True,
            repeatable=child.get("type") == "array" or sosmeta.get("repeatable") is True,
            codeset=codeset if isinstance(codeset, str) else "",
            note_fi=_lang(sosmeta.get("implementationNote"), "fi"),
            note_sv=_lang(sosmeta.get("implementationNote"), "sv"),
            non_disclosure=sosmeta.get("nonDisclosureProtected") is True,
        )
        yield from fields_of(child, f"{path}/{key}", depth + 1)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def page_name(structure: StructureSchema) -> str:
    """The page file name: ``<oid>_<version>.md``."""
    return f"{structure.oid}_{structure.version}.md"


def _flags(f: FieldDoc) -> str:
    flags = []
    if f.required:
        flags.append("required")
    if f.conditional:
        flags.append("conditionally required")
    if f.repeatable:
        flags.append("repeatable")
    return ", ".join(flags) or "optional"


def render_page(structure: StructureSchema, codesets: Mapping[str, CodeSet]) -> str:
    """The Markdown page of one structure version."""
    sosmeta = structure.schema.get("sosmeta")
    sosmeta = sosmeta if isinstance(sosmeta, Mapping) else {}
    doc_type = sosmeta.get("documentType")
    lines = [
        f"# {structure.title('fi')} / {structure.title('sv')}",
        "",
        "| | |",
        "|---|---|",
        f"| OID | `{structure.oid}` |",
        f"| version | {structure.version} |",
        f"| status | {_cell(structure.status) or '-'} |",
        f"| root element | `{structure.root}` |",
    ]
    if isinstance(doc_type, Mapping) and doc_type.get("code") is not None:
        name = _lang(doc_type.get("name"), "fi")
        lines.append(
            f"| document type | {_cell(str(doc_type.get('code')))} {_cell(name)} "
            f"(`{_cell(str(doc_type.get('classificationOid') or ''))}`) |"
        )
    library = sosmeta.get("dataComponentLibraryVersion")
    if isinstance(library, str):
        lines.append(f"| data component library | {_cell(library)} |")
    lines.append(f"| schema file | `{structure.path.name}` |")
    lines += [
        "",
        "## Fields",
        "",
        "Paths are JSON Pointers into `content`; `[]` marks the items of a repeatable field. "
        "*Conditionally required* fields are required by a prose rule (see the implementation "
        "note). 🔒 marks fields protected by a non-disclosure marking (turvakielto).",
        "",
        "| path | fi | sv | type | use | code set | implementation note | non-disclosure |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in fields_of(structure.schema):
        codeset = ""
        if f.codeset:
            known = codesets.get(f.codeset)
            name = known.name.get("fi", "") if known else ""
            codeset = f"`{f.codeset}` {_cell(name)}".strip()
        note = _cell(f.note_fi)
        if f.note_sv:
            note += f" *(sv: {_cell(f.note_sv)})*" if note else _cell(f.note_sv)
        lines.append(
            f"| `{_cell(f.path)}` | {_cell(f.fi)} | {_cell(f.sv)} | {_cell(f.type)} "
            f"| {_flags(f)} | {codeset} | {note} | {'🔒 yes' if f.non_disclosure else ''} |"
        )
    lines += [
        "",
        "Generated by `kanta-archive schemas docs` from the schema's `sosmeta` annotations.",
        "",
    ]
    return "\n".join(lines)


def render_index(structures: Sequence[StructureSchema]) -> str:
    """The ``index.md`` page listing every structure page."""
    lines = [
        "# Document structures",
        "",
        "One page per structure version, generated by `kanta-archive schemas docs` from the "
        "Sosmeta-style JSON Schemas.",
        "",
        "| title (fi) | title (sv) | OID | version | status |",
        "|---|---|---|---|---|",
    ]
    for s in structures:
        lines.append(
            f"| [{_cell(s.title('fi'))}]({page_name(s)}) | {_cell(s.title('sv'))} "
            f"| `{s.oid}` | {s.version} | {_cell(s.status) or '-'} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_docs(out: Path, registry: SchemaRegistry | None = None) -> list[Path]:
    """Write one page per known structure plus ``index.md`` into ``out``; return the paths."""
    registry = registry or SchemaRegistry()
    codesets = load_codesets(registry.extra_dirs)
    structures = registry.structures()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for structure in structures:
        path = out / page_name(structure)
        path.write_text(render_page(structure, codesets), encoding="utf-8")
        written.append(path)
    index = out / "index.md"
    index.write_text(render_index(structures), encoding="utf-8")
    written.append(index)
    return written
