"""The vendor-facing commands: samples generate, schemas docs (through the real CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from kanta_archive.schemas import SchemaRegistry

Run = Callable[..., Result]
CLIENT_RECORD = "1.2.246.537.6.1506.19005.2022.1.10"  # by its full dated OID
CASE = "1.2.246.537.6.1505.2@2022-06-28"


def test_samples_generate_writes_documents_that_validate(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "gen"
    result = run_cli(
        "samples", "generate", "--structure", CLIENT_RECORD, "--count", "12", "--seed", "7",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.json"))
    assert len(files) == 12
    checked = run_cli("validate", out, "--format", "json")
    assert checked.exit_code == 0, checked.output
    again = run_cli("samples", "generate", "--structure", CLIENT_RECORD, "--count", "12",
                    "--out", out)  # fmt: skip
    assert again.exit_code == 2 and "not overwriting" in again.stderr
    assert sorted(out.glob("*.json")) == files


def test_samples_generate_without_a_structure_writes_every_bundled_one(
    run_cli: Run, tmp_path: Path
) -> None:
    out = tmp_path / "all"
    result = run_cli("samples", "generate", "--count", "1", "--out", out)
    assert result.exit_code == 0, result.output
    folders = sorted(p.name for p in out.iterdir())
    assert folders == sorted(s.dated_oid for s in SchemaRegistry().structures())
    assert run_cli("validate", out).exit_code == 0


def test_samples_generate_refuses_a_file_as_out(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("samples", "generate", "--structure", CASE, "--count", "1", "--out", target)
    assert result.exit_code == 2 and "not a folder" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_samples_generate_both_forms(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "both"
    result = run_cli(
        "samples", "generate", "--structure", CASE, "--count", "3", "--seed", "1", "--out", out,
        "--format", "both",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.json"))) == 3
    assert len(list(out.glob("*.xhtml"))) == 3
    assert run_cli("validate", out).exit_code == 0


def test_samples_generate_unknown_structure(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("samples", "generate", "--structure", "1.2.3.4", "--out", tmp_path / "x")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: unknown structure '1.2.3.4'")
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_schemas_docs_writes_a_page_per_structure(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    result = run_cli("schemas", "docs", "--out", out)
    assert result.exit_code == 0, result.output
    structures = SchemaRegistry().structures()
    for structure in structures:
        page = out / f"{structure.dated_oid}.md"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {structure.title('fi')} / {structure.title('sv')}")
        assert structure.dated_oid in text and "| path | fi | sv |" in text
    index = (out / "index.md").read_text(encoding="utf-8")
    assert all(f"{s.dated_oid}.md" in index for s in structures)
    assert len(list(out.glob("*.md"))) == len(structures) + 1


def test_schemas_docs_lists_code_sets_and_prose_rules(run_cli: Run, tmp_path: Path) -> None:
    run_cli("schemas", "docs", "--out", tmp_path)
    text = (tmp_path / "1.2.246.537.6.1505.2.2022.6.28.md").read_text(encoding="utf-8")
    assert "`1.2.246.537.6.1221` Sosiaalihuolto - Palvelutehtävä" in text
    assert "conditionally required" in text
    assert "## Prose rules (conditionalRequired)" in text
    assert "KA-CLIENT-ID: one of henkilotunnus or tilapainen_yksilointitunnus" in text
    assert "KA-REQUIRED-IF: lisatieto_luokkaan_muu when nimi has code 99" in text
    assert "KA-CASE-END-DATE (a named rule)" in text
    customership = (tmp_path / "1.2.246.537.6.1505.1.2023.6.1.md").read_text(encoding="utf-8")
    assert "hidden" in customership and "not machine-readable" in customership


def test_committed_structure_docs_are_up_to_date(run_cli: Run, tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / "structures"
    run_cli("schemas", "docs", "--out", tmp_path)
    hint = "run 'kanta-archive schemas docs --out docs/structures'"
    for page in tmp_path.glob("*.md"):
        fresh = page.read_text(encoding="utf-8")
        stored = (committed / page.name).read_text(encoding="utf-8")
        assert stored == fresh, f"docs/structures/{page.name} is stale: {hint}"


KEYS = Path(__file__).resolve().parents[2] / "samples" / "keys"


def test_samples_generate_cda_form_validates_and_archives_with_complete_chains(
    run_cli: Run, tmp_path: Path
) -> None:
    out = tmp_path / "cda"
    result = run_cli("samples", "generate", "--count", "8", "--seed", "5", "--form", "cda",
                     "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(out.rglob("*"))
    documents = [p for p in files if p.is_file()]
    assert documents and all(p.suffix == ".xml" for p in documents)
    assert len(documents) == 8 * len(SchemaRegistry().structures())
    checked = run_cli("validate", out, "--trust", KEYS / "TEST-ONLY-ca.pem", "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["summary"]["valid"] == len(documents)
    store = tmp_path / "store"
    archived = run_cli("archive", out, "--store", store)
    assert archived.exit_code == 0, archived.output
    assert f"{len(documents)} stored, 0 unchanged, 0 refused" in archived.output
    listed = run_cli("query", "--store", store, "--all", "--all-versions", "--format", "jsonl",
                     "--columns", "set_oid,version,storage_format")  # fmt: skip
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == len(documents)
    assert {row["storage_format"] for row in rows} == {"cda"}
    versions: dict[str, list[int]] = {}
    for row in rows:
        versions.setdefault(row["set_oid"], []).append(row["version"])
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in versions.values())
    assert any(len(v) > 1 for v in versions.values())  # chains, not only first versions
    assert run_cli("verify", "--store", store).exit_code == 0


def test_samples_generate_format_is_the_old_name_of_form(run_cli: Run, tmp_path: Path) -> None:
    for option in ("--form", "--format"):
        result = run_cli("samples", "generate", "--structure", CASE, "--count", "3", "--seed",
                         "2", option, "cda", "--out", tmp_path / option)  # fmt: skip
        assert result.exit_code == 0, result.output
    by_form = sorted((tmp_path / "--form").iterdir())
    by_format = sorted((tmp_path / "--format").iterdir())
    assert [p.name for p in by_form] == [p.name for p in by_format] and len(by_form) == 3
    assert [p.read_bytes() for p in by_form] == [p.read_bytes() for p in by_format]


def test_samples_generate_all_forms(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "all"
    result = run_cli("samples", "generate", "--structure", CLIENT_RECORD, "--count", "4",
                     "--form", "all", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    stems = {p.stem for p in out.iterdir()}
    assert len(stems) == 4
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}.{suffix}" for stem in stems for suffix in ("json", "xhtml", "xml")
    )
    assert run_cli("validate", out).exit_code == 0


def test_samples_generate_cda_never_overwrites(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "cda"
    first = run_cli("samples", "generate", "--structure", CASE, "--count", "2", "--form", "cda",
                    "--out", out)  # fmt: skip
    assert first.exit_code == 0, first.output
    before = {p: p.read_bytes() for p in out.iterdir()}
    again = run_cli("samples", "generate", "--structure", CASE, "--count", "2", "--seed", "9",
                    "--form", "all", "--out", out)  # fmt: skip
    assert again.exit_code == 2 and "not overwriting" in again.stderr
    assert {p: p.read_bytes() for p in out.iterdir()} == before


def test_samples_generate_unknown_form_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("samples", "generate", "--form", "pdf", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "pdf" in result.stderr
    assert not (tmp_path / "x").exists()
