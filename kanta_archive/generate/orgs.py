"""The organisations generated documents name, and who plays which part in one document.

The organisations are an organisation register extract in the CSV form of
``kanta-archive orgs import`` (``samples/orgs.csv``, shipped in the wheel), read with the
registry's own parser (``access/registry.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from kanta_archive.access.registry import Organisation, parse_orgs_csv, root_oid
from kanta_archive.errors import UsageError
from kanta_archive.generate.errors import GeneratorError
from kanta_archive.paths import bundled_samples_dir

FUNDINGS = (
    "own_production",
    "own_production",
    "own_production",
    "service_voucher",
    "purchased_service",
    "payment_commitment",
    "private_contract",
)


def default_orgs_path() -> Path:
    """The bundled organisation register extract (``samples/orgs.csv``)."""
    return bundled_samples_dir() / "orgs.csv"


def load_organisations(path: Path | None = None) -> list[Organisation]:
    """Read an organisation register extract (the CSV of ``kanta-archive orgs import``)."""
    path = path or default_orgs_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the organisation list: {exc}") from exc
    try:
        orgs = parse_orgs_csv(text)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from exc
    social = [o for o in orgs if o.sector in ("public", "private")]
    if not any(o.sector == "public" and not is_unit(o) for o in social):
        raise UsageError(f"{path}: the organisation list has no public organisation")
    return social


def is_unit(org: Organisation) -> bool:
    """A unit (``<organisation OID>.10.<n>``) rather than an organisation."""
    return root_oid(org.oid) != org.oid


@dataclass(frozen=True)
class Parties:
    """Who is who in one generated document."""

    funding: str
    controller: Organisation
    controller_type: str  # 1 public, 2 private (code set 1.2.246.537.5.40172)
    producer: Organisation
    unit: Organisation
    author_org: Organisation


def choose_parties(rng: Random, orgs: Sequence[Organisation], day: date) -> Parties:
    """Controller, producer and unit for a document dated ``day``, by the phase-2 rules:
    the public organiser controls own production, vouchers, purchased services and
    payment commitments; a private producer only its client-paid private contracts."""
    tops = [o for o in orgs if not is_unit(o) and o.valid_on(day)]
    public = [o for o in tops if o.sector == "public"]
    private = [o for o in tops if o.sector == "private"]
    by_oid = {o.oid: o for o in tops}
    if not public:
        raise GeneratorError("no public organisation is valid in the generated period")

    def units_of(org: Organisation) -> list[Organisation]:
        return [u for u in orgs if is_unit(u) and u.root_oid == org.oid and u.valid_on(day)]

    funding = rng.choice(FUNDINGS) if private else "own_production"
    if funding == "own_production":
        controller = rng.choice(public)
        unit = rng.choice(units_of(controller) or [controller])
        return Parties(funding, controller, "1", controller, unit, controller)
    if funding == "private_contract":
        own = [p for p in private if p.joining_model != "parallel"] or private
        producer = rng.choice(own)
        unit = rng.choice(units_of(producer) or [producer])
        return Parties(funding, producer, "2", producer, unit, producer)
    producer = rng.choice(private)
    organiser = by_oid.get(producer.organiser_oid or "")
    controller = organiser if organiser is not None and organiser in public else rng.choice(public)
    if producer.joining_model == "parallel":
        unit = rng.choice(units_of(controller) or [controller])  # in the organiser's system
    else:
        unit = rng.choice(units_of(producer) or [producer])
    return Parties(funding, controller, "1", producer, unit, producer)
