"""The validation pipeline: bytes -> document -> schemas -> rules -> findings.

``Validator`` holds everything compiled once per process (schemas, XSD, code
sets) and validates any number of inputs with it. Problems in documents are
findings in the result; exceptions only for the tool's own failures.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kanta_archive.catalogue import BY_CODE, severity_of
from kanta_archive.codesets import CodeSet, load_codesets
from kanta_archive.findings import Finding, Location, Severity, ValidationResult
from kanta_archive.formats import pointer as ptr
from kanta_archive.formats.read import DEFAULT_MAX_BYTES, JSON_SUFFIXES, XHTML_SUFFIXES, ReadOutcome
from kanta_archive.formats.read import read_bytes as _read_bytes
from kanta_archive.formats.read import read_path as _read_path
from kanta_archive.integer_form import integer_form_findings, metadata_integral_floats
from kanta_archive.limits import DEFAULT_LIMITS, InputLimits
from kanta_archive.model import Document, Metadata
from kanta_archive.rules import run_rules
from kanta_archive.rules.context import RuleContext
from kanta_archive.schemas import SchemaRegistry, StructureSchema

_MAX_MESSAGE = 300
DOCUMENT_SUFFIXES = JSON_SUFFIXES | XHTML_SUFFIXES
_SCHEMA_CODES = frozenset({"KA-META-SCHEMA", "KA-CONTENT-SCHEMA"})


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _schema_findings(
    validator: Any,
    instance: Any,
    code: str,
    base: str = "",
    decimals: Sequence[str] = (),
    most: int = DEFAULT_LIMITS.max_findings + 1,
) -> list[Finding]:
    """The schema's errors (at ``most``), and errors for the integral floats at ``decimals``
    (pointers into ``instance``) where the schema wants an integer (integer_form.py)."""
    found: list[Finding] = []
    if not validator.is_valid(instance):
        found += [
            Finding(
                code,
                Severity.ERROR,
                _short(err.message),
                Location(ptr.from_path(err.instance_path, base)),
            )
            for err in itertools.islice(validator.iter_errors(instance), most)
        ]
    if decimals:
        found += integer_form_findings(validator, instance, decimals, code, base)
    return found


class Validator:
    """Validates documents with schemas compiled once for the whole run."""

    def __init__(
        self,
        registry: SchemaRegistry | None = None,
        codesets: Mapping[str, CodeSet] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        today: date | None = None,
        trust_anchors: Sequence[bytes] = (),
        require_signature: Sequence[str] = (),
        lang: str | None = None,
        limits: InputLimits = DEFAULT_LIMITS,
        slow_xsd: bool = False,
    ) -> None:
        self.registry = registry or SchemaRegistry()
        self.codesets = (
            codesets if codesets is not None else load_codesets(self.registry.extra_dirs)
        )
        self.max_bytes = max_bytes
        self.today = today
        # PEM trust anchors for signer certificates; empty: trust is not checked.
        self.trust_anchors = tuple(trust_anchors)
        # The user's override of which documents must be signed (signature_requirement).
        self.require_signature = tuple(require_signature)
        # fi, sv or en: findings carry the field's Sosmeta name in that language.
        self.lang = lang
        # Every code system whose codes went unchecked in this run (no code set loaded).
        self.unchecked: set[str] = set()
        # What one document may hold, and how many findings it gets (limits.py).
        self.limits = limits
        # The XHTML head and CDA XSDs run as lxml XSD 1.0 + XPath 1.0 assertions
        # (fast_xsd.py); slow_xsd runs them with xmlschema, the reference the fast path
        # is tested against.
        self.slow_xsd = slow_xsd

    # -- entry points ------------------------------------------------------
    def validate_path(self, path: Path) -> ValidationResult:
        """Validate one file (raises InputError when it cannot be opened at all)."""
        return self._result(
            str(path), _read_path(path, max_bytes=self.max_bytes, limits=self.limits)
        )

    def validate_bytes(self, data: bytes, source: str = "-") -> ValidationResult:
        """Validate one document given as bytes."""
        return self._result(
            source, _read_bytes(data, source, max_bytes=self.max_bytes, limits=self.limits)
        )

    def validate_document(self, document: Document) -> list[Finding]:
        """All findings for an already-read document, located and de-duplicated."""
        return self._check(document, document.metadata)[0]

    def _namer(self, plan: Any) -> Callable[[str], str | None] | None:
        """Pointer -> the field's Sosmeta name in ``self.lang`` (None: names not asked for)."""
        if self.lang is None:
            return None
        lang, meta_plan = self.lang, self.registry.metadata_plan()

        def name(pointer: str) -> str | None:
            if pointer.startswith("/content/"):
                node = plan.at(pointer) if plan is not None else None
            else:
                node = meta_plan.at(pointer, "metadata")
            return (node.name(lang) or None) if node is not None else None

        return name

    # -- stages ------------------------------------------------------------
    def _result(self, source: str, outcome: ReadOutcome) -> ValidationResult:
        document = outcome.document
        if document is None:
            return ValidationResult(source, outcome.findings, outcome.format)
        meta = document.metadata  # the typed view is built once per document
        found, structure, unchecked = self._check(document, meta)
        return ValidationResult(
            source,
            tuple(found),
            document.format,
            structure.key if structure else None,
            meta.document_oid,
            tuple(sorted(unchecked)),
        )

    def _check(
        self, document: Document, meta: Metadata
    ) -> tuple[list[Finding], StructureSchema | None, set[str]]:
        most = self.limits.max_findings + 1  # one more than is kept: "there were more"
        found: list[Finding] = []
        found += self.xml_schema_findings(document, most)
        found += _schema_findings(
            self.registry.metadata_validator(),
            {"metadata": document.metadata_raw},
            "KA-META-SCHEMA",
            decimals=metadata_integral_floats(document.metadata_raw),
            most=most,
        )
        key = meta.schema_key
        structure = self.registry.get(*key) if key else None
        required, reason = signature_requirement(structure, meta, self.require_signature)
        plan = self.registry.plan(structure) if structure is not None else None
        context = RuleContext.build(
            document,
            self.codesets,
            self.today,
            signature_required=required,
            trust_anchors=self.trust_anchors,
            metadata=meta,
            plan=plan,
            signature_reason=reason,
        )
        found += self._content_findings(document, key, structure, context.facts.integral_floats)
        schema_pointers = {f.location.pointer for f in found if f.code in _SCHEMA_CODES}
        found += run_rules(context)
        self.unchecked |= context.unchecked
        found = _one_finding_per_unknown_code(found)
        if schema_pointers:
            # A value that already fails its schema is not checked again by a rule, whether
            # the rule is Python or one of the XSD's assertions: one problem, one finding.
            found = [
                f
                for f in found
                if f.location.pointer not in schema_pointers or BY_CODE[f.code].stage != "rule"
            ]
        located = _locate(document, _merge(found), self._namer(plan))
        # In document order, then cut to the limit: the first findings of the file are kept.
        return self._at_most(_in_document_order(located)), structure, context.unchecked

    def _at_most(self, found: list[Finding]) -> list[Finding]:
        """``found`` cut to the findings limit, with KA-LIMIT-FINDINGS saying so."""
        most = self.limits.max_findings
        if len(found) <= most:
            return found
        note = Finding(
            "KA-LIMIT-FINDINGS",
            severity_of("KA-LIMIT-FINDINGS"),
            f"more than {most} findings: only the first {most} are listed (--max-findings)",
            Location(""),
        )
        return [*found[:most], note]

    def _content_findings(
        self,
        document: Document,
        key: tuple[str, str] | None,
        structure: StructureSchema | None,
        decimals: Sequence[str] = (),
    ) -> list[Finding]:
        if structure is None:
            if key is None:
                return []  # the metadata schema already reports the missing structure
            return [
                Finding(
                    "KA-STRUCTURE-UNKNOWN",
                    Severity.ERROR,
                    f"no schema for structure {key[0]} version {key[1]} "
                    "(see 'kanta-archive schemas list', or give --schemas-dir)",
                    Location("/metadata/structure"),
                )
            ]
        validator = self.registry.structure_validator(structure)
        return _schema_findings(
            validator,
            document.content,
            "KA-CONTENT-SCHEMA",
            "/content",
            decimals,
            self.limits.max_findings + 1,
        )

    def xml_schema_findings(self, document: Document, most: int) -> list[Finding]:
        """The XSD stage of an XHTML or CDA document (at most ``most`` findings); none for
        JSON, which has no XML to validate."""
        if document.xml is None:
            return []
        if document.format == "cda":
            from kanta_archive.formats.cda_schema import cda_xsd_findings

            return cda_xsd_findings(document, slow=self.slow_xsd)[:most]
        if document.format != "xhtml":
            return []
        from kanta_archive.formats.xsd_findings import xsd_findings

        if not self.slow_xsd:
            from kanta_archive.formats.fast_xsd import fast_xsd

            # The registry's folder: bundled_schemas_dir() asks the file system each time.
            fast = fast_xsd(self.registry.bundled_dir / "xhtml" / "metadata.xsd")
            return fast.findings(document.xml.metadata, document.xml.elements)[:most]
        schema = self.registry.metadata_xsd()
        # No xsi:schemaLocation hint in a document may load another schema (xmlschema's
        # default today; said here so that a new default cannot open files or the network).
        errors = schema.iter_errors(document.xml.metadata, use_location_hints=False)
        return xsd_findings(
            itertools.islice(errors, most), document.xml.metadata, document.xml.elements
        )


