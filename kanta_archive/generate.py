"""Generate valid, varied documents for any structure schema, reproducible by seed.

The generator walks the structure's JSON Schema (objects, arrays, strings, numbers,
booleans, ``enum``, ``const``, ``pattern``, ``minItems``/``maxItems``,
``minLength``/``maxLength``) and fills the content with realistic values:
coded values take a real code from the matching bundled code set, client
identifiers are test HETUs (individual number 900-999) or temporary
identifiers, dates exist in the calendar. The phase-2 metadata is filled so that
every domain rule holds (version chain, time order, controller and funding,
common matter, case number, closed case end date), with organisations from an
organisation register extract (``samples/orgs.csv``).

Everything random comes from one ``random.Random(seed)``: the same seed gives the
same documents, byte for byte. Every document is validated before it is handed
out; an invalid one raises :class:`GeneratorError` (a bug in the generator).
"""

from __future__ import annotations

import csv
import importlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import Any

from kanta_archive import identifiers as ids
from kanta_archive.codesets import CodeSet, load_codesets
from kanta_archive.errors import KantaArchiveError, UsageError
from kanta_archive.findings import Severity
from kanta_archive.model import structure_id_of
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.upgrade import DEFAULTS, GROUP_DISPLAY, PERMANENT

__all__ = [
    "FORMATS",
    "GeneratorError",
    "Organisation",
    "default_orgs_path",
    "document_bytes",
    "generate_documents",
    "load_organisations",
    "resolve_structure",
    "sign_xhtml_bytes",
    "signature_required",
    "write_documents",
]

FORMATS = ("json", "xhtml", "both")

HETU_SYSTEM_OID = "1.2.246.21"
SERVICE_TASKS = "1.2.246.537.6.1221"
CONTROLLER_TYPES = "1.2.246.537.5.40172"
CASE_STATES = "1.2.246.537.6.9001"
CASE_CLOSED = "2"

# Document type code -> document group code (bundled code sets 1503 and 1504).
# The document group of a structure root (the real group structures 1.2.246.537.6.1505.<g>):
# customership 1, case 2, disclosure consent 8, ban 9; any other client document 5.
_GROUP_OF_ROOT = {
    "asiakkuusasiakirja": "1",
    "asia_asiakirja": "2",
    "luovutussuostumus": "8",
    "luovutuslupa_asiakirja": "8",
    "luovutuskielto": "9",
    "kieltoasiakirja": "9",
}

# The period the generated events fall in: in the past whatever "today" is.
_FIRST_DAY = date(2024, 1, 1)
_DAYS = 366


