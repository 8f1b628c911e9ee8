"""Listing 10,000 incidents from the emulator served on loopback: our client against the official SDK.

Both walk every page of `GET /v2/incidents` at the same page size, in this process, against the
same server (`incidentkit emulator serve`, seeded with 10,000 generated incidents). The SDK side
is its documented pagination loop (pass `after` until `pagination_meta.after` is empty). Target:
ours at least 1.2x faster.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from incident_io import AuthenticatedClient
from incident_io.api.incidents_v2 import incidents_v2_list
from incident_io.types import UNSET

from _emulator import KEY, admin, served_emulator
from incidentkit.api import Client

COUNT = 10_000
PAGE_SIZE = 250
RUNS = 3


def ours(url: str) -> int:
    with Client(KEY, base_url=url, rate_limit=None) as client:
        return sum(1 for _ in client.incidents.list(page_size=PAGE_SIZE, limit=None))


def official_sdk(url: str) -> int:
    seen = 0
    after = UNSET
    with AuthenticatedClient(base_url=url, token=KEY) as client:
        while True:
            page = incidents_v2_list.sync(client=client, page_size=PAGE_SIZE, after=after)
            seen += len(page.incidents)
            after = page.pagination_meta.after
            if not after:
                return seen


def timed(function: Callable[[str], int], url: str) -> tuple[float, int]:
    started = time.perf_counter()
    count = function(url)
    return time.perf_counter() - started, count


def main() -> None:
    with served_emulator("default") as url:
        total = admin(url, "POST", "/_emulator/incidents", {"count": COUNT})["incidents"]
        samples: dict[str, list[float]] = {"ours": [], "sdk": []}
        for _ in range(RUNS + 1):  # the first round warms both up and is not counted
            for name, function in (("ours", ours), ("sdk", official_sdk)):
                seconds, count = timed(function, url)
                assert count == total, f"{name} listed {count} of {total} incidents"
                samples[name].append(seconds)
    mine, theirs = (statistics.median(samples[name][1:]) for name in ("ours", "sdk"))
    print(f"incidents listed:                   {total:7d} ({total // PAGE_SIZE + 1} pages of {PAGE_SIZE})")
    print(f"incidentkit client:                 {mine * 1000:7.0f} ms ({total / mine:7.0f} incidents/s)")
    print(f"official SDK pagination loop:       {theirs * 1000:7.0f} ms ({total / theirs:7.0f} incidents/s)")
    print(f"ratio (SDK / ours):                 {theirs / mine:7.2f}x (target >= 1.2x)")


if __name__ == "__main__":
    main()
