"""Seeded organisations: ``empty``, ``default`` (incident.io's configuration) and ``demo`` (plus history).

The configuration comes from incident.io's own integration-test account (see ``data/SOURCE.md``):
its severities, its statuses across every category, the incident type, roles, custom fields and
incident timestamps of its one real incident. ``demo`` adds months of incidents across several
services, generated from a fixed random seed so every run sees the same history.
"""

from __future__ import annotations

import json
import random
from importlib import resources
from typing import Any

from incidentkit.emulator.alert_seed import add_monitoring
from incidentkit.emulator.catalog_seed import add_catalog, affected_services
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.records import (
    embedded_type,
    embedded_user,
    new_incident,
    new_timeline_item,
    new_update,
    stamp_timestamps,
    strip_nulls,
    user_actor,
)
from incidentkit.emulator.relationships import relate_by_service
from incidentkit.emulator.seed_oncall import add_on_call
from incidentkit.emulator.state import OrgState, Record

SEEDS = ("default", "demo", "empty")

CONFIGURED_AT = 1698139642.0  # 2023-10-24T09:27:22Z, when the fixture organisation was set up

SERVICES = [
    "api-gateway",
    "auth-service",
    "checkout-web",
    "data-pipeline",
    "notifications",
    "payments-api",
    "search",
]
TEAMS = ["Platform", "Payments", "Identity", "Growth"]

# The seeded HTTP alert source, "Monitoring", and the alert route that turns its alerts into
# incidents: fixed and documented, like the sandbox API key, so scripts and demos can send alerts
# (POST /v2/alert_events/http/MONITORING_SOURCE_ID?token=MONITORING_SOURCE_TOKEN).
MONITORING_SOURCE_ID = "01HDGG564GPB0T1WV9MMHH2ZZP"
MONITORING_SOURCE_TOKEN = "incidentkit-monitoring-token"
MONITORING_ROUTE_ID = "01HDGG564GQ1K4H5YTM8EK10RG"


def _data(name: str) -> Any:
    return json.loads(resources.files("incidentkit.emulator").joinpath("data", name).read_text())


