"""The one incident view: flat fields, the team and the affected services, read tolerantly."""

from __future__ import annotations

from typing import Any

from incidentkit.api.view import incident_view


def entry(field_id: str, name: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {
        "custom_field": {"id": field_id, "name": name, "field_type": "single_select"},
        "values": list(values),
    }


INCIDENT: dict[str, Any] = {
    "id": "01INC",
    "reference": "INC-7",
    "name": "Checkout is down",
    "incident_status": {"id": "01ST", "name": "Investigating", "category": "live"},
    "severity": {"id": "01SEV", "name": "Major", "rank": 2},
    "creator": {"user": {"id": "01U", "name": "Rob"}},
    "team_ids": ["01TEAMOPS"],
    "custom_field_entries": [
        entry("01TF", "Team", {"value_option": {"id": "01OPT", "value": "Payments"}}),
        entry(
            "01SF",
            "Affected services",
            {"value_catalog_entry": {"id": "01CAT", "name": "checkout-api", "external_id": "svc-1"}},
            {"value_text": "ledger"},
        ),
    ],
}


def test_the_flat_fields() -> None:
    fields = incident_view(INCIDENT).fields()
    assert fields["incident_id"] == "01INC" and fields["title"] == fields["name"] == "Checkout is down"
    assert (fields["status"], fields["status_category"]) == ("Investigating", "live")
    assert (fields["severity"], fields["severity_rank"], fields["reporter"]) == ("Major", 2, "Rob")
    assert fields["team"] == "Payments" and fields["services"] == ["checkout-api", "ledger"]
    assert fields["incident"] == INCIDENT


def test_the_team_field_is_named_by_id_or_by_name_in_any_case() -> None:
    for team_field in ("team", "TEAM", "01TF", None):
        assert incident_view(INCIDENT, team_field=team_field).team == "Payments", team_field
    assert incident_view(INCIDENT, team_field="Squad").team is None


def test_a_team_matches_by_team_ids_option_id_or_name_in_any_case() -> None:
    view = incident_view(INCIDENT)
    assert all(view.belongs_to_team(team) for team in ("payments", "PAYMENTS", "01OPT", "01TEAMOPS"))
    assert not view.belongs_to_team("Identity")


def test_a_partial_payload_reads_as_nones() -> None:
    fields = incident_view({"id": "01INC"}).fields()
    assert fields["status"] is None and fields["team"] is None and fields["services"] == []
