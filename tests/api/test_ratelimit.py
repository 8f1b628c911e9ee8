import pytest

from incidentkit.api.ratelimit import TokenBucket
from tests.api.fakes import FakeClock


def test_a_full_bucket_serves_its_capacity_at_once_then_makes_callers_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(capacity=3, refill_per_second=1, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve() == pytest.approx(1.0)
    assert bucket.reserve() == pytest.approx(2.0)


def test_tokens_come_back_with_time_but_never_beyond_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(capacity=2, refill_per_second=1, clock=clock)
    bucket.reserve()
    bucket.reserve()
    clock.sleep(100)
    assert [bucket.reserve() for _ in range(2)] == [0, 0]
    assert bucket.reserve() > 0


def test_per_minute_matches_incident_io_default() -> None:
    bucket = TokenBucket.per_minute(1200, clock=FakeClock())
    assert bucket.capacity == 1200
    assert bucket.refill_per_second == 20


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity=0)
    with pytest.raises(ValueError):
        TokenBucket(capacity=5, refill_per_second=0)
