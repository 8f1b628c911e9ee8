"""The on-call resources of the clients: ``client.escalations``, ``client.escalation_paths``,
``client.schedules``, ``client.schedule_overrides`` and ``client.oncall``.

Bound from the operations of :mod:`incidentkit.api.paging` and :mod:`incidentkit.api.oncall`
the same way as every resource (see :mod:`incidentkit.api.resources`).
"""

from __future__ import annotations

from incidentkit.api import oncall, paging
from incidentkit.api.resources import (
    AsyncResource,
    SyncResource,
    async_pager,
    asynchronous,
    sync,
    sync_pager,
)


class Escalations(SyncResource):
    """``client.escalations``: page people, list and get pages, acknowledge and cancel them."""

    create = sync(paging.create_escalation)
    list = sync_pager(paging.list_escalations)
    get = sync(paging.get_escalation)
    respond = sync(paging.respond_escalation)
    acknowledge = sync(paging.acknowledge_escalation)
    cancel = sync(paging.cancel_escalation)


class EscalationPaths(SyncResource):
    """``client.escalation_paths``: who is paged, level after level."""

    list = sync_pager(paging.list_escalation_paths)
    get = sync(paging.get_escalation_path)
    create = sync(paging.create_escalation_path)
    update = sync(paging.update_escalation_path)
    delete = sync(paging.delete_escalation_path)


class Schedules(SyncResource):
    """``client.schedules``: on-call schedules and their entries (who is on call when)."""

    list = sync_pager(oncall.list_schedules)
    get = sync(oncall.get_schedule)
    create = sync(oncall.create_schedule)
    update = sync(oncall.update_schedule)
    delete = sync(oncall.delete_schedule)
    entries = sync(oncall.schedule_entries)


class ScheduleOverrides(SyncResource):
    """``client.schedule_overrides``: someone else on call for a while."""

    list = sync_pager(oncall.list_overrides)
    get = sync(oncall.get_override)
    create = sync(oncall.create_override)
    update = sync(oncall.update_override)
    delete = sync(oncall.delete_override)


class OnCallResource(SyncResource):
    """``client.oncall``: who is on call (``client.oncall.now("Primary on-call").users``)."""

    now = sync(oncall.on_call_now)


class AsyncEscalations(AsyncResource):
    """``client.escalations`` on the async client."""

    create = asynchronous(paging.create_escalation)
    list = async_pager(paging.list_escalations)
    get = asynchronous(paging.get_escalation)
    respond = asynchronous(paging.respond_escalation)
    acknowledge = asynchronous(paging.acknowledge_escalation)
    cancel = asynchronous(paging.cancel_escalation)


class AsyncEscalationPaths(AsyncResource):
    """``client.escalation_paths`` on the async client."""

    list = async_pager(paging.list_escalation_paths)
    get = asynchronous(paging.get_escalation_path)
    create = asynchronous(paging.create_escalation_path)
    update = asynchronous(paging.update_escalation_path)
    delete = asynchronous(paging.delete_escalation_path)


class AsyncSchedules(AsyncResource):
    """``client.schedules`` on the async client."""

    list = async_pager(oncall.list_schedules)
    get = asynchronous(oncall.get_schedule)
    create = asynchronous(oncall.create_schedule)
    update = asynchronous(oncall.update_schedule)
    delete = asynchronous(oncall.delete_schedule)
    entries = asynchronous(oncall.schedule_entries)


class AsyncScheduleOverrides(AsyncResource):
    """``client.schedule_overrides`` on the async client."""

    list = async_pager(oncall.list_overrides)
    get = asynchronous(oncall.get_override)
    create = asynchronous(oncall.create_override)
    update = asynchronous(oncall.update_override)
    delete = asynchronous(oncall.delete_override)


class AsyncOnCall(AsyncResource):
    """``client.oncall`` on the async client."""

    now = asynchronous(oncall.on_call_now)
