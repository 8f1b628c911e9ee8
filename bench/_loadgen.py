"""A load generator for the receiver benchmark, run as its own process.

Sends signed deliveries (each with a unique webhook id, signed before the clock starts) over
several keep-alive HTTP/1.1 connections, and prints one JSON line of results. Two modes:

- ``throughput``: a fixed number of deliveries as fast as the connections allow;
- ``rate``: deliveries released on a fixed schedule (open loop); each latency is counted from the
  moment the delivery was due, so a slow answer that delays the next ones is not hidden.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

from incidentkit.webhooks.verify import signed_headers


def build_requests(url: str, secret: str, body: bytes, count: int, prefix: str) -> list[bytes]:
    parts = urlsplit(url)
    now = int(time.time())
    requests = []
    for number in range(count):
        msg_id = f"msg_{prefix}_{number:07d}"
        headers = signed_headers(secret, msg_id, body, now)
        lines = [
            f"POST {parts.path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return requests


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def run(options: dict[str, object]) -> dict[str, object]:
    url = str(options["url"])
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    body = str(options["body"]).encode()
    count = int(str(options["count"]))
    connections = int(str(options["connections"]))
    rate = float(str(options.get("rate") or 0))
    requests = build_requests(url, str(options["secret"]), body, count, str(options["prefix"]))
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (item := await queue.get()) is not None:
                request, due = item
                writer.write(request)
                status = await read_response(reader)
                latencies.append(loop.time() - due)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    started = loop.time()
    if rate:
        for number, request in enumerate(requests):
            due = started + number / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((request, due))
    else:
        for request in requests:
            queue.put_nowait((request, started))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*workers), timeout=float(str(options.get("timeout", 120))))
    elapsed = loop.time() - started
    if not rate:
        latencies.clear()  # in throughput mode every request is "due" at the start: not a latency
    return {"count": count, "seconds": elapsed, "statuses": statuses, "latencies": latencies}


def main() -> None:
    options = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(options))))


if __name__ == "__main__":
    main()
