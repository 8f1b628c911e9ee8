"""Resource classes: the methods people call, such as ``client.incidents.list(...)``.

Each method is an operation (from :mod:`incidentkit.api.operations`, ``organisation``,
``resolvers`` or ``intents``) bound to a client: the sync resources run it to completion, the
async ones return a coroutine, and list methods return a pager. The operation's signature and
docstring carry over unchanged, so the two clients cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from incidentkit.api import (
    catalog,
    follow_ups,
    incident_extras,
    incident_settings,
    intents,
    organisation,
    resolvers,
    teams,
)
from incidentkit.api import operations as ops
from incidentkit.api.core import Op
from incidentkit.api.lookups import Lookups
from incidentkit.api.pagination import AsyncPager, ListSpec, SyncPager

if TYPE_CHECKING:
    from incidentkit.api.client import AsyncClient, Client

P = ParamSpec("P")
T = TypeVar("T")


class SyncResource:
    """A group of methods of the blocking :class:`~incidentkit.api.client.Client`."""

    def __init__(self, client: Client) -> None:
        self._client = client


class AsyncResource:
    """A group of methods of the :class:`~incidentkit.api.client.AsyncClient`."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client


M = TypeVar("M", bound=Callable[..., Any])


def _carry_over(method: M, operation: Callable[..., Any]) -> M:
    """Give the bound method the operation's name and docstring (help() and IDEs show them)."""
    method.__name__ = operation.__name__
    method.__qualname__ = operation.__qualname__
    method.__doc__ = operation.__doc__
    method.__wrapped__ = operation  # type: ignore[attr-defined]
    return method


def sync(operation: Callable[Concatenate[Lookups, P], Op[T]]) -> Callable[Concatenate[SyncResource, P], T]:
    """Bind an operation as a blocking method."""

    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        client = self._client
        return client._run(operation(client.lookups, *args, **kwargs))

    return _carry_over(method, operation)


