"""Webhook receiver throughput and latency on loopback: verification + durable insert vs a bare endpoint.

The receiver (``incidentkit.webhooks.receiver`` under uvicorn, as ``incidentkit serve`` runs it)
verifies each signed delivery and commits it to the store before answering 202. The baseline is a
bare Starlette endpoint under the same uvicorn set-up that reads the body and answers 202, doing
nothing else, measured in the same run. A load generator in a second process
(``bench/_loadgen.py``) sends deliveries with unique webhook ids over keep-alive connections.

Figures, for SQLite (WAL, ``synchronous=FULL``: every commit flushed) and for PostgreSQL (a
throwaway local cluster with ``fsync=on``; skipped with a message when none can start):

- sustained deliveries/second and the ratio to the bare endpoint (target >= 0.5);
- p50 and p99 latency at a fixed 200 deliveries/second, open loop (target p99 < 25 ms).

The processor is not running: this measures the request path only. Bounded: a few thousand
deliveries per phase, each phase under two minutes.

What limits the receiver: one Python process does the HTTP parsing, the verification, reading the
event type and (in a worker thread, under the same interpreter lock) the SQLAlchemy insert, so it is
CPU-bound at about one core. Deliveries that arrive while a transaction commits share the next one
(a group commit), so the flush to disk is not what limits it; the hand-over to the worker thread and
the per-transaction overhead are. The bare endpoint does none of that work, and the load generator
shares the machine, so the ratio depends on the core count and on how fast the generator is.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from incidentkit.emulator.server import serve_in_thread
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


def throughput(url: str, body: str, prefix: str) -> float:
    load(url, body, count=WARMUP_COUNT, prefix=f"{prefix}-warm")
    result = load(url, body, count=THROUGHPUT_COUNT, prefix=prefix)
    if accepted(result) != THROUGHPUT_COUNT:
        raise RuntimeError(f"not every delivery was accepted: {result['statuses']}")
    return THROUGHPUT_COUNT / float(result["seconds"])


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


def measure(name: str, store_url: str, body: str, bare_rate: float) -> None:
    with receiver(store_url) as (url, store):
        rate = throughput(url, body, f"{name}-throughput")
        p50, p99 = latency_at_fixed_rate(url, body, f"{name}-fixed")
        stored = store.count_events()
    expected = WARMUP_COUNT + THROUGHPUT_COUNT + int(FIXED_RATE * FIXED_RATE_SECONDS)
    if stored != expected:
        raise RuntimeError(f"{name}: {stored} events stored, expected {expected}")
    print(f"{name}:")
    print(f"  verify + durable insert:        {rate:8.0f} deliveries/s")
    print(f"  ratio to the bare endpoint:     {rate / bare_rate:8.2f}   (target >= 0.5)")
    print(
        f"  at {FIXED_RATE:.0f} deliveries/s:  p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (target p99 < 25 ms)"
    )


def main() -> None:
    body = json.dumps(event_types()["public_incident.incident_created_v2"].example)
    print(
        f"body: {len(body)} bytes; {CONNECTIONS} connections; {THROUGHPUT_COUNT} deliveries a throughput run"
    )
    with serve_in_thread(bare_app()) as bare:
        bare_rate = throughput(bare.url, body, "bare")
    print(f"bare Starlette endpoint (202, nothing else): {bare_rate:8.0f} deliveries/s")

    with tempfile.TemporaryDirectory() as directory:
        measure("SQLite (WAL, synchronous=FULL)", f"sqlite:///{directory}/bench.db", body, bare_rate)

    try:
        cluster = TemporaryPostgres.start(durable=True)
    except PostgresUnavailable as error:
        print(f"PostgreSQL: skipped ({error})")
        return
    with cluster:
        measure("PostgreSQL (local, fsync=on)", cluster.create_database("bench"), body, bare_rate)


if __name__ == "__main__":
    main()
