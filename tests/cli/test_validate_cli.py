"""The CLI in-process (click's CliRunner via the ``run_cli`` fixture): exit codes and output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result

from kanta_archive.validate import iter_inputs

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
VALID = SAMPLES / "valid"
INVALID = SAMPLES / "invalid"
STRUCTURES = ROOT / "schemas" / "structures"

Run = Callable[..., Result]


def test_valid_samples_exit_0(run_cli: Run) -> None:
    result = run_cli("validate", VALID)
    assert result.exit_code == 0, result.output
    assert "0 invalid" in result.output


def test_invalid_samples_exit_1_and_json_lists_every_file(run_cli: Run) -> None:
    result = run_cli("validate", INVALID, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    sources = [r["source"] for r in report["results"]]
    expected = [str(p) for p in iter_inputs([INVALID])]
    assert sorted(sources) == sorted(expected)
    assert len(sources) >= 30
    assert all(not r["valid"] for r in report["results"])
    assert report["summary"]["invalid"] == len(sources)


def test_stdin_is_read_with_dash(run_cli: Run) -> None:
    data = (VALID / "disclosure-ban.json").read_bytes()
    result = run_cli("validate", "-", "--format", "json", input=data)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["source"] for r in report["results"]] == ["-"]
    assert report["results"][0]["format"] == "json"


def test_invalid_stdin_exits_1(run_cli: Run) -> None:
    data = (INVALID / "case-number-mismatch.xhtml").read_bytes()
    result = run_cli("validate", "-", input=data)
    assert result.exit_code == 1
    assert "KA-CASE-NUMBER" in result.output


def test_missing_path_exits_2_with_one_error_line(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("validate", tmp_path / "no-such-file.json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error:")
    assert "no-such-file.json" in lines[0]
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "MISSING"),  # reported by validate itself
        ("--schemas-dir", "MISSING", "validate", str(VALID)),  # raised by the library
    ],
)
def test_control_characters_in_an_error_are_shown_as_escapes(
    run_cli: Run, tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = str(tmp_path / "no\x1b[2Jpe")
    result = run_cli(*(missing if a == "MISSING" else a for a in args))
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "no\\x1b[2Jpe" in result.stderr


def test_missing_path_among_good_ones_still_reports_the_good_ones(
    run_cli: Run, tmp_path: Path
) -> None:
    result = run_cli("validate", VALID / "disclosure-ban.json", tmp_path / "gone.json")
    assert result.exit_code == 2
    assert "disclosure-ban.json" in result.output
    assert result.stderr.startswith("Error:")


def test_empty_folder_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("validate", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:")


def test_fail_on_warning_fails_a_valid_sample_with_a_test_hetu(run_cli: Run) -> None:
    sample = VALID / "client-record-entry.json"
    assert run_cli("validate", sample).exit_code == 0
    result = run_cli("validate", sample, "--fail-on", "warning")
    assert result.exit_code == 1
    assert "KA-HETU-TEST" in result.output


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_jobs_2_output_is_identical_to_jobs_1(run_cli: Run, fmt: str) -> None:
    one = run_cli("validate", SAMPLES, "--format", fmt, "--jobs", "1")
    two = run_cli("validate", SAMPLES, "--format", fmt, "--jobs", "2")
    assert one.exit_code == two.exit_code == 1
    assert one.stdout_bytes == two.stdout_bytes


def _user_structure(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None] = lambda schema: None
) -> tuple[Path, Path]:
    """A --schemas-dir with version 2025-03-01 of the client record entry (``edit``-ed),
    and a valid document that follows it. That structure needs no signature, so the
    edited document stays otherwise valid."""
    source = STRUCTURES / "1.2.246.537.6.1506.19005.2022.1.10.json"
    schema = json.loads(source.read_text(encoding="utf-8"))
    schema["sosmeta"]["documentDefinitionVersion"] = "2025-03-01"
    schema["sosmeta"]["oid"] = "1.2.246.537.6.1506.19005.2025.3.1"
    edit(schema)
    extra = tmp_path / "sosmeta"
    extra.mkdir()
    (extra / "1.2.246.537.6.1506.19005.2025.3.1.json").write_text(
        json.dumps(schema, ensure_ascii=False), encoding="utf-8"
    )
    document = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    document["metadata"]["structure"] = "1.2.246.537.6.1506.19005.2025.3.1"
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return extra, path


def _root_ref(target: str) -> Callable[[dict[str, Any]], None]:
    """An edit that moves the schema's root property behind a ``$ref`` to ``target``."""

    def edit(schema: dict[str, Any]) -> None:
        (root,) = schema["properties"]
        schema.setdefault("definitions", {})["root"] = schema["properties"][root]
        schema["properties"][root] = {"$ref": target}

    return edit


