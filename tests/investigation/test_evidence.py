"""Evidence from Prometheus: a real Prometheus scrapes an exporter whose values the test sets.

The exporter serves ``test_errors`` low for its first scrapes and twelve times higher after, and a
steady ``test_latency_seconds``; Prometheus scrapes it every second, and the queries run over
``/api/v1/query_range`` with explicit times around the moment the level changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from incidentkit.investigation import EvidenceError, PrometheusConfig, PrometheusSource
from incidentkit.investigation.config import investigation_config_from
from incidentkit.investigation.evidence import Series, compare, promql_string
from incidentkit.testing import LoopbackServer
from incidentkit.testing.loopback import Answer, Received
from tests.investigation.prometheus_server import PrometheusUnavailable, TemporaryPrometheus

LOW, HIGH = 1.0, 12.0
LOW_SCRAPES, HIGH_SCRAPES = 4, 5
QUERIES = {
    "error_rate": 'test_errors{service="{service}"}',
    "latency": 'test_latency_seconds{service="{service}"}',
}


@dataclass
class Exporter:
    """A metrics endpoint: ``test_errors`` is LOW for LOW_SCRAPES scrapes, then HIGH."""

    scrapes: list[datetime] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def respond(self, request: Received) -> Answer:
        self.scrapes.append(datetime.now(UTC))
        errors = LOW if len(self.scrapes) <= LOW_SCRAPES else HIGH
        if len(self.scrapes) >= LOW_SCRAPES + HIGH_SCRAPES:
            self.done.set()
        body = (
            "# TYPE test_errors gauge\n"
            f'test_errors{{service="checkout"}} {errors}\n'
            "# TYPE test_latency_seconds gauge\n"
            'test_latency_seconds{service="checkout"} 0.25\n'
        )
        return 200, {"Content-Type": "text/plain; version=0.0.4"}, body.encode()


@dataclass
class Scraped:
    """Prometheus after the scrapes, and the times of the samples it stored (its own timestamps)."""

    url: str
    samples: list[tuple[datetime, float]]

    @property
    def start(self) -> datetime:
        return self.samples[0][0]

    @property
    def end(self) -> datetime:
        return self.samples[-1][0]

    @property
    def switched_at(self) -> datetime:
        """The timestamp of the first HIGH sample: where the level changed."""
        return next(at for at, value in self.samples if value == HIGH)

    def source(self, **settings: object) -> PrometheusSource:
        config = PrometheusConfig(url=self.url, queries=QUERIES, step=timedelta(seconds=1))
        return PrometheusSource(replace(config, **settings))  # type: ignore[arg-type]


def raw_samples(url: str) -> list[tuple[datetime, float]]:
    """The samples of ``test_errors`` as stored, with Prometheus's timestamps (a range selector)."""
    answer = httpx2.get(
        f"{url}/api/v1/query",
        params={"query": 'test_errors{service="checkout"}[5m]', "time": f"{time.time():.3f}"},
        timeout=5,
    ).json()
    result = answer["data"]["result"]
    if not result:
        return []
    return [(datetime.fromtimestamp(float(at), UTC), float(value)) for at, value in result[0]["values"]]


@pytest.fixture(scope="module")
def scraped() -> Iterator[Scraped]:
    exporter = Exporter()
    with LoopbackServer(exporter.respond) as target:
        try:
            prometheus = TemporaryPrometheus.start([target.url.removeprefix("http://")])
        except PrometheusUnavailable as error:
            pytest.skip(f"Prometheus tests skipped: {error}")
        with prometheus:
            assert exporter.done.wait(timeout=60), "Prometheus did not scrape the exporter in time"
            # The last scrape is stored just after it is served: wait (bounded) until it can be read.
            deadline = time.monotonic() + 10
            samples = raw_samples(prometheus.url)
            while sum(value == HIGH for _, value in samples) < HIGH_SCRAPES and time.monotonic() < deadline:
                time.sleep(0.2)
                samples = raw_samples(prometheus.url)
            assert [value for _, value in samples][:LOW_SCRAPES] == [LOW] * LOW_SCRAPES, samples
            yield Scraped(prometheus.url, samples)


def test_a_rise_is_reported_with_its_size_and_time(scraped: Scraped) -> None:
    around = scraped.switched_at
    # The baseline ends just before the first high sample; the rest of the range is "after".
    evidence = scraped.source().evidence(
        "checkout", around, before=around - scraped.start, after=scraped.end - around
    )
    by_signal = {item.signal: item for item in evidence}
    errors = by_signal["error_rate"]
    assert errors.query == 'test_errors{service="checkout"}'
    assert errors.direction == "rose"
    assert errors.before_mean == pytest.approx(LOW)
    assert errors.after_mean == pytest.approx(HIGH)
    assert errors.ratio == pytest.approx(HIGH / LOW)
    # Evaluated every second from the first sample: the split is the first step at or after the switch.
    assert errors.changed_at is not None and timedelta(0) <= errors.changed_at - around < timedelta(seconds=1)
    assert (
        errors.summary.startswith("error_rate rose ")
        and f"x at {errors.changed_at:%H:%M} UTC" in errors.summary
    )
    assert errors.labels["service"] == "checkout"
    latency = by_signal["latency"]
    assert (latency.direction, latency.changed_at) == ("steady", None)
    assert latency.summary == "latency steady at about 0.25"
    assert latency.to_dict()["ratio"] == pytest.approx(1.0)


