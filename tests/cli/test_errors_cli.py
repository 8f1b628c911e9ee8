"""A bug is a bug: bad input exits 2, a failure 1, and a bug 1 with one line and its traceback in the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from incidentkit.api.errors import InvalidArgumentError, NotFoundError, UnknownNameError
from incidentkit.api.resources import Severities
from incidentkit.cli.errors import API_ERROR, BUG, BUG_LOG, USAGE_ERROR, explain
from incidentkit.config_file import ConfigFileError
from incidentkit.credentials import CredentialStoreError
from incidentkit.store.errors import RunNotFoundError, StoreURLError
from incidentkit.workflows.config import ConfigError
from tests.cli.conftest import Invoke

SECRET = "inc_live_do_not_print_me_0123456789"


def raise_a_bug(*_: Any, **__: Any) -> Any:
    raise ValueError("the list came back upside down")


@pytest.fixture
def buggy_severities(monkeypatch: pytest.MonkeyPatch) -> None:
    """`severities list` hits a plain ValueError, as a bug in the code would raise one."""
    monkeypatch.setattr(Severities, "list", raise_a_bug)


@pytest.mark.usefixtures("buggy_severities")
def test_a_plain_value_error_is_a_bug_in_one_line_with_the_traceback_in_the_log(
    invoke: Invoke, isolated_dirs: Path
) -> None:
    result = invoke("severities", "list", "--sandbox")
    assert result.exit_code == BUG == 1
    log = isolated_dirs / "data" / "incidentkit" / BUG_LOG
    assert result.stderr.splitlines() == [
        f"incidentkit hit a bug: ValueError: the list came back upside down; details in {log}"
    ]
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    written = log.read_text(encoding="utf-8")
    assert " ERROR incidentkit.cli.bugs: incidentkit " in written
    assert "Traceback (most recent call last)" in written
    assert "ValueError: the list came back upside down" in written


@pytest.mark.usefixtures("buggy_severities")
def test_a_bug_report_holds_no_key_given_on_the_command_line(invoke: Invoke, isolated_dirs: Path) -> None:
    result = invoke("severities", "list", "--api-key", SECRET, "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == BUG
    assert "incidentkit hit a bug: ValueError" in result.stderr
    written = (isolated_dirs / "data" / "incidentkit" / BUG_LOG).read_text(encoding="utf-8")
    assert SECRET not in result.output and SECRET not in written


@pytest.mark.usefixtures("buggy_severities")
def test_without_a_writable_data_directory_the_traceback_goes_to_stderr(
    invoke: Invoke, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_directory = isolated_dirs / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(not_a_directory))
    result = invoke("severities", "list", "--api-key", SECRET, "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == BUG
    assert "Traceback (most recent call last)" in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.splitlines()[-1] == (
        "incidentkit hit a bug: ValueError: the list came back upside down; details in the lines above"
    )
    assert SECRET not in result.output


def test_bad_input_still_exits_2(invoke: Invoke) -> None:
    unknown = invoke("incidents", "create", "--name", "x", "--severity", "Catastrophic", "--sandbox")
    assert unknown.exit_code == USAGE_ERROR == 2
    assert unknown.stderr.startswith("Error: unknown severity 'Catastrophic'")
    usage = invoke("incidents", "list", "--since", "yesterday-ish", "--sandbox")  # click's own
    assert usage.exit_code == USAGE_ERROR


def test_a_config_file_of_the_wrong_shape_is_bad_input(
    invoke: Invoke, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = isolated_dirs / "config.toml"
    config.write_text("[webhooks]\nsecrets = 42\n")
    monkeypatch.setenv("INCIDENTKIT_CONFIG", str(config))
    result = invoke("webhooks", "secret")
    assert result.exit_code == USAGE_ERROR
    assert "[webhooks] secrets must be a list" in result.stderr and "hit a bug" not in result.stderr


@pytest.mark.parametrize(
    "error",
    [
        UnknownNameError("severity", "Catastrophic", ["Critical"]),
        InvalidArgumentError("nothing to edit"),
        CredentialStoreError("the key file is locked"),
        ConfigFileError("cannot read the configuration config.toml"),
        ConfigError("config.toml: [engine] workers must be a positive number"),
        StoreURLError("not a store URL"),
    ],
    ids=type,
)
def test_the_packages_input_errors_are_usage_errors(error: Exception) -> None:
    assert explain(error) == (str(error), USAGE_ERROR)


def test_the_packages_other_errors_are_failures_with_their_message() -> None:
    assert explain(RunNotFoundError("no run run_1")) == ("no run run_1", API_ERROR)
    missing = NotFoundError(
        status=404, type="not_found", request_id=None, errors=[], method="GET", path="/v2/incidents/1"
    )
    assert explain(missing) is not None and explain(missing)[1] == API_ERROR  # type: ignore[index]


@pytest.mark.parametrize("error", [ValueError("bad"), KeyError("id"), TypeError("None"), RuntimeError()])
def test_anything_else_is_a_bug(error: Exception) -> None:
    assert explain(error) is None
