"""Typed models of the on-call objects: schedules, their entries and overrides, escalation paths, escalations.

They follow the official schema (``ScheduleV2``, ``ScheduleEntryV2``, ``EscalationV2``, ...) and are
tolerant in the same way as :mod:`incidentkit.api.models`: unknown fields are kept, enum-like
fields are plain strings, and only the fields every object has are required.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime

from incidentkit.api.models import APIModel, User

# --- schedules -------------------------------------------------------------------------------


class ScheduleEntry(APIModel):
    """One shift (``ScheduleEntryV2``): who is on call from ``start_at`` until ``end_at``, on a rotation."""

    start_at: AwareDatetime
    end_at: AwareDatetime
    user: User | None = None
    rotation_id: str | None = None
    entry_id: str | None = None
    fingerprint: str | None = None

    def covers(self, moment: datetime) -> bool:
        """Whether the shift is on at ``moment`` (an aware datetime)."""
        return self.start_at <= moment < self.end_at


class ScheduleLayer(APIModel):
    """A layer of a rotation: each layer has one person on call at a time."""

    id: str
    name: str | None = None


class ScheduleRotation(APIModel):
    """A rotation (``ScheduleRotationV2``): the users who take turns, how often they hand over, and layers."""

    id: str
    name: str
    layers: list[ScheduleLayer] = []
    users: list[User] = []
    handover_start_at: AwareDatetime | None = None
    handovers: list[dict[str, Any]] = []
    working_intervals: list[dict[str, Any]] = []
    effective_from: AwareDatetime | None = None


class ScheduleConfig(APIModel):
    """A schedule's rotations."""

    rotations: list[ScheduleRotation] = []


class Schedule(APIModel):
    """An on-call schedule (``ScheduleV2``), with the shifts on now and next."""

    id: str
    name: str
    timezone: str
    team_ids: list[str] = []
    permalink: str | None = None
    annotations: dict[str, str] = {}
    config: ScheduleConfig | None = None
    current_shifts: list[ScheduleEntry] = []
    next_shifts: list[ScheduleEntry] = []
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @property
    def rotations(self) -> list[ScheduleRotation]:
        """The schedule's rotations (versions of one rotation share its id)."""
        return self.config.rotations if self.config else []


class ScheduleEntries(APIModel):
    """A schedule's entries in a window; ``final`` (who is on call) is ``scheduled`` after ``overrides``."""

    scheduled: list[ScheduleEntry] = []
    overrides: list[ScheduleEntry] = []
    final: list[ScheduleEntry] = []


class ScheduleOverride(APIModel):
    """An override (``ScheduleOverrideV2``): ``user`` on a rotation layer from ``start_at`` to ``end_at``."""

    id: str
    schedule_id: str
    rotation_id: str
    layer_id: str
    start_at: AwareDatetime
    end_at: AwareDatetime
    user: User | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


@dataclass(frozen=True)
class OnCall:
    """Who is on call for a schedule at one moment.

    Attributes:
        schedule: the schedule.
        at: the moment asked about (``None``: now, by the API's clock).
        shifts: the shifts on at that moment, one per rotation layer.
    """

    schedule: Schedule
    at: datetime | None
    shifts: list[ScheduleEntry]

    @property
    def users(self) -> list[User]:
        """The people on call, each once, in the order of their shifts."""
        seen: dict[str, User] = {}
        for shift in self.shifts:
            if shift.user is not None:
                seen.setdefault(shift.user.id, shift.user)
        return list(seen.values())


# --- escalation paths and escalations ---------------------------------------------------------


class EscalationTarget(APIModel):
    """Who a level pages (``EscalationPathTargetV2``): a user, a schedule or a channel, and how urgently."""

    type: str
    id: str
    urgency: str | None = None
    schedule_mode: str | None = None
    selected_rota_id: str | None = None


class EscalationLevel(APIModel):
    """A level of an escalation path: its targets and how long they have to acknowledge."""

    targets: list[EscalationTarget] = []
    time_to_ack_seconds: int | None = None
    ack_mode: str | None = None


class EscalationPathNode(APIModel):
    """One node of a path (``EscalationPathNodeV2``); ``type`` says which of the other fields is set."""

    id: str
    type: str
    level: EscalationLevel | None = None
    delay: dict[str, Any] | None = None
    repeat: dict[str, Any] | None = None
    notify_channel: dict[str, Any] | None = None
    if_else: dict[str, Any] | None = None
    escalation_path: dict[str, Any] | None = None


class EscalationPath(APIModel):
    """An escalation path (``EscalationPathV2``): who is paged, level after level."""

    id: str
    name: str
    kind: str = "standalone"
    path: list[EscalationPathNode] = []
    team_ids: list[str] = []
    current_responders: list[User] = []
    repeat_config: dict[str, Any] | None = None
    working_hours: list[dict[str, Any]] = []

    @property
    def levels(self) -> list[EscalationLevel]:
        """The top-level levels, in order (branches are not followed)."""
        return [node.level for node in self.path if node.type == "level" and node.level is not None]


class EscalationEvent(APIModel):
    """Something that happened to an escalation (``EscalationEventV2``): triggered, notified, acked..."""

    id: str
    event: str
    occurred_at: AwareDatetime
    users: list[User] = []
    channels: list[dict[str, Any]] = []
    urgency: str | None = None


class RelatedIncident(APIModel):
    """An incident an escalation is linked to (``IncidentSlimV2``)."""

    id: str
    reference: str
    name: str
    external_id: int | None = None
    visibility: str | None = None
    status_category: str | None = None
    summary: str | None = None


class Escalation(APIModel):
    """An escalation (``EscalationV2``): a page, its status and its history."""

    id: str
    title: str
    status: str
    description: str = ""
    escalation_path_id: str | None = None
    priority: dict[str, Any] | None = None
    creator: dict[str, Any] = {}
    events: list[EscalationEvent] = []
    related_incidents: list[RelatedIncident] = []
    related_alerts: list[dict[str, Any]] = []
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @property
    def paged_users(self) -> list[User]:
        """Everyone the escalation has notified so far, each once, in the order they were paged."""
        seen: dict[str, User] = {}
        for event in self.events:
            if event.event == "notified_users":
                for user in event.users:
                    seen.setdefault(user.id, user)
        return list(seen.values())
