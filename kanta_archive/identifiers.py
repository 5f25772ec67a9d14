"""Checks for the identifiers used in Kanta social welfare documents.

Pure functions without I/O and without third-party imports:

* OIDs (ISO/IEC 9834-1 dot notation);
* HETU, the Finnish personal identity code (``DDMMYYCZZZQ``);
* the Finnish business ID (Y-tunnus, ``NNNNNNN-C``) and organisation OIDs
  ``1.2.246.10.<business id digits>``;
* temporary person identifiers ``<organisation OID>.22.<year>.<n>``;
* partial dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) and date-times with a time zone.

The ``*_problem`` functions return ``None`` for a valid value and otherwise a short reason in
English, meant to be wrapped into a finding message. Every check accepts ASCII digits only:
``str.isdigit`` and the regular expression class ``\\d`` also accept other scripts' digits
(for example ``'١'``), which no Finnish identifier uses.

The checks that validation calls for every document are memoised (``functools.lru_cache``,
bounded): organisation OIDs, dates and times repeat across a batch of documents, and the
functions are pure, with immutable results.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = [
    "HETU_CHECK_CHARS",
    "business_id_check_digit",
    "business_id_from_org_oid",
    "business_id_problem",
    "datetime_problem",
    "hetu_birth_date",
    "hetu_check_char",
    "hetu_is_test",
    "hetu_problem",
    "is_oid",
    "make_business_id",
    "make_hetu",
    "make_temporary_id",
    "make_temporary_value",
    "oid_problem",
    "org_oid_from_business_id",
    "parse_datetime",
    "partial_date_problem",
    "temporary_id_problem",
    "temporary_identifier_problem",
    "temporary_system_problem",
    "temporary_value_problem",
]

_DIGITS = frozenset("0123456789")
# Entries per memoised check: enough for the distinct values of a large batch, and bounded.
_CACHE_SIZE = 8192


def _is_ascii_digits(value: str) -> bool:
    """Return True when ``value`` is non-empty and made of ASCII digits 0-9 only."""
    return bool(value) and all(ch in _DIGITS for ch in value)


# --------------------------------------------------------------------------------------------
# OIDs
# --------------------------------------------------------------------------------------------

OID_MAX_LENGTH = 256

# Fast path for the common case of a well-formed OID; only values it rejects go
# through the slower checks that explain what is wrong.
_WELL_FORMED_OID = re.compile(
    r"(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*", re.ASCII
)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def oid_problem(value: str) -> str | None:
    """Return why ``value`` is not an OID in dot notation, or None when it is one.

    Rules: at most 256 characters; at least two arcs separated by single dots; every arc made
    of ASCII digits without leading zeros (the arc ``0`` itself is allowed); the first arc is
    0, 1 or 2; under the first arcs 0 and 1 the second arc is at most 39.
    """
    if len(value) <= OID_MAX_LENGTH and _WELL_FORMED_OID.fullmatch(value):
        return None
    if not value:
        return "OID is empty"
    if len(value) > OID_MAX_LENGTH:
        return f"OID is {len(value)} characters long, more than {OID_MAX_LENGTH}"
    arcs = value.split(".")
    if len(arcs) < 2:
        return "OID must have at least two arcs separated by '.'"
    for position, arc in enumerate(arcs, start=1):
        if not arc:
            return f"arc {position} of the OID is empty"
        if not _is_ascii_digits(arc):
            return f"arc {position} of the OID ({arc!r}) is not made of digits 0-9"
        if len(arc) > 1 and arc[0] == "0":
            return f"arc {position} of the OID ({arc!r}) has a leading zero"
    first, second = int(arcs[0]), int(arcs[1])
    if first > 2:
        return f"first arc of the OID must be 0, 1 or 2, not {arcs[0]}"
    if first < 2 and second > 39:
        return f"second arc of the OID must be at most 39 under arc {first}, not {arcs[1]}"
    return None


def is_oid(value: str) -> bool:
    """Return True when ``value`` is a valid OID in dot notation (see :func:`oid_problem`)."""
    return oid_problem(value) is None


# --------------------------------------------------------------------------------------------
# HETU (henkilötunnus)
# --------------------------------------------------------------------------------------------

HETU_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
"""The 31 check characters, indexed by the 9-digit number ``DDMMYYZZZ`` modulo 31."""

_CENTURY_BY_SIGN: dict[str, int] = {
    "+": 1800,
    "-": 1900,
    "Y": 1900,
    "X": 1900,
    "W": 1900,
    "V": 1900,
    "U": 1900,
    "A": 2000,
    "B": 2000,
    "C": 2000,
    "D": 2000,
    "E": 2000,
    "F": 2000,
}
_DEFAULT_SIGN_BY_CENTURY: dict[int, str] = {1800: "+", 1900: "-", 2000: "A"}


def hetu_check_char(digits9: str) -> str:
    """Return the HETU check character for the nine digits ``DDMMYYZZZ``.

    Raises ValueError unless ``digits9`` is exactly nine ASCII digits.
    """
    if len(digits9) != 9 or not _is_ascii_digits(digits9):
        raise ValueError(f"expected nine digits DDMMYYZZZ, got {digits9!r}")
    return HETU_CHECK_CHARS[int(digits9) % 31]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def hetu_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid HETU, or None when it is valid.

    Checks the form ``DDMMYYCZZZQ``, the century sign, that the birth date exists in the
    calendar, that the individual number is 002-999 (000 and 001 are never issued) and the
    check character. Letters must be upper case; no surrounding whitespace is allowed.
    """
    if len(value) != 11:
        return f"HETU must be 11 characters (DDMMYYCZZZQ), not {len(value)}"
    date_part, sign, individual, check = value[:6], value[6], value[7:10], value[10]
    if not _is_ascii_digits(date_part):
        return "HETU must start with six digits DDMMYY"
    if sign not in _CENTURY_BY_SIGN:
        return f"century sign {sign!r} is not one of '+', '-', 'A'-'F', 'U'-'Y'"
    if not _is_ascii_digits(individual):
        return "HETU individual number (characters 8-10) must be three digits"
    if check not in HETU_CHECK_CHARS:
        return f"check character {check!r} is not one of {HETU_CHECK_CHARS}"
    day, month = int(date_part[:2]), int(date_part[2:4])
    year = _CENTURY_BY_SIGN[sign] + int(date_part[4:6])
    if not 1 <= month <= 12:
        return f"HETU birth month {date_part[2:4]} does not exist"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"HETU birth date {year:04d}-{month:02d}-{date_part[:2]} does not exist"
    if int(individual) < 2:
        return f"individual number {individual} is never issued (must be 002-999)"
    expected = HETU_CHECK_CHARS[int(date_part + individual) % 31]
    if check != expected:
        return f"check character should be {expected!r}, not {check!r}"
    return None


