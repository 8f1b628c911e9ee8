"""Wall time of `incidentkit --help` for the whole process. Target: under 0.25 s."""

from __future__ import annotations

from _timing import prepare_bytecode, python, time_command


def main() -> None:
    prepare_bytecode()
    baseline = time_command([python(), "-c", "pass"])
    helped = time_command([python(), "-m", "incidentkit", "--help"])
    print(f"python start-up alone:   {baseline * 1000:6.0f} ms")
    print(f"incidentkit --help:      {helped * 1000:6.0f} ms (target < 250 ms)")


if __name__ == "__main__":
    main()
