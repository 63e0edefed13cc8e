"""The asyncio client: the same methods return awaitables of the same typed replies."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
import redis.asyncio

from conftest import Server
from tally_redis import DataEntry, Decision, Entry, Lease, ScoreRank, TourneyInfo, tally


@pytest.fixture
async def ar(server: Server, protocol: int) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis(port=server.port, protocol=protocol, decode_responses=True)
    await client.flushall()
    try:
        yield client
    finally:
        await client.aclose()


async def test_commands(ar: redis.asyncio.Redis) -> None:
    t = tally(ar)
    assert await t.tourney_incr("a:{cup}", "ada", 10) == ScoreRank(10.0, 1)
    assert await t.tourney_rank_with_score("a:{cup}", "ada") == ScoreRank(10.0, 1)
    assert (await t.tourney_info("a:{cup}")).members == 1
    assert await t.tourney_ranks("a:{cup}", ["nobody", "ada"]) == [Entry("ada", 10.0, 1)]
    assert await t.tourney_incr("a:{cup}", "ada", 0, data="Ada") == ScoreRank(10.0, 1)
    assert await t.tourney_ranks_with_data("a:{cup}", ["ada"]) == [DataEntry("ada", 10.0, 1, "Ada")]
    assert await t.tourney_top_with_data("a:{cup}", 1) == [DataEntry("ada", 10.0, 1, "Ada")]
    assert await t.tourney_around_with_data("a:{cup}", "ada", 1) == [DataEntry("ada", 10.0, 1, "Ada")]
    assert await t.tourney_create("asc:{cup}", order="ASC") is True
    assert (await t.tourney_info("asc:{cup}")).order == "ASC"
    assert (await t.limit_slide("l:{cup}", 1000, 1)) == Decision(True, 1, 0, 0, 1000)
    assert await t.limit_acquire("a:{lease}", 1, 60000, token="w") == Lease(True, 1, 0, 0, "w")
    assert await t.limit_release("a:{lease}", "w") is True
    assert (await t.limit_fixed("f:{cup}", 3_600_000, 2, cost=0)).remaining == 2
    entry = await t.audit_append("s:{cup}", {"k": "v"})
    assert (await t.audit_info("s:{cup}")).last_entry_id == entry  # type: ignore[union-attr]


async def test_pipeline(ar: redis.asyncio.Redis) -> None:
    async with ar.pipeline(transaction=True) as pipe:
        queued = tally(pipe)
        queued.tourney_incr("a:{cup}", "ada", 2)
        queued.tourney_info("a:{cup}")
        queued.tourney_ranks("a:{cup}", ["ada"], ties="COMPETITION")
        incr, info, ranks = await pipe.execute()
    assert incr == ScoreRank(2.0, 1) and isinstance(info, TourneyInfo)
    assert ranks == [Entry("ada", 2.0, 1)]
