"""Values for the ``pattern`` constraints the real Sosmeta exports use.

The 202 exports use three kinds of pattern (counted over all of them): the partial date
``^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?$`` (691 fields), the
date-time form of it (62) and ``^urn:oid:<code system OID>(\\.\\d+)*$`` on the ``system`` of
a coded value (over 900). This small sampler answers those, plus plain digit runs; for any
other pattern the field's own Sosmeta ``example`` is used when it matches, else the
generator says it cannot fill the field (never a guess that might not match).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from random import Random

_URN_OID = re.compile(r"^\^urn:oid:((?:[0-9]+\\\.)*[0-9]+)(?:\(\\\.\\d\+\)\*)?\$$")
_DIGITS = re.compile(r"^\^(?:\\d|\[0-9\])\{([0-9]+)(?:,([0-9]+))?\}\$$")
DATE_PROBE, DATETIME_PROBE = "2024-05-02", "2024-05-02T10:15:00+03:00"


def matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches the JSON Schema ``pattern`` (a search, as in JSON Schema)."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def sample(rng: Random, pattern: str, day: date, moment: datetime) -> str | None:
    """A value matching ``pattern``: ``day`` for a date pattern, ``moment`` for a date-time
    one, the code system URI for a ``urn:oid`` one; None for a pattern this sampler does
    not know."""
    if matches(pattern, DATE_PROBE) and not matches(pattern, "x"):
        if matches(pattern, DATETIME_PROBE):
            return moment.isoformat(timespec="seconds")
        return day.isoformat()
    urn = _URN_OID.match(pattern)
    if urn is not None:
        return "urn:oid:" + urn.group(1).replace("\\.", ".")
    digits = _DIGITS.match(pattern)
    if digits is not None:
        low = int(digits.group(1))
        high = int(digits.group(2) or low)
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(low, high)))
    return None
