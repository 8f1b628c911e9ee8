"""Clocks for tests: time moves only when a test says so."""

from __future__ import annotations


class EpochClock:
    """Epoch seconds that move only when a test says so (the emulator's clock)."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