def test_a_service_without_series_has_no_data(scraped: Scraped) -> None:
    evidence = scraped.source().evidence("search", scraped.switched_at)
    assert [(item.signal, item.direction) for item in evidence] == [
        ("error_rate", "no data"),
        ("latency", "no data"),
    ]
    assert "matched no series" in evidence[0].summary


def test_a_query_prometheus_refuses_says_why(scraped: Scraped) -> None:
    source = scraped.source(queries={"broken": "sum(rate(test_errors{service="})
    with pytest.raises(EvidenceError, match=r"broken for checkout: Prometheus refused the query .*bad_data"):
        source.evidence("checkout", scraped.switched_at)


def test_an_unreachable_or_slow_or_foreign_server_is_a_clear_error() -> None:
    around = datetime(2026, 3, 1, 10, 42, tzinfo=UTC)
    with LoopbackServer(lambda request: (200, {}, {"hello": "world"})) as foreign:
        url = foreign.url
        source = PrometheusSource(PrometheusConfig(url=url, queries=QUERIES))
        with pytest.raises(EvidenceError, match="refused the query"):
            source.evidence("checkout", around)
    # The server is gone now: nothing listens there.
    with pytest.raises(EvidenceError, match=f"cannot reach Prometheus at {url}"):
        source.evidence("checkout", around)
    release = threading.Event()

    def stall(request: Received) -> Answer:
        release.wait(timeout=5)
        return 200, {}, {}

    with LoopbackServer(stall) as slow:
        stalled = PrometheusSource(PrometheusConfig(url=slow.url, queries=QUERIES, timeout_seconds=0.2))
        try:
            with pytest.raises(EvidenceError, match=r"did not answer within 0.2s"):
                stalled.evidence("checkout", around)
        finally:
            release.set()
    with (
        LoopbackServer(lambda request: (502, {}, b"<html>bad gateway</html>")) as proxy,
        pytest.raises(EvidenceError, match="answered 502 with no JSON"),
    ):
        PrometheusSource(PrometheusConfig(url=proxy.url, queries=QUERIES)).evidence("checkout", around)


def test_the_service_name_is_escaped_into_the_query() -> None:
    assert promql_string('we"b\\x') == 'we\\"b\\\\x'
    seen: list[str] = []

    def answer(request: Received) -> Answer:
        from urllib.parse import parse_qs, urlsplit

        seen.append(parse_qs(urlsplit(request.path).query)["query"][0])
        return 200, {}, {"status": "success", "data": {"resultType": "matrix", "result": []}}

    with LoopbackServer(answer) as server:
        PrometheusSource(PrometheusConfig(url=server.url, queries={"e": 'x{service="{service}"}'})).evidence(
            'we"b', datetime(2026, 3, 1, tzinfo=UTC)
        )
    assert seen == ['x{service="we\\"b"}']


def points(values: list[float], start: datetime) -> list[tuple[datetime, float]]:
    return [(start + timedelta(minutes=i), value) for i, value in enumerate(values)]


def test_compare_falls_rises_from_zero_and_stays_steady() -> None:
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    around = start + timedelta(minutes=4)
    fell = compare(Series({}, points([10, 10, 10, 10, 2, 2, 2], start)), around, signal="throughput")
    assert (fell.direction, fell.changed_at) == ("fell", around)
    assert fell.summary == "throughput fell 5x at 10:04 UTC"
    from_zero = compare(Series({}, points([0, 0, 0, 0, 3, 3], start)), around, signal="errors")
    assert from_zero.direction == "rose" and from_zero.summary == "errors rose from 0 to 3 at 10:04 UTC"
    assert from_zero.to_dict()["from_zero"] is True and from_zero.to_dict()["ratio"] is None
    steady = compare(Series({}, points([5, 6, 5, 6, 6, 5], start)), around, min_ratio=1.5)
    assert steady.direction == "steady"
    empty = compare(Series({}, points([1, 1], start)), around)
    assert empty.direction == "no data" and "no data after" in empty.summary


def test_the_prometheus_table_is_read_and_checked() -> None:
    config = investigation_config_from(
        {"prometheus": {"url": "http://prom:9090/", "queries": QUERIES, "step": "30s", "before": "2h"}}
    )
    assert config.prometheus is not None
    assert config.prometheus.url == "http://prom:9090"
    assert config.prometheus.step == timedelta(seconds=30) and config.prometheus.before == timedelta(hours=2)
    assert investigation_config_from({}).prometheus is None
    from incidentkit.investigation.config import InvestigationConfigError

    with pytest.raises(InvestigationConfigError, match="url must be an http"):
        investigation_config_from({"prometheus": {"url": "prom:9090"}})
    with pytest.raises(InvestigationConfigError, match="step"):
        investigation_config_from({"prometheus": {"url": "http://p", "step": "soon"}})
    with pytest.raises(InvestigationConfigError, match="has no key 'interval'"):
        investigation_config_from({"prometheus": {"url": "http://p", "interval": "1s"}})
    deps = investigation_config_from({"dependencies": {"web": ["api"], "api": "db"}})
    assert deps.dependencies == {"web": ("api",), "api": ("db",)}
    with pytest.raises(InvestigationConfigError, match="dependencies"):
        investigation_config_from({"dependencies": {"web": [1]}})