class GeneratorError(KantaArchiveError, RuntimeError):
    """The generator produced an invalid document or cannot fill a schema (a generator bug)."""


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """One row of the organisation register extract (``samples/orgs.csv``)."""

    oid: str
    name: str
    sector: str  # public | private
    joining_model: str  # direct | joint | parallel
    organiser_oid: str
    valid_from: date
    valid_to: date | None

    @property
    def is_unit(self) -> bool:
        """A unit (``<organisation OID>.10.<n>``) rather than an organisation."""
        return len(self.oid.split(".")) > 5

    @property
    def parent_oid(self) -> str:
        """The organisation OID the unit belongs to (itself for an organisation)."""
        return ".".join(self.oid.split(".")[:5])

    def valid_on(self, day: date) -> bool:
        """True when the organisation exists on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def default_orgs_path() -> Path:
    """``samples/orgs.csv`` of the source checkout."""
    return Path(__file__).resolve().parent.parent / "samples" / "orgs.csv"


def load_organisations(path: Path | None = None) -> list[Organisation]:
    """Read an organisation register extract (CSV with the columns of ``samples/orgs.csv``)."""
    path = path or default_orgs_path()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        orgs = [
            Organisation(
                oid=row["oid"],
                name=row["name"],
                sector=row["sector"],
                joining_model=row.get("joining_model") or "direct",
                organiser_oid=row.get("organiser_oid") or "",
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None,
            )
            for row in rows
        ]
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the organisation list: {exc}") from exc
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{path}: not an organisation list like samples/orgs.csv: {exc}") from exc
    if not any(o.sector == "public" and not o.is_unit for o in orgs):
        raise UsageError(f"{path}: the organisation list has no public organisation")
    return orgs


# --------------------------------------------------------------------------------------------
# Text pools
# --------------------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Aino", "Eetu", "Ella", "Helmi", "Juho", "Lauri", "Leena", "Maija", "Mikael", "Oskari",
    "Pekka", "Saara", "Sanna", "Timo", "Veera", "Åsa", "Björn", "Jörö", "Äijä", "Öllä",
)  # fmt: skip
_LAST_NAMES = (
    "Esimerkki", "Malli", "Testinen", "Virtanen", "Korhonen", "Mäkelä", "Nieminen", "Lindqvist",
    "Söderström", "Hämäläinen", "Turvanen", "Koski",
)  # fmt: skip
_ROLES = ("sosiaalityöntekijä", "sosiaaliohjaaja", "vastaava ohjaaja", "lähihoitaja", "johtava")
_STREETS = ("Mallikatu", "Esimerkkitie", "Koivukuja", "Rantapolku", "Salakuja", "Storgatan")
_PLACES = ("Esimerkkilä", "Malliniemi", "Lahti", "Kuopio", "Vasa")
_TEXT = {
    "fi": (
        "Asiakkaan tilanne käytiin läpi yhdessä.",
        "Sovittiin seuraava tapaaminen kahden viikon päähän.",
        "Huoltaja kertoi arjen sujuneen paremmin.",
        "Palvelutarve arvioidaan uudelleen syksyllä.",
        "Kotikäynti tehtiin yhdessä työparin kanssa.",
        "Asiakas toivoo tukea asumiseen ja raha-asioihin.",
        "Yhteydenotto koulukuraattorilta: huoli poissaoloista.",
    ),
    "sv": (
        "Klientens situation gicks igenom tillsammans.",
        "Nästa möte avtalades om två veckor.",
        "Vårdnadshavaren berättade att vardagen har gått bättre.",
        "Servicebehovet bedöms på nytt i höst.",
        "Hembesöket gjordes tillsammans med en kollega.",
    ),
}
_TITLE_TAILS = {
    "fi": ("tapaaminen", "kotikäynti", "yhteydenotto", "arviointi", "jatkosuunnitelma"),
    "sv": ("möte", "hembesök", "kontakt", "bedömning", "fortsatt plan"),
}

# Keys whose dates come before / after the event day.
_START_KEYS = frozenset({"alkamispaiva", "avauspaiva", "voimassa_alkaen", "liittymisaika"})
_LATER_KEYS = frozenset({"voimassa_asti", "palvelujen_alkaminen"})
_PERSON_BLOCKS = frozenset({"laatija", "arvioija", "vastuutyontekija"})


# --------------------------------------------------------------------------------------------
# Regular expressions: probes for well-known Sosmeta patterns and a small sampler
# --------------------------------------------------------------------------------------------

_sre_parser: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")
_URN_OID_PREFIX = re.compile(r"^\^?urn:oid:((?:\d+\\\.)*\d+)")


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def _category_chars(category: str) -> str:
    if category.endswith("DIGIT"):
        return "0123456789"
    if category.endswith("SPACE"):
        return " "
    return "abcdefghijkmnpqrstuvwxyz"  # word and anything else


def _class_char(rng: Random, items: Sequence[tuple[Any, Any]]) -> str:
    allowed: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            lo, hi = arg
            allowed += [chr(c) for c in range(lo, min(hi, lo + 60) + 1)]
        elif name == "CATEGORY":
            allowed += list(_category_chars(str(arg)))
    if negate:
        pool = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789" if c not in allowed]
        return rng.choice(pool or ["_"])
    return rng.choice(allowed or ["a"])


def _emit(rng: Random, items: Any, out: list[str]) -> None:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append(rng.choice("abcdefghijk"))
        elif name == "IN":
            out.append(_class_char(rng, arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            hi = lo + 3 if hi == _sre_constants.MAXREPEAT else min(hi, lo + 3)
            for _ in range(rng.randint(lo, hi)):
                _emit(rng, sub, out)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            _emit(rng, arg[-1], out)
        elif name == "BRANCH":
            _emit(rng, rng.choice(arg[1]), out)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise GeneratorError(f"cannot sample the regular expression construct {name}")


def sample_pattern(rng: Random, pattern: str) -> str:
    """A string that matches ``pattern`` (simple regular expressions only)."""
    try:
        tree = _sre_parser.parse(pattern)
    except re.error as exc:
        raise GeneratorError(f"cannot parse pattern {pattern!r}: {exc}") from exc
    for _ in range(50):
        out: list[str] = []
        _emit(rng, tree, out)
        value = "".join(out)
        if _matches(pattern, value) and _date_safe(value):
            return value
    raise GeneratorError(f"cannot generate a value matching pattern {pattern!r}")


_DATE_LIKE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date_safe(value: str) -> bool:
    """The rules check every content string that looks like a date: keep those real."""
    return not _DATE_LIKE.match(value) or ids.partial_date_problem(value) is None


# --------------------------------------------------------------------------------------------
# One document
# --------------------------------------------------------------------------------------------


@dataclass
class _Client:
    hetu: str | None
    temporary_id: str | None
    issuer: str
    first: str
    last: str
    non_disclosure: bool


@dataclass
class _Parties:
    funding: str
    controller: Organisation
    controller_type: str
    producer: Organisation
    unit: Organisation
    author_org: Organisation
    responsible_unit: Organisation


@dataclass
class _DocState:
    rng: Random
    lang: str
    day: date
    event: datetime
    created: datetime
    parties: _Parties
    clients: list[_Client]
    author_name: str
    author_role: str
    professional_id: str | None
    service_task: str
    serial: int
    orgs: Sequence[Organisation]
    codesets: Mapping[str, CodeSet]
    case_oid: str | None = None
    common_matter_oid: str | None = None
    client: _Client | None = None
    case_closed: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def oid_under(self, arc: int) -> str:
        return f"{self.parties.controller.oid}.{arc}.{self.serial}"

    def ensure_case_oid(self) -> str:
        if self.case_oid is None:
            self.case_oid = self.oid_under(31)
        return self.case_oid


def _schema_type(node: Mapping[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    return "string"


def _sosmeta(node: Mapping[str, Any]) -> Mapping[str, Any]:
    value = node.get("sosmeta")
    return value if isinstance(value, Mapping) else {}


def _codeset_oid(node: Mapping[str, Any]) -> str | None:
    props = node.get("properties") or {}
    system = props.get("system") if isinstance(props, Mapping) else None
    pattern = system.get("pattern") if isinstance(system, Mapping) else None
    if isinstance(pattern, str):
        match = _URN_OID_PREFIX.match(pattern)
        if match:
            return match.group(1).replace("\\.", ".")
    sosmeta = _sosmeta(node)
    oid = sosmeta.get("classificationOid")
    if isinstance(oid, str):
        return oid
    uri = sosmeta.get("systemUri")
    if isinstance(uri, str) and uri.startswith("urn:oid:"):
        return uri.removeprefix("urn:oid:")
    return None


def _is_coded_node(node: Mapping[str, Any]) -> bool:
    props = node.get("properties")
    return isinstance(props, Mapping) and {"system", "code", "display"} <= set(props)


class _ContentBuilder:
    """Walks a structure schema and fills it for one document."""

    def __init__(self, state: _DocState) -> None:
        self.s = state
        self.rng = state.rng

    # -- dispatch ------------------------------------------------------------------------
    def value(self, node: Any, path: tuple[str, ...]) -> Any:
        if not isinstance(node, Mapping):
            return self.text(path, 1, 80)
        if "const" in node:
            return node["const"]
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            return self.rng.choice(enum)
        kind = _schema_type(node)
        if kind == "object":
            if _is_coded_node(node):
                return self.coded(node, path)
            return self.obj(node, path)
        if kind == "array":
            return self.array(node, path)
        if kind == "integer":
            low = int(node.get("minimum", node.get("exclusiveMinimum", -1) + 1))
            high = int(node.get("maximum", node.get("exclusiveMaximum", low + 101) - 1))
            return self.rng.randint(low, max(low, high))
        if kind == "number":
            low_f = float(node.get("minimum", 0.0))
            high_f = float(node.get("maximum", low_f + 100.0))
            return round(self.rng.uniform(low_f, high_f), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.string(node, path)

    # -- objects and arrays --------------------------------------------------------------
    def _include(self, key: str, child: Any, required: bool, parent: tuple[str, ...]) -> bool:
        client = self.s.client
        if parent and parent[-1] == "[]" and client is not None and len(parent) >= 2:
            if key == "henkilotunnus":
                return client.hetu is not None
            if key == "tilapainen_tunnus":
                return client.temporary_id is not None
        if required:
            return True
        if key == "yhteinen_asia":
            return self.s.common_matter_oid is not None
        if key == "paattymispaiva" and "asian_tiedot" in parent:
            return self.s.case_closed
        if isinstance(child, Mapping) and _sosmeta(child).get("conditionalRequired") is True:
            return True
        return self.rng.random() < 0.6

    def obj(self, node: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        props = node.get("properties")
        if not isinstance(props, Mapping):
            return {}
        required = set(node.get("required") or [])
        if path and path[-1] == "asian_tiedot" and "tila" in props:
            self.s.case_closed = self.rng.random() < 0.4
        result: dict[str, Any] = {}
        for key, child in props.items():
            if self._include(key, child, key in required, path):
                result[key] = self.value(child, (*path, key))
        return result

    def array(self, node: Mapping[str, Any], path: tuple[str, ...]) -> list[Any]:
        items = node.get("items")
        if path and path[-1] == "asiakas" and isinstance(items, Mapping):
            out: list[Any] = []
            for client in self.s.clients:
                self.s.client = client
                out.append(self.value(items, (*path, "[]")))
            self.s.client = None
            return out
        low = int(node.get("minItems", 0))
        high = int(node.get("maxItems", max(3, low)))
        count = self.rng.randint(max(1, low), max(1, low, min(high, max(3, low))))
        values: list[Any] = []
        for _ in range(count * 3):
            if len(values) == count:
                break
            item = self.value(items, (*path, "[]"))
            if node.get("uniqueItems") and item in values:
                continue
            values.append(item)
        return values

    # -- coded values --------------------------------------------------------------------
    def coded(self, node: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        oid = _codeset_oid(node)
        props: Mapping[str, Any] = node.get("properties") or {}
        code_node = props.get("code") if isinstance(props.get("code"), Mapping) else {}
        codeset = self.s.codesets.get(oid) if oid else None
        code: str
        display: str
        if codeset is not None:
            codes = list(codeset.codes)
            enum = code_node.get("enum") if isinstance(code_node, Mapping) else None
            if isinstance(enum, list):
                codes = [c for c in codes if c in enum] or [str(c) for c in enum]
            if oid == SERVICE_TASKS and "[]" not in path and self.s.service_task in codes:
                code = self.s.service_task
            elif oid == CASE_STATES and CASE_CLOSED in codes:
                code = (
                    CASE_CLOSED
                    if self.s.case_closed
                    else next((c for c in codes if c != CASE_CLOSED), CASE_CLOSED)
                )
            else:
                code = self.rng.choice(codes)
            display = codeset.display(code, self.s.lang) or code
        else:
            code = (
                self.string(code_node, (*path, "code"))
                if isinstance(code_node, Mapping) and code_node.get("pattern")
                else str(self.rng.randint(1, 9))
            )
            display = self.text(path, 1, 40)
        result = {"system": f"urn:oid:{oid}" if oid else "", "code": code, "display": display}
        system_node = props.get("system")
        if not oid or (
            isinstance(system_node, Mapping)
            and isinstance(system_node.get("pattern"), str)
            and not _matches(system_node["pattern"], result["system"])
        ):
            result["system"] = self.string(system_node or {}, (*path, "system"))
        return result

    # -- strings -------------------------------------------------------------------------
    def string(self, node: Mapping[str, Any], path: tuple[str, ...]) -> str:
        low = int(node.get("minLength", 0))
        high = int(node.get("maxLength", max(low, 200)))
        value = self._semantic(path)
        pattern = node.get("pattern")
        if isinstance(pattern, str) and (value is None or not _matches(pattern, value)):
            value = self._patterned(pattern, path)
        if value is None:
            fmt = node.get("format")
            if fmt == "date":
                value = self.day_for(path[-1] if path else "").isoformat()
            elif fmt == "date-time":
                value = self.s.created.isoformat()
            else:
                value = self.text(path, max(low, 1), high)
        if len(value) < low:
            value = (value + " " + self.text(path, low, high + low))[: max(low, len(value))]
            value = value.ljust(low, "x")
        return value[:high] if len(value) > high and not pattern else value

    def _semantic(self, path: tuple[str, ...]) -> str | None:
        s = self.s
        key = path[-1] if path else ""
        parent = next((p for p in reversed(path[:-1]) if p != "[]"), "")
        client = s.client
        if parent == "henkilotunnus" and client is not None and client.hetu:
            return f"urn:oid:{HETU_SYSTEM_OID}" if key == "system" else client.hetu
        if parent == "tilapainen_tunnus" and client is not None and client.temporary_id:
            return f"urn:oid:{client.issuer}.22" if key == "system" else client.temporary_id
        if parent == "nimi" and client is not None:
            return {"etunimet": client.first, "sukunimi": client.last}.get(key)
        if key == "asianumero":
            return s.ensure_case_oid()
        if parent == "yhteinen_asia" and key == "tunniste" and s.common_matter_oid:
            return s.common_matter_oid
        if parent == "vastuuyksikko":
            unit = s.parties.responsible_unit
            return {"oid": unit.oid, "nimi": unit.name}.get(key)
        if parent in _PERSON_BLOCKS:
            return {
                "nimi": s.author_name,
                "ammattinimike": s.author_role,
                "ammattioikeustunnus": s.professional_id or f"100{self.rng.randrange(10**8):08d}",
            }.get(key)
        if key == "katuosoite":
            return (
                f"{self.rng.choice(_STREETS)} {self.rng.randint(1, 60)} B {self.rng.randint(1, 30)}"
            )
        if key == "postitoimipaikka":
            return self.rng.choice(_PLACES)
        if key == "postinumero":
            return f"{self.rng.randrange(100, 99999):05d}"
        if key == "puhelinnumero":
            return f"+358 40 {self.rng.randrange(10**7):07d}"
        return None

    def _patterned(self, pattern: str, path: tuple[str, ...]) -> str:
        s = self.s
        key = path[-1] if path else ""
        day = self.day_for(key)
        if _matches(pattern, "2024-05-02"):
            if self.rng.random() < 0.1 and _matches(pattern, "2024-05"):
                return day.isoformat()[:7]
            return day.isoformat()
        if _matches(pattern, "2024-05-02T10:15:00+03:00"):
            return s.created.isoformat()
        hetu = next((c.hetu for c in s.clients if c.hetu), None)
        if hetu and _matches(pattern, hetu):
            return (s.client.hetu if s.client and s.client.hetu else None) or hetu
        if _matches(pattern, "1.2.3.4") and _matches(pattern, "1.2.246.10.91000013.31.5"):
            return s.oid_under(90 + self.rng.randint(0, 9))
        org_oids = [o.oid for o in s.orgs if _matches(pattern, o.oid)]
        if org_oids:
            return self.rng.choice(org_oids)
        temps = [c.temporary_id for c in s.clients if c.temporary_id]
        if temps and _matches(pattern, temps[0]):
            return temps[0]
        for candidate in (
            f"urn:oid:{s.parties.controller.oid}.22",
            f"urn:oid:{HETU_SYSTEM_OID}",
        ):
            if _matches(pattern, candidate):
                return candidate
        return sample_pattern(self.rng, pattern)

    def day_for(self, key: str) -> date:
        day = self.s.day
        if key in _START_KEYS:
            return day - timedelta(days=self.rng.randint(0, 400))
        if key in _LATER_KEYS:
            return day + timedelta(days=self.rng.randint(0, 200))
        return day

    def text(self, path: tuple[str, ...], low: int, high: int) -> str:
        key = path[-1] if path else ""
        if key == "nimi" or key.endswith("nimi"):
            value = f"{self.rng.choice(_FIRST_NAMES)} {self.rng.choice(_LAST_NAMES)}"
        else:
            pool = _TEXT.get(self.s.lang, _TEXT["fi"])
            value = " ".join(self.rng.sample(pool, self.rng.randint(1, 3)))
        while len(value) < low:
            value += " " + self.rng.choice(_TEXT["fi"])
        return value[: max(high, low)].strip() or value[:high]


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------

_FUNDINGS = (
    "own_production",
    "own_production",
    "own_production",
    "service_voucher",
    "purchased_service",
    "payment_commitment",
    "private_contract",
)


def _choose_parties(rng: Random, orgs: Sequence[Organisation], day: date) -> _Parties:
    tops = [o for o in orgs if not o.is_unit and o.valid_on(day)]
    public = [o for o in tops if o.sector == "public"]
    private = [o for o in tops if o.sector == "private"]
    by_oid = {o.oid: o for o in tops}

    def units_of(org: Organisation) -> list[Organisation]:
        return [u for u in orgs if u.is_unit and u.parent_oid == org.oid and u.valid_on(day)]

    funding = rng.choice(_FUNDINGS) if private else "own_production"
    if not public:
        raise GeneratorError("no public organisation is valid in the generated period")
    if funding == "own_production":
        controller = rng.choice(public)
        unit = rng.choice(units_of(controller) or [controller])
        return _Parties(funding, controller, "1", controller, unit, controller, unit)
    if funding == "private_contract":
        own = [p for p in private if p.joining_model != "parallel"] or private
        producer = rng.choice(own)
        unit = rng.choice(units_of(producer) or [producer])
        return _Parties(funding, producer, "2", producer, unit, producer, unit)
    producer = rng.choice(private)
    organiser = by_oid.get(producer.organiser_oid)
    controller = organiser if organiser is not None and organiser in public else rng.choice(public)
    organiser_units = units_of(controller) or [controller]
    if producer.joining_model == "parallel":
        unit = rng.choice(organiser_units)  # works inside the organiser's system and units
    else:
        unit = rng.choice(units_of(producer) or [producer])
    return _Parties(funding, controller, "1", producer, unit, producer, rng.choice(organiser_units))


def _coded(codesets: Mapping[str, CodeSet], oid: str, code: str, lang: str) -> dict[str, str]:
    codeset = codesets.get(oid)
    display = (codeset.display(code, lang) if codeset else None) or code
    return {"system": f"urn:oid:{oid}", "code": code, "display": display}


def _helsinki_offset(moment: datetime) -> timezone:
    summer = 4 <= moment.month <= 10
    return timezone(timedelta(hours=3 if summer else 2))


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _make_client(
    rng: Random, issuer: Organisation, day: date, serial: int, non_disclosure: bool
) -> _Client:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    if rng.random() < 0.15:
        year = rng.randint(2018, day.year)
        temp = ids.make_temporary_id(issuer.oid, year, serial, today=day)
        return _Client(None, temp, issuer.oid, first, last, non_disclosure)
    birth = date(1930, 1, 1) + timedelta(
        days=rng.randrange((date(2023, 12, 31) - date(1930, 1, 1)).days)
    )
    hetu = ids.make_hetu(birth, rng.randint(900, 999))
    return _Client(hetu, None, issuer.oid, first, last, non_disclosure)


def _document(
    structure: StructureSchema,
    rng: Random,
    index: int,
    batch: int,
    orgs: Sequence[Organisation],
    codesets: Mapping[str, CodeSet],
) -> dict[str, Any]:
    lang = "sv" if rng.random() < 0.25 else "fi"
    day = _FIRST_DAY + timedelta(days=rng.randrange(_DAYS - 5))
    event = datetime(day.year, day.month, day.day, rng.randint(7, 17), rng.choice((0, 15, 30, 45)))
    event = event.replace(tzinfo=_helsinki_offset(event))
    created = event + timedelta(minutes=rng.randint(0, 72 * 60))
    parties = _choose_parties(rng, orgs, day)
    serial = batch * 1_000_000 + index + 1
    n_clients = 1 if rng.random() < 0.8 else rng.randint(2, 3)
    clients = [
        _make_client(rng, parties.controller, day, serial * 10 + i + 1, rng.random() < 0.1)
        for i in range(n_clients)
    ]
    task_codes = list((codesets.get(SERVICE_TASKS) or _EMPTY).codes) or ["10"]
    state = _DocState(
        rng=rng,
        lang=lang,
        day=day,
        event=event,
        created=created,
        parties=parties,
        clients=clients,
        author_name=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        author_role=rng.choice(_ROLES),
        professional_id=f"100{rng.randrange(10**8):08d}" if rng.random() < 0.5 else None,
        service_task=rng.choice(task_codes),
        serial=serial,
        orgs=orgs,
        codesets=codesets,
    )
    if n_clients > 1:
        state.common_matter_oid = state.oid_under(32)
    if structure.root == "asia_asiakirja" or rng.random() < 0.4:
        state.ensure_case_oid()
    content = _ContentBuilder(state).value(structure.schema, ())
    if not isinstance(content, dict):
        raise GeneratorError(f"structure {structure.key}: the schema root is not an object")
    metadata = _metadata(structure, state, rng)
    return {"metadata": metadata, "content": content}


class _NoCodes:
    codes: Mapping[str, Any] = {}


_EMPTY: Any = _NoCodes()


def _metadata(structure: StructureSchema, s: _DocState, rng: Random) -> dict[str, Any]:
    p = s.parties
    version = 1 if rng.random() < 0.75 else rng.randint(2, 3)
    set_oid = s.oid_under(11)
    number = structure.oid.rsplit(".", 1)[-1]
    group_code = _GROUP_OF_ROOT.get(structure.root, "5")
    tail = rng.choice(_TITLE_TAILS[s.lang])
    meta: dict[str, Any] = {
        "document_oid": f"{set_oid}.{version}",
        "set_oid": set_oid,
        "version": version,
    }
    if version > 1:
        meta["previous_version_oid"] = f"{set_oid}.{version - 1}"
    meta |= {
        "created": _timestamp(s.created),
        "effective_time": _timestamp(s.event),
        "language": s.lang,
        "storage_format": "json",
        "title": f"{structure.title(s.lang)}: {tail}",
        "confidentiality": dict(DEFAULTS["confidentiality"]),
        "specific_document_type": {
            "system": "urn:oid:1.2.246.537.6.1506.201701",
            "code": number,
            "display": structure.title(s.lang),
        },
        "document_group": {
            "system": "urn:oid:1.2.246.537.6.1505.201601",
            "code": group_code,
            "display": GROUP_DISPLAY[group_code],
        },
        "structure": structure_id_of(structure.oid, structure.version),
        "service_task": _coded(s.codesets, SERVICE_TASKS, s.service_task, s.lang),
        "register": dict(DEFAULTS["register"]),
        "record_status": dict(DEFAULTS["record_status"]),
        "file_format": dict(DEFAULTS["file_format"]),
        "structured_file_format": dict(DEFAULTS["structured_file_format"]),
        "controller": {"oid": p.controller.oid},
    }
    if p.funding in ("service_voucher", "purchased_service", "payment_commitment"):
        meta["organiser"] = {"oid": p.controller.oid}
    meta |= {
        "service_unit_oid": p.unit.oid,
        "clients": [
            {"hetu": c.hetu} if c.hetu else {"temporary_id": c.temporary_id} for c in s.clients
        ],
    }
    if rng.random() < 0.2:
        meta["patient_data"] = True
    for raw, client in zip(meta["clients"], s.clients, strict=True):
        if client.non_disclosure:
            raw["non_disclosure"] = True
    if s.common_matter_oid:
        meta["common_matter_oid"] = s.common_matter_oid
    author: dict[str, str] = {
        "name": s.author_name,
        "role": s.author_role,
        "organisation_oid": p.author_org.oid,
    }
    if s.professional_id:
        author["professional_id"] = s.professional_id
    meta["author"] = author
    if rng.random() < 0.5:
        meta["customership_oid"] = s.oid_under(30)
    if s.case_oid:
        meta["case_oid"] = s.case_oid
    invalidated = rng.random() < 0.1
    if invalidated:
        meta["status"] = "invalidated"
        meta["invalidation"] = {
            "reason": "Kirjattu väärälle asiakkaalle" if s.lang == "fi" else "Fel klient",
            "time": _timestamp(s.created + timedelta(days=rng.randint(1, 30))),
        }
    if rng.random() < 0.2:
        meta["retention_class"] = dict(PERMANENT)
    return meta


# --------------------------------------------------------------------------------------------
# Signatures (structures whose sosmeta says "signatureRequired": true)
# --------------------------------------------------------------------------------------------

SIGNER_NAME = "kanta-archive TEST signer (generated samples)"
_SIGNER_SEED = 0x5EED
# Small on purpose: jwcrypto re-validates the private key on every signature (~100 ms at
# 2048 bits). The key is derived from a public constant, so it is TEST-ONLY whatever its size.
_KEY_BITS = 1024
_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)


def signature_required(structure: StructureSchema) -> bool:
    """Whether documents of ``structure`` must be signed (root ``sosmeta.signatureRequired``)."""
    return _sosmeta(structure.schema).get("signatureRequired") is True


def _probable_prime(n: int, rng: Random) -> bool:
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(16):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: Random, bits: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if candidate % 65537 != 1 and _probable_prime(candidate, rng):
            return candidate


@lru_cache(maxsize=1)
def _signing_material() -> Any:
    """A fixed TEST-ONLY RSA key and self-signed certificate, derived from a constant seed.

    Derived rather than generated so that signed samples are byte-identical from run to
    run (RSA PKCS#1 v1.5 signatures are deterministic); never use it for real documents.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from kanta_archive.signatures.verify import SigningMaterial

    rng = Random(_SIGNER_SEED)
    p, q = _prime(rng, _KEY_BITS // 2), _prime(rng, _KEY_BITS // 2)
    e = 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    key = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    ).private_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FI"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kanta-archive TEST ONLY"),
            x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_NAME),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2049, 12, 31, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return SigningMaterial(key, (cert,))