ALL, NONE = "all", "none"


def signature_requirement(
    structure: StructureSchema | None, meta: Metadata, override: Sequence[str] = ()
) -> tuple[bool, str]:
    """Whether the document must carry a signature, and why (docs/signatures.md).

    By the phase-2 metadata: a document whose metadata names a signer (its ``signature``
    block, the professional who signed it) must carry that signature. A user's schema may
    still require it for every document of the structure (root ``sosmeta.signatureRequired``,
    which no real Sosmeta export has). ``override`` is the user's ``--require-signature``:
    ``all``, ``none``, or structure OIDs (base or full dated) whose documents must be signed.
    """
    if NONE in override:
        return False, ""
    if ALL in override:
        return True, "--require-signature all"
    if structure is not None and ({structure.oid, structure.dated_oid} & set(override)):
        return True, f"--require-signature {structure.oid}"
    if meta.signer is not None:
        return True, f"the metadata names the signer {meta.signer!r}"
    if structure is not None:
        sosmeta = structure.schema.get("sosmeta")
        if isinstance(sosmeta, Mapping) and sosmeta.get("signatureRequired") is True:
            return True, f"structure {structure.oid} requires it (sosmeta signatureRequired)"
    return False, ""


def signature_required(structure: StructureSchema | None) -> bool:
    """Whether the structure's root ``sosmeta`` declares ``"signatureRequired": true``."""
    if structure is None:
        return False
    sosmeta = structure.schema.get("sosmeta")
    return isinstance(sosmeta, Mapping) and sosmeta.get("signatureRequired") is True