def hetu_birth_date(value: str) -> date:
    """Return the birth date encoded in a valid HETU; raise ValueError for an invalid one."""
    problem = hetu_problem(value)
    if problem is not None:
        raise ValueError(f"invalid HETU: {problem}")
    year = _CENTURY_BY_SIGN[value[6]] + int(value[4:6])
    return date(year, int(value[2:4]), int(value[0:2]))


def hetu_is_test(value: str) -> bool:
    """Return True when ``value`` is a valid HETU whose individual number is 900-999.

    Those numbers are used for temporary and test codes. An invalid HETU is never a test HETU.
    """
    return hetu_problem(value) is None and int(value[7:10]) >= 900


def make_hetu(birth: date, individual: int, century_sign: str | None = None) -> str:
    """Build a valid HETU for ``birth`` and the individual number ``individual`` (2-999).

    ``century_sign`` defaults to ``'+'`` for the 1800s, ``'-'`` for the 1900s and ``'A'`` for
    the 2000s. Raises ValueError for a birth year outside 1800-2099, an individual number
    outside 2-999 or a century sign that is unknown or does not match the birth year.
    """
    century = birth.year - birth.year % 100
    if century not in _DEFAULT_SIGN_BY_CENTURY:
        raise ValueError(f"HETU birth year must be 1800-2099, not {birth.year}")
    if isinstance(individual, bool) or not 2 <= individual <= 999:
        raise ValueError(f"HETU individual number must be 2-999, not {individual!r}")
    sign = _DEFAULT_SIGN_BY_CENTURY[century] if century_sign is None else century_sign
    if sign not in _CENTURY_BY_SIGN:
        raise ValueError(f"unknown HETU century sign {sign!r}")
    if _CENTURY_BY_SIGN[sign] != century:
        raise ValueError(f"century sign {sign!r} does not match birth year {birth.year}")
    digits9 = f"{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{individual:03d}"
    return f"{digits9[:6]}{sign}{digits9[6:]}{hetu_check_char(digits9)}"


# --------------------------------------------------------------------------------------------
# Business ID (Y-tunnus) and organisation OIDs
# --------------------------------------------------------------------------------------------

_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
ORGANISATION_OID_ROOT = "1.2.246.10"