def sign_json_document(document: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Sign a JSON document (test signer, signing time ``now``): the twin of
    :func:`sign_xhtml_bytes` for the JSON form."""
    from kanta_archive.signatures.json_jws import sign_json

    return sign_json(document, _signing_material(), now)


def sign_xhtml_bytes(data: bytes, signed_at: str) -> bytes:
    """Sign an XHTML document (test signer, signing time ``signed_at``), reproducibly.

    signxml names the signature's elements with random tokens; here they come from a
    generator seeded by the document itself, so the same input gives the same bytes.
    """
    import hashlib

    from lxml import etree

    from kanta_archive.signatures.xml_dsig import sign_xhtml

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    return sign_xhtml(root, _signing_material(), ids.parse_datetime(signed_at), token_seed=seed)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def resolve_structure(spec: str | StructureSchema, registry: SchemaRegistry) -> StructureSchema:
    """The structure named by ``<oid>`` (newest version) or ``<oid>@<version>``."""
    if isinstance(spec, StructureSchema):
        return spec
    found = registry.find(spec)
    if not found:
        raise UsageError(f"unknown structure '{spec}' (see 'kanta-archive schemas list')")
    return found[-1]


def document_bytes(document: Mapping[str, Any], fmt: str, structure: StructureSchema) -> bytes:
    """The document serialised as ``json`` or ``xhtml`` (``storage_format`` set to match)."""
    metadata = dict(document["metadata"])
    metadata["storage_format"] = fmt
    if fmt == "json":
        whole = {"metadata": metadata, "content": document["content"]}
        if "signature" in document:
            whole["signature"] = document["signature"]
        return (json.dumps(whole, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    from kanta_archive.formats.xhtml_writer import render_xhtml

    data = render_xhtml(metadata, document["content"], structure.schema)
    signature = metadata.get("signature")
    if "signature" in document and isinstance(signature, Mapping):
        data = sign_xhtml_bytes(data, str(signature["signed_at"]))
    return data


class _Checker:
    """Validates generated bytes and raises on any error finding."""

    def __init__(self, registry: SchemaRegistry, codesets: Mapping[str, CodeSet]) -> None:
        from kanta_archive.validate import Validator

        self.validator = Validator(registry, codesets)

    def check(self, data: bytes, source: str) -> None:
        result = self.validator.validate_bytes(data, source)
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        if errors:
            listed = "; ".join(f"{f.code} at {f.location.pointer}: {f.message}" for f in errors)
            raise GeneratorError(
                f"generated document {source} is invalid (generator bug): {listed}"
            )


def generate_documents(
    structure: str | StructureSchema,
    count: int,
    seed: int,
    registry: SchemaRegistry | None = None,
    *,
    orgs: Sequence[Organisation] | None = None,
    validate: bool = True,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``count`` documents ``(file stem, {"metadata", "content"})`` of ``structure``.

    The same ``seed`` always gives the same documents. Each document is validated in
    its JSON form (unless ``validate`` is False); an invalid one raises GeneratorError.
    """
    registry = registry or SchemaRegistry()
    chosen = resolve_structure(structure, registry)
    codesets = load_codesets(registry.extra_dirs)
    organisations = list(orgs) if orgs is not None else load_organisations()
    checker = _Checker(registry, codesets) if validate else None
    sign = signature_required(chosen)
    rng = Random(seed)
    batch = rng.randrange(1, 1000)
    width = max(6, len(str(count)))
    stem_root = (chosen.root or "document").replace("_", "-")
    for index in range(count):
        document = _document(chosen, rng, index, batch, organisations, codesets)
        if sign:
            created = ids.parse_datetime(document["metadata"]["created"])
            document = sign_json_document(document, created)
        stem = f"{stem_root}-{index + 1:0{width}d}"
        if checker is not None:
            checker.check(document_bytes(document, "json", chosen), f"{stem}.json")
        yield stem, document


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

    Every file is validated in the form written before it is written.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    registry = registry or SchemaRegistry()
    chosen = resolve_structure(structure, registry)
    forms = ("json", "xhtml") if fmt == "both" else (fmt,)
    checker = _Checker(registry, load_codesets(registry.extra_dirs))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, document in generate_documents(
        chosen, count, seed, registry, orgs=orgs, validate=False
    ):
        for form in forms:
            data = document_bytes(document, form, chosen)
            checker.check(data, f"{stem}.{form}")
            path = out / f"{stem}.{form}"
            path.write_bytes(data)
            written.append(path)
        if progress is not None:
            progress(1)
    return written
