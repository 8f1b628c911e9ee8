"""The ``[investigation]`` table of the configuration file: similarity weights, threshold and mappings.

Example (every key optional; these are the defaults)::

    [investigation]
    threshold = 0.15                # matches scoring below this are left out
    root_cause_fields = ["Root cause", "Root cause category", "Category"]
    service_fields = []             # the fields listing services; none: any whose name has "service"
    services = []                   # service names to look for in text when there is no catalog
    time_half_life_days = 30        # time proximity halves every 30 days between two incidents
    label_neighbours = 10           # labelled past incidents that vote on the likely root cause
    dependency_share = 0.5          # a service shared one catalog dependency away counts this much
    ai_context = ""                 # the organisation's context for the language model (or ai_context_file)

    [investigation.weights]
    text = 0.45
    services = 0.15
    alert_sources = 0.05
    time = 0.05
    root_cause = 0.30

    [investigation.priorities]      # severity name (any case) -> priority, merged over the defaults
    Critical = "P0"

    [investigation.dependencies]    # service -> the services it depends on (merged with the catalog)
    checkout = ["payments", "postgres"]

    [investigation.prometheus]      # evidence from Prometheus (no table: no Prometheus evidence)
    url = "http://prometheus:9090"
    timeout_seconds = 10
    step = "15s"                    # the resolution asked for (coarser when the range is long)
    before = "1h"                   # compared: this long before the incident's start ...
    after = "30m"                   # ... with this long after it
    min_ratio = 1.5                 # a mean that moved less than this many times is "steady"

    [investigation.prometheus.queries]   # name -> PromQL; {service} is the service's name
    error_rate = 'sum(rate(http_requests_total{service="{service}",code=~"5.."}[5m]))'

    [investigation.llm]             # a language model's summary (no table: the rules' summary)
    base_url = "https://api.openai.com/v1"   # any OpenAI-compatible endpoint (/v1/chat/completions)
    model = "gpt-4o-mini"
    api_key_env = "INCIDENTKIT_LLM_API_KEY"  # else the credential store's secret "llm"; else no key
    timeout_seconds = 30
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from incidentkit.config_file import read_config_file
from incidentkit.investigation.errors import InvestigationError
from incidentkit.timeutil import parse_duration

__all__ = [
    "DEFAULT_PRIORITIES",
    "DEFAULT_WEIGHTS",
    "InvestigationConfig",
    "InvestigationConfigError",
    "LLMConfig",
    "PrometheusConfig",
    "load_investigation_config",
]

DEFAULT_WEIGHTS: dict[str, float] = {
    "text": 0.45,
    "services": 0.15,
    "alert_sources": 0.05,
    "time": 0.05,
    "root_cause": 0.30,
}
"""The parts of a similarity score and their weights (they need not add up to 1: the score is divided
by the sum of the weights of the parts that apply, see :mod:`incidentkit.investigation.similar`)."""

DEFAULT_PRIORITIES: dict[str, str] = {
    "critical": "P0",
    "major": "P1",
    "high": "P1",
    "minor": "P2",
    "medium": "P2",
    "low": "P3",
}
"""Severity name (lower case) → the priority agents use."""


class InvestigationConfigError(InvestigationError, ValueError):
    """The ``[investigation]`` table holds a key of the wrong type or an unknown weight."""


@dataclass(frozen=True)
class PrometheusConfig:
    """Where the Prometheus evidence comes from (``[investigation.prometheus]``).

    Attributes:
        url: the Prometheus server (its HTTP API is under ``/api/v1``).
        queries: signal name → PromQL, with ``{service}`` standing for the service's name.
        timeout_seconds: how long one query may take.
        step: the resolution asked for; coarser when the range would have too many points.
        before: how long before the incident's start the baseline runs.
        after: how long after the start is compared with it.
        min_ratio: a mean that moved by less than this factor is reported as steady.
    """

    url: str
    queries: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    step: timedelta = timedelta(seconds=15)
    before: timedelta = timedelta(hours=1)
    after: timedelta = timedelta(minutes=30)
    min_ratio: float = 1.5


@dataclass(frozen=True)
class LLMConfig:
    """The language model that may write the investigation's summary (``[investigation.llm]``).

    Attributes:
        base_url: an OpenAI-compatible API (``https://api.openai.com/v1``; without ``/v1`` it is added).
        model: the model's name.
        api_key_env: the environment variable holding the key.
        credential: the credential store's secret holding the key, when the variable is not set.
        timeout_seconds: how long the model may take.
    """

    base_url: str
    model: str
    api_key_env: str = "INCIDENTKIT_LLM_API_KEY"
    credential: str = "llm"
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class InvestigationConfig:
    """What the investigation reads from the configuration file.

    Attributes:
        weights: part of the similarity score → weight (see :data:`DEFAULT_WEIGHTS`).
        threshold: matches whose score is below this are not returned.
        root_cause_fields: custom field names (any case) that hold the organisation's root-cause or
            category label; the first one an incident has is used.
        service_fields: custom field names or ids (any case) that list the affected services; none
            (the default): every field whose name contains "service", the incident view's rule.
        services: service names to look for in an incident's title, summary and alerts when the
            catalog has no Service type (the catalog's names and aliases are used when it has).
        time_half_life_days: days after which time proximity has halved.
        label_neighbours: how many of the nearest labelled past incidents vote on the root cause.
        dependency_share: in the ``services`` part, how much a past incident's service that is one
            catalog dependency away from one of the query's services counts (a shared service: 1).
        priorities: severity name (lower case) → priority (``P0``…).
        dependencies: service → the services it depends on (for "what changed before this incident").
        prometheus: where Prometheus evidence comes from; None when not configured.
        llm: the language model for the summary; None: the rules' summary.
        ai_context: the organisation's "context for AI" (team structure, critical services,
            escalation habits), given to the language model with the findings.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    threshold: float = 0.15
    root_cause_fields: tuple[str, ...] = ("Root cause", "Root cause category", "Category")
    service_fields: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    time_half_life_days: float = 30.0
    label_neighbours: int = 10
    dependency_share: float = 0.5
    priorities: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prometheus: PrometheusConfig | None = None
    llm: LLMConfig | None = None
    ai_context: str = ""


def load_investigation_config(path: Path | None = None) -> InvestigationConfig:
    """The ``[investigation]`` table of the configuration file, over the defaults.

    Raises:
        ConfigFileError: the file cannot be read.
        InvestigationConfigError: a key has the wrong type (the message names the key and the file).
    """
    data, source = read_config_file(path)
    return investigation_config_from(data.get("investigation", {}), str(source or "the configuration"))


def investigation_config_from(table: Any, where: str = "the configuration") -> InvestigationConfig:
    """Build the configuration from an ``[investigation]`` table already parsed (see the module doc)."""
    if not isinstance(table, dict):
        raise InvestigationConfigError(f"{where}: [investigation] must be a table")
    known = {
        "weights",
        "threshold",
        "root_cause_fields",
        "service_fields",
        "services",
        "time_half_life_days",
        "label_neighbours",
        "dependency_share",
        "priorities",
        "dependencies",
        "prometheus",
        "llm",
        "ai_context",
        "ai_context_file",
    }
    for key in table:
        if key not in known:
            raise InvestigationConfigError(
                f"{where}: [investigation] has no key {key!r} (known: {', '.join(sorted(known))})"
            )
    defaults = InvestigationConfig()
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in _table(table, "weights", where).items():
        if name not in DEFAULT_WEIGHTS:
            raise InvestigationConfigError(
                f"{where}: [investigation.weights] has no part {name!r} (parts: {', '.join(DEFAULT_WEIGHTS)})"
            )
        weights[name] = _number(value, f"[investigation.weights] {name}", where, minimum=0.0)
    priorities = dict(DEFAULT_PRIORITIES)
    for name, value in _table(table, "priorities", where).items():
        if not isinstance(value, str) or not value.strip():
            raise InvestigationConfigError(
                f'{where}: [investigation.priorities] {name} must be text such as "P1", not {value!r}'
            )
        priorities[name.strip().lower()] = value.strip()
    return InvestigationConfig(
        weights=weights,
        threshold=_number(table.get("threshold", defaults.threshold), "threshold", where, minimum=0.0),
        root_cause_fields=_names(table, "root_cause_fields", defaults.root_cause_fields, where),
        service_fields=_names(table, "service_fields", defaults.service_fields, where),
        services=_names(table, "services", defaults.services, where),
        time_half_life_days=_number(
            table.get("time_half_life_days", defaults.time_half_life_days),
            "time_half_life_days",
            where,
            minimum=1e-9,
        ),
        label_neighbours=int(
            _number(table.get("label_neighbours", defaults.label_neighbours), "label_neighbours", where, 1)
        ),
        dependency_share=_share(table.get("dependency_share", defaults.dependency_share), where),
        priorities=priorities,
        dependencies=_dependencies(_table(table, "dependencies", where), where),
        prometheus=_prometheus(table.get("prometheus"), where),
        llm=_llm(table.get("llm"), where),
        ai_context=_ai_context(table, where),
    )


def _share(value: Any, where: str) -> float:
    """``dependency_share``: a number from 0 to 1 (a dependency never counts more than a shared service)."""
    share = _number(value, "dependency_share", where, minimum=0.0)
    if share > 1:
        raise InvestigationConfigError(
            f"{where}: [investigation] dependency_share must be from 0 to 1 (a shared service counts 1), "
            f"not {value!r}"
        )
    return share


def _ai_context(table: Mapping[str, Any], where: str) -> str:
    """``ai_context`` as text, or the text of the file ``ai_context_file`` names."""
    text, path = table.get("ai_context"), table.get("ai_context_file")
    if text is not None and path is not None:
        raise InvestigationConfigError(
            f"{where}: [investigation] has both ai_context and ai_context_file: give one"
        )
    if text is not None:
        if not isinstance(text, str):
            raise InvestigationConfigError(f"{where}: [investigation] ai_context must be text")
        return text.strip()
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvestigationConfigError(f"{where}: [investigation] ai_context_file must be a path")
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise InvestigationConfigError(
            f"{where}: [investigation] ai_context_file {path!r} cannot be read: {error}"
        ) from None


def _llm(value: Any, where: str) -> LLMConfig | None:
    """The ``[investigation.llm]`` table, or None when there is none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvestigationConfigError(f"{where}: [investigation] llm must be a table")
    known = {"base_url", "model", "api_key_env", "credential", "timeout_seconds"}
    for key in value:
        if key not in known:
            raise InvestigationConfigError(
                f"{where}: [investigation.llm] has no key {key!r} (known: {', '.join(sorted(known))})"
            )
    url = value.get("base_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvestigationConfigError(
            f'{where}: [investigation.llm] base_url must be an http(s) URL such as "https://api.openai.com/v1"'
        )
    model = value.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvestigationConfigError(
            f'{where}: [investigation.llm] model must name a model, such as "gpt-4o-mini"'
        )
    defaults = LLMConfig(base_url=url, model=model)
    for key in ("api_key_env", "credential"):
        if key in value and (not isinstance(value[key], str) or not value[key].strip()):
            raise InvestigationConfigError(f"{where}: [investigation.llm] {key} must be a name")
    return LLMConfig(
        base_url=url.rstrip("/"),
        model=model.strip(),
        api_key_env=str(value.get("api_key_env", defaults.api_key_env)),
        credential=str(value.get("credential", defaults.credential)),
        timeout_seconds=_number(
            value.get("timeout_seconds", defaults.timeout_seconds), "llm.timeout_seconds", where, 1e-3
        ),
    )


def _dependencies(table: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    """``service = ["dependency", ...]`` (or one name as text) for each service."""
    found: dict[str, tuple[str, ...]] = {}
    for service, value in table.items():
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise InvestigationConfigError(
                f"{where}: [investigation.dependencies] {service} must be a list of service names"
            )
        found[service] = tuple(names)
    return found


def _prometheus(value: Any, where: str) -> PrometheusConfig | None:
    """The ``[investigation.prometheus]`` table, or None when there is none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvestigationConfigError(f"{where}: [investigation] prometheus must be a table")
    known = {"url", "queries", "timeout_seconds", "step", "before", "after", "min_ratio"}
    for key in value:
        if key not in known:
            raise InvestigationConfigError(
                f"{where}: [investigation.prometheus] has no key {key!r} (known: {', '.join(sorted(known))})"
            )
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvestigationConfigError(
            f'{where}: [investigation.prometheus] url must be an http(s) URL such as "http://prometheus:9090"'
        )
    queries = value.get("queries", {})
    if not isinstance(queries, dict) or not all(
        isinstance(query, str) and query.strip() for query in queries.values()
    ):
        raise InvestigationConfigError(
            f"{where}: [investigation.prometheus.queries] must map names to PromQL text"
        )
    defaults = PrometheusConfig(url=url)
    return PrometheusConfig(
        url=url.rstrip("/"),
        queries=dict(queries),
        timeout_seconds=_number(
            value.get("timeout_seconds", defaults.timeout_seconds), "prometheus.timeout_seconds", where, 1e-3
        ),
        step=_duration(value, "step", defaults.step, where),
        before=_duration(value, "before", defaults.before, where),
        after=_duration(value, "after", defaults.after, where),
        min_ratio=_number(value.get("min_ratio", defaults.min_ratio), "prometheus.min_ratio", where, 1.0),
    )


def _duration(table: Mapping[str, Any], key: str, default: timedelta, where: str) -> timedelta:
    if key not in table:
        return default
    try:
        duration = parse_duration(table[key])
    except ValueError as error:
        raise InvestigationConfigError(f"{where}: [investigation.prometheus] {key}: {error}") from None
    if duration <= timedelta(0):
        raise InvestigationConfigError(f"{where}: [investigation.prometheus] {key} must be longer than 0")
    return duration


def _table(table: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise InvestigationConfigError(f"{where}: [investigation] {key} must be a table")
    return value


def _number(value: Any, key: str, where: str, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise InvestigationConfigError(
            f"{where}: [investigation] {key} must be a number of at least {minimum:g}, not {value!r}"
        )
    return float(value)


def _names(table: Mapping[str, Any], key: str, default: tuple[str, ...], where: str) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvestigationConfigError(f"{where}: [investigation] {key} must be a list of names")
    return tuple(value)
