"""AUDIT.* through redis-py."""

from __future__ import annotations

import pytest
import redis

from tally_redis import AuditInfo, tally

KEY = "orders:{audit}"


def test_append_idempotent_info(r: redis.Redis) -> None:
    t = tally(r)
    assert t.audit_group(KEY, "workers") is True
    assert t.audit_group(KEY, "workers") is True
    first = t.audit_append(KEY, {"action": "pay", "amount": 12.5}, idempotent=("svc", 1))
    assert isinstance(first, str) and "-" in first
    assert t.audit_append(KEY, {"action": "pay", "amount": 12.5}, idempotent=("svc", 1)) == first
    t.audit_append(KEY, {b"action": b"ship"}, maxlen=100)
    info = t.audit_info(KEY)
    assert isinstance(info, AuditInfo)
    assert (info.length, info.first_entry_id, info.entries_added) == (2, first, 2)
    assert (info.mode, info.on_full, info.chain, info.remaining) == ("=", "trim", False, None)
    assert [(g.name, g.pending, g.lag) for g in info.groups] == [("workers", 0, 2)]
    assert t.audit_info("missing:{audit}") is None


def test_refuse_and_chain(r: redis.Redis) -> None:
    t = tally(r)
    assert t.audit_create(KEY, maxlen=2, refuse_when_full=True, chain=True) is True
    t.audit_group(KEY, "workers", start="0")
    t.audit_append(KEY, {"n": 1})
    t.audit_append(KEY, {"n": 2})
    info = t.audit_info(KEY)
    assert info is not None and (info.on_full, info.chain, info.remaining) == ("refuse", True, 0)
    with pytest.raises(redis.ResponseError, match="^FULL audit log 'orders:{audit}' is full: .*workers"):
        t.audit_append(KEY, {"n": 3})
    digest = t.audit_digest(KEY)
    assert digest.length == 2 and digest.last_hash is not None and len(digest.last_hash) == 64
    verified = t.audit_verify(KEY, count=10)
    assert (verified.ok, verified.checked, verified.first_bad) == (True, 2, None)
    assert verified.last_id == digest.last_id
    assert t.audit_verify(KEY, from_=(digest.last_id or "", digest.last_hash or "")).checked == 0
