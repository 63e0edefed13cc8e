"""Typed replies and the parsers that build them.

tally replies differently per protocol: a score is a bulk string ("10.5") in RESP2 and a
double in RESP3; TOURNEY.INFO and AUDIT.INFO are flat name/value arrays in RESP2 and maps in
RESP3. redis-py hands text over as ``bytes`` or ``str`` depending on ``decode_responses``.
Each parser accepts every such shape, so one parser serves both protocols and both modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Tuple, TypeVar, Union

Member = Union[bytes, str]
"""A member as the client decodes it: ``str`` with ``decode_responses=True``, else ``bytes``."""

Ties = Literal["ORDINAL", "COMPETITION", "DENSE"]
Tiebreak = Literal["FIRST", "MEMBER"]
Season = Literal["DAILY", "WEEKLY", "MONTHLY"]
Order = Literal["DESC", "ASC"]
"""Which end of a board ranks first: DESC (the highest score, the default) or ASC (the lowest)."""


class TallyReplyError(Exception):
    """The server replied with a shape this client does not know (a version mismatch)."""

    def __init__(self, what: str, reply: Any) -> None:
        super().__init__(f"tally: unexpected reply for {what}: {reply!r}")


@dataclass(frozen=True)
class ScoreRank:
    score: float
    rank: int


@dataclass(frozen=True)
class SubmitResult:
    score: float
    rank: int
    updated: bool
    """Whether the stored score changed."""


@dataclass(frozen=True)
class Entry:
    member: Member
    score: float
    rank: int


@dataclass(frozen=True)
class DataEntry(Entry):
    """An entry of a ``..._with_data`` read (WITHDATA)."""

    data: Optional[Member]
    """The member's data (``DATA``), decoded like ``member``; None when it has none."""


@dataclass(frozen=True)
class TourneyInfo:
    created: bool
    """Whether TOURNEY.CREATE made the key a tournament; when not, the settings are the defaults."""
    tiebreak: Tiebreak
    ties: Ties
    expire_at: Optional[int]
    """Unix time in ms at which the tournament expires; None when it does not."""
    members: int
    top: Optional[float]
    """Rank 1's score (the highest; the lowest on ORDER ASC); None when the board is empty."""
    bottom: Optional[float]
    """The worst score; None when the board is empty."""
    order: Order
    """Which end ranks first ("DESC" for a leaderboard never created)."""