def asynchronous(
    operation: Callable[Concatenate[Lookups, P], Op[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    """Bind an operation as a coroutine method."""

    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        client = self._client
        return await client._run(operation(client.lookups, *args, **kwargs))

    return _carry_over(method, operation)


def sync_pager(
    operation: Callable[Concatenate[Lookups, P], Op[ListSpec[T]]],
) -> Callable[Concatenate[SyncResource, P], SyncPager[T]]:
    """Bind a list operation as a method returning a pager; nothing is fetched until it is iterated."""

    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[T]:
        client = self._client
        return SyncPager(operation(client.lookups, *args, **kwargs), client._run, client._send)

    return _carry_over(method, operation)


def async_pager(
    operation: Callable[Concatenate[Lookups, P], Op[ListSpec[T]]],
) -> Callable[Concatenate[AsyncResource, P], AsyncPager[T]]:
    """Bind a list operation as a method returning an async pager (``async for``)."""

    def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncPager[T]:
        client = self._client
        return AsyncPager(operation(client.lookups, *args, **kwargs), client._run, client._send)

    return _carry_over(method, operation)


class Severities(SyncResource):
    """``client.severities``: the organisation's severities."""

    list = sync(organisation.list_severities)
    get = sync(organisation.get_severity)


class IncidentStatuses(SyncResource):
    """``client.incident_statuses``: the organisation's incident statuses."""

    list = sync(organisation.list_incident_statuses)
    get = sync(organisation.get_incident_status)


class IncidentTypes(SyncResource):
    """``client.incident_types``: the organisation's incident types."""

    list = sync(organisation.list_incident_types)
    get = sync(organisation.get_incident_type)


class IncidentRoles(SyncResource):
    """``client.incident_roles``: the organisation's incident roles."""

    list = sync(organisation.list_incident_roles)
    get = sync(organisation.get_incident_role)
    create = sync(incident_settings.create_incident_role)
    update = sync(incident_settings.update_incident_role)
    delete = sync(incident_settings.delete_incident_role)


class CustomFields(SyncResource):
    """``client.custom_fields``: the organisation's custom fields."""

    list = sync(organisation.list_custom_fields)
    get = sync(organisation.get_custom_field)
    entries = sync(resolvers.custom_field_entries)


class Users(SyncResource):
    """``client.users``: the organisation's users."""

    list = sync_pager(organisation.list_users)
    get = sync(organisation.get_user)


class IdentityResource(SyncResource):
    """``client.identity``: what the API key is."""

    get = sync(organisation.get_identity)


class Incidents(SyncResource):
    """``client.incidents``: list, get, create and edit incidents, and the intents on top."""

    list = sync_pager(ops.list_incidents)
    get = sync(ops.get_incident)
    resolve_id = sync(ops.resolve_incident_id)
    create = sync(ops.create_incident)
    edit = sync(ops.edit_incident)
    acknowledge = sync(intents.acknowledge_incident)
    escalate = sync(intents.escalate_incident)
    close = sync(intents.close_incident)


class IncidentUpdates(SyncResource):
    """``client.incident_updates``: the updates posted on incidents."""

    list = sync_pager(ops.list_incident_updates)
    create = sync(ops.create_incident_update)


class TimelineItems(SyncResource):
    """``client.incident_timeline_items``: the items on incidents' timelines."""

    list = sync_pager(ops.list_timeline_items)
    create = sync(ops.create_timeline_item)
    update = sync(ops.update_timeline_item)


class FollowUps(SyncResource):
    """``client.follow_ups``: the work to do after incidents (the v3 API)."""

    list = sync_pager(ops.list_follow_ups)
    create = sync(ops.create_follow_up)
    get = sync(follow_ups.get_follow_up)
    update = sync(follow_ups.update_follow_up)
    delete = sync(follow_ups.delete_follow_up)
    create_from_link = sync(follow_ups.create_follow_up_from_link)
    connect_external_issue = sync(follow_ups.connect_external_issue)


class AsyncSeverities(AsyncResource):
    """``client.severities`` on the async client."""

    list = asynchronous(organisation.list_severities)
    get = asynchronous(organisation.get_severity)


class AsyncIncidentStatuses(AsyncResource):
    """``client.incident_statuses`` on the async client."""

    list = asynchronous(organisation.list_incident_statuses)
    get = asynchronous(organisation.get_incident_status)


class AsyncIncidentTypes(AsyncResource):
    """``client.incident_types`` on the async client."""

    list = asynchronous(organisation.list_incident_types)
    get = asynchronous(organisation.get_incident_type)


class AsyncIncidentRoles(AsyncResource):
    """``client.incident_roles`` on the async client."""

    list = asynchronous(organisation.list_incident_roles)
    get = asynchronous(organisation.get_incident_role)
    create = asynchronous(incident_settings.create_incident_role)
    update = asynchronous(incident_settings.update_incident_role)
    delete = asynchronous(incident_settings.delete_incident_role)


class AsyncCustomFields(AsyncResource):
    """``client.custom_fields`` on the async client."""

    list = asynchronous(organisation.list_custom_fields)
    get = asynchronous(organisation.get_custom_field)
    entries = asynchronous(resolvers.custom_field_entries)


class AsyncUsers(AsyncResource):
    """``client.users`` on the async client."""

    list = async_pager(organisation.list_users)
    get = asynchronous(organisation.get_user)


class AsyncIdentity(AsyncResource):
    """``client.identity`` on the async client."""

    get = asynchronous(organisation.get_identity)


class AsyncIncidents(AsyncResource):
    """``client.incidents`` on the async client."""

    list = async_pager(ops.list_incidents)
    get = asynchronous(ops.get_incident)
    resolve_id = asynchronous(ops.resolve_incident_id)
    create = asynchronous(ops.create_incident)
    edit = asynchronous(ops.edit_incident)
    acknowledge = asynchronous(intents.acknowledge_incident)
    escalate = asynchronous(intents.escalate_incident)
    close = asynchronous(intents.close_incident)


class AsyncIncidentUpdates(AsyncResource):
    """``client.incident_updates`` on the async client."""

    list = async_pager(ops.list_incident_updates)
    create = asynchronous(ops.create_incident_update)


class AsyncTimelineItems(AsyncResource):
    """``client.incident_timeline_items`` on the async client."""

    list = async_pager(ops.list_timeline_items)
    create = asynchronous(ops.create_timeline_item)
    update = asynchronous(ops.update_timeline_item)


class AsyncFollowUps(AsyncResource):
    """``client.follow_ups`` on the async client."""

    list = async_pager(ops.list_follow_ups)
    create = asynchronous(ops.create_follow_up)
    get = asynchronous(follow_ups.get_follow_up)
    update = asynchronous(follow_ups.update_follow_up)
    delete = asynchronous(follow_ups.delete_follow_up)
    create_from_link = asynchronous(follow_ups.create_follow_up_from_link)
    connect_external_issue = asynchronous(follow_ups.connect_external_issue)


class CatalogTypes(SyncResource):
    """``client.catalog.types``: the catalog's types and their schemas."""

    list = sync(catalog.list_catalog_types)
    get = sync(catalog.get_catalog_type)
    create = sync(catalog.create_catalog_type)
    update = sync(catalog.update_catalog_type)
    delete = sync(catalog.delete_catalog_type)
    update_schema = sync(catalog.update_catalog_type_schema)


class CatalogEntries(SyncResource):
    """``client.catalog.entries``: the entries of catalog types."""

    list = sync_pager(catalog.list_catalog_entries)
    get = sync(catalog.get_catalog_entry)
    find = sync(catalog.find_catalog_entry)
    create = sync(catalog.create_catalog_entry)
    update = sync(catalog.update_catalog_entry)
    delete = sync(catalog.delete_catalog_entry)
    bulk_update = sync(catalog.bulk_update_catalog_entries)


class Catalog(SyncResource):
    """``client.catalog``: the v3 catalog (``types``, ``entries``) and the services in it."""

    resources = sync(catalog.list_catalog_resources)
    services = sync(catalog.list_services)
    service = sync(catalog.get_service)

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.types = CatalogTypes(client)
        self.entries = CatalogEntries(client)


class Teams(SyncResource):
    """``client.teams``: the organisation's teams and their members."""

    list = sync_pager(teams.list_teams)
    get = sync(teams.get_team)


class AsyncCatalogTypes(AsyncResource):
    """``client.catalog.types`` on the async client."""

    list = asynchronous(catalog.list_catalog_types)
    get = asynchronous(catalog.get_catalog_type)
    create = asynchronous(catalog.create_catalog_type)
    update = asynchronous(catalog.update_catalog_type)
    delete = asynchronous(catalog.delete_catalog_type)
    update_schema = asynchronous(catalog.update_catalog_type_schema)


class AsyncCatalogEntries(AsyncResource):
    """``client.catalog.entries`` on the async client."""

    list = async_pager(catalog.list_catalog_entries)
    get = asynchronous(catalog.get_catalog_entry)
    find = asynchronous(catalog.find_catalog_entry)
    create = asynchronous(catalog.create_catalog_entry)
    update = asynchronous(catalog.update_catalog_entry)
    delete = asynchronous(catalog.delete_catalog_entry)
    bulk_update = asynchronous(catalog.bulk_update_catalog_entries)


class AsyncCatalog(AsyncResource):
    """``client.catalog`` on the async client."""

    resources = asynchronous(catalog.list_catalog_resources)
    services = asynchronous(catalog.list_services)
    service = asynchronous(catalog.get_service)

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.types = AsyncCatalogTypes(client)
        self.entries = AsyncCatalogEntries(client)


class AsyncTeams(AsyncResource):
    """``client.teams`` on the async client."""

    list = async_pager(teams.list_teams)
    get = asynchronous(teams.get_team)


# What hangs off incidents, and their settings: timestamps, custom field options, members,
# attachments, post-mortem documents and related incidents.


class IncidentTimestamps(SyncResource):
    """``client.incident_timestamps``: the organisation's incident timestamps."""

    list = sync(incident_settings.list_incident_timestamps)
    get = sync(incident_settings.get_incident_timestamp)


class CustomFieldOptions(SyncResource):
    """``client.custom_field_options``: the options of select custom fields."""

    list = sync_pager(incident_settings.list_custom_field_options)
    get = sync(incident_settings.get_custom_field_option)
    create = sync(incident_settings.create_custom_field_option)
    update = sync(incident_settings.update_custom_field_option)
    delete = sync(incident_settings.delete_custom_field_option)


class IncidentMemberships(SyncResource):
    """``client.incident_memberships``: who may see a private incident."""

    create = sync(incident_extras.create_incident_membership)
    revoke = sync(incident_extras.revoke_incident_membership)


class IncidentAttachments(SyncResource):
    """``client.incident_attachments``: external resources attached to incidents."""

    list = sync(incident_extras.list_incident_attachments)
    create = sync(incident_extras.create_incident_attachment)
    delete = sync(incident_extras.delete_incident_attachment)


class PostmortemDocuments(SyncResource):
    """``client.postmortem_documents``: incidents' post-mortems, in incident.io or linked."""

    list = sync_pager(incident_extras.list_postmortem_documents)
    get = sync(incident_extras.get_postmortem_document)
    content = sync(incident_extras.get_postmortem_content)
    attach = sync(incident_extras.attach_postmortem_document)
    import_markdown = sync(incident_extras.import_postmortem_document)
    update_status = sync(incident_extras.update_postmortem_status)


class IncidentRelationships(SyncResource):
    """``client.incident_relationships``: the incidents related to one."""

    list = sync_pager(incident_extras.list_incident_relationships)


class AsyncIncidentTimestamps(AsyncResource):
    """``client.incident_timestamps`` on the async client."""

    list = asynchronous(incident_settings.list_incident_timestamps)
    get = asynchronous(incident_settings.get_incident_timestamp)


class AsyncCustomFieldOptions(AsyncResource):
    """``client.custom_field_options`` on the async client."""

    list = async_pager(incident_settings.list_custom_field_options)
    get = asynchronous(incident_settings.get_custom_field_option)
    create = asynchronous(incident_settings.create_custom_field_option)
    update = asynchronous(incident_settings.update_custom_field_option)
    delete = asynchronous(incident_settings.delete_custom_field_option)


class AsyncIncidentMemberships(AsyncResource):
    """``client.incident_memberships`` on the async client."""

    create = asynchronous(incident_extras.create_incident_membership)
    revoke = asynchronous(incident_extras.revoke_incident_membership)


class AsyncIncidentAttachments(AsyncResource):
    """``client.incident_attachments`` on the async client."""

    list = asynchronous(incident_extras.list_incident_attachments)
    create = asynchronous(incident_extras.create_incident_attachment)
    delete = asynchronous(incident_extras.delete_incident_attachment)


class AsyncPostmortemDocuments(AsyncResource):
    """``client.postmortem_documents`` on the async client."""

    list = async_pager(incident_extras.list_postmortem_documents)
    get = asynchronous(incident_extras.get_postmortem_document)
    content = asynchronous(incident_extras.get_postmortem_content)
    attach = asynchronous(incident_extras.attach_postmortem_document)
    import_markdown = asynchronous(incident_extras.import_postmortem_document)
    update_status = asynchronous(incident_extras.update_postmortem_status)


class AsyncIncidentRelationships(AsyncResource):
    """``client.incident_relationships`` on the async client."""

    list = async_pager(incident_extras.list_incident_relationships)
