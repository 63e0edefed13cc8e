"""LIMIT.* through redis-py."""

from __future__ import annotations

import re
import time

import pytest
import redis

from tally_redis import Decision, Lease, tally

YEAR_MS = 31_536_000_000
# Server-clock milliseconds may pass between two calls; time-derived fields are checked within this.
SLACK_MS = 10_000


def window_end(period_ms: int) -> int:
    """ms from now to the end of the current window (windows are aligned to the Unix epoch)."""
    return period_ms - int(time.time() * 1000) % period_ms


def near(value: int, expected: int) -> bool:
    return expected - SLACK_MS < value <= expected


def test_slide(r: redis.Redis) -> None:
    t = tally(r)
    assert t.limit_slide("api:{u1}", 60000, 2) == Decision(True, 2, 1, 0, 60000)
    t.limit_slide("api:{u1}", 60000, 2)
    refused = t.limit_slide("api:{u1}", 60000, 2)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert 0 < refused.retry_after_ms <= 60000
    peek = t.limit_slide("api:{u1}", 60000, 5, cost=0)
    assert (peek.allowed, peek.remaining) == (True, 3)


def test_multi_gcra_reset(r: redis.Redis) -> None:
    t = tally(r)
    windows = [("s:{u2}", 1000, 1), ("m:{u2}", 60000, 10)]
    assert t.limit_multi(windows).allowed is True
    second = t.limit_multi(windows)
    assert (second.allowed, second.limit) == (False, 1)
    gcra = t.limit_gcra("g:{u2}", 4, 10, 1000)
    assert (gcra.allowed, gcra.limit, gcra.remaining) == (True, 5, 4)
    assert t.limit_gcra("g:{u2}", 4, 10, 1000, cost=5).allowed is False
    assert t.limit_reset("s:{u2}", "m:{u2}", "g:{u2}", "none:{u2}") == 3


def test_fixed(r: redis.Redis) -> None:
    t = tally(r)
    # A year-long window: the calls and the expected window end cannot straddle a boundary.
    end = window_end(YEAR_MS)
    first = t.limit_fixed("f:{u4}", YEAR_MS, 3)
    assert (first.allowed, first.limit, first.remaining, first.retry_after_ms) == (True, 3, 2, 0)
    assert near(first.reset_after_ms, end)
    # COST 0 peeks without consuming.
    peek = t.limit_fixed("f:{u4}", YEAR_MS, 3, cost=0)
    assert (peek.allowed, peek.remaining) == (True, 2)
    assert t.limit_fixed("f:{u4}", YEAR_MS, 3, cost=2).remaining == 0
    refused = t.limit_fixed("f:{u4}", YEAR_MS, 3)
    assert (refused.allowed, refused.limit, refused.remaining) == (False, 3, 0)
    assert near(refused.retry_after_ms, end) and near(refused.reset_after_ms, end)
    # The state is a native string counter expiring at the window's end.
    assert int(r.get("f:{u4}") or 0) == 3
    assert near(r.pttl("f:{u4}"), end)
    # An empty window peeked: full capacity, nothing stored.
    assert t.limit_fixed("p:{u4}", 3_600_000, 5, cost=0) == Decision(True, 5, 5, 0, 0)
    assert r.exists("p:{u4}") == 0


def test_acquire_release_renew(r: redis.Redis) -> None:
    t = tally(r)
    first = t.limit_acquire("l:{u5}", 2, 60000)
    assert (first.acquired, first.limit, first.remaining, first.retry_after_ms) == (True, 2, 1, 0)
    assert first.token is not None and re.fullmatch("[0-9a-f]{32}", first.token)
    assert t.limit_acquire("l:{u5}", 2, 60000, token="w1") == Lease(True, 2, 0, 0, "w1")
    # A held token renews its lease rather than taking a second slot.
    assert t.limit_acquire("l:{u5}", 2, 60000, token=b"w1") == Lease(True, 2, 0, 0, "w1")
    assert r.zcard("l:{u5}") == 2
    # Full: refused, no token, retry when the earliest lease ends.
    refused = t.limit_acquire("l:{u5}", 2, 60000, token="w2")
    assert (refused.acquired, refused.limit, refused.remaining, refused.token) == (False, 2, 0, None)
    assert near(refused.retry_after_ms, 60000)
    assert t.limit_renew("l:{u5}", "w1", 120000) is True
    assert t.limit_renew("l:{u5}", "nobody", 1000) is False
    assert t.limit_release("l:{u5}", first.token) is True
    assert t.limit_release("l:{u5}", first.token) is False
    assert t.limit_renew("l:{u5}", first.token, 1000) is False
    assert t.limit_acquire("l:{u5}", 2, 60000, token="w2") == Lease(True, 2, 0, 0, "w2")
    assert t.limit_reset("l:{u5}") == 1


def test_lease_ends_by_itself(r: redis.Redis) -> None:
    t = tally(r)
    short = t.limit_acquire("e:{u6}", 1, 20, token="crashed")
    assert short.acquired
    time.sleep(0.06)
    assert t.limit_renew("e:{u6}", "crashed", 1000) is False
    assert t.limit_acquire("e:{u6}", 1, 1000, token="next") == Lease(True, 1, 0, 0, "next")


def test_transaction(r: redis.Redis) -> None:
    with r.pipeline(transaction=True) as pipe:
        queued = tally(pipe)
        queued.limit_acquire("l:{u7}", 1, 60000, token="t")
        queued.limit_acquire("l:{u7}", 1, 60000, token="u")
        queued.limit_renew("l:{u7}", "t", 60000)
        queued.limit_release("l:{u7}", "t")
        queued.limit_fixed("f:{u7}", YEAR_MS, 1)
        held, refused, renewed, released, fixed = pipe.execute()
    assert held == Lease(True, 1, 0, 0, "t")
    assert isinstance(refused, Lease) and (refused.acquired, refused.token) == (False, None)
    assert (renewed, released) == (True, True)
    assert isinstance(fixed, Decision) and (fixed.allowed, fixed.remaining) == (True, 0)


def test_errors(r: redis.Redis) -> None:
    t = tally(r)
    # redis-py drops the "ERR " code word from the message, as for its own commands.
    with pytest.raises(redis.ResponseError, match="^window_ms must be between 1 and"):
        t.limit_slide("api:{u3}", 0, 2)
    with pytest.raises(redis.ResponseError, match="^count must be between 1 and"):
        t.limit_gcra("g:{u3}", 1, 0, 1000)
    with pytest.raises(redis.ResponseError, match="^cost must be between 0 and 2$"):
        t.limit_fixed("f:{u3}", 1000, 2, cost=3)
    with pytest.raises(redis.ResponseError, match="^max must be between 1 and 100000$"):
        t.limit_acquire("l:{u3}", 0, 1000)
    with pytest.raises(redis.ResponseError, match="^token must not be empty$"):
        t.limit_acquire("l:{u3}", 1, 1000, token="")
    with pytest.raises(redis.ResponseError, match="^lease_ms must be between 1 and"):
        t.limit_renew("l:{u3}", "t", 0)
    r.set("s:{u3}", "abc")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE key holds a string that is not a LIMIT.FIXED count$"):
        t.limit_fixed("s:{u3}", 1000, 1)
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE Operation against a key holding the wrong kind"):
        t.limit_acquire("s:{u3}", 1, 1000)
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        t.limit_release("s:{u3}", "t")
    assert r.get("s:{u3}") in ("abc", b"abc")
