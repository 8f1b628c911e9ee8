"""``client.alerts``, ``client.alert_sources``, ``client.alert_routes``, ``client.incident_alerts`` and
``client.alert_events``: the alerting operations (:mod:`incidentkit.api.alerts`) bound to the clients."""

from __future__ import annotations

from incidentkit.api import alerts as ops
from incidentkit.api.resources import (
    AsyncResource,
    SyncResource,
    async_pager,
    asynchronous,
    sync,
    sync_pager,
)


class Alerts(SyncResource):
    """``client.alerts``: list, get, resolve and tag alerts."""

    list = sync_pager(ops.list_alerts)
    get = sync(ops.get_alert)
    resolve = sync(ops.resolve_alert)
    add_tags = sync(ops.add_alert_tags)
    remove_tags = sync(ops.remove_alert_tags)
    set_tags = sync(ops.set_alert_tags)
    tags = sync_pager(ops.list_alert_tags)


class AlertSources(SyncResource):
    """``client.alert_sources``: where alerts come from."""

    list = sync(ops.list_alert_sources)
    get = sync(ops.get_alert_source)
    resolve_id = sync(ops.resolve_alert_source_id)
    create = sync(ops.create_alert_source)
    update = sync(ops.update_alert_source)
    delete = sync(ops.delete_alert_source)


class AlertRoutes(SyncResource):
    """``client.alert_routes``: what alerts turn into (the v3 API)."""

    list = sync_pager(ops.list_alert_routes)
    get = sync(ops.get_alert_route)
    create = sync(ops.create_alert_route)
    update = sync(ops.update_alert_route)
    delete = sync(ops.delete_alert_route)


class IncidentAlerts(SyncResource):
    """``client.incident_alerts``: alerts attached to incidents."""

    list = sync_pager(ops.list_incident_alerts)
    attach = sync(ops.attach_alert)
    transition = sync(ops.transition_incident_alert)


class AlertEvents(SyncResource):
    """``client.alert_events``: send events to an HTTP alert source (with its token, not the API key)."""

    send = sync(ops.send_alert_event)


class AsyncAlerts(AsyncResource):
    """``client.alerts`` on the async client."""

    list = async_pager(ops.list_alerts)
    get = asynchronous(ops.get_alert)
    resolve = asynchronous(ops.resolve_alert)
    add_tags = asynchronous(ops.add_alert_tags)
    remove_tags = asynchronous(ops.remove_alert_tags)
    set_tags = asynchronous(ops.set_alert_tags)
    tags = async_pager(ops.list_alert_tags)


class AsyncAlertSources(AsyncResource):
    """``client.alert_sources`` on the async client."""

    list = asynchronous(ops.list_alert_sources)
    get = asynchronous(ops.get_alert_source)
    resolve_id = asynchronous(ops.resolve_alert_source_id)
    create = asynchronous(ops.create_alert_source)
    update = asynchronous(ops.update_alert_source)
    delete = asynchronous(ops.delete_alert_source)


class AsyncAlertRoutes(AsyncResource):
    """``client.alert_routes`` on the async client."""

    list = async_pager(ops.list_alert_routes)
    get = asynchronous(ops.get_alert_route)
    create = asynchronous(ops.create_alert_route)
    update = asynchronous(ops.update_alert_route)
    delete = asynchronous(ops.delete_alert_route)


class AsyncIncidentAlerts(AsyncResource):
    """``client.incident_alerts`` on the async client."""

    list = async_pager(ops.list_incident_alerts)
    attach = asynchronous(ops.attach_alert)
    transition = asynchronous(ops.transition_incident_alert)


class AsyncAlertEvents(AsyncResource):
    """``client.alert_events`` on the async client."""

    send = asynchronous(ops.send_alert_event)
