"""Access control for the archive: the organisation registry, register usage rights,
the store/read policy and the hash-chained audit log.

Everything lives in the store directory next to the OCFL storage roots:
``<store>/access.sqlite`` (registry, rights, client links, informed clients, disclosures)
and ``<store>/audit.log`` (append-only JSON lines). The OCFL store stays the truth for
documents; these files are the truth for who may do what.
"""

from __future__ import annotations

from kanta_archive.access.db import ACCESS_FILE, AccessStore, registry_exists
from kanta_archive.access.registry import Organisation, parse_orgs_csv
from kanta_archive.access.rights import Right

__all__ = [
    "ACCESS_FILE",
    "AccessStore",
    "Organisation",
    "Right",
    "parse_orgs_csv",
    "registry_exists",
]
