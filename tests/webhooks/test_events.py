"""Parsing webhook bodies into typed events: every schema event type, unknown types, and garbage."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from incidentkit.webhooks.events import (
    EVENT_RULES,
    EventParseError,
    WebhookEvent,
    event_types,
    parse_event,
)

RECEIVED = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
EXAMPLES = event_types()


def parse(document: object) -> WebhookEvent:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_event(body, webhook_id="msg_1", received_at=RECEIVED)


def test_the_catalogue_holds_the_34_schema_event_types_and_every_one_has_a_rule() -> None:
    assert len(EXAMPLES) == 34
    assert set(EXAMPLES) == set(EVENT_RULES)
    assert all(info.schema.startswith("Webhooks") for info in EXAMPLES.values())


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_schema_event_type_parses_from_its_own_example(event_type: str) -> None:
    example = EXAMPLES[event_type].example
    event = parse(example)
    assert event.known
    assert event.event_type == event_type
    assert event.id == "msg_1" and event.received_at == RECEIVED
    assert event.data == example[event_type]
    assert event.private == event_type.startswith("private_")
    assert event.subject_kind == EVENT_RULES[event_type].subject_kind
    assert isinstance(event.subject_id, str) and event.subject_id


def test_a_public_incident_event_names_the_incident_and_when() -> None:
    example = EXAMPLES["public_incident.incident_updated_v2"].example
    event = parse(example)
    payload = example["public_incident.incident_updated_v2"]
    assert (event.subject_kind, event.subject_id, event.incident_id) == (
        "incident",
        payload["id"],
        payload["id"],
    )
    assert event.occurred_at == datetime.fromisoformat(payload["updated_at"].replace("Z", "+00:00"))


def test_a_status_change_takes_the_incident_from_inside_the_payload() -> None:
    event = parse(EXAMPLES["public_incident.incident_status_updated_v2"].example)
    assert event.subject_kind == "incident"
    assert event.subject_id == event.incident_id == event.data["incident"]["id"]
    assert event.data["new_status"]["name"] == "Closed"


def test_a_private_incident_carries_only_its_id() -> None:
    event = parse(
        {
            "event_type": "private_incident.incident_created_v2",
            "private_incident.incident_created_v2": {"id": "01H"},
        }
    )
    assert event.private and event.subject_kind == "incident"
    assert (event.subject_id, event.incident_id, event.occurred_at) == ("01H", "01H", None)
    assert event.data == {"id": "01H"}


@pytest.mark.parametrize(
    ("event_type", "kind", "incident_id"),
    [
        ("public_incident.follow_up_created_v2", "follow_up", "01FCNDV6P870EA6S7TK1DSYDG0"),
        ("public_incident.action_updated_v1", "action", "01FCNDV6P870EA6S7TK1DSYDG0"),
        ("private_incident.membership_granted_v1", "incident_membership", "abc123"),
        ("public_alert.alert_resolved_v1", "alert", None),
        ("public_escalation.escalation_status_updated_v1", "escalation", None),
        ("schedule.shift_change_v1", "schedule", None),
        ("status_page_incident.update_shared_v1", "status_page_incident", None),
    ],
)
def test_subjects_of_other_kinds(event_type: str, kind: str, incident_id: str | None) -> None:
    event = parse(EXAMPLES[event_type].example)
    assert (event.subject_kind, event.incident_id) == (kind, incident_id)


def test_an_alert_resolution_happened_when_the_alert_resolved() -> None:
    example = EXAMPLES["public_alert.alert_resolved_v1"].example
    assert parse(example).occurred_at == datetime(2021, 8, 17, 14, 28, 57, 801578, tzinfo=UTC)


@pytest.mark.parametrize("updated_at", ["last tuesday", 17, "2026-11-24T06:00:00"])
def test_an_odd_timestamp_costs_only_occurred_at(updated_at: object) -> None:
    event = parse(
        {
            "event_type": "public_incident.incident_updated_v2",
            "public_incident.incident_updated_v2": {"id": "i", "updated_at": updated_at},
        }
    )
    assert event.occurred_at is None
    assert event.data["updated_at"] == updated_at


def test_unknown_fields_are_kept_in_the_payload() -> None:
    example = json.loads(json.dumps(EXAMPLES["public_incident.incident_created_v2"].example))
    example["public_incident.incident_created_v2"]["brand_new_field"] = {"x": 1}
    example["envelope_extra"] = True
    assert parse(example).data["brand_new_field"] == {"x": 1}


def test_an_unknown_event_type_is_kept_with_a_best_guess_subject() -> None:
    event = parse(
        {"event_type": "private_catalog.entry_created_v9", "private_catalog.entry_created_v9": {"id": "e1"}}
    )
    assert not event.known
    assert (event.private, event.subject_kind, event.subject_id) == (True, "catalog", "e1")


def test_an_unknown_event_type_outside_the_usual_envelope_loses_nothing() -> None:
    event = parse({"event_type": "workflow.ran_v1", "run": {"id": "r1"}, "at": 3})
    assert not event.known and event.subject_id is None
    assert event.data == {"run": {"id": "r1"}, "at": 3}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON: Expecting value at line 1 column 1"),
        (b'{"event_type": ', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object, not an array"),
        (b'"text"', "must be a JSON object, not a string"),
        (b"{}", "event_type: the body has no event_type"),
        (b'{"event_type": 3}', "event_type: event_type must be a non-empty string, not a number"),
        (b'{"event_type": ""}', "non-empty string"),
        (
            b'{"event_type": "public_incident.incident_created_v2"}',
            "public_incident.incident_created_v2: the payload under the event type is missing",
        ),
        (
            b'{"event_type": "public_incident.incident_created_v2",'
            b' "public_incident.incident_created_v2": []}',
            "is an array, not an object",
        ),
        (
            b'{"event_type": "private_incident.incident_created_v2",'
            b' "private_incident.incident_created_v2": {}}',
            "private_incident.incident_created_v2.id: is missing",
        ),
        (
            b'{"event_type": "public_incident.incident_status_updated_v2",'
            b' "public_incident.incident_status_updated_v2": {"incident": {"id": 7}}}',
            "public_incident.incident_status_updated_v2.incident.id: is a number, not a non-empty string",
        ),
    ],
)
def test_garbage_is_refused_with_the_reason(body: bytes, message: str) -> None:
    with pytest.raises(EventParseError) as caught:
        parse(body)
    assert message in str(caught.value)


def test_the_parse_error_names_the_field() -> None:
    with pytest.raises(EventParseError) as caught:
        parse({"event_type": "private_alert.alert_created_v1", "private_alert.alert_created_v1": {"id": ""}})
    assert caught.value.field == "private_alert.alert_created_v1.id"
    assert "non-empty string" in caught.value.reason


def test_events_are_immutable_and_round_trip_through_json() -> None:
    event = parse(EXAMPLES["schedule.created_v1"].example)
    assert WebhookEvent.model_validate_json(event.model_dump_json()) == event
    with pytest.raises(ValueError, match="frozen"):
        event.event_type = "x"  # type: ignore[misc]
