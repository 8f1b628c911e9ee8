"""What a new user hits first: bad URLs and stores, hints, silent limits, and the small surprises."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from incidentkit.cli.output import short_time
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, RunningServer, serve_in_thread
from incidentkit.store import Store
from tests.cli.conftest import Invoke

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def one_line_error(result: Any) -> str:
    """The error of a failed command, checked to be one line with no traceback."""
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return str(lines[0])


# --- item 5: bad URLs are one-line errors naming the option and the value --------------------------


@pytest.mark.parametrize("base_url", ["http://localhost:abc", "http://[::1"])
def test_a_bad_base_url_option_is_a_usage_error(invoke: Invoke, base_url: str) -> None:
    result = invoke("incidents", "list", "--api-key", "k", "--base-url", base_url)
    assert result.exit_code == 2
    assert one_line_error(result).startswith(f"Error: invalid --base-url {base_url!r}: Invalid port")


def test_a_bad_base_url_in_the_environment_names_the_variable(invoke: Invoke) -> None:
    result = invoke(
        "incidents", "list", env={"INCIDENT_IO_API_KEY": "k", "INCIDENT_IO_BASE_URL": "http://[::1"}
    )
    assert result.exit_code == 2
    assert "invalid INCIDENT_IO_BASE_URL 'http://[::1'" in one_line_error(result)


def test_base_url_hints_for_a_version_at_the_end_and_a_missing_scheme(invoke: Invoke) -> None:
    versioned = invoke("types", "list", "--api-key", "k", "--base-url", "https://api.incident.io/v2")
    assert versioned.exit_code == 2
    assert (
        "ends with the API version '/v2'" in versioned.stderr
        and "('https://api.incident.io')" in versioned.stderr
    )
    bare = invoke("types", "list", "--api-key", "k", "--base-url", "localhost:8765")
    assert "no scheme; add http:// or https:// (for example 'https://localhost:8765')" in bare.stderr


def test_setup_refuses_a_bad_base_url_before_saving(invoke: Invoke) -> None:
    result = invoke("setup", "--api-key-stdin", "--no-input", "--no-verify", "--base-url", "http://localhost:abc",
                    input="some-key\n")  # fmt: skip
    assert result.exit_code == 2
    assert "invalid --base-url 'http://localhost:abc'" in one_line_error(result)
    assert "ci" not in invoke("profiles", "list").stdout


def test_webhooks_test_refuses_a_bad_url(invoke: Invoke) -> None:
    result = invoke("webhooks", "test", "--url", "http://localhost:abc/x", "--secret", SECRET)
    assert result.exit_code == 2
    assert "invalid --url 'http://localhost:abc/x': Invalid port: 'abc'" in one_line_error(result)


def test_a_store_url_with_a_bad_port_is_one_line_without_the_password(invoke: Invoke) -> None:
    result = invoke("events", "list", "--store", "postgresql://x:hunter2@h:abc/db")
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "invalid --store 'postgresql://x:***@h:abc/db': its port is not a number" in line
    assert "hunter2" not in result.output and "int()" not in line


# --- item 6: hints match the cause --------------------------------------------------------------------


def test_a_refused_connection_does_not_blame_the_network(invoke: Invoke, sleeps: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke("types", "list", "--api-key", "k", "--base-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert f"nothing accepts connections at http://127.0.0.1:{port}" in result.stderr
    assert "Check your network" not in result.stderr
    assert "gave up after 5 attempts" in result.stderr and len(sleeps) == 4


def test_a_missing_incident_still_says_check_the_reference(invoke: Invoke) -> None:
    result = invoke("incidents", "show", "INC-99999", "--sandbox")
    assert result.exit_code == 1
    assert "Check the reference or id." in result.stderr


# --- item 7: reading commands never create a store ----------------------------------------------------


@pytest.mark.parametrize("command", [["events", "list"], ["runs", "list"], ["approvals", "list"]])
def test_reading_a_store_that_does_not_exist_fails_and_creates_nothing(
    invoke: Invoke, tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    result = invoke(*command, "--store", f"sqlite:///{missing}")
    assert result.exit_code == 2
    assert f"no store at sqlite:///{missing}" in one_line_error(result)
    assert not missing.parent.exists()


# --- item 10 and 11: one default port; a Try line that works -----------------------------------------


def test_webhooks_test_sends_where_serve_listens_by_default() -> None:
    from incidentkit.cli.serve_cmd import serve
    from incidentkit.cli.webhooks_cmd import test as webhooks_test

    port = next(p.default for p in serve.params if p.name == "port")
    url = next(p.default for p in webhooks_test.params if p.name == "url")
    assert url == f"http://127.0.0.1:{port}/api/webhooks/ingest/incident-io"


def test_the_emulators_try_line_works_when_pasted(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    for name in ("INCIDENT_IO_API_KEY", "INCIDENTIO_API_KEY", "INCIDENT_IO_BASE_URL"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0"],
                              stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert server.stdout is not None
        line = ""
        while not line.startswith("Try: "):
            line = server.stdout.readline()
            assert line, "the emulator ended before printing its Try line"
        words = line.removeprefix("Try: ").split()
        assignments = dict(word.split("=", 1) for word in words if "=" in word)
        command = [word for word in words if "=" not in word]
        assert set(assignments) == {"INCIDENT_IO_BASE_URL", "INCIDENT_IO_API_KEY"}
        assert command[0] == "incidentkit"
        pasted = subprocess.run(
            [sys.executable, "-m", "incidentkit", *command[1:], "--json"],
            env={**env, **assignments},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert pasted.returncode == 0, pasted.stderr
        assert json.loads(pasted.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


# --- item 13: --no-retry and --max-wait -----------------------------------------------------------------


@pytest.fixture
def faulty() -> Iterator[tuple[Emulator, RunningServer]]:
    emulator = Emulator(seed="default")
    with serve_in_thread(emulator.asgi_app()) as server:
        yield emulator, server


def test_no_retry_fails_on_the_first_error(invoke: Invoke, sleeps: list[float], faulty: Any) -> None:
    emulator, server = faulty
    emulator.inject_fault(status=503, path="/v1/severities", times=10)
    result = invoke(
        "severities", "list", "--api-key", SANDBOX_API_KEY, "--base-url", server.url, "--no-retry"
    )
    assert result.exit_code == 1
    assert sleeps == [] and "attempts" not in result.stderr


def test_max_wait_bounds_the_waiting(invoke: Invoke, sleeps: list[float], faulty: Any) -> None:
    emulator, server = faulty
    emulator.inject_fault(status=429, path="/v1/severities", times=10, retry_after=58)
    result = invoke(
        "--max-wait", "60", "severities", "list", "--api-key", SANDBOX_API_KEY, "--base-url", server.url
    )
    assert result.exit_code == 1
    assert sleeps == [58] and "gave up after 2 attempts" in result.stderr


# --- item 14: a listing that stops at its limit says so -------------------------------------------------


def test_a_limited_listing_says_how_many_more_there_are(invoke: Invoke) -> None:
    everything = json.loads(invoke("incidents", "list", "--sandbox", "--all", "--json").stdout)
    default = invoke("incidents", "list", "--sandbox", "--json")
    assert len(json.loads(default.stdout)) == 25
    assert (
        default.stderr.strip()
        == f"Showing 25 of {len(everything)} incidents; use --all or --limit N for more."
    )
    assert "Showing 2 of" in invoke("incidents", "list", "--sandbox", "--limit", "2", "--json").stderr
    assert invoke("incidents", "list", "--sandbox", "--all", "--json").stderr == ""
    assert invoke("incidents", "list", "--sandbox", "--limit", str(len(everything)), "--json").stderr == ""


# --- item 15: the sandbox's state, and starting it afresh ----------------------------------------------


def test_emulator_reset_starts_the_sandbox_afresh(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    created = sandbox("incidents", "declare", "--name", "Left over", "--severity", "Minor")
    assert sandbox("incidents", "show", created["reference"])["name"] == "Left over"
    reset = invoke("emulator", "reset")
    assert reset.exit_code == 0 and "sandbox-state.json" in reset.stdout
    assert invoke("incidents", "show", created["id"], "--sandbox").exit_code == 1
    assert invoke("emulator", "reset").exit_code == 0
    assert "Nothing to reset" in invoke("emulator", "reset").stdout


# --- item 18: the smaller ones ------------------------------------------------------------------------


def test_declare_is_the_command_and_create_its_alias(sandbox: Callable[..., Any], invoke: Invoke) -> None:
    declared = sandbox("incidents", "declare", "--name", "Declared", "--severity", "Minor")
    created = sandbox("incidents", "create", "--name", "Created", "--severity", "Minor")
    assert declared["name"] == "Declared" and created["name"] == "Created"
    listing = invoke("incidents", "--help").stdout
    assert "declare" in listing and " create " not in listing


def test_connection_flags_may_come_before_the_command(invoke: Invoke) -> None:
    before = invoke("--sandbox", "severities", "list", "--json")
    assert before.exit_code == 0 and json.loads(before.stdout)
    assert (
        invoke(
            "--sandbox", "--read-only", "incidents", "declare", "--name", "x", "--severity", "Minor"
        ).exit_code
        == 2
    )
    saved = invoke("setup", "--api-key-stdin", "--no-input", "--no-verify", "--profile", "acme",
                   "--base-url", "http://127.0.0.1:9", input="some-key\n")  # fmt: skip
    assert saved.exit_code == 0
    # --profile before the command picks the profile's base URL (nothing listens on port 9).
    result = invoke("--profile", "acme", "--no-retry", "types", "list")
    assert result.exit_code == 1 and "http://127.0.0.1:9" in result.stderr


def test_h_is_help_and_a_bare_incidentkit_prints_help(invoke: Invoke) -> None:
    short = invoke("incidents", "list", "-h")
    assert short.exit_code == 0 and "incidents list [OPTIONS]" in short.stdout.splitlines()[0]
    bare = invoke()
    assert bare.exit_code == 0 and "Commands:" in bare.stdout


def test_o_chooses_the_format(invoke: Invoke) -> None:
    csv_out = invoke("severities", "list", "--sandbox", "-o", "csv")
    assert csv_out.stdout.splitlines()[0] == "Label,Rank,Name,Description,ID"
    assert json.loads(invoke("severities", "list", "--sandbox", "-o", "json").stdout)
    assert invoke("severities", "list", "--sandbox", "-o", "csv", "--json").exit_code == 2
    assert invoke("severities", "list", "--sandbox", "-o", "yaml").exit_code == 2


def test_csv_is_not_half_written_when_the_first_page_fails(invoke: Invoke, faulty: Any) -> None:
    emulator, server = faulty
    emulator.inject_fault(status=500, path="/v2/incidents", times=10)
    result = invoke("incidents", "list", "--csv", "--api-key", SANDBOX_API_KEY, "--base-url", server.url)
    assert result.exit_code == 1
    assert result.stdout == ""


def test_contradictory_filters_are_refused(invoke: Invoke) -> None:
    both = invoke("incidents", "list", "--sandbox", "--live", "--status-category", "closed")
    assert both.exit_code == 2 and "--live and --status-category closed contradict each other" in both.stderr
    assert (
        invoke("incidents", "list", "--sandbox", "--live", "--status-category", "live", "--json").exit_code
        == 0
    )
    empty = invoke("incidents", "list", "--sandbox", "--since", "1d", "--until", "7d")
    assert empty.exit_code == 2 and "is after --until" in empty.stderr


def test_a_timeline_item_in_the_future_is_refused(invoke: Invoke) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = invoke("timeline", "add", "INC-1", "--title", "Not yet", "--at", later, "--sandbox")
    assert result.exit_code == 2 and "is in the future" in result.stderr
    assert (
        invoke(
            "timeline", "add", "INC-1", "--title", "Just now", "--at", "0m", "--sandbox", "--json"
        ).exit_code
        == 0
    )


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with Store.open(url) as store:
        for webhook_id, event_type in [
            ("msg_public", "public_incident.incident_created_v2"),
            ("msg_private", "private_incident.incident_created_v2"),
            ("msg_updated", "public_incident.incident_updated_v2"),
        ]:
            store.insert_event(webhook_id, b"{}", {}, event_type=event_type)
    return url


def test_events_list_type_matches_the_end_and_refuses_unknown_types(invoke: Invoke, store_url: str) -> None:
    found = json.loads(
        invoke("events", "list", "--store", store_url, "--type", "incident_created_v2", "--json").stdout
    )
    assert {e["webhook_id"] for e in found} == {"msg_public", "msg_private"}
    unknown = invoke("events", "list", "--store", store_url, "--type", "incident_exploded_v2")
    assert unknown.exit_code == 2
    assert "'incident_exploded_v2' is not an incident.io event type" in unknown.stderr
    assert "incident_updated_v2" in unknown.stderr


def test_workflows_list_names_the_missing_directory(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("workflows", "list", "--workflows", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"no workflow directory at {tmp_path / 'nowhere'}" in result.stderr


def test_workflows_validate_reports_problems_after_an_expression_error(
    invoke: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "name: broken\ntrigger:\n  type: manual\nsteps:\n"
        "  - id: one\n    type: slack.post\n    inputs:\n"
        "      channel: '{{ $vars.channel + }}'\n      message: hi\n"
        "  - id: two\n    type: no.such.type\n    if: '{{ 1 + }}'\n"
        "  - id: one\n    type: slack.post\n    inputs:\n"
        "      channel: '#x'\n      message: hi\n      colour: red\n"
    )
    result = invoke("workflows", "validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:8:" in result.stderr and "unknown step type 'no.such.type'" in result.stderr
    assert f"{path}:12:" in result.stderr  # the expression of the step with an unknown type
    assert f"{path}:13:" in result.stderr and "duplicate step id 'one' (first on line 5)" in result.stderr
    assert "unknown input 'colour' for slack.post" in result.stderr
    assert "5 problems in 1 file" in result.stderr


def test_profiles_list_shows_the_keys_last_characters_and_json(invoke: Invoke) -> None:
    invoke(
        "setup",
        "--api-key-stdin",
        "--no-input",
        "--no-verify",
        "--profile",
        "acme",
        input="inc_secret_9f3a\n",
    )
    assert invoke("profiles", "list").stdout.strip() == "* acme  https://api.incident.io  key …9f3a"
    listed = json.loads(invoke("profiles", "list", "--json").stdout)
    assert listed == [
        {"name": "acme", "default": True, "base_url": "https://api.incident.io", "key": "…9f3a"}
    ]
    assert "inc_secret" not in json.dumps(listed)


def test_incidents_show_has_the_lead_custom_fields_and_slack_channel(invoke: Invoke) -> None:
    shown = invoke("incidents", "show", "INC-49", "--sandbox", "--table")
    assert shown.exit_code == 0
    for expected in ("Lead", "Mei Lin", "Custom fields", "Affected service: search", "Slack", "#inc-49-"):
        assert expected in shown.stdout


def test_the_severities_table_shows_the_labels_the_cli_accepts(
    invoke: Invoke, sandbox: Callable[..., Any]
) -> None:
    table = invoke("severities", "list", "--sandbox", "--table").stdout
    rows = [line for line in table.splitlines() if "SEV-" in line]
    assert "SEV-1" in rows[0] and "Critical" in rows[0] and "SEV-3" in rows[2] and "Minor" in rows[2]
    assert (
        sandbox("incidents", "list", "--severity", "SEV-1", "--limit", "1")[0]["severity"]["name"]
        == "Critical"
    )


def test_the_incidents_csv_has_id_and_permalink(invoke: Invoke) -> None:
    lines = invoke("incidents", "list", "--sandbox", "--csv", "--limit", "1").stdout.splitlines()
    assert lines[0] == "Ref,Name,Severity,Status,Category,Created,ID,Link"
    assert "https://app.incident.io/" in lines[1]


def test_times_for_people_are_short_and_relative() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert short_time("2026-12-01T11:59:30Z", now) == "just now"
    assert short_time("2026-12-01T11:15:00Z", now) == "45m ago"
    assert short_time("2026-12-01T08:59:00.123456Z", now) == "3h ago"
    old = short_time("2026-11-02T09:30:00Z", now)
    assert old == datetime(2026, 11, 2, 9, 30, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    assert short_time(None, now) == "" and short_time("not a time", now) == "not a time"


# --- item 18: how the process ends ----------------------------------------------------------------------


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    for name in ("INCIDENT_IO_API_KEY", "INCIDENTIO_API_KEY", "INCIDENT_IO_BASE_URL"):
        env.pop(name, None)
    return env


def test_ctrl_c_while_waiting_exits_130_with_one_line(tmp_path: Path, faulty: Any) -> None:
    emulator, server = faulty
    emulator.inject_fault(status=429, path="/v1/severities", times=10, retry_after=58)
    # The wait is where a person presses Ctrl-C; the injected sleep is that key press.
    script = (
        "import sys\n"
        "from incidentkit.cli import main\n"
        "def interrupted(seconds):\n"
        "    raise KeyboardInterrupt\n"
        "main(sys.argv[1:], obj={'sleep': interrupted})\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "severities", "list", "--api-key", SANDBOX_API_KEY,
                           "--base-url", server.url], capture_output=True, text=True, env=cli_env(tmp_path),
                          timeout=60)  # fmt: skip
    assert done.returncode == 130
    assert done.stderr.strip() == "Interrupted."


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    command = [sys.executable, "-m", "incidentkit", "incidents", "list", "--sandbox", "--all", "--jsonl"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline())  # like `| head -1`
    process.stdout.close()
    errors = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 141
    assert errors == ""


def test_the_status_column_is_coloured_on_a_terminal_only() -> None:
    import io

    from rich.console import Console

    from incidentkit.cli import output
    from incidentkit.cli.incidents_cmd import INCIDENT_COLUMNS

    incident = {"reference": "INC-1", "name": "x", "severity": {"name": "Critical", "rank": 2},
                "incident_status": {"name": "Investigating", "category": "live"}}  # fmt: skip
    cells = [output._cell(c, incident) for c in INCIDENT_COLUMNS]
    styles = {c.header: str(cell.style) for c, cell in zip(INCIDENT_COLUMNS, cells, strict=True)}
    assert styles["Severity"] == "bold red" and styles["Status"] == "bold red"
    screen = io.StringIO()
    Console(file=screen, force_terminal=True).print(cells[3])
    assert "\x1b[" in screen.getvalue()
    plain = io.StringIO()
    Console(file=plain, force_terminal=False).print(cells[3])
    assert "\x1b[" not in plain.getvalue()


def test_the_readme_documents_the_decisions() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for phrase in ("sandbox-state.json", "incidentkit emulator reset", "exit 130", "/v3/follow_ups",
                   "IncidentChange", "--max-wait", "incidents declare"):  # fmt: skip
        assert phrase in readme, phrase
    assert '"/v2/follow_ups"' not in readme


def test_httpx_invalid_url_never_escapes_the_client() -> None:
    from incidentkit.api import Client, IncidentIOError

    for url in ("http://localhost:abc", "http://[::1"):
        with pytest.raises(IncidentIOError):
            Client("k", base_url=url)
        with pytest.raises(IncidentIOError):
            Client("k", base_url=url, transport=httpx2.MockTransport(lambda request: httpx2.Response(200)))


def test_a_dry_run_with_a_bad_base_url_says_so_instead_of_running_keyless(
    invoke: Invoke, tmp_path: Path
) -> None:
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "hello.yaml").write_text("- id: hello\n  type: log\n  message: hi\n")
    result = invoke("workflows", "run", "hello", "--dry-run", "--workflows", str(tmp_path / "wf"),
                    "--store", f"sqlite:///{tmp_path / 'runs.db'}", "--api-key", "k",
                    "--base-url", "https://api.incident.io/v2")  # fmt: skip
    assert result.exit_code == 2
    assert "invalid --base-url 'https://api.incident.io/v2'" in result.stderr