def build_state(seed: str, *, now: float) -> OrgState:
    """A fresh organisation for ``seed``; ``now`` anchors the demo history."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}: choose one of {', '.join(SEEDS)}")
    state = OrgState()
    if seed == "empty":
        return state
    _configure(state)
    add_on_call(state)
    _add_fixture_incident(state)
    add_monitoring(
        state, source_id=MONITORING_SOURCE_ID, token=MONITORING_SOURCE_TOKEN, route_id=MONITORING_ROUTE_ID
    )
    if seed == "demo":
        _add_demo_history(state, now=now, rng=random.Random("incidentkit-demo"))
        relate_by_service(state, now=now)
    return state


def _user(rng: random.Random, name: str, email: str, role: str, slack_user_id: str | None = None) -> Record:
    base_role = {"id": new_ulid(CONFIGURED_AT, rng), "name": role.title(), "slug": role}
    user: Record = {
        "id": new_ulid(CONFIGURED_AT, rng),
        "name": name,
        "email": email,
        "role": role,
        "base_role": base_role,
        "custom_roles": [],
        "seats": {"on_call": "full_access", "response": "full_access"},
        "is_active": True,
    }
    if slack_user_id:
        user["slack_user_id"] = slack_user_id
    return user


def _configure(state: OrgState) -> None:
    rng = random.Random("incidentkit-default")
    fixture = strip_nulls(_data("incidents.json")[0])
    state.severities = sorted(strip_nulls(_data("severities.json")), key=lambda s: -s["rank"])
    state.incident_statuses = sorted(strip_nulls(_data("incident_statuses.json")), key=lambda s: s["rank"])
    configured = rfc3339(CONFIGURED_AT)

    default_type = {**fixture["incident_type"], "owning_team_ids": []}
    security_type = {
        **default_type,
        "id": new_ulid(CONFIGURED_AT, rng),
        "name": "Security",
        "description": "Suspected or confirmed security incidents. Always private.",
        "is_default": False,
        "create_in_triage": "always",
        "private_incidents_only": True,
        "created_at": configured,
        "updated_at": configured,
    }
    state.incident_types = [default_type, security_type]

    roles = [
        {k: v for k, v in entry["role"].items() if k != "required"}
        for entry in fixture["incident_role_assignments"]
    ]
    roles.append(
        {
            "id": new_ulid(CONFIGURED_AT, rng),
            "name": "Communications Lead",
            "shortform": "comms",
            "description": "Keeps customers and stakeholders informed.",
            "instructions": "Post a status page update at least every 30 minutes.",
            "role_type": "custom",
            "created_at": configured,
            "updated_at": configured,
        }
    )
    state.incident_roles = roles

    fixture_fields = [entry["custom_field"] for entry in fixture["custom_field_entries"]]
    for info in fixture_fields:
        state.custom_fields.append(
            _custom_field(info["id"], info["name"], info["description"], info["field_type"])
        )
        state.custom_field_options[info["id"]] = info["options"]
    teams_field = state.custom_fields[1]["id"]
    state.custom_field_options[teams_field] = _options(teams_field, TEAMS, rng)
    service_field = new_ulid(CONFIGURED_AT, rng)
    state.custom_fields.append(
        _custom_field(
            service_field, "Affected service", "The service where the problem showed.", "single_select"
        )
    )
    state.custom_field_options[service_field] = _options(service_field, SERVICES, rng)

    state.incident_timestamps = [
        entry["incident_timestamp"] for entry in fixture["incident_timestamp_values"]
    ]

    rob = {**fixture["creator"]["user"], "role": "owner"}
    state.users = [
        {
            **rob,
            "base_role": {"id": new_ulid(CONFIGURED_AT, rng), "name": "Owner", "slug": "owner"},
            "custom_roles": [],
            "seats": {"on_call": "full_access", "response": "full_access"},
            "is_active": True,
        },
        _user(rng, "Priya Shah", "priya@example.com", "administrator", "U062HDG5PRY"),
        _user(rng, "Tomás García", "tomas@example.com", "responder", "U062HDG5TGA"),
        _user(rng, "Mei Lin", "mei@example.com", "responder", "U062HDG5MLN"),
        _user(rng, "Sam Okafor", "sam@example.com", "viewer"),
    ]
    add_catalog(state, at=CONFIGURED_AT)


def _custom_field(field_id: str, name: str, description: str, field_type: str) -> Record:
    configured = rfc3339(CONFIGURED_AT)
    return {
        "id": field_id,
        "name": name,
        "description": description,
        "field_type": field_type,
        "created_at": configured,
        "updated_at": configured,
    }


def _options(field_id: str, values: list[str], rng: random.Random) -> list[Record]:
    return [
        {"id": new_ulid(CONFIGURED_AT, rng), "custom_field_id": field_id, "sort_key": index, "value": value}
        for index, value in enumerate(values)
    ]


def _add_fixture_incident(state: OrgState) -> None:
    """The real incident from the fixture, with the fields the current schema requires added."""
    fixture = strip_nulls(_data("incidents.json")[0])
    users = {user["id"]: user for user in state.users}

    def fix_actor(actor: Record) -> Record:
        return {"user": embedded_user(users[actor["user"]["id"]])} if "user" in actor else actor

    incident = {key: value for key, value in fixture.items() if key not in ("attachments", "updates")}
    incident["creator"] = fix_actor(incident["creator"])
    for entry in incident["incident_role_assignments"]:
        entry["assignee"] = embedded_user(users[entry["assignee"]["id"]])
    incident["incident_type"] = embedded_type(incident["incident_type"])
    incident["permalink"] = f"https://app.incident.io/{state.organisation_slug}/incidents/1"
    incident["team_ids"] = []
    incident["last_activity_at"] = incident["updated_at"]
    state.incidents[incident["id"]] = incident
    for update in strip_nulls(_data("incident_updates.json")):
        update["updater"] = fix_actor(update["updater"])
        state.incident_updates.append(update)
    state.next_reference = 2


# What went wrong, by service; {service} is filled in.
_PROBLEMS = [
    ("Elevated 5xx errors on {service}", "Error rate on {service} above 5% for ten minutes."),
    ("{service} p99 latency above SLO", "p99 latency of {service} is above 2 seconds."),
    ("Database connection pool exhausted on {service}", "{service} cannot get connections from its pool."),
    ("Queue backlog growing in {service}", "Messages for {service} are waiting longer than 15 minutes."),
    (
        "TLS certificate about to expire for {service}",
        "The certificate of {service} expires within 48 hours.",
    ),
    ("Failed deploy of {service}", "The last deploy of {service} failed health checks and was rolled back."),
    ("Memory leak in {service}", "{service} pods are being OOM-killed every few hours."),
]


def _add_demo_history(state: OrgState, *, now: float, rng: random.Random) -> None:
    """About four months of incidents; the last few are still open."""
    statuses = {status["name"]: status for status in state.incident_statuses}
    by_category: dict[str, list[Record]] = {}
    for status in state.incident_statuses:
        by_category.setdefault(status["category"], []).append(status)
    service_field = state.custom_fields[-1]
    service_options = state.custom_field_options[service_field["id"]]
    impact_field = state.custom_fields[0]
    impact_options = state.custom_field_options[impact_field["id"]]
    lead_role = state.incident_roles[0]
    responders = state.users[:4]
    severity_weights = [1, 3, 6]  # Critical, Major, Minor: most incidents are minor
    count = 48
    for index in range(count):
        age_days = (count - index) * 2.5 + rng.random()
        created = now - age_days * 86400
        service = rng.choice(service_options)
        title, summary = rng.choice(_PROBLEMS)
        severity = rng.choices(state.severities, weights=severity_weights)[0]
        open_ = index >= count - 4
        if open_:
            status = [
                statuses["Triage"],
                statuses["Investigating"],
                statuses["Fixing"],
                statuses["Monitoring"],
            ][index - (count - 4)]
        elif index >= count - 8:
            status = rng.choice(by_category["learning"])
        else:
            status = rng.choices(
                [statuses["Closed"], statuses["Declined"], statuses["Canceled"]], weights=[18, 1, 1]
            )[0]
        mode = "retrospective" if index % 17 == 5 else "test" if index % 23 == 7 else "standard"
        lead = rng.choice(responders)
        incident = new_incident(
            state,
            now=created,
            rng=rng,
            creator=user_actor(lead),
            name=title.format(service=service["value"]),
            summary=summary.format(service=service["value"]),
            status=statuses["Investigating"] if status["category"] != "triage" else status,
            severity=severity if status["category"] != "triage" else None,
            incident_type=state.incident_types[0],
            mode=mode,
            custom_values={
                service_field["id"]: [{"value_option": service}],
                impact_field["id"]: [{"value_option": rng.choice(impact_options)}],
                **affected_services(state, service["value"], index),
            },
            role_assignments=[(lead_role, lead)],
        )
        state.incidents[incident["id"]] = incident
        state.incident_updates.append(new_update(incident, now=created, rng=rng, updater=user_actor(lead)))
        _play_history(state, incident, status, lead, created, rng, open_=open_, now=now)


def _play_history(
    state: OrgState,
    incident: Record,
    final_status: Record,
    lead: Record,
    created: float,
    rng: random.Random,
    *,
    open_: bool,
    now: float,
) -> None:
    """Updates and timeline items from declaration to the incident's final status."""
    actor = user_actor(lead)
    moment = created
    steps = ["Identified the cause", "Mitigation deployed", "Monitoring recovery"]
    for step in steps[: rng.randint(1, 3)]:
        moment += rng.uniform(600, 2400)
        if moment >= now:
            break
        item = new_timeline_item(
            incident["id"], now=moment, rng=rng, creator=actor, title=step, timestamp=rfc3339(moment)
        )
        state.timeline_items[item["id"]] = item
    if final_status["id"] != incident["incident_status"]["id"]:
        moment = min(moment + rng.uniform(600, 7200), now - 60 if open_ else moment + 7200)
        incident["incident_status"] = dict(final_status)
        stamp_timestamps(state, incident, moment)
        state.incident_updates.append(
            new_update(
                incident, now=moment, rng=rng, updater=actor, message=f"Moved to {final_status['name']}."
            )
        )
    stamped = rfc3339(max(moment, created))
    incident["updated_at"] = incident["last_activity_at"] = stamped


