"""``incidentkit workflows validate|list``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Invoke

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workflows"
FIXTURES = ROOT / "tests" / "workflows" / "fixtures"


def test_validate_accepts_good_files(invoke: Invoke) -> None:
    result = invoke(
        "workflows",
        "validate",
        str(EXAMPLES / "severity-routing.yaml"),
        str(FIXTURES / "example2_acknowledge.yaml"),
    )
    assert result.exit_code == 0, result.output
    assert "severity-routing, 7 steps" in result.stdout
    assert "example2_acknowledge, 1 step)" in result.stdout


def test_validate_reports_every_problem_with_file_line_and_column_in_argument_order(
    invoke: Invoke, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "trigger: {type: manual}\nsteps:\n  - {id: a, type: nope}\n  - {id: b, type: log, message: '{{ }}'}\n"
    )
    routing = FIXTURES / "example5_route_by_severity.yaml"
    result = invoke("workflows", "validate", str(broken), str(routing), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{broken}:3:19: step 'a': unknown step type 'nope'")
    assert lines[1] == f"{broken}:4:34: step 'b': '{{{{ }}}}' holds no expression"
    where = "step 'route_by_severity': step"
    assert lines[2:5] == [
        f"{routing}:11:17: {where} 'notify_team' is not defined in this workflow",
        f"{routing}:12:19: {where} 'create_linear_issue' is not defined in this workflow",
        f"{routing}:12:40: {where} 'notify_slack' is not defined in this workflow",
    ]
    assert lines[5].startswith(f"{tmp_path / 'missing.yaml'}: cannot read the file")
    assert lines[-1] == "6 problems in 3 files"


def test_list_shows_name_trigger_steps_and_version(invoke: Invoke) -> None:
    result = invoke("workflows", "list", "--workflows", str(EXAMPLES), "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {
        "acknowledge-and-announce",
        "investigate-serious-incidents",
        "open-incidents-digest",
        "page-on-call",
        "resolve-with-approval",
        "severity-routing",
    }
    assert rows["open-incidents-digest"]["trigger"] == "schedule"
    assert rows["severity-routing"]["steps"] == 7
    assert len(rows["severity-routing"]["version"]) == 16


def test_list_fails_clearly_on_a_broken_directory(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("steps: [\n")
    result = invoke("workflows", "list", "--workflows", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.yaml'}:2:1: invalid YAML" in result.stderr


def test_help_does_not_import_the_expression_engine() -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from incidentkit.cli import main\n"
        "for args in (['--help'], ['workflows', '--help'], ['workflows', 'validate', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        "heavy = ('cel', 'yaml', 'incidentkit.workflows.loader')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_list_shows_the_good_files_and_reports_the_others(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: one\ntrigger:\n  type: manual\nsteps:\n  - {id: a, type: log, message: hi}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "name: one\ntrigger:\n  type: manual\nsteps:\n  - {id: b, type: log, message: hi}\n"
    )
    (tmp_path / "c.yaml").write_text("trigger:\n  type: manual\nsteps:\n  - {id: c, type: nope}\n")
    result = invoke("workflows", "list", "--workflows", str(tmp_path), "--json")
    assert result.exit_code == 2
    assert [(row["name"], Path(row["file"]).name) for row in json.loads(result.stdout)] == [("one", "a.yaml")]
    assert (
        f"{tmp_path / 'b.yaml'}: workflow name 'one' is also used by {tmp_path / 'a.yaml'}" in result.stderr
    )
    assert f"{tmp_path / 'c.yaml'}:4:" in result.stderr
