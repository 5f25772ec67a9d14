"""Readable documentation of the structure schemas (one Markdown page per structure version).

Each page shows the structure's fi/sv title, full dated OID, version and status, a table of
its fields read from the Sosmeta annotations (real exports carry an array's ``sosmeta`` on
its ``items`` and ``classificationOid`` as a list: ``sosmeta.py`` reads both), and the
structure's ``conditionalRequired`` prose rules: which ones kanta-archive enforces (and with
which finding code) and which are not machine-readable. ``schemas show`` uses the same
field list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanta_archive import sosmeta
from kanta_archive.access.masking import RESIDENCE_AND_CONTACT
from kanta_archive.codesets import CodeSet, CodeSets, load_codesets
from kanta_archive.schemas import SchemaRegistry, StructureSchema

__all__ = [
    "FieldDoc",
    "fields_of",
    "page_name",
    "render_index",
    "render_page",
    "render_prose_rules",
    "rule_rows",
    "write_docs",
]

# Prose notes that no pattern reads but a named rule of content_rules.py enforces.
NAMED_RULES = {
    ("asia_asiakirja", "paattymispaiva"): "KA-CASE-END-DATE",
    ("asia_asiakirja", "asiaan_liittymishetki"): "KA-COMMON-JOIN-TIME",
}


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
    hidden: bool = False

    def as_json(self) -> dict[str, Any]:
        """The field as ``schemas show --format json`` prints it."""
        return {
            "path": self.path,
            "depth": self.depth,
            "type": self.type,
            "fi": self.fi,
            "sv": self.sv,
            "required": self.required,
            "conditional": self.conditional,
            "repeatable": self.repeatable,
            "codeset": self.codeset,
            "hidden": self.hidden,
            "non_disclosure": self.non_disclosure,
        }


def _type_name(node: Mapping[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        return " | ".join(str(t) for t in declared)
    if declared == "array":
        items = node.get("items")
        inner = _type_name(items) if isinstance(items, Mapping) else ""
        return f"array of {inner}" if inner else "array"
    if sosmeta.is_coded(node):
        return "coded"
    return str(declared or "")


def fields_of(node: Mapping[str, Any], path: str = "", depth: int = 0) -> Iterator[FieldDoc]:
    """Every field below ``node`` in schema order; array items are shown as ``[]``."""
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        yield from fields_of(node["items"], path + "[]", depth)
        return
    props = node.get("properties")
    if not isinstance(props, Mapping) or sosmeta.is_coded(node):
        return
    required = set(node.get("required") or [])
    for key, child in props.items():
        if not isinstance(child, Mapping):
            continue
        meta = sosmeta.node_sosmeta(child)
        coded = child["items"] if child.get("type") == "array" else child
        yield FieldDoc(
            path=f"{path}/{key}",
            depth=depth,
            type=_type_name(child),
            fi=sosmeta.name(child, "fi"),
            sv=sosmeta.text(meta.get("name"), "sv", fallback=False),
            required=key in required,
            conditional=meta.get("conditionalRequired") is True,
            repeatable=child.get("type") == "array" or meta.get("repeatable") is True,
            codeset=(sosmeta.classification_oid(coded) or "") if sosmeta.is_coded(coded) else "",
            note_fi=sosmeta.text(meta.get("implementationNote"), "fi", fallback=False),
            note_sv=sosmeta.text(meta.get("implementationNote"), "sv", fallback=False),
            # what masking hides under a non-disclosure marking (access/masking.py): the
            # person's residence and contact data, or a field a schema marks so
            non_disclosure=meta.get("nonDisclosureProtected") is True
            or key in RESIDENCE_AND_CONTACT,
            hidden=meta.get("hiddenField") is True,
        )
        yield from fields_of(child, f"{path}/{key}", depth + 1)


def rule_rows(structure: StructureSchema, plan: Any) -> list[tuple[str, str, str]]:
    """(where, how it is enforced, the Finnish note) for every prose rule of the structure."""
    rows: list[tuple[str, str, str]] = []
    for rule in plan.rules:
        what = " or ".join(rule.members)
        if rule.kind == "one-of":
            how = f"{rule.code}: one of {what}" + (" is true" if rule.must_be_true else "")
        else:
            how = f"{rule.code}: {what} when {rule.condition.describe()}"
        rows.append(("/" + "/".join(rule.parent), how, rule.text))
    for unread in plan.unread:
        key = unread.path.rsplit("/", 1)[-1]
        named = NAMED_RULES.get((structure.root, key))
        how = f"{named} (a named rule)" if named else "not machine-readable"
        rows.append((unread.path, how, unread.text))
    return rows


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def page_name(structure: StructureSchema) -> str:
    """The page file name: ``<full dated OID>.md``, as the export is named."""
    return f"{structure.dated_oid}.md"


def _flags(f: FieldDoc) -> str:
    flags = []
    if f.required:
        flags.append("required")
    if f.conditional:
        flags.append("conditionally required")
    if f.repeatable:
        flags.append("repeatable")
    if f.hidden:
        flags.append("hidden")
    return ", ".join(flags) or "optional"


def render_page(
    structure: StructureSchema, codesets: Mapping[str, CodeSet], plan: Any = None
) -> str:
    """The Markdown page of one structure version."""
    meta = structure.schema.get("sosmeta")
    meta = meta if isinstance(meta, Mapping) else {}
    lines = [
        f"# {structure.title('fi')} / {structure.title('sv')}",
        "",
        "| | |",
        "|---|---|",
        f"| OID | `{structure.dated_oid}` (structure `{structure.oid}`) |",
        f"| version | {structure.version} |",
        f"| status | {_cell(structure.status) or '-'} |",
        f"| root element | `{structure.root}` |",
    ]
    if structure.document_type:
        lines.append(f"| document type | {_cell(structure.document_type)} |")
    for key, label in (
        ("documentSubject", "subject"),
        ("documentAuthor", "author"),
        ("dataComponentLibraryVersion", "data component library"),
    ):
        if isinstance(meta.get(key), str):
            lines.append(f"| {label} | {_cell(meta[key])} |")
    lines.append(f"| schema file | `{structure.path.name}` |")
    lines += [
        "",
        "## Fields",
        "",
        "Paths are JSON Pointers into `content`; `[]` marks the items of a repeatable field. "
        "*Conditionally required* fields are required by a prose rule (see below). *Hidden* "
        "groups (Sosmeta `hiddenField`) are not shown in the display form; in a document under "
        "a non-disclosure marking their residence and contact data are masked "
        "(docs/non-disclosure.md).",
        "",
        "| path | fi | sv | type | use | code set | implementation note |",
        "|---|---|---|---|---|---|---|",
    ]
    sets = codesets if isinstance(codesets, CodeSets) else CodeSets(codesets)
    for f in fields_of(structure.schema):
        codeset = ""
        if f.codeset:
            known = sets.resolve(f"urn:oid:{f.codeset}")
            codeset = f"`{f.codeset}` {_cell(known.title()) if known else ''}".strip()
        note = _cell(f.note_fi)
        if f.note_sv:
            note += f" *(sv: {_cell(f.note_sv)})*" if note else _cell(f.note_sv)
        flags = _flags(f) + (", 🔒 non-disclosure" if f.non_disclosure else "")
        lines.append(
            f"| `{_cell(f.path)}` | {_cell(f.fi)} | {_cell(f.sv)} | {_cell(f.type)} "
            f"| {flags} | {codeset} | {note} |"
        )
    if plan is not None:
        rows = rule_rows(structure, plan)
        enforced = sum(1 for _, how, _ in rows if how != "not machine-readable")
        lines += [
            "",
            "## Prose rules (conditionalRequired)",
            "",
            f"{enforced} of {len(rows)} enforced; the others are not machine-readable "
            "(docs/prose-rules.md says how notes are read).",
            "",
            "| where | enforced as | note (fi) |",
            "|---|---|---|",
        ]
        lines += [f"| `{_cell(w)}` | {_cell(h)} | {_cell(t)} |" for w, h, t in rows]
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
        "Sosmeta JSON Schema exports.",
        "",
        "| title (fi) | title (sv) | OID | version | status |",
        "|---|---|---|---|---|",
    ]
    for s in structures:
        lines.append(
            f"| [{_cell(s.title('fi'))}]({page_name(s)}) | {_cell(s.title('sv'))} "
            f"| `{s.dated_oid}` | {s.version} | {_cell(s.status) or '-'} |"
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
        page = render_page(structure, codesets, registry.plan(structure))
        path.write_text(page, encoding="utf-8")
        written.append(path)
    index = out / "index.md"
    index.write_text(render_index(structures), encoding="utf-8")
    written.append(index)
    return written


_PROSE_INTRO = """# Prose rules (conditionalRequired)

