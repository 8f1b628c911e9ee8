"""The CLI refuses a dashboard URL of another organisation than the key's, and changes nothing."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke

OTHER = "https://app.incident.io/some-other-org/incidents/1"


def test_close_with_another_organisations_url_is_refused(invoke: Invoke) -> None:
    before = json.loads(invoke("incidents", "show", "INC-1", "--sandbox", "--json").stdout)
    result = invoke("incidents", "close", OTHER, "--sandbox")
    assert result.exit_code == 2
    assert "'some-other-org'" in result.stderr and "'sandbox'" in result.stderr
    after = json.loads(invoke("incidents", "show", "INC-1", "--sandbox", "--json").stdout)
    assert after["incident_status"] == before["incident_status"]


def test_a_url_of_the_keys_organisation_is_accepted(invoke: Invoke) -> None:
    result = invoke("incidents", "show", "https://app.incident.io/sandbox/incidents/1", "--sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reference"] == "INC-1"


def test_every_command_taking_a_ref_refuses_it(invoke: Invoke) -> None:
    for args in (
        ("incidents", "show", OTHER),
        ("incidents", "acknowledge", OTHER),
        ("updates", "post", OTHER, "hello"),
        ("timeline", "list", OTHER),
    ):
        result = invoke(*args, "--sandbox")
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "some-other-org" in result.stderr, args