MAX_GENERATED = 100_000


def add_generated_incidents(state: OrgState, count: int, *, now: float, rng: random.Random) -> int:
    """Add ``count`` plain incidents, one a minute apart before ``now``, for load tests and benchmarks.

    They use the organisation's configuration (severities, statuses, the default type), so the
    organisation must have one: seed ``default`` or ``demo``, not ``empty``.

    Raises:
        ValueError: ``count`` is out of range, or the organisation has no configuration.
    """
    if not 1 <= count <= MAX_GENERATED:
        raise ValueError(f"count must be between 1 and {MAX_GENERATED}, not {count}")
    if not (state.severities and state.incident_statuses and state.incident_types and state.users):
        raise ValueError("the organisation has no severities or statuses: reset it with seed default or demo")
    live = [s for s in state.incident_statuses if s["category"] == "live"]
    closed = [s for s in state.incident_statuses if s["category"] == "closed"]
    creators = [user_actor(user) for user in state.users[:4]]
    for index in range(count):
        created = now - (count - index) * 60
        service = SERVICES[index % len(SERVICES)]
        title, summary = _PROBLEMS[index % len(_PROBLEMS)]
        incident = new_incident(
            state,
            now=created,
            rng=rng,
            creator=creators[index % len(creators)],
            name=title.format(service=service),
            summary=summary.format(service=service),
            status=(closed or live)[0] if index % 10 else (live or closed)[0],
            severity=state.severities[index % len(state.severities)],
            incident_type=state.incident_types[0],
        )
        state.incidents[incident["id"]] = incident
    return count
