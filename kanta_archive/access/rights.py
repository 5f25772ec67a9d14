"""Register usage rights (rekisterinkäyttöoikeus).

A public organiser lets a producer store documents into, and read from, the organiser's
register: for one client or every client, for one service task or every task, within a
date range (inclusive, on the document's effective date). A revoked right is kept for
history but covers nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Final


@dataclass(frozen=True)
class Right:
    """One register usage right."""

    right_id: str
    organiser_oid: str
    producer_oid: str
    client: str | None
    service_task: str | None
    valid_from: date
    valid_to: date
    granted_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        """True while not revoked."""
        return self.revoked_at is None

    def covers(
        self,
        organiser: str,
        producer: str,
        clients: Iterable[str],
        service_task: str | None,
        day: date,
    ) -> bool:
        """True when this unrevoked right lets ``producer`` use ``organiser``'s register for
        every one of ``clients``, the service task and the day."""
        if not self.active or self.organiser_oid != organiser or self.producer_oid != producer:
            return False
        if not self.valid_from <= day <= self.valid_to:
            return False
        if self.service_task is not None and self.service_task != service_task:
            return False
        clients = list(clients)
        return self.client is None or (bool(clients) and all(c == self.client for c in clients))


# The stored columns and the listing columns of a right: its fields, in their order.
RIGHT_FIELDS: Final = tuple(f.name for f in fields(Right))


def new_right_id() -> str:
    """A fresh right id: ``R-`` and 12 hex digits."""
    return "R-" + secrets.token_hex(6)