THL's Sosmeta exports mark fields `conditionalRequired` and say the condition only in Finnish
prose, in the field's `implementationNote` ("Ehdollisesti pakollinen: ..."). kanta-archive
reads every note that follows one of the patterns below and enforces it; every other note
is listed here (and on each structure's page under `docs/structures/`) as not
machine-readable. The reader is `kanta_archive/rules/prose.py`; field names in a note are
found by their Sosmeta Finnish name among the field's siblings, then among its ancestors'.

{patterns}

Two notes that no pattern reads are enforced by named rules: the case document's end date
when the case is closed (`KA-CASE-END-DATE`) and a common-matter client's join time
(`KA-COMMON-JOIN-TIME`). A finding's pointer is the object that lacks the field (one-of)
or the missing field itself (required-if).
"""

_PROSE_PATTERNS = (
    (
        '"A- ja B -kentistä toinen on pakollinen", "Toinen kentistä A ja B on pakollinen", '
        '"Joko A-kenttä tai B -kenttä on pakollinen", "A, B ja C -kentistä yksi on '
        'pakollinen", "Yksi seuraavista kentistä on pakollinen: ..."',
        "one of the fields is present: `KA-CLIENT-ID` when the fields identify a client "
        "(`henkilotunnus` among them), else `KA-ONE-OF-REQUIRED`",
    ),
    (
        'the same, with "Toiseen kentistä on vastattava "kyllä""',
        "one of the switches is true (`KA-ONE-OF-REQUIRED`)",
    ),
    (
        '"Kenttä on pakollinen, jos A -kenttään on vastattu "ei" / "kyllä"", '
        '"jos kytkin A on asennossa kyllä"',
        "the field is present when A is false / true (`KA-REQUIRED-IF`)",
    ),
    (
        '"... jos A -kenttä jätetään tyhjäksi"',
        "the field is present when A is absent (`KA-REQUIRED-IF`)",
    ),
    (
        '"jos A-kentässä on valittu luokka "99 Muu"", "jos kentän A luokituksesta on valittu '
        'luokka 2", "Jos A-kentässä olevasta luokituksesta on valittu 31 = ..., 32 = ..."',
        "the field is present when A has one of those codes (`KA-REQUIRED-IF`)",
    ),
    (
        "a client's `henkilotunnus` and `tilapainen_yksilointitunnus` both "
        "`conditionalRequired` with no note at all",
        "one of them is present, as the same pair's note says in every export that states "
        "it (`KA-CLIENT-ID`)",
    ),
)


def render_prose_rules(registry: SchemaRegistry) -> str:
    """``docs/prose-rules.md``: how notes are read, counts over the structures ``registry``
    knows, and every note that is not machine-readable (with ``--schemas-dir`` of all 202
    exports: the full list)."""
    structures = registry.structures()
    plans = [(s, registry.plan(s)) for s in structures]
    flagged = sum(
        1 for s in structures for f in fields_of(s.schema) if f.conditional
    )  # every conditionalRequired field
    rules = [r for _, p in plans for r in p.rules]
    named = [(s, u) for s, p in plans for u in p.unread
             if (s.root, u.path.rsplit("/", 1)[-1]) in NAMED_RULES]  # fmt: skip
    unread = [(s, u) for s, p in plans for u in p.unread
              if (s.root, u.path.rsplit("/", 1)[-1]) not in NAMED_RULES]  # fmt: skip
    table = "\n".join(
        ["| pattern (as the exports word it) | enforced as |", "|---|---|"]
        + [f"| {pattern} | {enforced} |" for pattern, enforced in _PROSE_PATTERNS]
    )
    lines = [
        _PROSE_INTRO.format(patterns=table),
        f"## Counts over {len(structures)} structures",
        "",
        "| | |",
        "|---|---|",
        f"| fields marked `conditionalRequired` | {flagged} |",
        f"| rules read and enforced | {len(rules)} |",
        f"| of them: client identifier (`KA-CLIENT-ID`) | {sum(r.client for r in rules)} |",
        "| of them: other one-of (`KA-ONE-OF-REQUIRED`) "
        f"| {sum(r.kind == 'one-of' and not r.client for r in rules)} |",
        "| of them: required-if (`KA-REQUIRED-IF`) "
        f"| {sum(r.kind == 'required-if' for r in rules)} |",
        f"| notes enforced by a named rule | {len(named)} |",
        f"| notes not machine-readable | {len(unread)} |",
        "",
        "A one-of rule is read once for all the fields it names, so rules are fewer than fields.",
        "",
        "## Not machine-readable",
        "",
        "| structure | field | note (fi) |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{s.dated_oid}` | `{_cell(u.path)}` | {_cell(u.text) or '(no note)'} |"
        for s, u in unread
    ]
    lines += [
        "",
        "Generated by `kanta-archive --schemas-dir <the exports> schemas docs --prose-rules "
        "docs/prose-rules.md`.",
        "",
    ]
    return "\n".join(lines)
