"""tally-redis: the tally module's commands for redis-py.

    import redis
    from tally_redis import tally

    r = redis.Redis(decode_responses=True)
    t = tally(r)
    t.tourney_incr("t:{cup}", "ada", 10)   # ScoreRank(score=10.0, rank=1)

Like ``r.json()`` and ``r.bf()``, ``tally(client)`` is a namespace over the client: it works
on ``redis.Redis``, ``redis.asyncio.Redis`` (every method then returns an awaitable),
``RedisCluster`` of either kind, and their pipelines, over RESP2 and RESP3.
"""

from __future__ import annotations

from typing import Any, Union, overload

import redis
import redis.asyncio
import redis.asyncio.client
import redis.asyncio.cluster
import redis.client
import redis.cluster

from .commands import AsyncTally, Command, Tally, TallyPipeline
from .replies import (
    AuditGroup,
    AuditInfo,
    DataEntry,
    Decision,
    Digest,
    Entry,
    Lease,
    Member,
    Order,
    ScoreRank,
    Season,
    SubmitResult,
    TallyReplyError,
    Tiebreak,
    Ties,
    TourneyInfo,
    Verified,
)

_Pipelines = Union[
    redis.client.Pipeline,
    redis.cluster.ClusterPipeline,
    redis.asyncio.client.Pipeline,
    redis.asyncio.cluster.ClusterPipeline,
]
_AsyncClients = Union[redis.asyncio.Redis, redis.asyncio.RedisCluster]
_PIPELINES = (
    redis.client.Pipeline,
    redis.cluster.ClusterPipeline,
    redis.asyncio.client.Pipeline,
    redis.asyncio.cluster.ClusterPipeline,
)


# An asyncio pipeline is also an asyncio client; the first overload that matches wins.
@overload
def tally(client: _Pipelines) -> TallyPipeline: ...  # type: ignore[overload-overlap]
@overload
def tally(client: _AsyncClients) -> AsyncTally: ...
@overload
def tally(client: Union[redis.Redis, redis.RedisCluster]) -> Tally: ...
def tally(client: Any) -> Tally:
    """The tally commands over ``client`` (installs their reply parsers on it)."""
    if isinstance(client, _PIPELINES):
        return TallyPipeline(client)
    if isinstance(client, (redis.asyncio.Redis, redis.asyncio.RedisCluster)):
        return AsyncTally(client)
    return Tally(client)


__all__ = [
    "AsyncTally",
    "AuditGroup",
    "AuditInfo",
    "Command",
    "DataEntry",
    "Decision",
    "Digest",
    "Entry",
    "Lease",
    "Member",
    "Order",
    "ScoreRank",
    "Season",
    "SubmitResult",
    "Tally",
    "TallyPipeline",
    "TallyReplyError",
    "Tiebreak",
    "Ties",
    "TourneyInfo",
    "Verified",
    "tally",
]
