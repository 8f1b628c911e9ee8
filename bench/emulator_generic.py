"""Requests per second the served emulator answers for generic (schema-driven) and hand-written operations.

The emulator runs as `incidentkit emulator serve`; the load generator of `emulator_rps.py` (a
second process, several keep-alive connections, a fixed time) measures, in the same run, a
show and a list answered by hand-written handlers (`GET /v2/users/{id}`, `GET /v2/users`) and
the same kind of show and list answered by the generic mechanism from the schema
(`GET /v2/secrets/{id}`, `GET /v2/secrets`, with as many secrets as there are users). The
ratios are generic / hand-written.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from _emulator import KEY, served_emulator
from emulator_rps import CONNECTIONS, SECONDS, load


def _call(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    with served_emulator("demo") as url:
        users = _call(url, "GET", "/v2/users?page_size=100")["users"]
        secrets = [
            _call(url, "POST", "/v2/secrets", {"name": f"token-{n}", "value": "s3cret"})["secret"]
            for n in range(len(users))
        ]
        size = len(users)
        figures = {
            "hand-written show": load(url, f"/v2/users/{users[0]['id']}"),
            "generic show": load(url, f"/v2/secrets/{secrets[0]['id']}"),
            "hand-written list": load(url, f"/v2/users?page_size={size}"),
            "generic list": load(url, f"/v2/secrets?page_size={size}"),
        }
    print(f"load: {CONNECTIONS} keep-alive connections from a second process, {SECONDS:.0f} s each")
    rows = [
        ("hand-written show", "GET /v2/users/{id}"),
        ("generic show", "GET /v2/secrets/{id}"),
        ("hand-written list", f"GET /v2/users ({size} records)"),
        ("generic list", f"GET /v2/secrets ({size} records)"),
    ]
    for name, what in rows:
        print(f"{name:18} {what:32} {figures[name]:8.0f} requests/s")
    for kind in ("show", "list"):
        ratio = figures[f"generic {kind}"] / figures[f"hand-written {kind}"]
        print(f"ratio {kind} (generic / hand-written):{ratio:29.2f}")


if __name__ == "__main__":
    main()
