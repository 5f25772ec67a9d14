"""The organisation registry CSV and the access store (kanta_archive.access)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kanta_archive.access import AccessStore, parse_orgs_csv, registry_exists
from kanta_archive.access.registry import COLUMNS, root_oid
from kanta_archive.errors import UsageError

ORGS = Path(__file__).resolve().parents[2] / "samples" / "orgs.csv"
HEADER = ",".join(COLUMNS)


def test_sample_registry_parses() -> None:
    orgs = {o.oid: o for o in parse_orgs_csv(ORGS.read_text(encoding="utf-8"))}
    assert len(orgs) == 12
    member = orgs["1.2.246.10.93000033"]
    assert member.joining_model == "joint"
    assert member.main_joiner_oid == "1.2.246.10.93000017"
    closed = orgs["1.2.246.10.91000013.10.3"]
    assert closed.valid_on(date(2023, 12, 31))
    assert not closed.valid_on(date(2024, 1, 1))
    assert orgs["1.2.246.10.94000019"].organiser_oid == "1.2.246.10.91000013"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("1.2.246.10.x,A,9100001-3,public,direct,,,2023-01-01,", "line 2: oid"),
        ("1.2.246.10.91000013,A,9100001-4,public,direct,,,2023-01-01,", "business_id"),
        ("1.2.246.10.91000013,A,9100001-3,govt,direct,,,2023-01-01,", "sector"),
        ("1.2.246.10.91000013,A,9100001-3,public,sideways,,,2023-01-01,", "joining_model"),
        ("1.2.246.10.93000017,A,9300001-7,private,joint,,,2023-01-01,", "main_joiner_oid"),
        ("1.2.246.10.94000019,A,9400001-9,private,parallel,,,2023-01-01,", "organiser_oid"),
        ("1.2.246.10.91000013,A,9100001-3,public,direct,,,2023-02-30,", "valid_from"),
        ("1.2.246.10.91000013,A,9100001-3,public,direct,,,2023-02-01,2023-01-01", "before"),
        ("1.2.246.10.91000013,A,9100001-3,public,direct,,", "columns"),
        ("1.2.246.10.93000025,A,9300002-5,private,joint,1.2.246.10.93000017,,2022-01-01,", "main"),
    ],
)
def test_bad_rows_are_named_by_line(row: str, expected: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_orgs_csv(f"{HEADER}\n{row}\n")
    assert "line 2" in str(err.value)
    assert expected in str(err.value)


def test_duplicate_and_header() -> None:
    row = "1.2.246.10.91000013,A,9100001-3,public,direct,,,2023-01-01,"
    with pytest.raises(UsageError, match=r"line 3: oid 1\.2\.246\.10\.91000013 already on line 2"):
        parse_orgs_csv(f"{HEADER}\n{row}\n{row}\n")
    with pytest.raises(UsageError, match="line 1"):
        parse_orgs_csv("oid,name\n")


def test_nothing_imported_on_error(tmp_path: Path) -> None:
    text = ORGS.read_text(encoding="utf-8") + "bad,row,,,,,,,\n"
    with AccessStore.open(tmp_path) as access:
        with pytest.raises(UsageError, match="line 14"):
            access.import_orgs(parse_orgs_csv(text))
        assert access.orgs() == []
    assert not registry_exists(tmp_path)
    with AccessStore.open(tmp_path) as access:
        access.import_orgs(parse_orgs_csv(ORGS.read_text(encoding="utf-8")))
    assert registry_exists(tmp_path)


def test_root_oid() -> None:
    assert root_oid("1.2.246.10.91000013.10.2") == "1.2.246.10.91000013"
    assert root_oid("1.2.246.10.91000013") == "1.2.246.10.91000013"
