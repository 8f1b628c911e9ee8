"""Import time of `incidentkit.api` against the official SDK's `incident_io.models`, same run.

Target: 300 ms or less, and at least 6x faster than the official SDK.
"""

from __future__ import annotations

from _timing import prepare_bytecode, python, time_command


def main() -> None:
    prepare_bytecode()
    baseline = time_command([python(), "-c", "pass"])
    ours = time_command([python(), "-c", "import incidentkit.api; incidentkit.api.Client"])
    sdk = time_command([python(), "-c", "import incident_io.models"], runs=3)
    print(f"python start-up alone:          {baseline * 1000:7.0f} ms")
    print(f"import incidentkit.api:         {ours * 1000:7.0f} ms (whole process)")
    print(f"import incident_io.models:      {sdk * 1000:7.0f} ms (whole process)")
    print(f"ratio (SDK / ours):             {sdk / ours:7.1f}x")
    print(f"ratio excluding start-up:       {(sdk - baseline) / (ours - baseline):7.1f}x")


if __name__ == "__main__":
    main()
