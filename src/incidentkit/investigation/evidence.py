"""Evidence around an incident's start: what a signal did before and after it, from Prometheus.

An :class:`EvidenceSource` answers one question, "what did the signals of this service do around
this moment?", with :class:`Evidence`: per signal, the mean before the start and after it, their
ratio, and when the change happened, in words ("error_rate rose 12x at 10:42"). A log source can
follow the same protocol.

:class:`PrometheusSource` runs the configured PromQL (``[investigation.prometheus.queries]``, with
``{service}`` standing for the service's name, escaped as a PromQL string) over Prometheus's HTTP API
(``/api/v1/query_range``) with explicit times, so the answer does not depend on when it is asked.
When it happened is the best single split of the whole range into two means (the least squared
error): it is where the level changed, which may be a little before or after the declared start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from incidentkit.investigation.config import PrometheusConfig
from incidentkit.investigation.errors import InvestigationError
from incidentkit.timeutil import iso

__all__ = [
    "Evidence",
    "EvidenceError",
    "EvidenceSource",
    "PrometheusSource",
    "Series",
    "compare",
    "promql_string",
]

MAX_POINTS = 600
"""Points asked for per series at most; the step grows for long ranges (Prometheus allows 11,000)."""


class EvidenceError(InvestigationError):
    """An evidence source could not answer (unreachable, refused the query, answered nonsense)."""


@dataclass(frozen=True)
class Series:
    """One time series: its labels and (time, value) points, oldest first."""

    labels: Mapping[str, str]
    points: Sequence[tuple[datetime, float]]


@dataclass(frozen=True)
class Evidence:
    """What one signal did around an incident's start.

    Attributes:
        source: the evidence source (``prometheus``).
        service: the service the signal is about.
        signal: the signal's name (the query's name in the configuration).
        query: the query run.
        labels: the series' labels (a query may return several series).
        before_mean: the mean over the baseline before the start; None without points there.
        after_mean: the mean from the start on; None without points there.
        ratio: ``after_mean / before_mean``; ``inf`` when it rose from zero; None when unknown.
        direction: ``rose``, ``fell``, ``steady`` or ``no data``.
        changed_at: when the level changed (the best split of the range); None when steady.
        summary: the whole finding in a line.
    """

    source: str
    service: str
    signal: str
    query: str
    labels: Mapping[str, str]
    before_mean: float | None
    after_mean: float | None
    ratio: float | None
    direction: str
    changed_at: datetime | None
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """The evidence as JSON (an infinite ratio is written ``null`` with ``from_zero``)."""
        finite = self.ratio is not None and math.isfinite(self.ratio)
        return {
            "source": self.source,
            "service": self.service,
            "signal": self.signal,
            "query": self.query,
            "labels": dict(self.labels),
            "before_mean": self.before_mean,
            "after_mean": self.after_mean,
            "ratio": self.ratio if finite else None,
            "from_zero": self.ratio is not None and not finite,
            "direction": self.direction,
            "changed_at": iso(self.changed_at),
            "summary": self.summary,
        }


class EvidenceSource(Protocol):
    """Anything that can say what a service's signals did around a moment."""

    name: str

    def evidence(
        self,
        service: str,
        around: datetime,
        *,
        before: timedelta | None = None,
        after: timedelta | None = None,
    ) -> list[Evidence]:
        """The evidence for ``service`` from ``around - before`` to ``around + after``.

        Raises:
            EvidenceError: the source could not answer; the message says why.
        """
        ...


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _split(points: Sequence[tuple[datetime, float]]) -> datetime | None:
    """The time of the first point after the best split into two levels (least squared error)."""
    values = [value for _, value in points]
    n = len(values)
    if n < 2:
        return None
    total, total_sq = sum(values), sum(v * v for v in values)
    best, best_at = math.inf, None
    left = left_sq = 0.0
    for i in range(1, n):
        left += values[i - 1]
        left_sq += values[i - 1] ** 2
        right, right_sq = total - left, total_sq - left_sq
        cost = (left_sq - left * left / i) + (right_sq - right * right / (n - i))
        if cost < best - 1e-12:
            best, best_at = cost, points[i][0]
    return best_at


def _number(value: float) -> str:
    """A value as people read it: ``0.5``, ``12``, ``1.2k``."""
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}k"
    return f"{value:.3g}"


