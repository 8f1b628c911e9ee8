"""Webhook receiver throughput and latency on loopback: verification + durable insert vs a bare endpoint.

The receiver (``incidentkit.webhooks.receiver`` under uvicorn, as ``incidentkit serve`` runs it)
verifies each signed delivery and commits it to the store before answering 202. The baseline is a
bare Starlette POST endpoint that reads the body (any real endpoint must, to use it; not reading it
would leave part of the work to the server's connection handling) and answers 202, doing nothing
else. Both run under the same uvicorn set-up (``incidentkit.serving``: the same HTTP
implementation and event loop, access log off) in this process, one at a time. A load generator in
a second process (``bench/_loadgen.py``) sends 4.5 kB deliveries (incident.io's example
``incident_created_v2`` payload), each signed with a unique webhook id, over 16 keep-alive
connections.

Figures, for SQLite (WAL, ``synchronous=FULL``: every commit flushed) and for PostgreSQL (a
throwaway local cluster with ``fsync=on``; skipped with a message when none can start):

- sustained deliveries/second and the ratio to the bare endpoint (target >= 0.5). The machine may
  be busy with other work, so the bare endpoint and the receiver are measured in alternation,
  several rounds, and the median of the rounds' ratios is the figure;
- the server's CPU time per delivery (this process's user + system time over a run; the load
  generator is not counted), which other work on the machine disturbs much less than the rates;
- p50 and p99 latency at a fixed 200 deliveries/second, open loop (target p99 < 25 ms).

The processor is not running: this measures the request path only. Bounded: a few thousand
deliveries per run, the whole script about a minute.

What limits the receiver (profiled with py-spy and cProfile under this load): one Python process,
two threads sharing the interpreter lock. The event loop thread does the bare endpoint's HTTP work
(h11 and Starlette: about 250-300 us of CPU a delivery here) plus the verification (~20 us, most of
it the HMAC of the body), the hand-over to the writing thread and the wake-up when the batch is
durable: about 1.3-1.5 times the bare endpoint's CPU. The writing thread commits one transaction
per batch: about 8 deliveries with 16 connections (one batch commits while the next fills), some
130 us of CPU a delivery, much of it the kernel's work for the write and the flush. So the server
spends about twice the bare endpoint's CPU on a delivery, and each delivery also waits for one
flush to disk.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from incidentkit.serving import serve_in_thread
from incidentkit.store import Store
from incidentkit.store.pgtemp import PostgresUnavailable, TemporaryPostgres
from incidentkit.webhooks.events import event_types
from incidentkit.webhooks.receiver import INGEST_PATH, create_receiver_app
from incidentkit.webhooks.verify import WebhookVerifier

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOADGEN = Path(__file__).resolve().parent / "_loadgen.py"
THROUGHPUT_COUNT = 3000
WARMUP_COUNT = 300
CONNECTIONS = 16
FIXED_RATE = 200.0
FIXED_RATE_SECONDS = 5
ROUNDS = 3


def bare_app() -> Starlette:
    async def accept(request: Request) -> Response:
        await request.body()
        return Response(status_code=202)

    return Starlette(routes=[Route(INGEST_PATH, accept, methods=["POST"])])


def load(url: str, body: str, *, count: int, prefix: str, rate: float = 0.0) -> dict[str, Any]:
    options = {
        "url": url + INGEST_PATH,
        "secret": SECRET,
        "body": body,
        "count": count,
        "connections": CONNECTIONS,
        "rate": rate,
        "prefix": prefix,
    }
    finished = subprocess.run(
        [sys.executable, str(LOADGEN), json.dumps(options)],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def accepted(result: dict[str, Any]) -> int:
    return int(result["statuses"].get("202", 0))


@dataclass(frozen=True)
class Run:
    """One throughput run: deliveries per second, and the server's CPU time per delivery."""

    rate: float
    cpu_us: float


def throughput(url: str, body: str, prefix: str) -> Run:
    load(url, body, count=WARMUP_COUNT, prefix=f"{prefix}-warm")
    cpu_before = time.process_time()
    result = load(url, body, count=THROUGHPUT_COUNT, prefix=prefix)
    cpu = time.process_time() - cpu_before
    if accepted(result) != THROUGHPUT_COUNT:
        raise RuntimeError(f"not every delivery was accepted: {result['statuses']}")
    return Run(THROUGHPUT_COUNT / float(result["seconds"]), cpu / THROUGHPUT_COUNT * 1e6)


def latency_at_fixed_rate(url: str, body: str, prefix: str) -> tuple[float, float]:
    count = int(FIXED_RATE * FIXED_RATE_SECONDS)
    result = load(url, body, count=count, prefix=prefix, rate=FIXED_RATE)
    if accepted(result) != count:
        raise RuntimeError(f"not every delivery was accepted: {result['statuses']}")
    latencies = sorted(result["latencies"])
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies) * 1000, p99 * 1000


@contextmanager
def receiver(store_url: str) -> Iterator[tuple[str, Store]]:
    store = Store.open(store_url)
    try:
        with serve_in_thread(create_receiver_app(store, WebhookVerifier([SECRET]))) as server:
            yield server.url, store
    finally:
        store.close()


def measure(name: str, store_url: str, body: str, bare_url: str) -> None:
    print(f"{name}:")
    ratios = []
    with receiver(store_url) as (url, store):
        for round_number in range(1, ROUNDS + 1):
            bare = throughput(bare_url, body, f"{name}-bare-{round_number}")
            received = throughput(url, body, f"{name}-throughput-{round_number}")
            ratios.append(received.rate / bare.rate)
            print(
                f"  round {round_number}: bare {bare.rate:6.0f}/s ({bare.cpu_us:4.0f} us CPU each), "
                f"receiver {received.rate:6.0f}/s ({received.cpu_us:4.0f} us CPU each), "
                f"ratio {ratios[-1]:.2f}"
            )
        p50, p99 = latency_at_fixed_rate(url, body, f"{name}-fixed")
        stored = store.count_events()
    expected = ROUNDS * (WARMUP_COUNT + THROUGHPUT_COUNT) + int(FIXED_RATE * FIXED_RATE_SECONDS)
    if stored != expected:
        raise RuntimeError(f"{name}: {stored} events stored, expected {expected}")
    print(
        f"  ratio to the bare endpoint (median of {ROUNDS} rounds): "
        f"{statistics.median(ratios):.2f}   (target >= 0.5)"
    )
    print(
        f"  at {FIXED_RATE:.0f} deliveries/s:  p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (target p99 < 25 ms)"
    )


def main() -> None:
    body = json.dumps(event_types()["public_incident.incident_created_v2"].example)
    print(
        f"body: {len(body)} bytes; {CONNECTIONS} connections; {THROUGHPUT_COUNT} deliveries a throughput run"
    )
    with serve_in_thread(bare_app()) as bare:
        with tempfile.TemporaryDirectory() as directory:
            measure("SQLite (WAL, synchronous=FULL)", f"sqlite:///{directory}/bench.db", body, bare.url)

        try:
            cluster = TemporaryPostgres.start(durable=True)
        except PostgresUnavailable as error:
            print(f"PostgreSQL: skipped ({error})")
            return
        with cluster:
            measure("PostgreSQL (local, fsync=on)", cluster.create_database("bench"), body, bare.url)


if __name__ == "__main__":
    main()
