from datetime import UTC, datetime

from incidentkit.api.retry import Attempt, RetryPolicy, decide, is_retryable_status, retry_after_seconds

POLICY = RetryPolicy(max_retries=3, initial_delay=1.0, max_delay=8.0)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def no_jitter() -> float:
    return 1.0


def test_429_waits_for_retry_after_even_for_unsafe_requests() -> None:
    decision = decide(POLICY, 0, Attempt(status=429, headers={"Retry-After": "7"}), retry_safe=False)
    assert decision.retry and decision.delay >= 7


def test_429_honours_the_body_retry_after_when_it_asks_for_longer() -> None:
    body = {"rate_limit": {"retry_after": "2026-11-22T12:00:30Z"}}
    attempt = Attempt(status=429, headers={"Retry-After": "2"}, body=body)
    decision = decide(POLICY, 0, attempt, retry_safe=True, now=lambda: NOW)
    assert decision.delay == 30


def test_a_retry_after_beyond_the_limit_is_final() -> None:
    attempt = Attempt(status=429, headers={"Retry-After": "3600"})
    assert not decide(POLICY, 0, attempt, retry_safe=True).retry


def test_server_errors_retry_only_when_safe() -> None:
    assert decide(POLICY, 0, Attempt(status=500), retry_safe=True).retry
    assert decide(POLICY, 0, Attempt(status=503), retry_safe=True).retry
    assert decide(POLICY, 0, Attempt(status=408), retry_safe=True).retry
    assert not decide(POLICY, 0, Attempt(status=500), retry_safe=False).retry


def test_client_errors_are_final() -> None:
    for status in (400, 401, 403, 404, 422):
        assert not decide(POLICY, 0, Attempt(status=status), retry_safe=True).retry


def test_connection_errors_retry_when_safe_or_when_nothing_was_sent() -> None:
    assert decide(POLICY, 0, Attempt(connection_error=True), retry_safe=True).retry
    assert decide(POLICY, 0, Attempt(connection_error=True, sent=False), retry_safe=False).retry
    assert not decide(POLICY, 0, Attempt(connection_error=True, sent=True), retry_safe=False).retry


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    delays = [decide(POLICY, n, Attempt(status=500), retry_safe=True, rng=no_jitter).delay for n in range(3)]
    assert delays == [1.0, 2.0, 4.0]
    capped = RetryPolicy(max_retries=10, initial_delay=1.0, max_delay=8.0)
    assert decide(capped, 6, Attempt(status=500), retry_safe=True, rng=no_jitter).delay == 8.0


def test_jitter_keeps_at_least_half_the_backoff() -> None:
    low = decide(POLICY, 2, Attempt(status=500), retry_safe=True, rng=lambda: 0.0).delay
    assert low == 2.0


def test_retries_stop_at_the_limit() -> None:
    assert not decide(POLICY, 3, Attempt(status=429), retry_safe=True).retry


def test_409_is_retried_when_safe_like_the_workflow_steps_retry_it() -> None:
    """One table: a concurrent-update conflict is worth another attempt for client and steps alike."""
    assert decide(POLICY, 0, Attempt(status=409), retry_safe=True).retry
    assert not decide(POLICY, 0, Attempt(status=409), retry_safe=False).retry
    assert decide(POLICY, 0, Attempt(status=507), retry_safe=True).retry
    assert [s for s in (400, 401, 403, 404, 408, 409, 422, 429, 500, 501, 599) if is_retryable_status(s)] == [
        408,
        409,
        429,
        500,
        501,
        599,
    ]


def test_retry_after_reads_seconds_http_dates_and_header_lists() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7
    assert retry_after_seconds({"Retry-After": ["5"]}) == 5
    assert retry_after_seconds({"Retry-After": "Sun, 22 Nov 2026 12:01:00 GMT"}, None, lambda: NOW) == 60
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert (
        retry_after_seconds(None, {"rate_limit": {"retry_after": "2026-11-22T12:00:10Z"}}, lambda: NOW) == 10
    )
