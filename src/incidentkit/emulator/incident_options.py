"""The incident create and edit fields beyond status, severity, custom fields and roles.

``incident_timestamp_values`` (set or clear the incident's timestamps), ``slack_channel_name_override``
and, on create, ``retrospective_incident_options`` (the reference to import under, the post-mortem
document's URL and the existing Slack channel of a retrospective incident). Each is checked first,
naming the field at fault the way the API does, and applied once the whole payload is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid
from incidentkit.emulator.postmortems import attach_external
from incidentkit.emulator.records import SLACK_TEAM_ID
from incidentkit.emulator.state import Record
from incidentkit.emulator.validators import lookup, string_field, timestamp_field

# Slack's rule for channel names: lower case letters, digits, hyphens and underscores, at most 80.
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


def parse_timestamp_values(call: Call, values: Any, prefix: str) -> dict[str, str | None]:
    """``incident_timestamp_values``: timestamp id -> its new value (``None`` clears it)."""
    name = prefix + "incident_timestamp_values"
    if not isinstance(values, list):
        raise invalid(name, f"{name} must be a list")
    parsed: dict[str, str | None] = {}
    for index, entry in enumerate(values):
        where = f"{name}[{index}]"
        if not isinstance(entry, dict):
            raise invalid(where, f"{where} must be an object")
        timestamp_id = string_field(entry, "incident_timestamp_id", prefix=where + ".", needed=True)
        lookup(
            call.state.incident_timestamps,
            timestamp_id,
            f"{where}.incident_timestamp_id",
            "incident timestamp",
        )
        assert timestamp_id is not None
        value = entry.get("value")
        parsed[timestamp_id] = None if value is None else timestamp_field(value, f"{where}.value")
    return parsed


def set_timestamp_values(incident: Record, values: dict[str, str | None]) -> None:
    """Give the incident's timestamps these values; ``None`` leaves a timestamp without one."""
    for entry in incident["incident_timestamp_values"]:
        timestamp_id = entry["incident_timestamp"]["id"]
        if timestamp_id not in values:
            continue
        value = values[timestamp_id]
        if value is None:
            entry.pop("value", None)
        else:
            entry["value"] = {"value": value}


def channel_name_field(body: dict[str, Any], prefix: str) -> str | None:
    """``slack_channel_name_override``, if given, checked against Slack's rule for channel names."""
    name = string_field(body, "slack_channel_name_override", prefix=prefix)
    if name is not None and not _CHANNEL_NAME.match(name):
        raise invalid(
            prefix + "slack_channel_name_override",
            "A Slack channel name may hold only lower case letters, digits, hyphens and underscores, "
            f"at most 80 of them, not {name!r}",
        )
    return name


@dataclass(frozen=True)
class RetrospectiveOptions:
    """What ``retrospective_incident_options`` asks for."""

    external_id: int | None = None
    postmortem_document_url: str | None = None
    slack_channel_id: str | None = None


def parse_retrospective_options(call: Call, body: dict[str, Any], mode: str) -> RetrospectiveOptions | None:
    """``retrospective_incident_options``: only for a retrospective incident; a reference must be free."""
    raw = body.get("retrospective_incident_options")
    name = "retrospective_incident_options"
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid(name, f"{name} must be an object")
    if mode != "retrospective":
        raise invalid(name, f"{name} may only be given when mode is retrospective, not {mode}")
    external_id = raw.get("external_id")
    if external_id is not None:
        if not isinstance(external_id, int) or isinstance(external_id, bool) or external_id < 1:
            raise invalid(f"{name}.external_id", f"{name}.external_id must be a positive integer")
        reference = f"INC-{external_id}"
        if any(incident["reference"] == reference for incident in call.state.incidents.values()):
            raise invalid(f"{name}.external_id", f"{reference} is already taken", code="conflict")
    url = string_field(raw, "postmortem_document_url", prefix=name + ".")
    if url is not None and not url.startswith(("https://", "http://")):
        raise invalid(
            f"{name}.postmortem_document_url", f"{name}.postmortem_document_url must be a URL, not {url!r}"
        )
    channel = string_field(raw, "slack_channel_id", prefix=name + ".")
    if channel is not None and not channel.strip():
        raise invalid(f"{name}.slack_channel_id", f"{name}.slack_channel_id must not be blank")
    return RetrospectiveOptions(external_id, url, channel)


def apply_retrospective(call: Call, incident: Record, options: RetrospectiveOptions) -> None:
    """Renumber the new incident, link its post-mortem, and put it in its existing Slack channel.

    A retrospective incident gets no Slack channel of its own: without ``slack_channel_id`` it
    has none (an empty ``slack_channel_id``, as the API gives).
    """
    state = call.state
    if options.external_id is not None:
        number = options.external_id
        incident["reference"] = f"INC-{number}"
        incident["permalink"] = f"https://app.incident.io/{state.organisation_slug}/incidents/{number}"
        # Later incidents are numbered after it, so no reference is ever given twice.
        state.next_reference = max(state.next_reference, number + 1)
    if options.postmortem_document_url is not None:
        attach_external(state, incident, options.postmortem_document_url, now=call.now, rng=call.rng)
    _use_channel(incident, options.slack_channel_id)


def _use_channel(incident: Record, channel_id: str | None) -> None:
    incident.pop("slack_channel_name", None)
    incident.pop("slack_channel_url", None)
    incident["slack_channel_id"] = channel_id or ""
    if channel_id:
        incident["slack_channel_url"] = (
            f"https://slack.com/app_redirect?channel={channel_id}&team={SLACK_TEAM_ID}"
        )
