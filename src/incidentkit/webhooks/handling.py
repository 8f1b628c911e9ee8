"""What the processor does with each stored event: parse it, bring the incident up to date, tell subscribers.

For an incident event the handler needs the incident as it is now. Public events carry it; private
ones carry only its id, so it is fetched once, through the typed API client, before anything uses it.
It is then compared with the snapshot last stored for that incident (:func:`.lifecycle.lifecycle_events`)
to derive the normalised lifecycle events (created, updated with the changes, resolved), which go to
the subscribers (the workflow dispatcher) with the incident itself, so no subscriber fetches it
again, and the snapshot is replaced. A subscriber is handed the newest state known: the stored
snapshot when the event carries an older one.

Deliveries are not ordered: an event carrying an incident older than the stored snapshot changes
nothing. Subscribers are told before the snapshot moves on, so a failure there retries the event with
the same lifecycle events (subscribers see each at least once and must be idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from incidentkit.store import InboxEvent, Store
from incidentkit.timeutil import parse_timestamp
from incidentkit.webhooks.events import EventParseError, WebhookEvent, parse_event
from incidentkit.webhooks.lifecycle import LifecycleEvent, lifecycle_events
from incidentkit.webhooks.processor import DeadEvent

if TYPE_CHECKING:
    from incidentkit.api import Client

Subscriber = Callable[[WebhookEvent, list[LifecycleEvent], dict[str, Any] | None], None]
"""Receives every parsed event, the lifecycle events derived from it (often none) and, for an
incident event, the incident as the API's JSON (else None)."""


class IncidentEventHandler:
    """The default :class:`~incidentkit.webhooks.processor.EventHandler`.

    Args:
        store: where incident snapshots are kept.
        client: fetches private incidents; without one, private incident events are marked dead
            with a reason saying a key is needed (replay them once one is configured).
        subscribers: called with each event and its lifecycle events.
    """

    def __init__(
        self, store: Store, client: Client | None = None, *, subscribers: Iterable[Subscriber] = ()
    ) -> None:
        self.store = store
        self.client = client
        self.subscribers: list[Subscriber] = list(subscribers)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber."""
        self.subscribers.append(subscriber)

    def __call__(self, stored: InboxEvent) -> dict[str, Any]:
        """Handle one event; returns the outcome kept with it.

        Raises:
            DeadEvent: the body is not an incident.io event, or a private incident cannot be fetched.
        """
        try:
            event = parse_event(stored.body, webhook_id=stored.webhook_id, received_at=stored.received_at)
        except EventParseError as error:
            raise DeadEvent(f"cannot parse the event: {error}") from None
        outcome: dict[str, Any] = {
            "event_type": event.event_type,
            "known": event.known,
            "subject_kind": event.subject_kind,
            "subject_id": event.subject_id,
            "incident_id": event.incident_id,
            "lifecycle": [],
        }
        lifecycle: list[LifecycleEvent] = []
        incident: dict[str, Any] | None = None
        newest: dict[str, Any] | None = None
        if _is_incident_event(event):
            incident, outcome["fetched"] = self._current_incident(event)
            lifecycle, outcome["stale"], newest = self._lifecycle(incident)
            outcome["lifecycle"] = [item.to_dict() for item in lifecycle]
        for subscriber in self.subscribers:
            subscriber(event, lifecycle, newest)
        if incident is not None and not outcome["stale"]:
            self.store.save_snapshot(
                str(incident["id"]),
                incident,
                incident_updated_at=parse_timestamp(incident.get("updated_at")),
                webhook_id=event.id,
            )
        return outcome

    def _current_incident(self, event: WebhookEvent) -> tuple[dict[str, Any], bool]:
        if not event.private:
            incident = event.data.get("incident") if "incident" in event.data else event.data
            if isinstance(incident, dict) and isinstance(incident.get("id"), str):
                return incident, False
        assert event.incident_id is not None
        if self.client is None:
            raise DeadEvent(
                f"incident {event.incident_id} is private: the webhook carries only its id, and no "
                "incident.io API key is configured to fetch it; configure one, then replay the event"
            )
        import pydantic

        from incidentkit.api import InvalidReferenceError, NotFoundError, PermissionDeniedError

        try:
            return self.client.incidents.get(event.incident_id).to_json(), True
        except (NotFoundError, PermissionDeniedError, InvalidReferenceError) as error:
            raise DeadEvent(f"cannot fetch incident {event.incident_id}: {error}") from None
        except (pydantic.ValidationError, KeyError, TypeError):
            raise DeadEvent(
                f"the API's answer for incident {event.incident_id} is not an incident object"
            ) from None

    def _lifecycle(self, incident: dict[str, Any]) -> tuple[list[LifecycleEvent], bool, dict[str, Any]]:
        """The lifecycle events since the snapshot, whether this state is older, and the newest state."""
        snapshot = self.store.get_snapshot(str(incident["id"]))
        updated_at = parse_timestamp(incident.get("updated_at"))
        if (
            snapshot is not None
            and snapshot.incident_updated_at is not None
            and updated_at is not None
            and updated_at < snapshot.incident_updated_at
        ):
            return [], True, dict(snapshot.data)  # older than the state already seen: nothing new
        return lifecycle_events(incident, snapshot.data if snapshot is not None else None), False, incident


def _is_incident_event(event: WebhookEvent) -> bool:
    return event.subject_kind == "incident" and event.incident_id is not None
