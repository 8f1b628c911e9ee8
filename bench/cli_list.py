"""`incidentkit incidents list --json` as a whole process, against the official SDK in a one-file script.

Both list the newest 25 incidents of the demo organisation from the emulator served on loopback
(`incidentkit emulator serve --seed demo`), and print them as JSON. Targets: ours under 0.5 s and
at least 4x faster than the SDK script; `incidentkit --help` under 0.25 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from _emulator import KEY, served_emulator
from _timing import environment, prepare_bytecode, python, time_command

SDK_SCRIPT = """
import json, os, sys
from incident_io import AuthenticatedClient
from incident_io.api.incidents_v2 import incidents_v2_list

url, key = os.environ["INCIDENT_IO_BASE_URL"], os.environ["INCIDENT_IO_API_KEY"]
with AuthenticatedClient(base_url=url, token=key) as client:
    page = incidents_v2_list.sync(client=client, page_size=25)
json.dump([incident.to_dict() for incident in page.incidents], sys.stdout)
"""


def main() -> None:
    prepare_bytecode()
    with tempfile.TemporaryDirectory() as home, served_emulator("demo") as url:
        script = Path(home) / "sdk_list.py"
        script.write_text(SDK_SCRIPT)
        env = {
            **environment(),
            "INCIDENT_IO_API_KEY": KEY,
            "INCIDENT_IO_BASE_URL": url,
            # No saved profile or cache from the machine running the benchmark.
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_DATA_HOME": os.path.join(home, "data"),
        }
        ours_argv = [python(), "-m", "incidentkit", "incidents", "list", "--json"]
        sdk_argv = [python(), str(script)]
        same = [
            [
                i["reference"]
                for i in json.loads(subprocess.run(argv, check=True, capture_output=True, env=env).stdout)
            ]
            for argv in (ours_argv, sdk_argv)
        ]
        assert same[0] == same[1] and len(same[0]) == 25, "the two listings differ"

        baseline = time_command([python(), "-c", "pass"], env=env)
        helped = time_command([python(), "-m", "incidentkit", "--help"], env=env)
        ours = time_command(ours_argv, env=env)
        sdk = time_command(sdk_argv, runs=5, env=env)
    print(f"python start-up alone:              {baseline * 1000:6.0f} ms")
    print(f"incidentkit --help:                 {helped * 1000:6.0f} ms (target < 250 ms)")
    print(f"incidentkit incidents list --json:  {ours * 1000:6.0f} ms (target < 500 ms, whole process)")
    print(f"official SDK one-file script:       {sdk * 1000:6.0f} ms (whole process)")
    print(f"ratio (SDK / ours):                 {sdk / ours:6.1f}x (target >= 4x)")


if __name__ == "__main__":
    main()