def _one_finding_per_unknown_code(found: list[Finding]) -> list[Finding]:
    """A coded value whose code is not in its code set is not judged again by a rule that
    reads its code (e.g. the controller rules on an unknown controller type)."""
    unknown = {
        f.location.pointer.removesuffix("/code")
        for f in found
        if f.code == "KA-CODE-UNKNOWN" and f.location.pointer.endswith("/code")
    }
    if not unknown:
        return found
    return [
        f
        for f in found
        if f.code == "KA-CODE-UNKNOWN"
        or f.location.pointer not in unknown
        or BY_CODE[f.code].stage != "rule"
    ]


def _merge(found: Iterable[Finding]) -> list[Finding]:
    """One finding per (code, severity, pointer): the first stage to see it wins.

    The XSD (XHTML only) runs before the JSON Schema, so an XHTML document keeps
    the XML wording, and both forms of one document end with the same keys.
    """
    seen: dict[tuple[str, str, str], Finding] = {}
    for item in found:
        seen.setdefault(item.key(), item)
    return list(seen.values())


def _locate(
    document: Document,
    found: list[Finding],
    namer: Callable[[str], str | None] | None = None,
) -> list[Finding]:
    located: list[Finding] = []
    for item in found:
        location = item.location
        if location.xpath is not None:
            located.append(item)  # located by its stage already (a CDA envelope element)
            continue
        pointer = location.pointer
        where = document.locate(pointer)
        # Built directly: dataclasses.replace costs more than the whole finding.
        located.append(
            Finding(
                item.code,
                item.severity,
                item.message,
                Location(
                    pointer,
                    where.xpath,
                    where.line,
                    where.column,
                    namer(pointer) if namer is not None else None,
                ),
            )
        )
    return located


def _in_document_order(found: list[Finding]) -> list[Finding]:
    """Findings by their place in the source (line, column); those without a place keep
    their order, after the placed ones (a stable sort)."""
    if len(found) < 2:
        return found
    return sorted(
        found,
        key=lambda f: (
            f.location.line is None,
            f.location.line or 0,
            f.location.column or 0,
        ),
    )


def _special(path: Path) -> bool:
    """Whether ``path`` is a FIFO, socket or device: opening a FIFO would wait for a writer.

    A dangling symlink is not special: it stays in, so that it is reported as unreadable.
    """
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def iter_inputs(paths: Sequence[Path]) -> Iterator[Path]:
    """Expand directories (recursively, sorted, skipping hidden entries) into document files.

    Inside a directory only regular files are taken (FIFOs, sockets and devices are
    skipped); a path given by name is always read, so ``<(...)`` pipes work.
    """
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [
                    Path(folder, name)
                    for name in files
                    if not name.startswith(".")
                    and Path(name).suffix.lower() in DOCUMENT_SUFFIXES
                    and not _special(Path(folder, name))
                ]
            yield from sorted(found)
        else:
            yield path