@dataclass(frozen=True)
class Decision:
    """What every LIMIT command replies."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_ms: int
    """0 when allowed, else ms until the same request would pass."""
    reset_after_ms: int
    """ms until the limiter is back to full capacity."""


@dataclass(frozen=True)
class Lease:
    """What LIMIT.ACQUIRE replies: a lease on one of ``limit`` slots, or a refusal."""

    acquired: bool
    limit: int
    remaining: int
    """Slots left after this call."""
    retry_after_ms: int
    """0 when acquired, else ms until the earliest lease ends."""
    token: Optional[str]
    """The lease's token (the one given, or the server's 32 hex digits); None when refused."""


@dataclass(frozen=True)
class AuditGroup:
    name: str
    consumers: int
    pending: int
    lag: Optional[int]
    """None when the server cannot tell."""


@dataclass(frozen=True)
class AuditInfo:
    length: int
    cap: int
    retention_ms: int
    first_entry_id: Optional[str]
    last_entry_id: Optional[str]
    entries_added: int
    groups: List[AuditGroup]
    mode: Literal["=", "~"]
    on_full: Literal["trim", "refuse"]
    chain: bool
    remaining: Optional[int]
    """Under ONFULL REFUSE, the appends left before one is refused; None otherwise."""


@dataclass(frozen=True)
class Verified:
    ok: bool
    checked: int
    first_bad: Optional[str]
    """The first entry whose link does not hold; None when every checked link holds."""
    last_id: Optional[str]
    last_hash: Optional[str]
    """With ``last_id``, where the check stopped: pass both as ``from_`` for the next page."""


@dataclass(frozen=True)
class Digest:
    last_id: Optional[str]
    last_hash: Optional[str]
    length: int


def _text(value: Any, what: str) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TallyReplyError(what, value)


N = TypeVar("N")


def _number(value: Any, what: str, convert: Callable[[Any], N], native: Tuple[type, ...]) -> N:
    """A RESP number of a `native` type, or its text (RESP2)."""
    if isinstance(value, native) and not isinstance(value, bool):
        return convert(value)
    if isinstance(value, (bytes, str)):
        try:
            return convert(value)
        except ValueError:
            pass
    raise TallyReplyError(what, value)


def _integer(value: Any, what: str) -> int:
    return _number(value, what, int, (int,))


def _double(value: Any, what: str) -> float:
    """A double as Redis prints it ("10", "10.5", "inf", "-inf") or a RESP3 double."""
    return _number(value, what, float, (int, float))


def _optional(parse: Callable[[Any, str], N], value: Any, what: str) -> Optional[N]:
    """`parse` of a value that may be nil."""
    return None if value is None else parse(value, what)


def _array(value: Any, what: str, length: Optional[int] = None) -> List[Any]:
    if isinstance(value, list) and (length is None or len(value) == length):
        return value
    raise TallyReplyError(what, value)


def _fields(value: Any, what: str) -> Dict[str, Any]:
    """A map reply (RESP3 dict, or RESP2 flat name/value array) with text names."""
    if isinstance(value, Mapping):
        return {_text(name, what): item for name, item in value.items()}
    pairs = _array(value, what)
    if len(pairs) % 2:
        raise TallyReplyError(what, value)
    return {_text(pairs[i], what): pairs[i + 1] for i in range(0, len(pairs), 2)}


def _field(fields: Mapping[str, Any], name: str, what: str) -> Any:
    if name not in fields:
        raise TallyReplyError(f"{what} (no '{name}')", fields)
    return fields[name]


def _word(value: Any, words: tuple[str, ...], what: str) -> Any:
    upper = _text(value, what).upper()
    if upper not in words:
        raise TallyReplyError(what, value)
    return upper


# Parsers: one per reply shape, each `(reply, **options) -> typed value`, the signature
# redis-py calls response callbacks with.


def score_rank(reply: Any, **_: Any) -> ScoreRank:
    score, rank = _array(reply, "TOURNEY.INCR", 2)
    return ScoreRank(_double(score, "TOURNEY.INCR"), _integer(rank, "TOURNEY.INCR"))


def submit_result(reply: Any, **_: Any) -> SubmitResult:
    what = "TOURNEY.SUBMIT"
    score, rank, updated = _array(reply, what, 3)
    return SubmitResult(_double(score, what), _integer(rank, what), _integer(updated, what) == 1)


def rank(reply: Any, **_: Any) -> Union[None, int, ScoreRank]:
    """TOURNEY.RANK: the rank, ``[rank, score]`` with WITHSCORE, nil for an absent member."""
    what = "TOURNEY.RANK"
    if reply is None:
        return None
    if isinstance(reply, list):
        position, score = _array(reply, what, 2)
        return ScoreRank(_double(score, what), _integer(position, what))
    return _integer(reply, what)


# RANK's two forms share a command name, hence one callback; these name the type each form gets.
rank_only: Callable[..., Optional[int]] = rank  # type: ignore[assignment]
rank_with_score: Callable[..., Optional[ScoreRank]] = rank  # type: ignore[assignment]


def _entry(item: Any, what: str) -> Entry:
    """``[member, score, rank]``, or with WITHDATA ``[member, score, rank, data]``."""
    fields = _array(item, what)
    if len(fields) == 3:
        member, score, position = fields
        return Entry(member, _double(score, what), _integer(position, what))
    if len(fields) == 4:
        member, score, position, data = fields
        return DataEntry(member, _double(score, what), _integer(position, what), data)
    raise TallyReplyError(what, item)


def _entries(reply: Any, what: str) -> List[Entry]:
    return [_entry(item, what) for item in _array(reply, what)]


def top(reply: Any, **_: Any) -> List[Entry]:
    """TOURNEY.TOP: entries, best first (``DataEntry`` items with WITHDATA)."""
    return _entries(reply, "TOURNEY.TOP")


def ranks(reply: Any, **_: Any) -> List[Entry]:
    """TOURNEY.RANKS: as TOP, the named members that are on the board."""
    return _entries(reply, "TOURNEY.RANKS")


def around(reply: Any, **_: Any) -> Optional[List[Entry]]:
    """TOURNEY.AROUND: as TOP, or nil when the member is absent."""
    return None if reply is None else _entries(reply, "TOURNEY.AROUND")


# The WITHDATA forms share their command's name, hence its callback; these name the type they get.
top_with_data: Callable[..., List[DataEntry]] = top  # type: ignore[assignment]
ranks_with_data: Callable[..., List[DataEntry]] = ranks  # type: ignore[assignment]
around_with_data: Callable[..., Optional[List[DataEntry]]] = around  # type: ignore[assignment]


def percentile(reply: Any, **_: Any) -> Optional[float]:
    return _optional(_double, reply, "TOURNEY.PERCENTILE")


def tourney_info(reply: Any, **_: Any) -> TourneyInfo:
    what = "TOURNEY.INFO"
    fields = _fields(reply, what)
    return TourneyInfo(
        created=_integer(_field(fields, "created", what), what) == 1,
        tiebreak=_word(_field(fields, "tiebreak", what), ("FIRST", "MEMBER"), what),
        ties=_word(_field(fields, "ties", what), ("ORDINAL", "COMPETITION", "DENSE"), what),
        expire_at=_optional(_integer, _field(fields, "expireat", what), what),
        members=_integer(_field(fields, "members", what), what),
        top=_optional(_double, _field(fields, "top", what), what),
        bottom=_optional(_double, _field(fields, "bottom", what), what),
        order=_word(_field(fields, "order", what), ("DESC", "ASC"), what),
    )


def decision(reply: Any, **_: Any) -> Decision:
    what = "LIMIT"
    allowed, limit, remaining, retry, reset = (_integer(v, what) for v in _array(reply, what, 5))
    return Decision(allowed == 1, limit, remaining, retry, reset)


def lease(reply: Any, **_: Any) -> Lease:
    what = "LIMIT.ACQUIRE"
    acquired, limit, remaining, retry, token = _array(reply, what, 5)
    return Lease(
        acquired=_integer(acquired, what) == 1,
        limit=_integer(limit, what),
        remaining=_integer(remaining, what),
        retry_after_ms=_integer(retry, what),
        token=_optional(_text, token, what),
    )


def flag(reply: Any, **_: Any) -> bool:
    """An integer 1 or 0 as True or False (LIMIT.RELEASE, LIMIT.RENEW)."""
    return _integer(reply, "flag") == 1


def entry_id(reply: Any, **_: Any) -> str:
    return _text(reply, "AUDIT.APPEND")


def _audit_group(reply: Any) -> AuditGroup:
    what = "AUDIT.INFO group"
    fields = _fields(reply, what)
    return AuditGroup(
        name=_text(_field(fields, "name", what), what),
        consumers=_integer(_field(fields, "consumers", what), what),
        pending=_integer(_field(fields, "pending", what), what),
        lag=_optional(_integer, _field(fields, "lag", what), what),
    )


def audit_info(reply: Any, **_: Any) -> Optional[AuditInfo]:
    what = "AUDIT.INFO"
    if reply is None:
        return None
    fields = _fields(reply, what)
    return AuditInfo(
        length=_integer(_field(fields, "length", what), what),
        cap=_integer(_field(fields, "cap", what), what),
        retention_ms=_integer(_field(fields, "retention-ms", what), what),
        first_entry_id=_optional(_text, _field(fields, "first-entry-id", what), what),
        last_entry_id=_optional(_text, _field(fields, "last-entry-id", what), what),
        entries_added=_integer(_field(fields, "entries-added", what), what),
        groups=[_audit_group(group) for group in _array(_field(fields, "groups", what), what)],
        mode=_word(_field(fields, "mode", what), ("=", "~"), what),
        on_full=_word(_field(fields, "onfull", what), ("TRIM", "REFUSE"), what).lower(),
        chain=_integer(_field(fields, "chain", what), what) == 1,
        remaining=_optional(_integer, _field(fields, "remaining", what), what),
    )


def verified(reply: Any, **_: Any) -> Verified:
    what = "AUDIT.VERIFY"
    ok, checked, first_bad, last_id, last_hash = _array(reply, what, 5)
    return Verified(
        ok=_integer(ok, what) == 1,
        checked=_integer(checked, what),
        first_bad=_optional(_text, first_bad, what),
        last_id=_optional(_text, last_id, what),
        last_hash=_optional(_text, last_hash, what),
    )


def digest(reply: Any, **_: Any) -> Digest:
    what = "AUDIT.DIGEST"
    last_id, last_hash, length = _array(reply, what, 3)
    return Digest(_optional(_text, last_id, what), _optional(_text, last_hash, what), _integer(length, what))


def ok(reply: Any, **_: Any) -> bool:
    """CREATE and GROUP: True for +OK (errors raise before a callback runs)."""
    return _text(reply, "OK") == "OK"


def integer(reply: Any, **_: Any) -> int:
    return _integer(reply, "integer")


# The parser of each command's reply, installed as the client's response callbacks.
CALLBACKS: Dict[str, Callable[..., Any]] = {
    "TOURNEY.INCR": score_rank,
    "TOURNEY.SUBMIT": submit_result,
    "TOURNEY.RANK": rank,
    "TOURNEY.RANKS": ranks,
    "TOURNEY.TOP": top,
    "TOURNEY.AROUND": around,
    "TOURNEY.PERCENTILE": percentile,
    "TOURNEY.REM": integer,
    "TOURNEY.CREATE": ok,
    "TOURNEY.INFO": tourney_info,
    "LIMIT.SLIDE": decision,
    "LIMIT.MULTI": decision,
    "LIMIT.GCRA": decision,
    "LIMIT.FIXED": decision,
    "LIMIT.ACQUIRE": lease,
    "LIMIT.RELEASE": flag,
    "LIMIT.RENEW": flag,
    "LIMIT.RESET": integer,
    "AUDIT.APPEND": entry_id,
    "AUDIT.GROUP": ok,
    "AUDIT.INFO": audit_info,
    "AUDIT.CREATE": ok,
    "AUDIT.VERIFY": verified,
    "AUDIT.DIGEST": digest,
}
