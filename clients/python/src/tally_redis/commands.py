"""The tally commands as methods of a namespace object over a redis-py client.

Each command is written once, as a method that builds its arguments, decorated with the
parser of its reply. The parsers are installed as the client's response callbacks (as
redis-py's own module helpers do), so replies come back typed from a client, an asyncio
client, a pipeline or a cluster alike. The decorator only adds the types: the same method
returns the reply on a sync client and an awaitable of it on an asyncio client.
"""

from __future__ import annotations

from typing import (
    Any,
    Awaitable,
    Callable,
    Concatenate,
    Generic,
    Mapping,
    Optional,
    ParamSpec,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from . import replies
from .replies import Order, Season, Tiebreak, Ties

P = ParamSpec("P")
T = TypeVar("T")

Key = Union[bytes, str]
Data = Union[bytes, str]
Value = Union[bytes, str, int, float]
Args = Tuple[Value, ...]


class Command(Generic[P, T]):
    """A method that sends the arguments ``build`` returns; its reply is a ``T``."""

    def __init__(self, build: Callable[Concatenate[Any, P], Args]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, namespace: None, owner: type) -> Command[P, T]: ...
    @overload
    def __get__(self, namespace: TallyPipeline, owner: type) -> Callable[P, Any]: ...
    @overload
    def __get__(self, namespace: AsyncTally, owner: type) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, namespace: Tally, owner: type) -> Callable[P, T]: ...
    def __get__(self, namespace: Optional[Tally], owner: type) -> Any:
        if namespace is None:
            return self
        execute = namespace.client.execute_command
        build = self.build

        def call(*args: P.args, **kwargs: P.kwargs) -> Any:
            return execute(*build(namespace, *args, **kwargs))

        call.__doc__ = self.__doc__
        return call


def replies_with(parse: Callable[..., T]) -> Callable[[Callable[Concatenate[Any, P], Args]], Command[P, T]]:
    """Types a command's reply by the parser that builds it (the parser itself is installed
    by name from ``replies.CALLBACKS``)."""
    del parse
    return Command


def _season(season: Optional[Season]) -> Args:
    return () if season is None else ("SEASON", season)


def _season_read(season: Optional[Season], previous: bool) -> Args:
    if season is None:
        if previous:
            raise ValueError("previous=True needs a season")
        return ()
    return ("SEASON", season, "PREVIOUS") if previous else ("SEASON", season)


def _ties(ties: Optional[Ties], season: Optional[Season], previous: bool) -> Args:
    return (() if ties is None else ("TIES", ties)) + _season_read(season, previous)


def _data(data: Optional[Data]) -> Args:
    return () if data is None else ("DATA", data)


def _page(ties: Optional[Ties], with_data: bool, season: Optional[Season], previous: bool) -> Args:
    """The options a page read (TOP, AROUND, RANKS) ends with: [TIES t] [WITHDATA] [SEASON p [PREVIOUS]]."""
    return (
        (() if ties is None else ("TIES", ties)) + (("WITHDATA",) if with_data else ()) + _season_read(season, previous)
    )


def _ranks(key: Key, members: Union[Key, Sequence[Key]]) -> Args:
    named: Tuple[Key, ...] = (members,) if isinstance(members, (bytes, str)) else tuple(members)
    if not named:
        raise ValueError("tourney_ranks needs at least one member (nummembers must be at least 1)")
    return ("TOURNEY.RANKS", key, len(named)) + named


def _maxlen(maxlen: Optional[int], approximate: bool) -> Args:
    return () if maxlen is None else ("MAXLEN", "~" if approximate else "=", maxlen)


def _cost(cost: Optional[int]) -> Args:
    return () if cost is None else ("COST", cost)