def business_id_check_digit(first7: str) -> str | None:
    """Return the check digit for the seven digits of a business ID.

    Returns None when the weighted sum leaves remainder 1 modulo 11: such a prefix has no
    valid check digit and is never issued. Raises ValueError unless ``first7`` is exactly
    seven ASCII digits.
    """
    if len(first7) != 7 or not _is_ascii_digits(first7):
        raise ValueError(f"expected the seven digits of a business ID, got {first7!r}")
    remainder = sum(int(d) * w for d, w in zip(first7, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return None
    return str(11 - remainder)


def business_id_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid business ID ``NNNNNNN-C``, or None when valid."""
    if len(value) != 9 or value[7] != "-":
        return "business ID must have the form NNNNNNN-C"
    first7, check = value[:7], value[8]
    if not _is_ascii_digits(first7) or not _is_ascii_digits(check):
        return "business ID must have the form NNNNNNN-C with digits 0-9"
    expected = business_id_check_digit(first7)
    if expected is None:
        return f"business ID {first7} has no valid check digit (never issued)"
    if check != expected:
        return f"check digit should be '{expected}', not '{check}'"
    return None


def make_business_id(first7: str) -> str:
    """Return ``first7`` with its check digit as ``NNNNNNN-C``.

    Raises ValueError when ``first7`` is not seven digits or has no valid check digit.
    """
    check = business_id_check_digit(first7)
    if check is None:
        raise ValueError(f"business ID prefix {first7} has no valid check digit")
    return f"{first7}-{check}"


def org_oid_from_business_id(business_id: str) -> str:
    """Return the organisation OID ``1.2.246.10.<digits>`` for a valid business ID.

    OID arcs cannot have leading zeros, so a business ID starting with 0 gives a 7-digit arc
    (JHS 159, annex 1: 0204819-8 becomes ``1.2.246.10.2048198``). Raises ValueError for an
    invalid business ID.
    """
    problem = business_id_problem(business_id)
    if problem is not None:
        raise ValueError(f"invalid business ID {business_id!r}: {problem}")
    return f"{ORGANISATION_OID_ROOT}.{int(business_id[:7] + business_id[8])}"


def _business_id_from_arc(arc: str) -> str | None:
    """Return the valid business ID that an organisation arc encodes, else None.

    The arc is the eight digits of the business ID, or seven when its leading zero was dropped.
    """
    if len(arc) not in (7, 8) or not _is_ascii_digits(arc) or arc[0] == "0":
        return None
    digits = arc.rjust(8, "0")
    candidate = f"{digits[:7]}-{digits[7]}"
    return candidate if business_id_problem(candidate) is None else None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def business_id_from_org_oid(oid: str) -> str | None:
    """Return the business ID ``NNNNNNN-C`` of a Finnish organisation OID, else None.

    ``oid`` must be a valid OID ``1.2.246.10.<business id digits>`` (optionally followed by
    sub-nodes) whose digits form a valid business ID.
    """
    if oid_problem(oid) is not None:
        return None
    arcs = oid.split(".")
    if ".".join(arcs[:4]) != ORGANISATION_OID_ROOT or len(arcs) < 5:
        return None
    return _business_id_from_arc(arcs[4])


# --------------------------------------------------------------------------------------------
# Temporary person identifiers (tilapäinen yksilöintitunnus)
# --------------------------------------------------------------------------------------------

TEMPORARY_ID_ARC = "22"
_FIRST_TEMPORARY_ID_YEAR = 1900


@functools.lru_cache(maxsize=_CACHE_SIZE)
def temporary_id_problem(value: str, *, today: date | None = None) -> str | None:
    """Return why ``value`` is not a valid temporary identifier, or None when it is valid.

    The form is ``1.2.246.10.<business id digits>.22.<year>.<n>``: the issuing organisation
    OID has no sub-nodes and its digits form a valid business ID, ``<year>`` has four digits
    and lies between 1900 and the year of ``today`` (default: ``date.today()``), and ``<n>``
    is a positive integer.
    """
    problem = oid_problem(value)
    if problem is not None:
        return f"temporary identifier is not an OID: {problem}"
    arcs = value.split(".")
    if ".".join(arcs[:4]) != ORGANISATION_OID_ROOT:
        return f"temporary identifier must start with the organisation arc {ORGANISATION_OID_ROOT}"
    if len(arcs) != 8 or arcs[5] != TEMPORARY_ID_ARC:
        return "temporary identifier must have the form 1.2.246.10.<business id>.22.<year>.<n>"
    if _business_id_from_arc(arcs[4]) is None:
        return f"organisation arc {arcs[4]} is not a valid business ID"
    year_arc, serial = arcs[6], arcs[7]
    current_year = (today if today is not None else date.today()).year
    if len(year_arc) != 4:
        return f"year {year_arc} of the temporary identifier must have four digits"
    if int(year_arc) < _FIRST_TEMPORARY_ID_YEAR:
        return f"year {year_arc} of the temporary identifier is before {_FIRST_TEMPORARY_ID_YEAR}"
    if int(year_arc) > current_year:
        return f"year {year_arc} of the temporary identifier is in the future"
    if serial == "0":
        return "serial number of the temporary identifier must be positive"
    return None


def make_temporary_id(org_oid: str, year: int, n: int, *, today: date | None = None) -> str:
    """Return the temporary identifier ``<org_oid>.22.<year>.<n>``.

    Raises ValueError when the result would not pass :func:`temporary_id_problem` (for
    example an organisation OID with sub-nodes or an invalid business ID, a year outside
    1900..``today.year`` or ``n`` < 1).
    """
    if isinstance(year, bool) or isinstance(n, bool):
        raise ValueError("year and n must be integers")
    value = f"{org_oid}.{TEMPORARY_ID_ARC}.{year}.{n}"
    problem = temporary_id_problem(value, today=today)
    if problem is not None:
        raise ValueError(problem)
    return value


# The temporary identifier of real content (tilapainen_yksilointitunnus): an identifier
# {"system": "<organisation OID>.22.<year>", "value": "<HETU-shaped>"}; see
# docs/identifiers.md for what is checked and why the check character is not.
_HETU_SHAPE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])([0-9]{3})([0-9A-Y])")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def temporary_system_problem(system: str, *, today: date | None = None) -> str | None:
    """Why ``system`` is not ``[urn:oid:]<organisation OID>.22.<year>``, or None.

    The organisation OID is a valid OID (a Finnish one, ``1.2.246.10.<business id>[...]``,
    with a valid business ID); the year has four digits and lies between 1900 and the year
    of ``today``.
    """
    oid = system.removeprefix("urn:oid:")
    problem = oid_problem(oid)
    if problem is not None:
        return f"temporary identifier system is not an OID: {problem}"
    arcs = oid.split(".")
    if len(arcs) < 3 or arcs[-2] != TEMPORARY_ID_ARC:
        return "temporary identifier system must be <organisation OID>.22.<year>"
    organisation, year_arc = ".".join(arcs[:-2]), arcs[-1]
    if organisation.startswith(ORGANISATION_OID_ROOT + "."):
        org_arcs = organisation.split(".")
        if _business_id_from_arc(org_arcs[4]) is None:
            return f"organisation arc {org_arcs[4]} is not a valid business ID"
    current_year = (today if today is not None else date.today()).year
    if len(year_arc) != 4:
        return f"year {year_arc} of the temporary identifier system must have four digits"
    if not _FIRST_TEMPORARY_ID_YEAR <= int(year_arc) <= current_year:
        return f"year {year_arc} of the temporary identifier system is not 1900-{current_year}"
    return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def temporary_value_problem(value: str) -> str | None:
    """Why ``value`` is not a temporary identifier's HETU-shaped value, or None.

    ``DDMMYYCZZZQ`` with a century sign, a birth date that exists, an individual number
    900-999 (the range kept for temporary and test codes) and a check character from the
    HETU alphabet. The check character itself is *not* verified: the national example
    (``010111A998W``) does not carry the HETU's, and nothing requires it to.
    """
    match = _HETU_SHAPE.fullmatch(value)
    if match is None:
        return "temporary identifier value must have the HETU form DDMMYYCZZZQ"
    day, month, year2, sign, individual, check = match.groups()
    if check not in HETU_CHECK_CHARS:
        return f"check character {check!r} is not one of {HETU_CHECK_CHARS}"
    if not 900 <= int(individual) <= 999:
        return f"individual number {individual} is not in the temporary range 900-999"
    year = _CENTURY_BY_SIGN[sign] + int(year2)
    if not 1 <= int(month) <= 12 or not 1 <= int(day) <= calendar.monthrange(year, int(month))[1]:
        return f"birth date {year:04d}-{month}-{day} does not exist"
    return None


def temporary_identifier_problem(
    system: object, value: object, *, today: date | None = None
) -> str | None:
    """Why ``{"system": system, "value": value}`` is not a valid temporary identifier."""
    if not isinstance(value, str):
        return "temporary identifier has no value"
    if not isinstance(system, str):
        return "temporary identifier has no system (<organisation OID>.22.<year>)"
    return temporary_system_problem(system, today=today) or temporary_value_problem(value)


def make_temporary_value(birth: date, individual: int) -> str:
    """A temporary identifier value for ``birth`` (individual number 900-999)."""
    if not 900 <= individual <= 999:
        raise ValueError(f"a temporary identifier's individual number is 900-999, not {individual}")
    return make_hetu(birth, individual)


# --------------------------------------------------------------------------------------------
# Dates and date-times
# --------------------------------------------------------------------------------------------

_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_MAX_OFFSET = timedelta(hours=14)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def partial_date_problem(value: str) -> str | None:
    """Return why ``value`` is not a date ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, else None.

    Unlike the Sosmeta schema patterns, the date must exist in the calendar: ``2024-02-31``,
    ``2023-02-29``, month 13 and year 0000 are rejected.
    """
    match = _PARTIAL_DATE.fullmatch(value)
    if match is None:
        return "date must have the form YYYY, YYYY-MM or YYYY-MM-DD"
    year_text, month_text, day_text = match.groups()
    if int(year_text) == 0:
        return "year 0000 does not exist"
    if month_text is not None and not 1 <= int(month_text) <= 12:
        return f"month {month_text} does not exist"
    if day_text is not None and month_text is not None:
        last_day = calendar.monthrange(int(year_text), int(month_text))[1]
        if not 1 <= int(day_text) <= last_day:
            return f"day {day_text} does not exist in {year_text}-{month_text}"
    return None


# The usual shape: seconds, at most microseconds, and a zone. datetime.fromisoformat (C)
# reads it in a twentieth of the time of the checks below.
_COMMON_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _datetime_or_problem(value: str) -> datetime | str:
    """Parse an ISO 8601 date-time with a time zone; return it, or a reason on failure."""
    # fromisoformat reads offset minutes 60 as an hour (and newer Pythons may read hour 24
    # as the next midnight): the checks below reject both.
    if (
        _COMMON_DATETIME.fullmatch(value)
        and value[11:13] < "24"
        and (value[-1] == "Z" or value[-2:] < "60")
    ):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass  # the checks below say what is wrong
        else:
            offset = moment.utcoffset()
            if offset is not None and -_MAX_OFFSET <= offset <= _MAX_OFFSET:
                return moment
    return _checked_datetime(value)


def _checked_datetime(value: str) -> datetime | str:
    """:func:`_datetime_or_problem` one field at a time, with the reason for any failure."""
    match = _DATETIME.fullmatch(value)
    if match is None:
        return "date-time must have the form YYYY-MM-DDThh:mm[:ss[.fff]] followed by Z or ±hh:mm"
    zone = match["zone"]
    if zone is None:
        return "date-time has no time zone (add Z or an offset such as +03:00)"
    date_problem = partial_date_problem(value[:10])
    if date_problem is not None:
        return date_problem
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or "0")
    if hour > 23 or minute > 59 or second > 59:
        return f"time {match['hour']}:{match['minute']}:{second:02d} does not exist"
    if zone == "Z":
        tzinfo = UTC
    else:
        offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        if offset_minutes > 59 or offset > _MAX_OFFSET:
            return f"time zone offset {zone} is out of range (at most ±14:00)"
        tzinfo = timezone(-offset if zone[0] == "-" else offset)
    microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    return datetime(
        int(match["year"]),
        int(match["month"]),
        int(match["day"]),
        hour,
        minute,
        second,
        microsecond,
        tzinfo=tzinfo,
    )


def datetime_problem(value: str) -> str | None:
    """Return why ``value`` is not an ISO 8601 date-time with a time zone, else None.

    Accepted: ``YYYY-MM-DDThh:mm``, optionally ``:ss`` and a fraction, then ``Z`` or an offset
    ``±hh:mm`` of at most 14 hours (the XSD ``dateTime`` form: upper-case ``T`` and ``Z``).
    The date and time must exist; hour 24 and leap second 60 are not accepted.
    """
    result = _datetime_or_problem(value)
    return result if isinstance(result, str) else None


def parse_datetime(value: str) -> datetime:
    """Return the time-zone-aware datetime for ``value``; raise ValueError when invalid.

    Fractions beyond microseconds are truncated.
    """
    result = _datetime_or_problem(value)
    if isinstance(result, str):
        raise ValueError(f"invalid date-time {value!r}: {result}")
    return result
