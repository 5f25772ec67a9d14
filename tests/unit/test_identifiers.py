"""Tests for kanta_archive.identifiers: OIDs, HETU, business IDs, temporary IDs and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kanta_archive.identifiers import (
    HETU_CHECK_CHARS,
    business_id_check_digit,
    business_id_from_org_oid,
    business_id_problem,
    datetime_problem,
    hetu_birth_date,
    hetu_check_char,
    hetu_is_test,
    hetu_problem,
    is_oid,
    make_business_id,
    make_hetu,
    make_temporary_id,
    oid_problem,
    org_oid_from_business_id,
    parse_datetime,
    partial_date_problem,
    temporary_id_problem,
)

TODAY = date(2025, 6, 15)

# ------------------------------------------------------------------------------------------
# OIDs
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0.0",
        "1.39",
        "2.999",
        "1.2.246.537.6.1506",
        "1.2.246.10.27946584.22.2024.1",
        "2.25.329800735698586629295641978511506172918",
    ],
)
def test_well_formed_oid_is_accepted(value: str) -> None:
    assert oid_problem(value) is None
    assert is_oid(value) is True


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("", "empty"),
        ("1", "at least two arcs"),
        ("1.02.3", "leading zero"),
        ("1..2", "arc 2 of the OID is empty"),
        ("1.2.", "arc 3 of the OID is empty"),
        (".1.2", "arc 1 of the OID is empty"),
        ("3.1", "first arc"),
        ("1.40", "second arc"),
        ("0.40", "second arc"),
        ("1.2.x", "not made of digits"),
        ("1.2.-3", "not made of digits"),
        (" 1.2", "not made of digits"),
        ("1.2\n", "not made of digits"),
        ("urn:oid:1.2.3", "not made of digits"),
    ],
)
def test_malformed_oid_is_rejected_with_reason(value: str, reason_part: str) -> None:
    problem = oid_problem(value)
    assert problem is not None
    assert reason_part in problem
    assert is_oid(value) is False


def test_oid_with_unicode_digit_is_rejected() -> None:
    # '١' is ARABIC-INDIC DIGIT ONE: str.isdigit() says True, but it is not an OID digit.
    assert "١".isdigit()
    assert oid_problem("1.2.١") is not None


def test_second_arc_above_39_is_allowed_under_arc_2() -> None:
    assert oid_problem("2.40.1") is None


def test_oid_of_256_characters_is_accepted() -> None:
    value = "1.2." + "9" * 252
    assert len(value) == 256
    assert oid_problem(value) is None


def test_oid_longer_than_256_characters_is_rejected() -> None:
    value = "1.2." + "9" * 253
    assert oid_problem(value) == "OID is 257 characters long, more than 256"


@given(st.text(alphabet="0123456789.", max_size=60))
@settings(max_examples=200)
def test_oid_problem_never_crashes_on_digits_and_dots(value: str) -> None:
    problem = oid_problem(value)
    assert problem is None or isinstance(problem, str)
    assert is_oid(value) is (problem is None)


# ------------------------------------------------------------------------------------------
# HETU
# ------------------------------------------------------------------------------------------

VALID_HETUS = [
    "131052-308T",  # the long-standing public example
    "010190-999W",
    "140385-901E",
    "210704A9274",
    "311299+944N",
    "290260-962U",
    "050110A999U",
]


@pytest.mark.parametrize("value", VALID_HETUS)
def test_valid_hetu_is_accepted(value: str) -> None:
    assert hetu_problem(value) is None


def test_widely_copied_example_010190_999x_has_wrong_check_char() -> None:
    assert hetu_problem("010190-999X") == "check character should be 'W', not 'X'"


def test_correct_check_char_for_010190_999_is_w() -> None:
    assert hetu_check_char("010190999") == "W"
    assert hetu_problem("010190-999W") is None


def test_hetu_with_wrong_check_char_is_rejected() -> None:
    assert hetu_problem("131052-308U") == "check character should be 'T', not 'U'"


@pytest.mark.parametrize("value", ["131052-308", "131052-308TT", "", " 131052-308T"])
def test_hetu_of_wrong_length_is_rejected(value: str) -> None:
    problem = hetu_problem(value)
    assert problem is not None
    assert "11 characters" in problem


@pytest.mark.parametrize("sign", ["G", "Z", "a", "*", "/"])
def test_hetu_with_unknown_century_sign_is_rejected(sign: str) -> None:
    problem = hetu_problem(f"131052{sign}308T")
    assert problem is not None
    assert "century sign" in problem


@pytest.mark.parametrize("check", ["G", "I", "O", "Q", "Z", "t"])
def test_hetu_check_char_outside_the_alphabet_is_rejected(check: str) -> None:
    problem = hetu_problem(f"131052-308{check}")
    assert problem is not None
    assert "is not one of" in problem


def test_hetu_with_non_digit_date_is_rejected() -> None:
    assert hetu_problem("13105x-308T") == "HETU must start with six digits DDMMYY"


def test_hetu_with_unicode_digit_is_rejected() -> None:
    assert hetu_problem("13105١-308T") == "HETU must start with six digits DDMMYY"


def test_hetu_with_non_digit_individual_number_is_rejected() -> None:
    problem = hetu_problem("131052-3O8T")
    assert problem is not None
    assert "individual number" in problem


def test_hetu_born_on_28_february_of_non_leap_year_is_accepted() -> None:
    assert hetu_problem(f"280223A123{hetu_check_char('280223123')}") is None


@pytest.mark.parametrize(
    "digits6_sign",
    [
        "290223A",  # 2023 is not a leap year
        "290200-",  # 1900 is not a leap year
        "290201A",
        "310424A",  # April has 30 days
        "000124A",  # day 0
        "320124A",
    ],
)
def test_hetu_with_impossible_birth_date_is_rejected(digits6_sign: str) -> None:
    digits9 = digits6_sign[:6] + "123"
    value = f"{digits6_sign}123{hetu_check_char(digits9)}"
    problem = hetu_problem(value)
    assert problem is not None
    assert "does not exist" in problem


@pytest.mark.parametrize("digits6_sign", ["130024A", "131324A"])
def test_hetu_with_impossible_birth_month_is_rejected(digits6_sign: str) -> None:
    digits9 = digits6_sign[:6] + "123"
    problem = hetu_problem(f"{digits6_sign}123{hetu_check_char(digits9)}")
    assert problem is not None
    assert "month" in problem


@pytest.mark.parametrize("digits6_sign", ["290224A", "290200A", "290296-", "290296Y"])
def test_hetu_born_on_29_february_of_leap_year_is_accepted(digits6_sign: str) -> None:
    digits9 = digits6_sign[:6] + "123"
    assert hetu_problem(f"{digits6_sign}123{hetu_check_char(digits9)}") is None


@pytest.mark.parametrize("individual", ["000", "001"])
def test_hetu_with_individual_number_000_or_001_is_rejected(individual: str) -> None:
    value = f"131052-{individual}{hetu_check_char('131052' + individual)}"
    problem = hetu_problem(value)
    assert problem is not None
    assert "never issued" in problem


def test_hetu_with_individual_number_002_is_accepted() -> None:
    assert hetu_problem(f"131052-002{hetu_check_char('131052002')}") is None


@pytest.mark.parametrize(
    ("sign", "year"),
    [
        ("+", 1852),
        ("-", 1952),
        ("Y", 1952),
        ("X", 1952),
        ("W", 1952),
        ("V", 1952),
        ("U", 1952),
        ("A", 2052),
        ("B", 2052),
        ("C", 2052),
        ("D", 2052),
        ("E", 2052),
        ("F", 2052),
    ],
)
def test_hetu_century_sign_gives_birth_century(sign: str, year: int) -> None:
    assert hetu_birth_date(f"131052{sign}308T") == date(year, 10, 13)


def test_hetu_birth_date_raises_on_invalid_hetu() -> None:
    with pytest.raises(ValueError, match="check character should be 'W'"):
        hetu_birth_date("010190-999X")


@pytest.mark.parametrize("digits9", ["01019099", "0101909990", "01019099X", "０10190999"])
def test_hetu_check_char_rejects_anything_but_nine_ascii_digits(digits9: str) -> None:
    with pytest.raises(ValueError, match="nine digits"):
        hetu_check_char(digits9)


@pytest.mark.parametrize("value", ["010190-999W", "140385-901E", "311299+944N"])
def test_hetu_with_individual_number_900_to_999_is_a_test_hetu(value: str) -> None:
    assert hetu_is_test(value) is True


def test_hetu_with_individual_number_below_900_is_not_a_test_hetu() -> None:
    assert hetu_is_test(make_hetu(date(1990, 1, 1), 899)) is False


def test_invalid_hetu_is_not_a_test_hetu() -> None:
    assert hetu_is_test("010190-999X") is False


@pytest.mark.parametrize(
    ("birth", "expected_sign"),
    [(date(1899, 12, 31), "+"), (date(1900, 1, 1), "-"), (date(2000, 1, 1), "A")],
)
def test_make_hetu_default_century_sign(birth: date, expected_sign: str) -> None:
    assert make_hetu(birth, 950)[6] == expected_sign


def test_make_hetu_builds_the_known_code() -> None:
    assert make_hetu(date(1952, 10, 13), 308) == "131052-308T"


def test_make_hetu_uses_given_century_sign() -> None:
    assert make_hetu(date(1952, 10, 13), 308, "Y") == "131052Y308T"


@pytest.mark.parametrize(
    ("birth", "individual", "sign"),
    [
        (date(1799, 12, 31), 950, None),
        (date(2100, 1, 1), 950, None),
        (date(1990, 1, 1), 1, None),
        (date(1990, 1, 1), 1000, None),
        (date(1990, 1, 1), 950, "A"),  # sign for the 2000s
        (date(1990, 1, 1), 950, "G"),  # unknown sign
    ],
)
def test_make_hetu_rejects_out_of_range_input(
    birth: date, individual: int, sign: str | None
) -> None:
    with pytest.raises(ValueError):
        make_hetu(birth, individual, sign)


_hetu_births = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
_hetu_individuals = st.integers(min_value=2, max_value=999)


@given(_hetu_births, _hetu_individuals)
@settings(max_examples=200)
def test_every_made_hetu_is_valid_and_round_trips_birth_date(birth: date, individual: int) -> None:
    value = make_hetu(birth, individual)
    assert hetu_problem(value) is None
    assert hetu_birth_date(value) == birth
    assert int(value[7:10]) == individual


@given(_hetu_births, _hetu_individuals, st.sampled_from(HETU_CHECK_CHARS))
@settings(max_examples=200)
def test_changing_check_char_of_valid_hetu_makes_it_invalid(
    birth: date, individual: int, other: str
) -> None:
    value = make_hetu(birth, individual)
    if other == value[10]:
        other = HETU_CHECK_CHARS[(HETU_CHECK_CHARS.index(other) + 1) % 31]
    assert hetu_problem(value[:10] + other) is not None


@given(
    _hetu_births,
    _hetu_individuals,
    st.sampled_from([0, 1, 2, 3, 4, 5, 7, 8, 9]),
    st.integers(min_value=1, max_value=9),
)
@settings(max_examples=200)
def test_changing_one_digit_of_valid_hetu_makes_it_invalid(
    birth: date, individual: int, position: int, delta: int
) -> None:
    value = make_hetu(birth, individual)
    new_digit = str((int(value[position]) + delta) % 10)
    assert hetu_problem(value[:position] + new_digit + value[position + 1 :]) is not None


# ------------------------------------------------------------------------------------------
# Business IDs and organisation OIDs
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first7", "check"),
    [
        ("0204819", "8"),  # JHS 159 annex 1 example (Turku)
        ("0245929", "6"),  # JHS 159 annex 1 example
        ("1000002", "0"),  # remainder 0 gives check digit 0
        ("1000000", "4"),
        ("2794658", "4"),
    ],
)
def test_business_id_check_digit_follows_weights(first7: str, check: str) -> None:
    assert business_id_check_digit(first7) == check


@pytest.mark.parametrize("first7", ["1000008", "1111111", "3141592"])
def test_business_id_prefix_with_remainder_1_has_no_check_digit(first7: str) -> None:
    assert business_id_check_digit(first7) is None


@pytest.mark.parametrize("first7", ["123456", "12345678", "123456x", "１234567"])
def test_business_id_check_digit_rejects_anything_but_seven_ascii_digits(first7: str) -> None:
    with pytest.raises(ValueError, match="seven digits"):
        business_id_check_digit(first7)


@pytest.mark.parametrize("value", ["0204819-8", "1000002-0", "2794658-4", "3108254-7"])
def test_valid_business_id_is_accepted(value: str) -> None:
    assert business_id_problem(value) is None


def test_business_id_with_wrong_check_digit_is_rejected() -> None:
    assert business_id_problem("2794658-5") == "check digit should be '4', not '5'"


def test_business_id_whose_prefix_has_remainder_1_is_rejected() -> None:
    problem = business_id_problem("1111111-0")
    assert problem is not None
    assert "no valid check digit" in problem


@pytest.mark.parametrize(
    "value",
    ["27946584", "2794658 4", "279465-84", "2794658-", "2794658-44", "279465x-4", "2794658-x"],
)
def test_business_id_in_wrong_form_is_rejected(value: str) -> None:
    problem = business_id_problem(value)
    assert problem is not None
    assert "NNNNNNN-C" in problem


def test_make_business_id_appends_check_digit() -> None:
    assert make_business_id("0204819") == "0204819-8"


def test_make_business_id_raises_when_remainder_is_1() -> None:
    with pytest.raises(ValueError, match="no valid check digit"):
        make_business_id("1111111")


_first7 = st.text(alphabet="0123456789", min_size=7, max_size=7)


@given(_first7)
@settings(max_examples=200)
def test_every_made_business_id_is_valid(first7: str) -> None:
    if business_id_check_digit(first7) is None:
        with pytest.raises(ValueError):
            make_business_id(first7)
        return
    value = make_business_id(first7)
    assert value[:7] == first7
    assert business_id_problem(value) is None


@given(
    _first7,
    st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8]),
    st.integers(min_value=1, max_value=9),
)
@settings(max_examples=200)
def test_changing_one_digit_of_valid_business_id_makes_it_invalid(
    first7: str, position: int, delta: int
) -> None:
    # Holds for every position: each weight is non-zero mod 11 and a digit changes by less
    # than 11, so the remainder changes; and the remainder -> check digit map is one-to-one.
    check = business_id_check_digit(first7)
    if check is None:
        return
    value = f"{first7}-{check}"
    new_digit = str((int(value[position]) + delta) % 10)
    assert business_id_problem(value[:position] + new_digit + value[position + 1 :]) is not None


def test_business_id_weights_detect_every_single_digit_change_for_every_remainder() -> None:
    # Exhaustive over what matters: the old remainder, the weight and the digit difference.
    def check_for(remainder: int) -> int | None:
        return None if remainder == 1 else (0 if remainder == 0 else 11 - remainder)

    undetected = [
        (remainder, weight, diff)
        for remainder in range(11)
        if check_for(remainder) is not None
        for weight in (7, 9, 10, 5, 8, 4, 2)
        for diff in range(-9, 10)
        if diff != 0 and check_for((remainder + weight * diff) % 11) == check_for(remainder)
    ]
    assert undetected == []


@pytest.mark.parametrize(
    ("oid", "expected"),
    [
        ("1.2.246.10.27946584", "2794658-4"),
        ("1.2.246.10.27946584.10.3", "2794658-4"),
        ("1.2.246.10.31082547.22.2024.1", "3108254-7"),
        ("1.2.246.10.2048198", "0204819-8"),  # leading zero dropped (JHS 159 annex 1)
    ],
)
def test_business_id_is_read_from_organisation_oid(oid: str, expected: str) -> None:
    assert business_id_from_org_oid(oid) == expected


@pytest.mark.parametrize(
    "oid",
    [
        "1.2.246.10.27946585",  # wrong check digit
        "1.2.246.10.11111110",  # prefix with remainder 1
        "1.2.246.10.02048198",  # leading zero: not an OID
        "1.2.246.10.279465840",  # nine digits
        "1.2.246.10.204819",  # six digits
        "1.2.246.10",
        "1.2.246.11.27946584",
        "1.2.246.537.27946584",
        "urn:oid:1.2.246.10.27946584",
        "1.2.246.10.27946584.",
    ],
)
def test_oid_not_naming_a_valid_business_id_gives_none(oid: str) -> None:
    assert business_id_from_org_oid(oid) is None


@pytest.mark.parametrize(
    ("business_id", "oid"),
    [("2794658-4", "1.2.246.10.27946584"), ("0204819-8", "1.2.246.10.2048198")],
)
def test_org_oid_from_business_id(business_id: str, oid: str) -> None:
    assert org_oid_from_business_id(business_id) == oid


def test_org_oid_from_invalid_business_id_raises() -> None:
    with pytest.raises(ValueError, match="check digit should be '4'"):
        org_oid_from_business_id("2794658-5")


@given(_first7)
@settings(max_examples=200)
def test_org_oid_round_trips_business_id(first7: str) -> None:
    if business_id_check_digit(first7) is None or first7.startswith("00"):
        return
    business_id = make_business_id(first7)
    assert business_id_from_org_oid(org_oid_from_business_id(business_id)) == business_id


# ------------------------------------------------------------------------------------------
# Temporary identifiers
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1.2.246.10.27946584.22.2024.1",
        "1.2.246.10.31082547.22.2025.1234",
        "1.2.246.10.2048198.22.1900.7",
    ],
)
def test_valid_temporary_id_is_accepted(value: str) -> None:
    assert temporary_id_problem(value, today=TODAY) is None


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("1.2.246.10.27946584.22.2026.1", "in the future"),
        ("1.2.246.10.27946584.22.1899.1", "before 1900"),
        ("1.2.246.10.27946584.22.999.1", "four digits"),
        ("1.2.246.10.27946584.22.20240.1", "four digits"),
        ("1.2.246.10.27946584.22.2024.0", "positive"),
        ("1.2.246.10.27946584.22.2024.01", "leading zero"),
        ("1.2.246.10.27946584.22.2024", "form"),
        ("1.2.246.10.27946584.22.2024.1.5", "form"),
        ("1.2.246.10.27946584.21.2024.1", "form"),
        ("1.2.246.10.27946584.10.3.22.2024.1", "form"),  # organisation OID with sub-nodes
        ("1.2.246.10.27946585.22.2024.1", "not a valid business ID"),
        ("1.2.246.10.279465.22.2024.1", "not a valid business ID"),
        ("1.2.246.11.27946584.22.2024.1", "organisation arc"),
        ("1.2.246.10.27946584.22.2024.x", "not an OID"),
        ("", "not an OID"),
    ],
)
def test_invalid_temporary_id_is_rejected_with_reason(value: str, reason_part: str) -> None:
    problem = temporary_id_problem(value, today=TODAY)
    assert problem is not None
    assert reason_part in problem


def test_temporary_id_of_this_year_is_accepted_by_default() -> None:
    value = f"1.2.246.10.27946584.22.{date.today().year}.1"
    assert temporary_id_problem(value) is None


def test_temporary_id_of_next_year_is_rejected_by_default() -> None:
    value = f"1.2.246.10.27946584.22.{date.today().year + 1}.1"
    problem = temporary_id_problem(value)
    assert problem is not None
    assert "in the future" in problem


def test_make_temporary_id_builds_the_oid() -> None:
    made = make_temporary_id("1.2.246.10.27946584", 2024, 17, today=TODAY)
    assert made == "1.2.246.10.27946584.22.2024.17"


@pytest.mark.parametrize(
    ("org_oid", "year", "n"),
    [
        ("1.2.246.10.27946585", 2024, 1),  # invalid business ID
        ("1.2.246.10.27946584.10.3", 2024, 1),  # sub-nodes
        ("1.2.246.10.27946584", 2026, 1),  # future
        ("1.2.246.10.27946584", 1899, 1),
        ("1.2.246.10.27946584", 2024, 0),
        ("1.2.246.10.27946584", 2024, -1),
        ("1.2.246.10.27946584", True, 1),
    ],
)
def test_make_temporary_id_rejects_invalid_input(org_oid: str, year: int, n: int) -> None:
    with pytest.raises(ValueError):
        make_temporary_id(org_oid, year, n, today=TODAY)


@given(
    _first7.filter(lambda s: s[0] != "0" and business_id_check_digit(s) is not None),
    st.integers(min_value=1900, max_value=TODAY.year),
    st.integers(min_value=1, max_value=10**12),
)
@settings(max_examples=200)
def test_every_made_temporary_id_is_valid(first7: str, year: int, n: int) -> None:
    org_oid = org_oid_from_business_id(make_business_id(first7))
    value = make_temporary_id(org_oid, year, n, today=TODAY)
    assert temporary_id_problem(value, today=TODAY) is None
    assert value.startswith(org_oid + ".22.")


# ------------------------------------------------------------------------------------------
# Partial dates
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2024", "2024-05", "2024-05-02", "2024-02-29", "2000-02-29", "1999-12-31", "0001"]
)
def test_existing_partial_date_is_accepted(value: str) -> None:
    assert partial_date_problem(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-02-31", "day 31 does not exist in 2024-02"),
        ("2023-02-29", "day 29 does not exist in 2023-02"),
        ("1900-02-29", "day 29 does not exist in 1900-02"),
        ("2024-04-31", "day 31 does not exist in 2024-04"),
        ("2024-05-00", "day 00 does not exist in 2024-05"),
        ("2024-13", "month 13 does not exist"),
        ("2024-00-01", "month 00 does not exist"),
        ("0000", "year 0000 does not exist"),
    ],
)
def test_impossible_partial_date_is_rejected(value: str, reason: str) -> None:
    assert partial_date_problem(value) == reason


@pytest.mark.parametrize(
    "value",
    ["", "24", "2024-5", "2024-05-2", "2024/05/02", "2024-05-02T10:00", "2024-05-02\n", "２024"],
)
def test_partial_date_in_wrong_form_is_rejected(value: str) -> None:
    assert partial_date_problem(value) == "date must have the form YYYY, YYYY-MM or YYYY-MM-DD"


# ------------------------------------------------------------------------------------------
# Date-times
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-02T10:15:00+03:00",
        "2024-05-02T10:15:00Z",
        "2024-05-02T10:15+03:00",
        "2024-05-02T10:15:00.123+03:00",
        "2024-05-02T10:15:00.123456789Z",
        "2024-02-29T23:59:59-05:00",
        "2024-05-02T10:15:00+14:00",
        "2024-05-02T10:15:00-14:00",
    ],
)
def test_date_time_with_zone_is_accepted(value: str) -> None:
    assert datetime_problem(value) is None


@pytest.mark.parametrize(
    "value", ["2024-05-02T10:15:00", "2024-05-02T10:15", "2024-05-02T10:15:00.5"]
)
def test_date_time_without_zone_is_rejected(value: str) -> None:
    problem = datetime_problem(value)
    assert problem is not None
    assert "no time zone" in problem


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("2024-02-30T10:15:00Z", "day 30 does not exist"),
        ("2023-02-29T10:15:00Z", "day 29 does not exist"),
        ("2024-13-01T10:15:00Z", "month 13 does not exist"),
        ("2024-05-02T24:00:00Z", "time 24:00:00 does not exist"),
        ("2024-05-02T10:60:00Z", "time 10:60:00 does not exist"),
        ("2024-05-02T10:15:60Z", "time 10:15:60 does not exist"),
        ("2024-05-02T10:15:00+14:30", "out of range"),
        ("2024-05-02T10:15:00+03:60", "out of range"),
    ],
)
def test_impossible_date_time_is_rejected(value: str, reason_part: str) -> None:
    problem = datetime_problem(value)
    assert problem is not None
    assert reason_part in problem


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-02",
        "2024-05-02 10:15:00+03:00",
        "2024-05-02t10:15:00+03:00",
        "2024-05-02T10:15:00z",
        "20240502T101500+0300",
        "2024-05-02T10:15:00+03",
        "2024-05-02T10:15:00+03:00\n",
        "2024-05-02T10:15:00.Z",
    ],
)
def test_date_time_in_wrong_form_is_rejected(value: str) -> None:
    problem = datetime_problem(value)
    assert problem is not None
    assert "must have the form" in problem


def test_parse_datetime_returns_aware_datetime_with_offset() -> None:
    parsed = parse_datetime("2024-05-02T10:15:00+03:00")
    assert parsed == datetime(2024, 5, 2, 10, 15, tzinfo=timezone(timedelta(hours=3)))
    assert parsed.utcoffset() == timedelta(hours=3)


def test_parse_datetime_reads_z_as_utc() -> None:
    assert parse_datetime("2024-05-02T07:15Z") == datetime(2024, 5, 2, 7, 15, tzinfo=UTC)


def test_parse_datetime_reads_negative_offset() -> None:
    assert parse_datetime("2024-05-02T10:15:00-05:30").utcoffset() == -timedelta(
        hours=5, minutes=30
    )


def test_parse_datetime_truncates_fraction_to_microseconds() -> None:
    assert parse_datetime("2024-05-02T10:15:00.1234567Z").microsecond == 123456


def test_parse_datetime_pads_short_fraction() -> None:
    assert parse_datetime("2024-05-02T10:15:00.5Z").microsecond == 500000


def test_parse_datetime_raises_without_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_datetime("2024-05-02T10:15:00")


def _two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


# Near and past every boundary: month 13, day 32, hour 24, second 60, offsets past 14:00.
near_datetimes = st.builds(
    lambda year, month, day, hour, minute, second, fraction, zone: (
        f"{year:04d}-{month}-{day}T{hour}:{minute}{second}{fraction}{zone}"
    ),
    st.integers(0, 9999),
    _two_digits(0, 13),
    _two_digits(0, 32),
    _two_digits(0, 25),
    _two_digits(0, 61),
    st.sampled_from(["", ":00", ":59", ":60"]) | _two_digits(0, 61).map(lambda s: ":" + s),
    st.sampled_from(["", ".", ".5", ".123", ".123456", ".1234567"]),
    st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+14:00", "-14:00", "+14:01", "+03:60"])
    | st.builds(
        lambda sign, h, m: f"{sign}{h}:{m}",
        st.sampled_from("+-"),
        _two_digits(0, 25),
        _two_digits(0, 61),
    ),
)


@settings(max_examples=2000, deadline=None)
@given(near_datetimes)
def test_fast_date_time_reading_agrees_with_the_field_by_field_checks(value: str) -> None:
    from kanta_archive.identifiers import _checked_datetime, _datetime_or_problem

    fast, checked = _datetime_or_problem.__wrapped__(value), _checked_datetime(value)
    assert type(fast) is type(checked)
    if isinstance(fast, datetime) and isinstance(checked, datetime):
        assert fast.utcoffset() == checked.utcoffset()
        assert fast.replace(tzinfo=None) == checked.replace(tzinfo=None)
    else:
        assert fast == checked