class Tally:
    """The tally commands over a redis-py client, pipeline or cluster client; see ``tally()``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        for name, parse in replies.CALLBACKS.items():
            client.set_response_callback(name, parse)

    # ---- TOURNEY: leaderboards on a native sorted set (docs/commands.md) -----------------

    @replies_with(replies.score_rank)
    def tourney_incr(
        self,
        key: Key,
        member: Key,
        delta: float,
        *,
        data: Optional[Data] = None,
        season: Optional[Season] = None,
    ) -> Args:
        """TOURNEY.INCR: add ``delta`` to the member's score; its new score and rank. ``data`` sets
        (replaces) the member's data with it (``delta=0`` changes only the data)."""
        return ("TOURNEY.INCR", key, member, delta) + _data(data) + _season(season)

    @replies_with(replies.submit_result)
    def tourney_submit(
        self,
        key: Key,
        member: Key,
        score: float,
        *,
        latest: bool = False,
        data: Optional[Data] = None,
        season: Optional[Season] = None,
    ) -> Args:
        """TOURNEY.SUBMIT: keep the better score (the higher; the lower on ORDER ASC; with
        ``latest``, this one); score, rank, updated. ``data`` is set only when the score is stored."""
        return (
            ("TOURNEY.SUBMIT", key, member, score) + (("LATEST",) if latest else ()) + _data(data) + _season(season)
        )

    @replies_with(replies.rank_only)
    def tourney_rank(
        self,
        key: Key,
        member: Key,
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.RANK: the member's 1-based rank; None when it is not on the board."""
        return ("TOURNEY.RANK", key, member) + _ties(ties, season, previous)

    @replies_with(replies.rank_with_score)
    def tourney_rank_with_score(
        self,
        key: Key,
        member: Key,
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.RANK ... WITHSCORE: the member's rank and score; None when it is not on the board."""
        return ("TOURNEY.RANK", key, member, "WITHSCORE") + _ties(ties, season, previous)

    @replies_with(replies.top)
    def tourney_top(
        self,
        key: Key,
        count: int,
        *,
        offset: Optional[int] = None,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.TOP: the best ``count`` entries (after ``offset``), best first."""
        skip: Args = () if offset is None else ("OFFSET", offset)
        return ("TOURNEY.TOP", key, count) + skip + _page(ties, False, season, previous)

    @replies_with(replies.top_with_data)
    def tourney_top_with_data(
        self,
        key: Key,
        count: int,
        *,
        offset: Optional[int] = None,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.TOP ... WITHDATA: as ``tourney_top``, each entry with the member's data."""
        skip: Args = () if offset is None else ("OFFSET", offset)
        return ("TOURNEY.TOP", key, count) + skip + _page(ties, True, season, previous)

    @replies_with(replies.around)
    def tourney_around(
        self,
        key: Key,
        member: Key,
        radius: int,
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.AROUND: up to ``radius`` entries each side of the member; None when it is absent."""
        return ("TOURNEY.AROUND", key, member, radius) + _page(ties, False, season, previous)

    @replies_with(replies.around_with_data)
    def tourney_around_with_data(
        self,
        key: Key,
        member: Key,
        radius: int,
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.AROUND ... WITHDATA: as ``tourney_around``, each entry with the member's data."""
        return ("TOURNEY.AROUND", key, member, radius) + _page(ties, True, season, previous)

    @replies_with(replies.ranks)
    def tourney_ranks(
        self,
        key: Key,
        members: Union[Key, Sequence[Key]],
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.RANKS: the entries of the named members (one member, or a list), best first; members
        not on the board are left out and a repeated one is listed once. Raises ValueError for an
        empty list (nummembers, its length, must be at least 1) before sending."""
        return _ranks(key, members) + _page(ties, False, season, previous)

    @replies_with(replies.ranks_with_data)
    def tourney_ranks_with_data(
        self,
        key: Key,
        members: Union[Key, Sequence[Key]],
        *,
        ties: Optional[Ties] = None,
        season: Optional[Season] = None,
        previous: bool = False,
    ) -> Args:
        """TOURNEY.RANKS ... WITHDATA: as ``tourney_ranks``, each entry with the member's data (a
        friends view with display names in one call)."""
        return _ranks(key, members) + _page(ties, True, season, previous)

    @replies_with(replies.percentile)
    def tourney_percentile(
        self, key: Key, member: Key, *, season: Optional[Season] = None, previous: bool = False
    ) -> Args:
        """TOURNEY.PERCENTILE: the share (0-100] of members with the same or a worse score (lower;
        higher on ORDER ASC) than the member's; None when absent."""
        return ("TOURNEY.PERCENTILE", key, member) + _season_read(season, previous)

    @replies_with(replies.integer)
    def tourney_rem(self, key: Key, *members: Key, season: Optional[Season] = None) -> Args:
        """TOURNEY.REM: remove members; how many were on the board."""
        return ("TOURNEY.REM", key) + members + _season(season)

    @replies_with(replies.ok)
    def tourney_create(
        self,
        key: Key,
        *,
        order: Optional[Order] = None,
        tiebreak: Optional[Tiebreak] = None,
        ties: Optional[Ties] = None,
        expire_at: Optional[int] = None,
    ) -> Args:
        """TOURNEY.CREATE: make the key a tournament; True (also when it exists with these settings).
        ``order="ASC"`` makes the lowest score rank 1 (lap times, golf)."""
        return (
            ("TOURNEY.CREATE", key)
            + (() if order is None else ("ORDER", order))
            + (() if tiebreak is None else ("TIEBREAK", tiebreak))
            + (() if ties is None else ("TIES", ties))
            + (() if expire_at is None else ("EXPIREAT", expire_at))
        )

    @replies_with(replies.tourney_info)
    def tourney_info(self, key: Key, *, season: Optional[Season] = None, previous: bool = False) -> Args:
        """TOURNEY.INFO: the tournament's settings, size and score range."""
        return ("TOURNEY.INFO", key) + _season_read(season, previous)

    # ---- LIMIT: rate limiters on the server's clock (docs/limit.md) ----------------------

    @replies_with(replies.decision)
    def limit_slide(self, key: Key, window_ms: int, max_requests: int, *, cost: Optional[int] = None) -> Args:
        """LIMIT.SLIDE: an exact sliding-window log; ``cost=0`` checks without consuming."""
        return ("LIMIT.SLIDE", key, window_ms, max_requests) + _cost(cost)

    @replies_with(replies.decision)
    def limit_multi(self, windows: Sequence[Tuple[Key, int, int]], *, cost: Optional[int] = None) -> Args:
        """LIMIT.MULTI: several ``(key, window_ms, max)`` windows that all allow or none does;
        the keys must share a hash slot."""
        keys = tuple(key for key, _, _ in windows)
        limits = tuple(value for _, window_ms, max_requests in windows for value in (window_ms, max_requests))
        return ("LIMIT.MULTI", len(windows)) + keys + limits + _cost(cost)

    @replies_with(replies.decision)
    def limit_gcra(self, key: Key, burst: int, count: int, period_ms: int, *, cost: Optional[int] = None) -> Args:
        """LIMIT.GCRA: ``count`` per ``period_ms`` with bursts up to ``burst + 1``, in O(1) memory."""
        return ("LIMIT.GCRA", key, burst, count, period_ms) + _cost(cost)

    @replies_with(replies.decision)
    def limit_fixed(self, key: Key, period_ms: int, max_requests: int, *, cost: Optional[int] = None) -> Args:
        """LIMIT.FIXED: a counter per window aligned to multiples of ``period_ms`` since the Unix
        epoch on the server clock (86400000 = UTC days); ``cost=0`` checks without consuming."""
        return ("LIMIT.FIXED", key, period_ms, max_requests) + _cost(cost)

    @replies_with(replies.lease)
    def limit_acquire(self, key: Key, max_leases: int, lease_ms: int, *, token: Optional[Key] = None) -> Args:
        """LIMIT.ACQUIRE: one of ``max_leases`` concurrent slots for ``lease_ms``; a ``token`` that
        already holds a lease renews it instead of taking a second slot."""
        return ("LIMIT.ACQUIRE", key, max_leases, lease_ms) + (() if token is None else ("TOKEN", token))

    @replies_with(replies.flag)
    def limit_release(self, key: Key, token: Key) -> Args:
        """LIMIT.RELEASE: free the token's slot; True if it held a live lease."""
        return ("LIMIT.RELEASE", key, token)

    @replies_with(replies.flag)
    def limit_renew(self, key: Key, token: Key, lease_ms: int) -> Args:
        """LIMIT.RENEW: the token's lease now ends ``lease_ms`` from now; False if it had ended or
        never existed (the worker must stop: its slot may be taken)."""
        return ("LIMIT.RENEW", key, token, lease_ms)

    @replies_with(replies.integer)
    def limit_reset(self, *keys: Key) -> Args:
        """LIMIT.RESET: delete limiter keys (of one slot); how many existed."""
        return ("LIMIT.RESET",) + keys

    # ---- AUDIT: capped, append-only logs on native streams (docs/audit.md) ---------------

    @replies_with(replies.entry_id)
    def audit_append(
        self,
        key: Key,
        fields: Union[Mapping[str, Any], Mapping[bytes, Any]],
        *,
        maxlen: Optional[int] = None,
        approximate: bool = False,
        idempotent: Optional[Tuple[Key, int]] = None,
    ) -> Args:
        """AUDIT.APPEND: append an entry; its ID. ``idempotent=(producer, seq)`` makes a retry
        return the first append's ID."""
        exactly_once: Args = () if idempotent is None else ("IDEMPOTENT",) + idempotent
        pairs = tuple(item for pair in fields.items() for item in pair)
        return ("AUDIT.APPEND", key) + _maxlen(maxlen, approximate) + exactly_once + pairs

    @replies_with(replies.ok)
    def audit_group(self, key: Key, group: Key, *, start: Optional[Key] = None) -> Args:
        """AUDIT.GROUP: create a consumer group (and the stream); True, also when it exists."""
        return ("AUDIT.GROUP", key, group) + (() if start is None else ("START", start))

    @replies_with(replies.audit_info)
    def audit_info(self, key: Key) -> Args:
        """AUDIT.INFO: length, cap, retention, IDs and groups; None for a missing key."""
        return ("AUDIT.INFO", key)

    @replies_with(replies.ok)
    def audit_create(
        self,
        key: Key,
        *,
        maxlen: Optional[int] = None,
        approximate: bool = False,
        retention_ms: Optional[int] = None,
        refuse_when_full: bool = False,
        chain: bool = False,
    ) -> Args:
        """AUDIT.CREATE: the stream's own cap, retention, ONFULL REFUSE and CHAIN; True."""
        return (
            ("AUDIT.CREATE", key)
            + _maxlen(maxlen, approximate)
            + (() if retention_ms is None else ("RETENTION", retention_ms))
            + (("ONFULL", "REFUSE") if refuse_when_full else ())
            + (("CHAIN",) if chain else ())
        )

    @replies_with(replies.verified)
    def audit_verify(
        self, key: Key, *, from_: Optional[Tuple[str, str]] = None, count: Optional[int] = None
    ) -> Args:
        """AUDIT.VERIFY: check the hash chain (from ``from_=(id, hash)``, ``count`` links)."""
        return (
            ("AUDIT.VERIFY", key)
            + (() if from_ is None else ("FROM",) + from_)
            + (() if count is None else ("COUNT", count))
        )

    @replies_with(replies.digest)
    def audit_digest(self, key: Key) -> Args:
        """AUDIT.DIGEST: the newest entry's ID and link, and the length; keep it to verify later."""
        return ("AUDIT.DIGEST", key)


class AsyncTally(Tally):
    """The same commands over a ``redis.asyncio`` client: every method returns an awaitable."""


class TallyPipeline(Tally):
    """The same commands over a pipeline: each call queues the command and returns the
    pipeline; ``execute()`` returns the typed replies in order."""

