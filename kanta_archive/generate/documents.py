"""Generated document sets: complete version chains of one structure, reproducible by seed.

Everything random comes from one ``random.Random(seed)``: the same seed gives the same
documents, byte for byte. A set holds versions 1..k (k is 1, or 2-3 now and then), each a
document of its own that names the previous one; sets never stop half-way, so every
version chain is complete and can be archived in order. OIDs carry the seed, so two seeds
never share a document OID.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from random import Random
from typing import Any

from kanta_archive import identifiers as ids
from kanta_archive.access.registry import Organisation
from kanta_archive.codesets import CodeSets, load_codesets
from kanta_archive.errors import UsageError
from kanta_archive.generate import values
from kanta_archive.generate.codes import CodePicker, examples_by_system
from kanta_archive.generate.content import CLIENT_BLOCK, ContentBuilder
from kanta_archive.generate.forms import Checker, document_bytes
from kanta_archive.generate.metadata import SERVICE_TASKS, build_metadata
from kanta_archive.generate.orgs import choose_parties, load_organisations
from kanta_archive.generate.signing import SIGNER_FIRST, SIGNER_LAST, sign_json_document
from kanta_archive.generate.state import Client, DocState
from kanta_archive.schemas import SchemaRegistry, StructureSchema
from kanta_archive.validate import signature_required

# The period the generated events fall in: in the past whatever "today" is.
FIRST_DAY = date(2024, 1, 1)
DAYS = 366
SIGNED_SHARE = 0.2


def resolve_structure(spec: str | StructureSchema, registry: SchemaRegistry) -> StructureSchema:
    """The structure named by a full dated OID, ``<oid>@<version>`` or a base OID (newest)."""
    if isinstance(spec, StructureSchema):
        return spec
    found = registry.find(spec)
    if not found:
        raise UsageError(f"unknown structure '{spec}' (see 'kanta-archive schemas list')")
    return found[-1]


def _helsinki_offset(moment: datetime) -> timezone:
    return timezone(timedelta(hours=3 if 4 <= moment.month <= 10 else 2))


def _client_block(schema: Mapping[str, Any], root: str) -> Mapping[str, Any] | None:
    body = (schema.get("properties") or {}).get(root)
    props = body.get("properties") if isinstance(body, Mapping) else None
    block = props.get(CLIENT_BLOCK) if isinstance(props, Mapping) else None
    if isinstance(block, Mapping) and block.get("type") == "array":
        block = block.get("items")
    return block if isinstance(block, Mapping) else None


def _allows_temporary(schema: Mapping[str, Any], root: str) -> bool:
    block = _client_block(schema, root)
    props = block.get("properties") if block else None
    if not isinstance(props, Mapping) or "tilapainen_yksilointitunnus" not in props:
        return False
    return "henkilotunnus" not in set(block.get("required") or []) if block else False


def _clients_allowed(schema: Mapping[str, Any], root: str) -> int:
    body = (schema.get("properties") or {}).get(root)
    props = body.get("properties") if isinstance(body, Mapping) else None
    block = props.get(CLIENT_BLOCK) if isinstance(props, Mapping) else None
    return 3 if isinstance(block, Mapping) and block.get("type") == "array" else 1


def _client(rng: Random, issuer: str, day: date, serial: int, temporary: bool) -> Client:
    first, last = values.person_name(rng)
    birth = values.birth_date(rng)
    marked = rng.random() < 0.1
    if temporary:
        year = rng.randint(2018, day.year)
        system = f"{issuer}.22.{year}"
        value = ids.make_temporary_value(birth, rng.randint(900, 999))
        return Client(first, last, birth, None, system, value, f"{system}.{serial}", marked)
    return Client(first, last, birth, values.test_hetu(rng, birth), non_disclosure=marked)


class SetGenerator:
    """Generates the document sets of one structure."""

    def __init__(
        self,
        structure: StructureSchema,
        registry: SchemaRegistry,
        codesets: CodeSets,
        orgs: Sequence[Organisation],
    ) -> None:
        self.structure = structure
        self.plan = registry.plan(structure)
        self.codesets = codesets
        self.orgs = orgs
        self.codes = CodePicker(
            codesets, examples_by_system(s.schema for s in registry.structures())
        )
        self.temporary = _allows_temporary(structure.schema, structure.root)
        self.max_clients = _clients_allowed(structure.schema, structure.root)
        tasks = codesets.resolve(f"urn:oid:{SERVICE_TASKS}")
        self.tasks = sorted(tasks.codes) if tasks and tasks.codes else ["24"]

    def state(self, rng: Random, serial: int) -> DocState:
        """The shared facts of one new set."""
        lang = "sv" if rng.random() < 0.25 else "fi"
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS - 5))
        event = datetime(day.year, day.month, day.day, rng.randint(7, 17), rng.choice((0, 30)))
        event = event.replace(tzinfo=_helsinki_offset(event))
        created = event + timedelta(minutes=rng.randint(0, 72 * 60))
        parties = choose_parties(rng, self.orgs, day)
        count = 1 if self.max_clients == 1 or rng.random() < 0.8 else rng.randint(2, 3)
        clients = [
            _client(rng, parties.controller.oid, day, serial * 10 + i + 1,
                    self.temporary and rng.random() < 0.2)
            for i in range(count)
        ]  # fmt: skip
        signed = rng.random() < SIGNED_SHARE or signature_required(self.structure)
        first, last = (SIGNER_FIRST, SIGNER_LAST) if signed else values.person_name(rng)
        state = DocState(
            rng=rng,
            lang=lang,
            day=day,
            event=event,
            created=created,
            parties=parties,
            clients=clients,
            author_first=first,
            author_last=last,
            author_title=rng.choice(values.TITLES),
            professional_id=f"{rng.randrange(10**10):010d}" if rng.random() < 0.5 else None,
            service_task=rng.choice(self.tasks),
            serial=serial,
            signed=signed,
        )
        if count > 1:
            state.common_matter_oid = state.oid_under(32)
        if self.structure.root == "asia_asiakirja" or rng.random() < 0.4:
            state.ensure_case_oid()
        if rng.random() < 0.5:
            state.extra["customership"] = state.oid_under(30)
        return state

    def versions(self, rng: Random, serial: int, limit: int = 3) -> Iterator[dict[str, Any]]:
        """Versions 1..k of one set (k at most ``limit``), version 1 first."""
        state = self.state(rng, serial)
        set_oid = state.oid_under(11)
        last = min(limit, 1 if rng.random() < 0.75 else rng.randint(2, 3))
        created = state.created
        for version in range(1, last + 1):
            content = ContentBuilder(state, self.codes).build(self.structure.schema, self.plan)
            metadata = build_metadata(
                self.structure, state, rng, version, set_oid, self.codesets, created
            )
            document: dict[str, Any] = {"metadata": metadata, "content": content}
            if state.signed:
                document = sign_json_document(document, created)
            yield document
            created += timedelta(days=rng.randint(1, 20))


def generate_documents(
    structure: str | StructureSchema,
    count: int,
    seed: int,
    registry: SchemaRegistry | None = None,
    *,
    orgs: Sequence[Organisation] | None = None,
    validate: bool = True,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``count`` documents ``(file stem, {"metadata", "content"[, "signature"]})``.

    Every set is a complete version chain (the last one may have fewer versions). Each
    document is validated in its JSON form (unless ``validate`` is False); an invalid one
    raises ``GeneratorError``.
    """
    registry = registry or SchemaRegistry()
    chosen = resolve_structure(structure, registry)
    codesets = load_codesets(registry.extra_dirs)
    organisations = list(orgs) if orgs is not None else load_organisations()
    generator = SetGenerator(chosen, registry, codesets, organisations)
    checker = Checker(registry, codesets) if validate else None
    rng = Random(seed)
    width = max(6, len(str(count)))
    stem_root = (chosen.root or "document").replace("_", "-")
    made, set_index = 0, 0
    while made < count:
        set_index += 1
        serial = (seed & 0xFFFFFFFF) * 1_000_000 + set_index
        for document in generator.versions(rng, serial, count - made):
            made += 1
            stem = f"{stem_root}-{made:0{width}d}"
            if checker is not None:
                checker.check(document_bytes(document, "json", chosen), f"{stem}.json")
            yield stem, document
