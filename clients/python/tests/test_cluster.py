"""RedisCluster (sync and asyncio): commands reach the node of their keys' slot, found from
the key specs the module declares; multi-key commands across slots get CROSSSLOT."""

from __future__ import annotations

from typing import List

import pytest
import redis.asyncio
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException

from conftest import Server
from tally_redis import DataEntry, Entry, Lease, ScoreRank, tally

# Keys spread over the three primaries' slots.
BOARDS = [f"board:{{{n}}}" for n in range(12)]


@pytest.mark.parametrize("protocol", [2, 3])
def test_sync_cluster(cluster: List[Server], protocol: int) -> None:
    rc = RedisCluster(host="127.0.0.1", port=cluster[0].port, protocol=protocol, decode_responses=True)
    try:
        rc.flushall()
        t = tally(rc)
        for board in BOARDS:
            assert t.tourney_incr(board, "ada", 3) == ScoreRank(3.0, 1)
            assert t.tourney_rank(board, "ada") == 1
            assert t.tourney_ranks(board, ["nobody", "ada"]) == [Entry("ada", 3.0, 1)]
            # The data hash lives beside the board, in its slot.
            assert t.tourney_submit(board, "bob", 1, data="Bob").updated is True
            assert t.tourney_ranks_with_data(board, ["bob", "ada"]) == [
                DataEntry("ada", 3.0, 1, None),
                DataEntry("bob", 1.0, 2, "Bob"),
            ]
        assert t.limit_multi([("s:{u}", 1000, 5), ("m:{u}", 60000, 50)]).allowed is True
        for board in BOARDS:
            assert t.limit_fixed(f"{board}:day", 86_400_000, 2).remaining == 1
            assert t.limit_acquire(f"{board}:lease", 1, 60000, token="w") == Lease(True, 1, 0, 0, "w")
            assert t.limit_renew(f"{board}:lease", "w", 60000) is True
            assert t.limit_release(f"{board}:lease", "w") is True
        # redis-py finds both keys from the module's key specs and refuses before sending.
        with pytest.raises(RedisClusterException, match="same key slot"):
            t.limit_reset("a:{x}", "b:{y}")
        pipe = rc.pipeline()  # type: ignore[no-untyped-call]
        queued = tally(pipe)
        for board in BOARDS:
            queued.tourney_rank_with_score(board, "ada")
        assert pipe.execute() == [ScoreRank(3.0, 1)] * len(BOARDS)
        # The boards went to every primary, not all to the one the client first knew.
        assert all(node.client().dbsize() > 0 for node in cluster)
    finally:
        rc.close()


async def test_async_cluster(cluster: List[Server]) -> None:
    rc = redis.asyncio.RedisCluster(host="127.0.0.1", port=cluster[0].port, decode_responses=True)
    try:
        await rc.flushall()
        t = tally(rc)
        for board in BOARDS:
            assert await t.tourney_incr(board, "bob", 2) == ScoreRank(2.0, 1)
            assert await t.tourney_ranks(board, ["bob", "bob"]) == [Entry("bob", 2.0, 1)]
        assert (await t.limit_gcra("g:{u}", 1, 10, 1000)).allowed is True
        lease = await t.limit_acquire("l:{u}", 1, 60000)
        assert lease.acquired and lease.token is not None
        assert await t.limit_release("l:{u}", lease.token) is True
    finally:
        await rc.aclose()
