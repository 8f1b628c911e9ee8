"""Investigation: an incident's context, history, similar past incidents, recent changes, evidence.

Everything here takes plain data (:class:`HistoryIncident`), so any source can feed it: the history
synced into the store (``incidentkit sync``), an incident fetched from the API, or a flattened view.
Heavy libraries (scikit-learn) are imported only when a similarity index is built.
"""

from incidentkit.investigation.affected_services import AffectedService
from incidentkit.investigation.change_log import Change, ChangeLog
from incidentkit.investigation.change_window import ChangeMatch, ChangesBefore, changes, changes_before
from incidentkit.investigation.config import InvestigationConfig, PrometheusConfig, load_investigation_config
from incidentkit.investigation.evidence import Evidence, EvidenceError, EvidenceSource, PrometheusSource
from incidentkit.investigation.findings import Investigation, investigate
from incidentkit.investigation.history import (
    History,
    HistoryIncident,
    HistoryTimelineItem,
    HistoryUpdate,
    incident_from_api,
)
from incidentkit.investigation.incident_context import IncidentContext, RoleHolder, StateChange, context
from incidentkit.investigation.priority import severity_priority
from incidentkit.investigation.ref_search import FoundRef, find_incident_refs
from incidentkit.investigation.service_catalog import KnownService, ServiceCatalog
from incidentkit.investigation.service_directory import ServiceDirectory
from incidentkit.investigation.similar import (
    HistoryNotFoundError,
    Match,
    Resolution,
    SimilarityIndex,
    similar,
)
from incidentkit.investigation.summary import Finding
from incidentkit.investigation.write_back import WriteBack, WriteBackError, post_findings

__all__ = [
    "AffectedService",
    "Change",
    "ChangeLog",
    "ChangeMatch",
    "ChangesBefore",
    "Evidence",
    "EvidenceError",
    "EvidenceSource",
    "Finding",
    "FoundRef",
    "History",
    "HistoryIncident",
    "HistoryNotFoundError",
    "HistoryTimelineItem",
    "HistoryUpdate",
    "IncidentContext",
    "Investigation",
    "InvestigationConfig",
    "KnownService",
    "Match",
    "PrometheusConfig",
    "PrometheusSource",
    "Resolution",
    "RoleHolder",
    "ServiceCatalog",
    "ServiceDirectory",
    "SimilarityIndex",
    "StateChange",
    "WriteBack",
    "WriteBackError",
    "changes",
    "changes_before",
    "context",
    "find_incident_refs",
    "incident_from_api",
    "investigate",
    "load_investigation_config",
    "post_findings",
    "severity_priority",
    "similar",
]
