"""The vendor-facing commands: samples generate, schemas docs (through the real CLI)."""

from __future__ import annotations

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
