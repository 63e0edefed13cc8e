"""LIMIT.* through redis-py."""

from __future__ import annotations

import pytest
import redis

from tally_redis import Decision, tally


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


def test_errors(r: redis.Redis) -> None:
    t = tally(r)
    # redis-py drops the "ERR " code word from the message, as for its own commands.
    with pytest.raises(redis.ResponseError, match="^window_ms must be between 1 and"):
        t.limit_slide("api:{u3}", 0, 2)
    with pytest.raises(redis.ResponseError, match="^count must be between 1 and"):
        t.limit_gcra("g:{u3}", 1, 0, 1000)
