"""The vendor-facing commands: samples generate, schemas docs (through the real CLI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from kanta_archive.schemas import SchemaRegistry

Run = Callable[..., Result]
CLIENT_RECORD = "1.2.246.537.6.1506.1"
CASE = "1.2.246.537.6.1506.3@2024-06-01"


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
        page = out / f"{structure.oid}_{structure.version}.md"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {structure.title('fi')} / {structure.title('sv')}")
        assert structure.oid in text and "| path | fi | sv |" in text
    index = (out / "index.md").read_text(encoding="utf-8")
    assert all(f"{s.oid}_{s.version}.md" in index for s in structures)
    assert len(list(out.glob("*.md"))) == len(structures) + 1


def test_schemas_docs_mentions_code_sets_and_non_disclosure(run_cli: Run, tmp_path: Path) -> None:
    run_cli("schemas", "docs", "--out", tmp_path)
    text = (tmp_path / "1.2.246.537.6.1506.3_2024-06-01.md").read_text(encoding="utf-8")
    assert "`1.2.246.537.6.9001` Asian tila" in text
    assert "conditionally required" in text
    assert "🔒 yes" in text


def test_committed_structure_docs_are_up_to_date(run_cli: Run, tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / "structures"
    run_cli("schemas", "docs", "--out", tmp_path)
    hint = "run 'kanta-archive schemas docs --out docs/structures'"
    for page in tmp_path.glob("*.md"):
        fresh = page.read_text(encoding="utf-8")
        stored = (committed / page.name).read_text(encoding="utf-8")
        assert stored == fresh, f"docs/structures/{page.name} is stale: {hint}"
