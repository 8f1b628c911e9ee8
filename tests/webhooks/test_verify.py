"""The webhook verifier: golden vectors, the standardwebhooks library as an oracle, and every refusal."""

from __future__ import annotations

import base64
import logging
import traceback
from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks

from incidentkit.webhooks.verify import (
    DEFAULT_TOLERANCE,
    InvalidSecretError,
    MalformedHeaderError,
    MissingHeaderError,
    NoSecretConfiguredError,
    SignatureMismatchError,
    TimestampTooNewError,
    TimestampTooOldError,
    WebhookVerificationError,
    WebhookVerifier,
    secret_fingerprint,
    sign,
    signed_headers,
)

# Golden vector from the Standard Webhooks test suite (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py, `test_sign_function`), the same one incident.io's
# webhook documentation shows in its example headers.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
# From the same suite's `test_invalid_signature_raises_error`: the vector with its last byte changed.
VECTOR_FORGED_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
# Also from that suite (`test_multi_sig_payload_is_valid`): signatures that match nothing.
VECTOR_UNRELATED_SIGNATURE = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

OTHER_SECRET = "whsec_" + base64.b64encode(b"another signing key, 32 bytes!!!").decode()
VECTOR_TIME = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)


class FixedClock:
    """A clock that shows one instant until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def vector_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    headers.update(overrides)
    return headers


def verifier_at(now: datetime, *secrets: str, tolerance: timedelta = DEFAULT_TOLERANCE) -> WebhookVerifier:
    return WebhookVerifier(list(secrets or [VECTOR_SECRET]), tolerance=tolerance, clock=FixedClock(now))


# Golden vectors.


def test_sign_reproduces_the_standard_webhooks_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIME, VECTOR_BODY) == VECTOR_SIGNATURE


def test_a_naive_datetime_is_taken_as_utc() -> None:
    naive = datetime(2021, 2, 25, 15, 2, 10)
    assert sign(VECTOR_SECRET, VECTOR_ID, naive, VECTOR_BODY) == VECTOR_SIGNATURE


def test_signed_headers_carry_id_timestamp_and_signature() -> None:
    assert signed_headers(VECTOR_SECRET, VECTOR_ID, VECTOR_BODY, VECTOR_TIME) == vector_headers()


def test_the_vector_verifies_and_returns_the_webhook_id() -> None:
    assert verifier_at(VECTOR_TIME).verify(vector_headers(), VECTOR_BODY) == VECTOR_ID


def test_the_forged_vector_signature_is_refused() -> None:
    with pytest.raises(SignatureMismatchError):
        verifier_at(VECTOR_TIME).verify(vector_headers(**{"webhook-signature": VECTOR_FORGED_SIGNATURE}), b"")


def test_a_changed_body_is_refused() -> None:
    with pytest.raises(SignatureMismatchError, match="configured secret"):
        verifier_at(VECTOR_TIME).verify(vector_headers(), VECTOR_BODY.replace(b"2432", b"2433"))


def test_a_changed_id_is_refused() -> None:
    with pytest.raises(SignatureMismatchError):
        verifier_at(VECTOR_TIME).verify(vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY)


# Headers.


def test_header_names_are_case_insensitive() -> None:
    headers = {name.upper(): value for name, value in vector_headers().items()}
    assert verifier_at(VECTOR_TIME).verify(headers, VECTOR_BODY) == VECTOR_ID


def test_svix_spellings_are_accepted() -> None:
    headers = {name.replace("webhook-", "svix-"): value for name, value in vector_headers().items()}
    assert verifier_at(VECTOR_TIME).verify(headers, VECTOR_BODY) == VECTOR_ID


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(header: str) -> None:
    headers = vector_headers()
    del headers[header]
    with pytest.raises(MissingHeaderError) as caught:
        verifier_at(VECTOR_TIME).verify(headers, VECTOR_BODY)
    assert caught.value.header == header
    assert header in str(caught.value)
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("webhook-id", "  ", "empty"),
        ("webhook-id", "m" * 257, "257 characters; at most 256"),
        ("webhook-timestamp", "yesterday", "seconds since the epoch"),
        ("webhook-timestamp", "-1614265330", "seconds since the epoch"),
        ("webhook-timestamp", "1614265330.5", "seconds since the epoch"),
        ("webhook-timestamp", "9" * 40, "seconds since the epoch"),
        ("webhook-signature", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "no 'v1,<base64>' entry"),
        ("webhook-signature", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "no 'v1,<base64>' entry"),
        ("webhook-signature", "v1,not*base64", "no 'v1,<base64>' entry"),
        ("webhook-signature", "v1,", "no 'v1,<base64>' entry"),
        ("webhook-signature", " ".join([VECTOR_SIGNATURE] * 33), "at most 32"),
    ],
)
def test_a_malformed_header_is_named_with_the_reason(header: str, value: str, reason: str) -> None:
    with pytest.raises(MalformedHeaderError, match=reason) as caught:
        verifier_at(VECTOR_TIME).verify(vector_headers(**{header: value}), VECTOR_BODY)
    assert caught.value.header == header


def test_a_leading_zero_in_the_timestamp_changes_nothing() -> None:
    headers = vector_headers(**{"webhook-timestamp": f"0{VECTOR_TIMESTAMP}"})
    assert verifier_at(VECTOR_TIME).verify(headers, VECTOR_BODY) == VECTOR_ID


def test_any_matching_entry_among_several_is_enough() -> None:
    entries = [
        VECTOR_UNRELATED_SIGNATURE,
        "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        "v1,not*base64",
        VECTOR_SIGNATURE,
    ]
    headers = vector_headers(**{"webhook-signature": " ".join(entries)})
    assert verifier_at(VECTOR_TIME).verify(headers, VECTOR_BODY) == VECTOR_ID


def test_several_entries_none_matching_are_refused() -> None:
    entries = f"{VECTOR_UNRELATED_SIGNATURE} {VECTOR_FORGED_SIGNATURE}"
    with pytest.raises(SignatureMismatchError):
        verifier_at(VECTOR_TIME).verify(vector_headers(**{"webhook-signature": entries}), VECTOR_BODY)


# Tolerance, with an injected clock.


@pytest.mark.parametrize("offset", [timedelta(0), DEFAULT_TOLERANCE, -DEFAULT_TOLERANCE])
def test_timestamps_within_the_tolerance_are_accepted(offset: timedelta) -> None:
    assert verifier_at(VECTOR_TIME + offset).verify(vector_headers(), VECTOR_BODY) == VECTOR_ID


def test_one_second_past_the_tolerance_is_too_old() -> None:
    verifier = verifier_at(VECTOR_TIME + DEFAULT_TOLERANCE + timedelta(seconds=1))
    with pytest.raises(TimestampTooOldError, match="301s old") as caught:
        verifier.verify(vector_headers(), VECTOR_BODY)
    assert caught.value.timestamp == VECTOR_TIMESTAMP


def test_one_second_beyond_the_tolerance_ahead_is_too_new() -> None:
    verifier = verifier_at(VECTOR_TIME - DEFAULT_TOLERANCE - timedelta(seconds=1))
    with pytest.raises(TimestampTooNewError, match="301s in the future"):
        verifier.verify(vector_headers(), VECTOR_BODY)


def test_a_replay_is_refused_once_the_clock_moves_on() -> None:
    clock = FixedClock(VECTOR_TIME)
    verifier = WebhookVerifier([VECTOR_SECRET], clock=clock)
    assert verifier.verify(vector_headers(), VECTOR_BODY) == VECTOR_ID
    clock.now += timedelta(hours=1)
    with pytest.raises(TimestampTooOldError):
        verifier.verify(vector_headers(), VECTOR_BODY)


def test_a_stale_timestamp_is_refused_even_with_a_forged_signature_checked_after() -> None:
    # Freshness is checked first, so a forger learns nothing about the signature from an old request.
    with pytest.raises(TimestampTooOldError):
        verifier_at(VECTOR_TIME + timedelta(days=1)).verify(
            vector_headers(**{"webhook-signature": VECTOR_FORGED_SIGNATURE}), VECTOR_BODY
        )


@pytest.mark.parametrize("timestamp", ["999999999999", "0"])
def test_timestamps_far_outside_any_calendar_are_refused_cleanly(timestamp: str) -> None:
    with pytest.raises(TimestampTooNewError if timestamp != "0" else TimestampTooOldError):
        verifier_at(VECTOR_TIME).verify(vector_headers(**{"webhook-timestamp": timestamp}), VECTOR_BODY)


def test_a_custom_tolerance_is_honoured() -> None:
    verifier = verifier_at(VECTOR_TIME + timedelta(seconds=31), tolerance=timedelta(seconds=30))
    with pytest.raises(TimestampTooOldError):
        verifier.verify(vector_headers(), VECTOR_BODY)


def test_a_negative_tolerance_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        WebhookVerifier([VECTOR_SECRET], tolerance=timedelta(seconds=-1))


# Secrets: rotation, no secret, malformed secrets.


def test_any_of_several_secrets_verifies() -> None:
    assert verifier_at(VECTOR_TIME, OTHER_SECRET, VECTOR_SECRET).verify(vector_headers(), VECTOR_BODY)
    headers = signed_headers(OTHER_SECRET, "msg_rotated", b"{}", VECTOR_TIME)
    assert verifier_at(VECTOR_TIME, VECTOR_SECRET, OTHER_SECRET).verify(headers, b"{}") == "msg_rotated"


def test_several_secrets_none_matching_say_how_many_were_tried() -> None:
    headers = signed_headers(OTHER_SECRET, "msg_1", b"{}", VECTOR_TIME)
    third = "whsec_" + base64.b64encode(b"third").decode()
    with pytest.raises(SignatureMismatchError, match="any of the 2 configured secrets"):
        verifier_at(VECTOR_TIME, VECTOR_SECRET, third).verify(headers, b"{}")


def test_no_secret_refuses_every_request_and_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="incidentkit.webhooks.verify"):
        verifier = WebhookVerifier([], clock=FixedClock(VECTOR_TIME))
        with pytest.raises(NoSecretConfiguredError) as caught:
            verifier.verify(vector_headers(), VECTOR_BODY)
    assert isinstance(caught.value, WebhookVerificationError)
    assert caught.value.status_code == 401
    assert "no webhook signing secret is configured" in caplog.text.lower()
    assert "refused" in caplog.text


def test_no_secret_refuses_even_a_request_without_headers() -> None:
    with pytest.raises(NoSecretConfiguredError):
        WebhookVerifier([]).verify({}, b"")


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with 'whsec_'"),
        ("whsec_not base64 at all!", "not valid base64"),
        ("whsec_", "no key"),
        ("", "must start with 'whsec_'"),
    ],
)
def test_a_malformed_secret_is_a_configuration_error_that_does_not_echo_it(secret: str, reason: str) -> None:
    with pytest.raises(InvalidSecretError, match=reason) as caught:
        WebhookVerifier([VECTOR_SECRET, secret])
    assert "#2" in str(caught.value)
    key_part = secret.removeprefix("whsec_")
    if key_part:
        assert key_part not in str(caught.value)


def test_a_lone_string_is_not_taken_for_a_list_of_secrets() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        WebhookVerifier(VECTOR_SECRET)


def test_sign_refuses_a_malformed_secret() -> None:
    with pytest.raises(InvalidSecretError):
        sign("plain-text-secret", VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)


# Secrets never leak.


def test_fingerprints_are_short_stable_and_distinct() -> None:
    fingerprint = secret_fingerprint(VECTOR_SECRET)
    assert fingerprint == secret_fingerprint(VECTOR_SECRET)
    assert fingerprint != secret_fingerprint(OTHER_SECRET)
    assert fingerprint.startswith("sha256:") and len(fingerprint) == len("sha256:") + 12
    assert VECTOR_SECRET[6:12] not in fingerprint


def test_repr_and_errors_never_contain_the_secret() -> None:
    verifier = verifier_at(VECTOR_TIME + timedelta(days=1), VECTOR_SECRET, OTHER_SECRET)
    texts = [repr(verifier), str(verifier), repr(verifier._keys), repr(verifier.fingerprints)]
    for headers in (
        vector_headers(),
        vector_headers(**{"webhook-signature": "v3,x"}),
        {"webhook-id": "x"},
    ):
        try:
            verifier.verify(headers, VECTOR_BODY)
        except WebhookVerificationError as error:
            texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert secret_fingerprint(VECTOR_SECRET) in repr(verifier)
    for text in texts:
        for secret in (VECTOR_SECRET, OTHER_SECRET):
            assert secret not in text
            assert secret.removeprefix("whsec_") not in text


# The standardwebhooks library as an oracle. It reads the real clock, so these tests sign "now".


def _library_headers(secret: str, msg_id: str, body: bytes, when: datetime) -> dict[str, str]:
    signature = standardwebhooks.Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


@pytest.mark.parametrize(
    "body", [b"{}", VECTOR_BODY, '{"name": "caf\u00e9 \u2603", "n": [1, 2]}'.encode(), b" \n"]
)
def test_what_the_library_signs_we_accept(body: bytes) -> None:
    now = datetime.now(UTC)
    headers = _library_headers(VECTOR_SECRET, "msg_oracle", body, now)
    assert WebhookVerifier([VECTOR_SECRET]).verify(headers, body) == "msg_oracle"


def test_what_we_sign_the_library_accepts() -> None:
    now = datetime.now(UTC)
    body = b'{"event_type":"public_incident.incident_created_v2"}'
    headers = signed_headers(OTHER_SECRET, "msg_ours", body, now)
    assert standardwebhooks.Webhook(OTHER_SECRET).verify(body, headers) == {
        "event_type": "public_incident.incident_created_v2"
    }


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong secret",
        "changed body",
        "changed id",
        "too old",
        "too new",
        "missing signature",
        "missing id",
        "garbage timestamp",
        "only v2 entries",
    ],
)
def test_what_we_refuse_the_library_refuses(tamper: str) -> None:
    now = datetime.now(UTC)
    body = b'{"event_type":"public_incident.incident_updated_v2"}'
    when = now
    if tamper == "too old":
        when = now - DEFAULT_TOLERANCE - timedelta(seconds=10)
    elif tamper == "too new":
        when = now + DEFAULT_TOLERANCE + timedelta(seconds=10)
    headers = signed_headers(OTHER_SECRET if tamper == "wrong secret" else VECTOR_SECRET, "msg_t", body, when)
    sent_body = body.replace(b"updated", b"created") if tamper == "changed body" else body
    if tamper == "changed id":
        headers["webhook-id"] = "msg_u"
    elif tamper == "missing signature":
        del headers["webhook-signature"]
    elif tamper == "missing id":
        del headers["webhook-id"]
    elif tamper == "garbage timestamp":
        headers["webhook-timestamp"] = "soon"
    elif tamper == "only v2 entries":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")

    with pytest.raises(WebhookVerificationError):
        WebhookVerifier([VECTOR_SECRET]).verify(headers, sent_body)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(VECTOR_SECRET).verify(sent_body, headers)
