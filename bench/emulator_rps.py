"""Requests per second the served emulator answers for show-incident (`GET /v2/incidents/{id}`).

The emulator runs as `incidentkit emulator serve` in one process; a load generator in a second
process keeps several keep-alive connections busy for a fixed time and counts the answers. The
baseline, measured the same way in the same run, is the smallest possible app on the same server
stack (uvicorn, one fixed JSON answer): the ratio is the share of the stack's ceiling the emulator
reaches.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

from _emulator import KEY, served_emulator

CONNECTIONS = 8
SECONDS = 5.0

BASELINE_APP = """
import sys
from incidentkit.serving import bind, serve_forever, url_of

BODY = b'{"incident":{"id":"01HDH3SMWK0C2D8TN41PVW61TA"}}'

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})

sock = bind("127.0.0.1", 0)
serve_forever(app, sock, on_ready=lambda: print("listening on", url_of(sock), flush=True))
"""


async def _one_connection(host: str, port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            counts[0 if status == 200 else 1] += 1
    finally:
        writer.close()


async def _generate(url: str, path: str, connections: int, seconds: float) -> tuple[int, int, float]:
    host, port = url.removeprefix("http://").split(":")
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\n\r\n").encode()
    counts = [0, 0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_one_connection(host, int(port), request, deadline, counts) for _ in range(connections))
    )
    return counts[0], counts[1], time.perf_counter() - started


def load(url: str, path: str) -> float:
    """Run the load generator in a second process; the answers per second it saw."""
    argv = [sys.executable, __file__, "--generate", url, path]
    output = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=SECONDS + 60).stdout
    ok, failed, elapsed = json.loads(output)
    if failed:
        raise RuntimeError(f"{failed} requests to {path} did not answer 200")
    return float(ok) / float(elapsed)


def baseline_rps() -> float:
    process = subprocess.Popen(
        [sys.executable, "-c", BASELINE_APP], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split("listening on", 1)[1].strip()
        return load(url, "/")
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    with served_emulator("demo") as url:
        request = urllib.request.Request(
            url + "/v2/incidents?page_size=1", headers={"Authorization": f"Bearer {KEY}"}
        )
        with urllib.request.urlopen(request) as response:
            incident_id = json.loads(response.read())["incidents"][0]["id"]
        emulator = load(url, f"/v2/incidents/{incident_id}")
    stack = baseline_rps()
    print(f"load: {CONNECTIONS} keep-alive connections from a second process, {SECONDS:.0f} s each")
    print(f"baseline (uvicorn, fixed answer):  {stack:8.0f} requests/s")
    print(f"emulator GET /v2/incidents/{{id}}:   {emulator:8.0f} requests/s")
    print(f"ratio (emulator / baseline):       {emulator / stack:8.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        print(json.dumps(asyncio.run(_generate(sys.argv[2], sys.argv[3], CONNECTIONS, SECONDS))))
    else:
        main()
