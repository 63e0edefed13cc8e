"""The README's examples, run against a live server: a line whose comment shows a reply must
print that reply; the design notes' classes must behave as the notes describe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import Server

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> List[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def run_with_replies(block: str, scope: Dict[str, Any]) -> int:
    """Runs a block line by line; checks each `expression  # Reply(...)` comment. How many checked."""
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        if comment and re.match(r"[A-Z\[]", comment):
            shown = repr(eval(code, scope))  # noqa: S307 - the README's own code
            expected = comment.split("...")[0].rstrip(", ")
            assert shown.startswith(expected), f"{code}: shows {comment!r}, replied {shown}"
            checked += 1
        else:
            exec(code, scope)  # noqa: S102 - the README's own code
    return checked


def test_quick_start_and_pipeline(server: Server) -> None:
    server.client().flushall()
    first, pipeline = python_blocks()[:2]
    scope: Dict[str, Any] = {}
    local = first.replace("redis.Redis(decode_responses=True)", f"redis.Redis(port={server.port}, decode_responses=True)")
    assert local != first
    assert run_with_replies(local, scope) == 3
    assert run_with_replies(pipeline, scope) == 1


def test_quotas_and_leases(server: Server) -> None:
    server.client().flushall()
    [block] = [b for b in python_blocks() if "limit_acquire" in b]
    local = block.replace("redis.Redis(decode_responses=True)", f"redis.Redis(port={server.port}, decode_responses=True)")
    assert local != block
    assert run_with_replies(local, {}) == 7


def test_lowest_wins_and_member_data(server: Server) -> None:
    server.client().flushall()
    [block] = [b for b in python_blocks() if "tourney_ranks_with_data" in b]
    local = block.replace("redis.Redis(decode_responses=True)", f"redis.Redis(port={server.port}, decode_responses=True)")
    assert local != block
    assert run_with_replies(local, {}) == 6


@pytest.fixture
def classes(server: Server) -> Dict[str, Any]:
    server.client().flushall()
    scope: Dict[str, Any] = {}
    exec(python_blocks()[-1], scope)  # noqa: S102 - the README's own code
    return scope


def test_tournament_ranking(server: Server, classes: Dict[str, Any]) -> None:
    ranking = classes["TournamentRanking"](f"redis://127.0.0.1:{server.port}", "spring-cup")
    assert ranking.update_score("ada", 10) == 10
    assert ranking.update_score("bob", 25) == 25
    assert ranking.update_score("cy", 15) == 15
    assert ranking.update_score("ada", 20) == 30
    assert [ranking.get_rank(p) for p in ("ada", "cy", "nobody")] == [1, 3, None]
    assert ranking.get_top_contenders(2) == [("ada", 30.0), ("bob", 25.0)]


def test_inventory_audit_log(server: Server, classes: Dict[str, Any]) -> None:
    log = classes["InventoryAuditLog"](f"redis://127.0.0.1:{server.port}")
    first = log.append_event("restock", "sku-1", 40)
    second = log.append_event("pick", "sku-1", 3, idempotent=("picker-7", 1))
    # A retried idempotent append returns the same ID and appends nothing.
    assert log.append_event("pick", "sku-1", 3, idempotent=("picker-7", 1)) == second
    batch = log.consume_batch("worker-1", 10)
    assert batch == [
        (first, {"action": "restock", "item_id": "sku-1", "quantity": "40"}),
        (second, {"action": "pick", "item_id": "sku-1", "quantity": "3"}),
    ]
    for entry_id, _ in batch:
        log.acknowledge(entry_id)
    # A second log finds the group there; nothing is pending.
    again = classes["InventoryAuditLog"](f"redis://127.0.0.1:{server.port}")
    info = again.tally.audit_info(again.stream_key)
    assert [(g.name, g.pending) for g in info.groups] == [("sync-workers", 0)]


def test_sliding_window_limiter(server: Server, classes: Dict[str, Any]) -> None:
    limiter = classes["SlidingWindowLimiter"](f"redis://127.0.0.1:{server.port}")
    assert [limiter.is_allowed("user:123", 60_000, 2) for _ in range(3)] == [True, True, False]
    assert limiter.is_allowed("user:456", 60_000, 2) is True
