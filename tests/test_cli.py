"""The command line: exit codes, one-line errors, untouched stores, light imports, README coverage."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from compare.cli import main
from tests.conftest import ROOT, SAMPLE, counts


def test_events_and_report_do_not_import_torch(sample_copy, tmp_path):
    script = (
        "import sys\n"
        "from compare.cli import main\n"
        "for args in (['events', '--db', sys.argv[1]],"
        " ['report', '--db', sys.argv[1], '--out', sys.argv[2]]):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "heavy = {'torch', 'sentence_transformers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(sample_copy), str(tmp_path / "out")], check=True
    )


def test_events_json_lists_the_sample_events(sample_copy):
    result = CliRunner().invoke(main, ["events", "--db", str(sample_copy), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["event_id"] for r in rows] == ["wagner-2023", "xi-biden-2023"]
    assert all(r["documents"] == 3 and r["claim_pairs"] > 0 for r in rows)


@pytest.mark.slow  # the real bundled model, through the CLI
def test_run_writes_report_and_a_second_run_embeds_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["run", str(SAMPLE), "--db", "n.duckdb", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["reports"] == [str(Path("reports") / "wagner-2023.html")]
    assert (tmp_path / "reports" / "wagner-2023.html").stat().st_size > 0
    before = counts(tmp_path / "n.duckdb")
    second = runner.invoke(main, ["run", str(SAMPLE), "--db", "n.duckdb", "--json"])
    assert second.exit_code == 0, second.output
    assert counts(tmp_path / "n.duckdb") == before


def test_unknown_event_names_the_available_ones(sample_copy):
    result = CliRunner().invoke(main, ["align", "--db", str(sample_copy), "--event", "wagner"])
    assert result.exit_code == 2
    assert "Unknown event 'wagner'. Available: wagner-2023, xi-biden-2023" in result.output


def test_every_command_is_in_the_readme_and_has_an_example():
    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert re.search(rf"narrative-compare {name}\b", readme), f"README lacks '{name}'"
        assert "Example:" in (command.help or ""), f"'{name} --help' lacks an example"


def test_every_option_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{name} {option}"
        for name, command in main.commands.items()
        for param in command.params
        for option in param.opts
        if option.startswith("--") and not re.search(rf"{option}\b", readme)
    ]
    assert not missing, f"README lacks {', '.join(missing)}"


def test_readme_test_command_is_what_ci_runs():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
