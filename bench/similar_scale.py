"""Similar-incident search over 100,000 incidents in the store: query time and memory.

Writes 100,000 generated incidents (title, summary, three updates, two timeline items, services,
alert sources, a root-cause label on most) into a temporary SQLite store through the history API,
and a catalog of their 300 services, each depending on two others (so the ``services`` part also
counts services one dependency away, as after ``incidentkit sync``), then times
``similar(ref)`` for 200 incidents exactly as ``incidentkit similar`` runs it (the first call builds
the index; it is timed apart). Prints the bulk write time, the index build time, p50/p99 of a query
and the process's peak memory. Target: p50 under 50 ms.

    python bench/similar_scale.py [--count 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from incidentkit.investigation import (
    History,
    HistoryIncident,
    HistoryTimelineItem,
    HistoryUpdate,
    KnownService,
    ServiceDirectory,
    similar,
)
from incidentkit.investigation.config import InvestigationConfig
from incidentkit.store import Store

PROBLEMS = [
    ("Database connection pool exhausted on {s}", "{s} cannot get connections from its pool"),
    ("Elevated 5xx from {s}", "{s} returns errors to a share of requests after the {w} change"),
    ("{s} p99 latency above SLO", "requests to {s} are slow; {w} queue depth is growing"),
    ("Certificate expiring for {s}", "the TLS certificate of {s} expires within 48 hours"),
    ("Failed deploy of {s}", "the deploy of {s} failed health checks and was rolled back"),
    ("Memory leak in {s}", "{s} pods are OOM-killed every few hours since {w}"),
    ("DNS resolution failures for {s}", "lookups of {s} time out in one region; {w} resolver"),
    ("Disk full on {s} hosts", "{s} stopped writing logs; the {w} volume is full"),
]
SERVICES = [f"svc-{n:03d}" for n in range(300)]
CAUSES = ["Config", "Deploy", "Capacity", "Database", "Network", "Certificates", "Hardware", "Dependency"]


def generated(count: int, rng: random.Random) -> Iterator[HistoryIncident]:
    services = SERVICES
    words = [f"w{n:04d}" for n in range(5000)]  # a long tail of rare words, as real incidents have
    sources = ["Prometheus", "Datadog", "Grafana", "CloudWatch", "Sentry"]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    for number in range(1, count + 1):
        title, summary = rng.choice(PROBLEMS)
        service = rng.choice(services)
        extra = " ".join(rng.choices(words, k=25))
        created = start + timedelta(minutes=number * 15)
        cause = (rng.choice(CAUSES),) if rng.random() < 0.7 else ()
        yield HistoryIncident(
            id=f"scale-{number:07d}",
            reference=f"INC-{number}",
            title=title.format(s=service, w=rng.choice(words)),
            summary=f"{summary.format(s=service, w=rng.choice(words))}. {extra}",
            status_category="closed",
            created_at=created,
            updated_at=created,
            severity=rng.choice(["Critical", "Major", "Minor"]),
            services=(service, *rng.sample(services, k=rng.randint(0, 2))),
            alert_sources=(rng.choice(sources),),
            custom_fields={"Root cause": cause} if cause else {},
            root_causes=cause,
            updates=tuple(
                HistoryUpdate(created + timedelta(minutes=5 * i), " ".join(rng.choices(words, k=10)))
                for i in range(3)
            ),
            timeline_items=tuple(
                HistoryTimelineItem(
                    created + timedelta(minutes=7 * i), f"Step {i}", " ".join(rng.choices(words, k=8))
                )
                for i in range(2)
            ),
        )


def catalog(rng: random.Random) -> list[KnownService]:
    """The services, each depending on two others, with an alias each."""
    return [
        KnownService(name, aliases=(f"{name}-alias",), depends_on=tuple(rng.sample(SERVICES, k=2)))
        for name in SERVICES
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(13)
    config = InvestigationConfig()
    with tempfile.TemporaryDirectory() as directory, Store.open(f"sqlite:///{directory}/history.db") as store:
        history = History(store)
        began = time.perf_counter()
        history.upsert(generated(args.count, rng))
        ServiceDirectory(store).replace(catalog(rng))
        written = time.perf_counter() - began

        began = time.perf_counter()
        similar("INC-1", history=history, config=config)
        built = time.perf_counter() - began

        timings = []
        for _ in range(args.queries):
            ref = f"INC-{rng.randint(1, args.count)}"
            began = time.perf_counter()
            matches = similar(ref, k=5, history=history, config=config)
            timings.append(time.perf_counter() - began)
            assert matches, ref
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"similar over {args.count:,} incidents in the store (SQLite):")
    print(f"  bulk write {written:.1f} s, index build (first query) {built:.1f} s")
    print(f"  query p50 {p50:.1f} ms, p99 {p99:.1f} ms over {args.queries} queries (target p50 < 50 ms)")
    print(f"  peak memory {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