def compare(
    series: Series,
    around: datetime,
    *,
    min_ratio: float = 1.5,
    service: str = "",
    signal: str = "",
    query: str = "",
    source: str = "prometheus",
) -> Evidence:
    """What ``series`` did around ``around``: means before and after, their ratio, and when it changed.

    A ratio within ``min_ratio`` either way is ``steady``; from zero to more is ``rose`` (ratio ``inf``).
    """
    before = [value for at, value in series.points if at < around]
    after = [value for at, value in series.points if at >= around]
    before_mean, after_mean = _mean(before), _mean(after)
    name = signal or "the signal"
    ratio: float | None = None
    changed_at: datetime | None = None
    if before_mean is None or after_mean is None:
        direction = "no data"
        summary = f"{name}: no data {'before' if before_mean is None else 'after'} the start"
    else:
        if before_mean == 0:
            ratio = math.inf if after_mean > 0 else (1.0 if after_mean == 0 else 0.0)
        else:
            ratio = after_mean / before_mean
        if before_mean < 0 or after_mean < 0:  # a ratio of negative levels means nothing
            ratio = None
            moved = abs(after_mean - before_mean) > abs(before_mean) * (min_ratio - 1)
            direction = ("rose" if after_mean > before_mean else "fell") if moved else "steady"
        elif ratio >= min_ratio:
            direction = "rose"
        elif ratio <= 1 / min_ratio:
            direction = "fell"
        else:
            direction = "steady"
        if direction == "steady":
            summary = f"{name} steady at about {_number(after_mean)}"
        else:
            changed_at = _split(series.points)
            when = f" at {changed_at.astimezone(UTC):%H:%M} UTC" if changed_at else ""
            if ratio is not None and math.isinf(ratio):
                size = f"from 0 to {_number(after_mean)}"
            elif ratio is not None and ratio >= 1:
                size = f"{ratio:.3g}x"
            elif ratio is not None:
                size = f"{1 / ratio:.3g}x" if ratio > 0 else f"to 0 from {_number(before_mean)}"
            else:
                size = f"from {_number(before_mean)} to {_number(after_mean)}"
            summary = f"{name} {direction} {size}{when}"
    return Evidence(
        source=source,
        service=service,
        signal=signal,
        query=query,
        labels=dict(series.labels),
        before_mean=before_mean,
        after_mean=after_mean,
        ratio=ratio,
        direction=direction,
        changed_at=changed_at,
        summary=summary,
    )


def promql_string(text: str) -> str:
    """``text`` escaped to sit inside a double-quoted PromQL string (backslashes, quotes, newlines)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class PrometheusSource:
    """Evidence from a Prometheus server: each configured query, per service, over ``query_range``.

    Args:
        config: the server, its queries and the comparison's settings.
        transport: an ``httpx2`` transport to use instead of the network (tests of error paths).
    """

    name = "prometheus"

    def __init__(self, config: PrometheusConfig, *, transport: Any = None) -> None:
        self.config = config
        self._transport = transport

    def query_range(self, query: str, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """Run ``query`` from ``start`` to ``end`` every ``step``; the series it returns.

        Raises:
            EvidenceError: Prometheus cannot be reached, times out, refuses the query (its reason
                is given) or answers something that is not a range result.
        """
        import httpx2

        url = f"{self.config.url}/api/v1/query_range"
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{max(step.total_seconds(), 0.001):g}s",
        }
        try:
            with httpx2.Client(timeout=self.config.timeout_seconds, transport=self._transport) as client:
                response = client.get(url, params=params)
        except httpx2.TimeoutException:
            raise EvidenceError(
                f"Prometheus at {self.config.url} did not answer within {self.config.timeout_seconds:g}s"
            ) from None
        except httpx2.TransportError as error:
            raise EvidenceError(
                f"cannot reach Prometheus at {self.config.url}: {type(error).__name__}: {error}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            raise EvidenceError(
                f"Prometheus at {self.config.url} answered {response.status_code} with no JSON "
                "(is the url a Prometheus server?)"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            reason = body.get("error") if isinstance(body, dict) else None
            kind = body.get("errorType") if isinstance(body, dict) else None
            raise EvidenceError(
                f"Prometheus refused the query {query!r} ({response.status_code}"
                f"{', ' + str(kind) if kind else ''}): {reason or 'no reason given'}"
            )
        data = body.get("data") or {}
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise EvidenceError(
                f"Prometheus answered the range query {query!r} with a {data.get('resultType')!r} result, "
                "not a matrix"
            )
        return [_series(item) for item in data["result"]]

    def evidence(
        self,
        service: str,
        around: datetime,
        *,
        before: timedelta | None = None,
        after: timedelta | None = None,
    ) -> list[Evidence]:
        """Every configured query for ``service``, compared before and after ``around``.

        Raises:
            EvidenceError: a query failed (the message names it).
        """
        before = self.config.before if before is None else before
        after = self.config.after if after is None else after
        start, end = around - before, around + after
        step = max(self.config.step, (end - start) / MAX_POINTS)
        found: list[Evidence] = []
        for signal, template in self.config.queries.items():
            query = template.replace("{service}", promql_string(service))
            try:
                results = self.query_range(query, start, end, step)
            except EvidenceError as error:
                raise EvidenceError(f"{signal} for {service}: {error}") from None
            if not results:
                found.append(
                    Evidence(
                        self.name, service, signal, query, {}, None, None, None, "no data",
                        None, f"{signal}: no data (the query matched no series)",
                    )
                )  # fmt: skip
            for series in results:
                found.append(
                    compare(
                        series,
                        around,
                        min_ratio=self.config.min_ratio,
                        service=service,
                        signal=signal,
                        query=query,
                        source=self.name,
                    )
                )
        return found


def _series(item: Any) -> Series:
    """One series of a matrix result: ``{"metric": {...}, "values": [[unix seconds, "value"], ...]}``."""
    try:
        points = [
            (datetime.fromtimestamp(float(at), UTC), float(value))
            for at, value in item.get("values") or []
            if value not in ("NaN", "+Inf", "-Inf")
        ]
        return Series(labels=dict(item.get("metric") or {}), points=points)
    except (TypeError, ValueError, AttributeError):
        raise EvidenceError(f"Prometheus sent a series that cannot be read: {str(item)[:200]}") from None
