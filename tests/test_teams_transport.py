"""The connector transport: Teams' statuses mapped to delivery's failures, 429/412/502/504 retried with backoff
(Retry-After honoured) and then given up, and the per-conversation limiter waiting instead of dropping. The
clock and the sleep are fakes; the HTTP is a mock transport answering as the connector would."""
from __future__ import annotations

import httpx
import pytest

from answers.platform import DeliveryError, Failure
from bot.teams.auth import TokenError
from bot.teams.transport import ConnectorTransport, ConversationLimiter

SERVICE = "http://127.0.0.1:9/emea/"
CHANNEL = "19:perf0general@thread.tacv2"


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


class Token:
    def __init__(self, error: TokenError | None = None):
        self.error = error

    def bearer(self) -> str:
        if self.error:
            raise self.error
        return "token-1"


def _transport(statuses: list, clock: FakeClock, token=None) -> tuple[ConnectorTransport, list[httpx.Request]]:
    """A transport whose connector answers `statuses` in turn: an int, or (status, headers, body)."""
    seen: list[httpx.Request] = []
    answers = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, headers, body = (answers.pop(0) if isinstance(answers[0], tuple) else (answers.pop(0), {}, None))
        if body is None:
            body = {"id": "1761000000001"} if status < 300 else {"error": {"code": "Err", "message": "no"}}
        return httpx.Response(status, headers=headers, json=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    transport = ConnectorTransport(token or Token(), clock=clock, sleep=clock.sleep, http=http,
                                   jitter=lambda low, high: high / 2)
    return transport, seen


@pytest.mark.parametrize("status, failure", [
    (403, Failure.NOT_A_MEMBER), (404, Failure.GONE), (401, Failure.REFUSED), (400, Failure.REFUSED),
    (500, Failure.TRANSIENT),
])
def test_statuses_that_are_not_retried_map_to_their_failure(status, failure):
    clock = FakeClock()
    transport, seen = _transport([status], clock)
    with pytest.raises(DeliveryError) as raised:
        transport.send(SERVICE, CHANNEL, {"type": "message", "text": "x"})
    assert raised.value.failure is failure
    assert raised.value.detail == f"{status} Err"
    assert len(seen) == 1 and clock.slept == []


def test_403_is_permanent_and_429_is_not():
    assert DeliveryError(Failure.NOT_A_MEMBER, "403").permanent
    assert not DeliveryError(Failure.RATE_LIMITED, "429").permanent


def test_a_post_carries_the_token_and_goes_to_the_conversation_at_the_service_url():
    clock = FakeClock()
    transport, seen = _transport([201], clock)
    assert transport.send(SERVICE, CHANNEL, {"type": "message", "text": "x"}) == "1761000000001"
    assert str(seen[0].url) == "http://127.0.0.1:9/emea/v3/conversations/19%3Aperf0general%40thread.tacv2/activities"
    assert seen[0].headers["Authorization"] == "Bearer token-1"


@pytest.mark.parametrize("status", [412, 502, 504])
def test_412_502_504_are_retried_with_backoff_and_jitter_then_succeed(status):
    clock = FakeClock()
    transport, seen = _transport([status, status, 201], clock)
    assert transport.send(SERVICE, CHANNEL, {"type": "message"}) == "1761000000001"
    # 1 s then 2 s of backoff, each with half as much again of jitter (the fake jitter takes the middle)
    assert clock.slept == [1.5, 3.0]
    assert len(seen) == 3


def test_429_honours_retry_after():
    clock = FakeClock()
    transport, _ = _transport([(429, {"Retry-After": "7"}, None), 201], clock)
    transport.send(SERVICE, CHANNEL, {"type": "message"})
    assert clock.slept == [7.0]


def test_retries_give_up_after_three_as_rate_limited_or_transient():
    clock = FakeClock()
    transport, seen = _transport([(429, {"Retry-After": "2"}, None)] * 4, clock)
    with pytest.raises(DeliveryError) as raised:
        transport.send(SERVICE, CHANNEL, {"type": "message"})
    assert raised.value.failure is Failure.RATE_LIMITED and len(seen) == 4 and clock.slept == [2.0, 2.0, 2.0]
    clock = FakeClock()
    transport, seen = _transport([502] * 4, clock)
    with pytest.raises(DeliveryError) as raised:
        transport.send(SERVICE, CHANNEL, {"type": "message"})
    assert raised.value.failure is Failure.TRANSIENT and clock.slept == [1.5, 3.0, 6.0]


def test_a_refused_token_is_refused_and_an_unreachable_one_transient():
    clock = FakeClock()
    for error, failure in ((TokenError("refused", permanent=True), Failure.REFUSED),
                           (TokenError("out of reach", permanent=False), Failure.TRANSIENT)):
        transport, seen = _transport([201], clock, token=Token(error))
        with pytest.raises(DeliveryError) as raised:
            transport.send(SERVICE, CHANNEL, {"type": "message"})
        assert raised.value.failure is failure and raised.value.permanent is (failure is Failure.REFUSED)


def test_a_personal_chat_is_created_in_the_tenant():
    clock = FakeClock()
    transport, seen = _transport([(201, {}, {"id": "a:1chat"})], clock)
    assert transport.create_personal_chat(SERVICE, "28:bot", "29:1anne", "tenant-1") == "a:1chat"
    import json

    assert json.loads(seen[0].content) == {"bot": {"id": "28:bot"}, "members": [{"id": "29:1anne"}],
                                           "isGroup": False, "tenantId": "tenant-1",
                                           "channelData": {"tenant": {"id": "tenant-1"}}}


def test_the_limiter_lets_seven_through_in_a_second_then_waits():
    clock = FakeClock()
    limiter = ConversationLimiter(clock, clock.sleep)
    for _ in range(7):
        limiter.take(CHANNEL)
    assert clock.slept == []
    limiter.take(CHANNEL)            # the eighth waits for the first to leave the 1 s window
    assert clock.slept == [1.0]
    limiter.take("19:other@thread.tacv2")   # another conversation has its own windows
    assert clock.slept == [1.0]


def test_the_limiter_keeps_eight_in_two_seconds_and_sixty_in_thirty():
    clock = FakeClock()
    limiter = ConversationLimiter(clock, clock.sleep)
    for _ in range(60):
        limiter.take(CHANNEL)
    # each 2 s: 7 at once and 1 a second later (8 in 2 s); 56 by t=13, the last 4 at t=14
    assert clock.now == 1014.0
    limiter.take(CHANNEL)             # the 61st waits until the first leaves the 30 s window
    assert clock.now == 1030.0
    times = []
    clock2 = FakeClock()
    limiter2 = ConversationLimiter(clock2, clock2.sleep)
    for _ in range(9):
        limiter2.take(CHANNEL)
        times.append(clock2.now - 1000.0)
    assert times == [0, 0, 0, 0, 0, 0, 0, 1.0, 2.0]   # the ninth: 8 in 2 s, so 2 s after the first


def test_the_limiter_keeps_an_hour_to_eighteen_hundred():
    clock = FakeClock()
    limiter = ConversationLimiter(clock, clock.sleep, limits=((3600.0, 3),))
    for _ in range(3):
        limiter.take(CHANNEL)
    limiter.take(CHANNEL)
    assert clock.slept == [3600.0]