def test_schemas_dir_adds_a_structure_version(run_cli: Run, tmp_path: Path) -> None:
    extra, path = _user_structure(tmp_path)

    without = run_cli("validate", path)
    assert without.exit_code == 1
    assert "KA-STRUCTURE-UNKNOWN" in without.output

    result = run_cli("--schemas-dir", extra, "validate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["results"][0]["structure"] == "1.2.246.537.6.1506.19005@2025-03-01"

    listed = run_cli("--schemas-dir", extra, "schemas", "list")
    assert "2025-03-01" in listed.output


def test_user_schema_with_internal_refs_is_used(run_cli: Run, tmp_path: Path) -> None:
    extra, path = _user_structure(tmp_path, _root_ref("#/definitions/root"))
    result = run_cli("--schemas-dir", extra, "validate", path)
    assert result.exit_code == 0, result.output + result.stderr


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_user_schema_with_an_external_ref_is_refused_without_fetching_it(
    run_cli: Run, tmp_path: Path, scheme: str
) -> None:
    # The file exists and is a schema that would pass: refused all the same, unread.
    (tmp_path / "root.json").write_text('{"type": "object"}', encoding="utf-8")
    target = (tmp_path / "root.json").as_uri() if scheme == "file" else "http://127.0.0.1:9/x"
    extra, path = _user_structure(tmp_path, _root_ref(target))
    result = run_cli("--schemas-dir", extra, "validate", path)
    assert result.exit_code == 3
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error:")
    assert f"external $ref '{target}' is not allowed" in line


def test_schemas_dir_that_does_not_exist_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("--schemas-dir", tmp_path / "nope", "validate", VALID)
    assert "Traceback" not in result.output + result.stderr
    assert result.stderr.startswith("Error:")
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr


BUNDLED = sorted(p.stem for p in STRUCTURES.glob("*.json"))  # full dated OIDs


def test_schemas_list_lists_every_bundled_structure_by_its_dated_oid(run_cli: Run) -> None:
    result = run_cli("schemas", "list")
    assert result.exit_code == 0
    for dated in BUNDLED:
        assert f"{dated} " in result.output
    rows = json.loads(run_cli("schemas", "list", "--format", "json").output)
    assert sorted(r["dated_oid"] for r in rows) == BUNDLED
    assert "1.2.246.537.6.1505.1" in {r["oid"] for r in rows}


@pytest.mark.parametrize(
    "spec",
    ["1.2.246.537.6.1505.2.2022.6.28", "1.2.246.537.6.1505.2", "1.2.246.537.6.1505.2@2022-06-28"],
)
def test_schemas_show_gives_finnish_and_swedish_names(run_cli: Run, spec: str) -> None:
    result = run_cli("schemas", "show", spec)
    assert result.exit_code == 0, result.output
    assert "Asia-asiakirja / Ärendehandling" in result.output
    assert "asian_tiedot" in result.output and "Asiatunnus / " in result.output
    payload = json.loads(run_cli("schemas", "show", spec, "--format", "json").output)
    assert payload["dated_oid"] == "1.2.246.537.6.1505.2.2022.6.28"
    fields = {f["path"]: f for f in payload["fields"]}
    # an array's names sit on its items in real exports
    assert fields["/asia_asiakirja/asiakas"]["fi"] == "Asiakas"
    assert fields["/asia_asiakirja/asian_tiedot/tila"]["codeset"] == "1.2.246.537.6.1501"


def test_schemas_show_unknown_structure_exits_2(run_cli: Run) -> None:
    result = run_cli("schemas", "show", "1.2.3.4")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error:")


def test_findings_markdown_equals_docs_findings_md(run_cli: Run) -> None:
    result = run_cli("findings", "--format", "markdown")
    assert result.exit_code == 0
    docs = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert result.output == docs, "regenerate: kanta-archive findings --format markdown"


def _commands(
    group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, ctx, (*path, name))


def test_every_command_has_help_with_an_example(run_cli: Run) -> None:
    from kanta_archive.cli.main import cli

    ctx = click.Context(cli)
    commands = [((), cli), *_commands(cli, ctx)]
    assert len(commands) >= 6
    for path, _command in commands:
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example:" in result.output, " ".join(path) or "kanta-archive"
