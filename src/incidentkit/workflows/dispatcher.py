"""The dispatcher: turns events, cron ticks and manual requests into runs, one per (workflow, event).

It subscribes to the webhook processor (:class:`~incidentkit.webhooks.handling.IncidentEventHandler`)
and receives each parsed event with its normalised lifecycle events and the incident: the handler
has already fetched a private one and knows the newest state of a late one, so nothing is fetched
twice. From these it builds ``$trigger`` (severity as the ``SEV-n`` label
through :class:`~incidentkit.workflows.severity.SeverityScale`), applies each workflow's
``filter:``, and stores a pending run keyed by (workflow, event key). A redelivered event finds
its runs already stored and starts nothing; the processor may call it again after a failure, and
that is just as harmless.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentkit.store.run_records import NewRun, Run
from incidentkit.store.runs import RunStore
from incidentkit.store.states import RunMode
from incidentkit.webhooks.events import WebhookEvent
from incidentkit.webhooks.lifecycle import LifecycleEvent
from incidentkit.workflows.cron import CronSchedule
from incidentkit.workflows.errors import WorkflowError
from incidentkit.workflows.loader import Workflow
from incidentkit.workflows.run_state import spec_snapshot
from incidentkit.workflows.severity import SeverityScale
from incidentkit.workflows.trigger_data import (
    lifecycle_trigger,
    manual_trigger,
    raw_event_trigger,
    schedule_trigger,
)
from incidentkit.workflows.triggers import concurrency_key, filter_passes, manual_inputs, matches_event

if TYPE_CHECKING:
    from incidentkit.api import Client

logger = logging.getLogger("incidentkit.workflows.dispatcher")

LIFECYCLE_TRIGGERS = {
    "incident.created": "trigger.incident_io.incident.created",
    "incident.updated": "trigger.incident_io.incident.updated",
    "incident.resolved": "trigger.incident_io.incident.resolved",
}


SEVERITIES_TTL = timedelta(minutes=10)


class UnknownWorkflowError(WorkflowError, LookupError):
    """No loaded workflow has this name."""


class IncidentTriggerError(WorkflowError, ValueError):
    """A run by hand on an incident would not start as a webhook would start it; the message says why."""


class Dispatcher:
    """Starts runs for events, schedule ticks and manual requests.

    Args:
        runs: where runs are stored.
        workflows: returns the workflows currently loaded (called for every event, so reloads apply).
        client: reads the organisation's severities.
        severity_map: the configuration's ``severity_map``.
        team_field: the custom field holding the team.
        clock: the current time (aware).
        on_created: called after new runs were stored (to wake a worker).
    """

    def __init__(
        self,
        runs: RunStore,
        workflows: Callable[[], Sequence[Workflow]],
        client: Client | None = None,
        *,
        severity_map: Mapping[str, str] | None = None,
        team_field: str | None = None,
        clock: Callable[[], datetime] | None = None,
        on_created: Callable[[], None] | None = None,
    ) -> None:
        self.runs = runs
        self.workflows = workflows
        self.client = client
        self.severity_map = dict(severity_map or {})
        self.team_field = team_field
        self.clock = clock or runs.clock
        self.on_created = on_created
        self._scale: SeverityScale | None = None
        self._scale_read_at: datetime | None = None
        self._last_tick: datetime | None = None

    # Webhook events

    def __call__(
        self, event: WebhookEvent, lifecycle: list[LifecycleEvent], incident: dict[str, Any] | None
    ) -> None:
        """The processor's subscriber hook."""
        self.dispatch(event, lifecycle, incident)

    def dispatch(
        self,
        event: WebhookEvent,
        lifecycle: Sequence[LifecycleEvent],
        incident: Mapping[str, Any] | None = None,
    ) -> list[Run]:
        """Store the runs this event starts; returns the runs newly created.

        Args:
            event: the parsed event.
            lifecycle: the lifecycle events derived from it.
            incident: the incident it is about, as the API's JSON; by default the event's own copy.
        """
        enabled = [w for w in self.workflows() if w.spec.enabled]
        wanted_lifecycle = {
            item.event_type: item
            for item in lifecycle
            if LIFECYCLE_TRIGGERS[item.event_type] in _types(enabled)
        }
        raw = [w for w in enabled if matches_event(w, event.event_type) and not _is_lifecycle(w)]
        if not wanted_lifecycle and not raw:
            return []
        envelope = {"event_type": event.event_type, "id": event.id, "data": event.data}
        if incident is None and event.incident_id:
            incident = _incident_in(event)
        scale = self._severity_scale()
        created: list[Run] = []
        for item in wanted_lifecycle.values():
            trigger_type = LIFECYCLE_TRIGGERS[item.event_type]
            if incident is None:
                continue
            trigger = lifecycle_trigger(incident, item, scale, event=envelope, team_field=self.team_field)
            for workflow in enabled:
                if workflow.spec.trigger.type == trigger_type:
                    created += self._start(workflow, f"{event.id}:{item.event_type}", trigger)
        for workflow in raw:
            trigger = raw_event_trigger(envelope, incident, scale, team_field=self.team_field)
            created += self._start(workflow, event.id, trigger)
        return created

    def _severity_scale(self) -> SeverityScale | None:
        """The organisation's severities, read again every ``SEVERITIES_TTL`` (they rarely change)."""
        now = self.clock()
        stale = self._scale_read_at is None or now - self._scale_read_at >= SEVERITIES_TTL
        if self.client is not None and (self._scale is None or stale):
            self._scale = SeverityScale(list(self.client.severities.list()), self.severity_map)
            self._scale_read_at = now
        return self._scale

    # Schedules

    def tick(self, now: datetime | None = None) -> list[Run]:
        """Start one run per (schedule workflow, cron tick) since the last call (none on the first)."""
        now = now or self.clock()
        last, self._last_tick = self._last_tick, now
        if last is None:
            return []
        created: list[Run] = []
        for workflow in self.workflows():
            if workflow.spec.trigger.type != "schedule" or not workflow.spec.enabled:
                continue
            schedule = CronSchedule.parse(workflow.spec.trigger.cron or "")
            for fired_at in schedule.ticks(last, now):
                created += self._start(
                    workflow, f"schedule:{fired_at.isoformat()}", schedule_trigger(fired_at)
                )
        return created

    # Manual runs

    def start_manual(self, name: str, given: Mapping[str, str], *, dry_run: bool = False) -> Run:
        """Start a manual run of the workflow called ``name`` with ``--input`` text values.

        Raises:
            UnknownWorkflowError: no workflow has that name.
            ManualInputError: the inputs do not match the workflow's declared inputs.
        """
        workflow = self._named(name)
        return self._start_by_hand(workflow, manual_trigger(manual_inputs(workflow, given)), dry_run)

    def start_for_incident(
        self,
        name: str,
        incident: Mapping[str, Any],
        *,
        event: str | None = None,
        changed: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> Run:
        """Start a run of an incident-triggered workflow on a real incident, with ``$trigger`` as a webhook's.

        The trigger data is built by the same code as for a webhook (:func:`lifecycle_events`, then
        :func:`lifecycle_trigger`, severity through the organisation's scale), and the workflow's
        ``filter:`` applies as it would.

        Args:
            name: the workflow.
            incident: the incident as the API returns it now.
            event: ``created``, ``updated`` or ``resolved``; by default the workflow's own trigger.
            changed: for ``updated``, each changed field and its value before the change (the
                value after is the incident's); a webhook learns them from the last stored snapshot.
            dry_run: write steps send nothing.

        Raises:
            UnknownWorkflowError: no workflow has that name.
            IncidentTriggerError: the workflow is not incident-triggered, the event does not start
                it, the incident is not in a state that sends the event, or its filter is false.
        """
        from incidentkit.webhooks.lifecycle import FieldChange, incident_changes, lifecycle_events

        workflow = self._named(name)
        wanted = {value: key for key, value in LIFECYCLE_TRIGGERS.items()}.get(workflow.spec.trigger.type)
        if wanted is None:
            raise IncidentTriggerError(
                f"workflow {name!r} runs on {workflow.spec.trigger.type}, not on an incident lifecycle "
                "trigger (trigger.incident_io.incident.created|updated|resolved); run it with --input"
            )
        if event is not None and f"incident.{event}" != wanted:
            raise IncidentTriggerError(
                f"workflow {name!r} runs on {workflow.spec.trigger.type}: an incident.{event} event would "
                "not start it"
            )
        if changed and wanted != "incident.updated":
            raise IncidentTriggerError(
                f"workflow {name!r} runs on {workflow.spec.trigger.type}: --changed is for updated triggers"
            )
        if wanted == "incident.updated":
            current = incident_changes({}, incident)  # every tracked field's value now, by name
            now = {change.field: change.new_value for change in current}
            unknown = sorted(set(changed or {}) - set(now))
            if not changed or unknown:
                problem = (
                    f"this incident has no field {', '.join(unknown)}"
                    if unknown
                    else "an incident.updated event says what changed"
                )
                raise IncidentTriggerError(
                    f"{problem}: give --changed FIELD=OLD_VALUE (fields of this incident: {', '.join(now)})"
                )
            lifecycle = LifecycleEvent(
                "incident.updated",
                str(incident.get("id")),
                None,
                tuple(FieldChange(field, old, now[field]) for field, old in changed.items()),
            )
        else:
            found = [item for item in lifecycle_events(incident, None) if item.event_type == wanted]
            if not found:
                status = (incident.get("incident_status") or {}).get("name")
                raise IncidentTriggerError(
                    f"{incident.get('reference')} is not resolved (status {status!r}): no incident.resolved "
                    "event would be sent for it"
                )
            lifecycle = found[0]
        envelope: dict[str, Any] = {"event_type": "manual:" + wanted, "id": None, "data": {}}
        trigger = lifecycle_trigger(
            incident, lifecycle, self._severity_scale(), event=envelope, team_field=self.team_field
        )
        try:
            passes = filter_passes(workflow, trigger)
        except WorkflowError as error:
            raise IncidentTriggerError(f"workflow {name!r}: its filter failed: {error}") from None
        if not passes:
            raise IncidentTriggerError(
                f"the filter of workflow {name!r} is false for {incident.get('reference')}: a webhook would "
                "start no run"
            )
        return self._start_by_hand(workflow, trigger, dry_run)

    def _named(self, name: str) -> Workflow:
        workflow = next((w for w in self.workflows() if w.name == name), None)
        if workflow is None:
            known = ", ".join(sorted(w.name for w in self.workflows())) or "none"
            raise UnknownWorkflowError(f"no workflow named {name!r} (loaded: {known})")
        return workflow

    def _start_by_hand(self, workflow: Workflow, trigger: dict[str, Any], dry_run: bool) -> Run:
        event_key = f"manual:{secrets.token_hex(8)}"
        run, _ = self.runs.create_run(
            NewRun(
                workflow.name,
                event_key,
                workflow.version,
                spec_snapshot(workflow),
                trigger,
                concurrency_key(workflow, trigger),
                dry_run,
            ),
            mode=workflow.spec.concurrency.mode if workflow.spec.concurrency else RunMode.QUEUE,
        )
        self._created()
        return run

    # Common

    def _start(self, workflow: Workflow, event_key: str, trigger: dict[str, Any]) -> list[Run]:
        try:
            if not filter_passes(workflow, trigger):
                return []
            key = concurrency_key(workflow, trigger)
        except WorkflowError as error:
            logger.warning(
                "Workflow %s: not started for %s: %s",
                workflow.name,
                event_key,
                error,
                extra={"workflow": workflow.name},
            )
            return []
        run, created = self.runs.create_run(
            NewRun(workflow.name, event_key, workflow.version, spec_snapshot(workflow), trigger, key),
            mode=workflow.spec.concurrency.mode if workflow.spec.concurrency else RunMode.QUEUE,
        )
        if not created:
            return []
        logger.info(
            "Workflow %s: run %s started for %s",
            workflow.name,
            run.id,
            event_key,
            extra={"run_id": run.id, "workflow": workflow.name},
        )
        self._created()
        return [run]

    def _created(self) -> None:
        if self.on_created is not None:
            self.on_created()


def _types(workflows: Sequence[Workflow]) -> set[str]:
    return {w.spec.trigger.type for w in workflows}


def _is_lifecycle(workflow: Workflow) -> bool:
    return workflow.spec.trigger.type in LIFECYCLE_TRIGGERS.values()


def _incident_in(event: WebhookEvent) -> dict[str, Any] | None:
    """The incident a public event carries, if any."""
    data = event.data.get("incident", event.data) if isinstance(event.data, Mapping) else None
    if isinstance(data, Mapping) and isinstance(data.get("id"), str) and "name" in data:
        return dict(data)
    return None
