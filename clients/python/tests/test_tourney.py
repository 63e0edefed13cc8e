"""TOURNEY.* through redis-py: typed replies over RESP2 and RESP3, str and bytes decoding."""

from __future__ import annotations

from typing import List, Sequence

import pytest
import redis

from tally_redis import DataEntry, Entry, Member, ScoreRank, SubmitResult, TourneyInfo, tally

KEY = "cup:{t}"


def text(client: redis.Redis, value: str) -> Member:
    """A member as the client hands it back: str when decoding, else bytes."""
    return value if client.get_encoder().decode_responses else value.encode()


def test_incr_submit_rank(r: redis.Redis) -> None:
    t = tally(r)
    assert t.tourney_incr(KEY, "ada", 10) == ScoreRank(score=10.0, rank=1)
    assert t.tourney_incr(KEY, "bob", 12.5) == ScoreRank(score=12.5, rank=1)
    assert t.tourney_submit(KEY, "ada", 5) == SubmitResult(score=10.0, rank=2, updated=False)
    assert t.tourney_submit(KEY, "ada", 5, latest=True) == SubmitResult(score=5.0, rank=2, updated=True)
    assert t.tourney_rank(KEY, "bob") == 1
    assert t.tourney_rank(KEY, "nobody") is None
    assert t.tourney_rank_with_score(KEY, "ada") == ScoreRank(score=5.0, rank=2)
    assert t.tourney_rank_with_score(KEY, "nobody") is None


def test_ties_top_around_percentile(r: redis.Redis) -> None:
    t = tally(r)
    for member, score in [("a", 30), ("b", 20), ("c", 20), ("d", 10)]:
        t.tourney_submit(KEY, member, score)
    assert t.tourney_rank(KEY, "c", ties="COMPETITION") == 2
    assert t.tourney_rank(KEY, "d", ties="COMPETITION") == 4
    # Equal scores in Redis' order (ZREVRANGE: the greater member first), ranked alike.
    assert t.tourney_top(KEY, 2, offset=1, ties="COMPETITION") == [
        Entry(text(r, "c"), 20.0, 2),
        Entry(text(r, "b"), 20.0, 2),
    ]
    # Near the end the window shifts to hold 2 * radius + 1 entries.
    around = t.tourney_around(KEY, "d", 1)
    assert around is not None and [e.rank for e in around] == [2, 3, 4]
    assert t.tourney_around(KEY, "nobody", 1) is None
    assert t.tourney_percentile(KEY, "a") == 100.0
    assert t.tourney_percentile(KEY, "d") == 25.0
    assert t.tourney_percentile(KEY, "nobody") is None
    assert t.tourney_top("missing:{t}", 5) == []
    assert t.tourney_rem(KEY, "a", "b", "nobody") == 2
    assert r.zcard(KEY) == 2


def test_ranks(r: redis.Redis) -> None:
    t = tally(r)
    for member, score in [("a", 30), ("b", 20), ("c", 20), ("d", 10)]:
        t.tourney_submit(KEY, member, score)
    # Best first; the absent left out, the repeated listed once.
    assert t.tourney_ranks(KEY, ["d", "b", "nobody", "a", "b"]) == [
        Entry(text(r, "a"), 30.0, 1),
        Entry(text(r, "b"), 20.0, 3),
        Entry(text(r, "d"), 10.0, 4),
    ]
    # Equal scores in Redis' order (the greater member first), sharing a rank under COMPETITION.
    assert t.tourney_ranks(KEY, ["d", "b", "c", "c"], ties="COMPETITION") == [
        Entry(text(r, "c"), 20.0, 2),
        Entry(text(r, "b"), 20.0, 2),
        Entry(text(r, "d"), 10.0, 4),
    ]
    assert t.tourney_ranks(KEY, ("b", "c"), ties="ORDINAL") == [
        Entry(text(r, "c"), 20.0, 2),
        Entry(text(r, "b"), 20.0, 3),
    ]
    # One member, bytes or str; a member named like an option word is just a member.
    assert t.tourney_ranks(KEY, "c") == [Entry(text(r, "c"), 20.0, 2)]
    assert t.tourney_ranks(KEY, [b"a", "TIES", "COMPETITION"]) == [Entry(text(r, "a"), 30.0, 1)]
    assert t.tourney_ranks(KEY, ["nobody", "nobody-else"]) == []
    assert t.tourney_ranks("missing:{t}", ["a", "b"]) == []
    # Seasons: the day's board, and the one before (empty).
    t.tourney_incr(KEY, "zed", 3, season="DAILY")
    assert t.tourney_ranks(KEY, ["zed", "a"], season="DAILY") == [Entry(text(r, "zed"), 3.0, 1)]
    assert t.tourney_ranks(KEY, ["zed"], season="DAILY", previous=True) == []


def test_ranks_refuses_an_empty_list_before_sending(r: redis.Redis) -> None:
    t = tally(r)
    t.tourney_submit(KEY, "a", 1)
    stats = r.info("commandstats").get("cmdstat_tourney.ranks")
    empty: List[Sequence[str]] = [[], ()]
    for members in empty:
        with pytest.raises(ValueError, match="nummembers must be at least 1"):
            t.tourney_ranks(KEY, members)
        with pytest.raises(ValueError, match="nummembers must be at least 1"):
            t.tourney_ranks(KEY, members, ties="COMPETITION", season="DAILY")
    with pytest.raises(ValueError):
        t.tourney_ranks(KEY, ["a"], previous=True)
    pipe = r.pipeline()
    with pytest.raises(ValueError):
        tally(pipe).tourney_ranks(KEY, [])
    assert len(pipe) == 0
    # Nothing reached the server.
    assert r.info("commandstats").get("cmdstat_tourney.ranks") == stats
    assert t.tourney_ranks(KEY, ["a"]) == [Entry(text(r, "a"), 1.0, 1)]


def test_create_info_and_seasons(r: redis.Redis) -> None:
    t = tally(r)
    assert t.tourney_info(KEY) == TourneyInfo(
        created=False, tiebreak="MEMBER", ties="ORDINAL", expire_at=None, members=0, top=None, bottom=None, order="DESC"
    )
    assert t.tourney_create(KEY, tiebreak="FIRST", ties="DENSE", expire_at=4102444800000) is True
    t.tourney_incr(KEY, "zed", 3, season="DAILY")
    t.tourney_incr(KEY, "amy", 3, season="DAILY")
    # TIEBREAK FIRST: zed got there first.
    assert t.tourney_rank(KEY, "zed", season="DAILY", ties="ORDINAL") == 1
    assert t.tourney_ranks(KEY, ["amy", "zed"], season="DAILY", ties="ORDINAL") == [
        Entry(text(r, "zed"), 3.0, 1),
        Entry(text(r, "amy"), 3.0, 2),
    ]
    assert [e.rank for e in t.tourney_ranks(KEY, ["amy", "zed"], season="DAILY")] == [1, 1]
    assert t.tourney_top(KEY, 10, season="DAILY", previous=True) == []
    info = t.tourney_info(KEY, season="DAILY")
    assert (info.created, info.tiebreak, info.ties, info.members, info.top) == (True, "FIRST", "DENSE", 2, 3.0)
    assert t.tourney_rem(KEY, "zed", season="DAILY") == 1
    with pytest.raises(ValueError):
        t.tourney_rank(KEY, "zed", previous=True)


def test_errors_are_redis_errors(r: redis.Redis) -> None:
    t = tally(r)
    r.set("text:{t}", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        t.tourney_incr("text:{t}", "a", 1)
    with pytest.raises(redis.ResponseError, match="^count must be between 1 and"):
        t.tourney_top(KEY, -1)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        t.tourney_ranks("text:{t}", ["a"])
    with pytest.raises(redis.ResponseError, match="^TIES DENSE needs a tournament created with"):
        t.tourney_ranks(KEY, ["a"], ties="DENSE")
    t.tourney_create(KEY, ties="DENSE")
    with pytest.raises(redis.ResponseError, match="already exists with other settings"):
        t.tourney_create(KEY, ties="COMPETITION")


def test_pipeline_and_transaction(r: redis.Redis) -> None:
    for transaction in (False, True):
        pipe = r.pipeline(transaction=transaction)
        queued = tally(pipe)
        queued.tourney_incr(KEY, "ada", 1)
        queued.tourney_rank(KEY, "ada")
        queued.tourney_info(KEY)
        queued.tourney_ranks(KEY, ["ada", "nobody", "ada"])
        queued.tourney_incr(KEY, "ada", 0, data="Ada")
        queued.tourney_top_with_data(KEY, 1)
        queued.tourney_ranks_with_data(KEY, ["ada"])
        queued.tourney_around_with_data(KEY, "ada", 1)
        incr, rank, info, ranks, _, top, named, around = pipe.execute()
        assert isinstance(incr, ScoreRank) and rank == 1 and isinstance(info, TourneyInfo)
        assert ranks == [Entry(text(r, "ada"), incr.score, 1)]
        assert top == named == around == [DataEntry(text(r, "ada"), incr.score, 1, text(r, "Ada"))]


def test_order_asc(r: redis.Redis) -> None:
    t = tally(r)
    laps = "laps:{monza}"
    assert t.tourney_create(laps, order="ASC", tiebreak="FIRST") is True
    assert t.tourney_create(laps, tiebreak="FIRST", order="ASC") is True
    with pytest.raises(redis.ResponseError, match="already exists with other settings"):
        t.tourney_create(laps, order="DESC", tiebreak="FIRST")
    # Lap times in ms: the lowest ranks first; BEST keeps the lower one.
    assert t.tourney_submit(laps, "ana", 83410) == SubmitResult(83410.0, 1, True)
    assert t.tourney_submit(laps, "ben", 82950) == SubmitResult(82950.0, 1, True)
    assert t.tourney_submit(laps, "ana", 84000) == SubmitResult(83410.0, 2, False)
    assert t.tourney_submit(laps, "cy", 83410) == SubmitResult(83410.0, 3, True)
    assert t.tourney_submit(laps, "dee", 90000, latest=True) == SubmitResult(90000.0, 4, True)
    assert t.tourney_incr(laps, "ben", 1000) == ScoreRank(83950.0, 3)
    assert t.tourney_incr(laps, "ben", -1000) == ScoreRank(82950.0, 1)
    assert t.tourney_top(laps, 4) == [
        Entry(text(r, "ben"), 82950.0, 1),
        Entry(text(r, "ana"), 83410.0, 2),
        Entry(text(r, "cy"), 83410.0, 3),
        Entry(text(r, "dee"), 90000.0, 4),
    ]
    assert [e.rank for e in t.tourney_top(laps, 4, ties="COMPETITION")] == [1, 2, 2, 4]
    assert t.tourney_rank(laps, "cy") == 3
    assert t.tourney_rank_with_score(laps, "dee") == ScoreRank(90000.0, 4)
    around = t.tourney_around(laps, "ana", 1)
    assert around is not None and [e.member for e in around] == [text(r, m) for m in ("ben", "ana", "cy")]
    assert t.tourney_ranks(laps, ["dee", "ben", "nobody"]) == [
        Entry(text(r, "ben"), 82950.0, 1),
        Entry(text(r, "dee"), 90000.0, 4),
    ]
    # The share with the same or a worse (higher) time; ana arrived before cy.
    assert [t.tourney_percentile(laps, m) for m in ("ben", "ana", "dee")] == [100.0, 75.0, 25.0]
    assert t.tourney_info(laps) == TourneyInfo(
        created=True, tiebreak="FIRST", ties="ORDINAL", expire_at=None, members=4, top=82950.0, bottom=90000.0,
        order="ASC",
    )
    # Still a native sorted set, listed best first by ZRANGE without REV.
    assert r.zrange(laps, 0, -1) == [text(r, m) for m in ("ben", "ana", "cy", "dee")]
    assert t.tourney_create("desc:{t}", order="DESC") is True
    assert t.tourney_info("desc:{t}").order == "DESC"


def test_member_data(r: redis.Redis) -> None:
    t = tally(r)
    assert t.tourney_incr(KEY, "ada", 10, data="Ada L.") == ScoreRank(10.0, 1)
    assert t.tourney_submit(KEY, "bob", 20, data=b"Bob") == SubmitResult(20.0, 1, True)
    t.tourney_incr(KEY, "cy", 5)
    assert t.tourney_top_with_data(KEY, 10) == [
        DataEntry(text(r, "bob"), 20.0, 1, text(r, "Bob")),
        DataEntry(text(r, "ada"), 10.0, 2, text(r, "Ada L.")),
        DataEntry(text(r, "cy"), 5.0, 3, None),
    ]
    # SUBMIT writes data only with a stored score; INCR always (0 changes only the data).
    assert t.tourney_submit(KEY, "bob", 15, data="Bobby") == SubmitResult(20.0, 1, False)
    assert r.hget(f"{KEY}:data", "bob") == text(r, "Bob")
    t.tourney_submit(KEY, "bob", 15, latest=True, data="Bobby")
    assert t.tourney_incr(KEY, "cy", 0, data="") == ScoreRank(5.0, 3)
    assert t.tourney_top_with_data(KEY, 2, offset=1, ties="COMPETITION") == [
        DataEntry(text(r, "ada"), 10.0, 2, text(r, "Ada L.")),
        DataEntry(text(r, "cy"), 5.0, 3, text(r, "")),
    ]
    assert t.tourney_around_with_data(KEY, "ada", 1) == [
        DataEntry(text(r, "bob"), 15.0, 1, text(r, "Bobby")),
        DataEntry(text(r, "ada"), 10.0, 2, text(r, "Ada L.")),
        DataEntry(text(r, "cy"), 5.0, 3, text(r, "")),
    ]
    assert t.tourney_around_with_data(KEY, "nobody", 1) is None
    assert t.tourney_ranks_with_data(KEY, ["cy", "nobody", "ada", "cy"]) == [
        DataEntry(text(r, "ada"), 10.0, 2, text(r, "Ada L.")),
        DataEntry(text(r, "cy"), 5.0, 3, text(r, "")),
    ]
    assert t.tourney_ranks_with_data(KEY, "bob") == [DataEntry(text(r, "bob"), 15.0, 1, text(r, "Bobby"))]
    assert t.tourney_ranks_with_data("missing:{t}", ["bob"]) == []
    with pytest.raises(ValueError, match="nummembers must be at least 1"):
        t.tourney_ranks_with_data(KEY, [])
    # The plain reads keep three-field entries.
    assert t.tourney_top(KEY, 1) == [Entry(text(r, "bob"), 15.0, 1)]
    # Binary data round-trips (bytes without decoding).
    if not r.get_encoder().decode_responses:
        t.tourney_incr(KEY, "bin", 0, data=b"\x00\xff\r\n")
        assert t.tourney_ranks_with_data(KEY, ["bin"])[0].data == b"\x00\xff\r\n"
    # TOURNEY.REM removes the member's data with it.
    assert t.tourney_rem(KEY, "ada") == 1
    assert r.hexists(f"{KEY}:data", "ada") is False
    # A season's data lives beside the season's board.
    assert t.tourney_submit(KEY, "eve", 3, data="daily", season="DAILY") == SubmitResult(3.0, 1, True)
    assert t.tourney_top_with_data(KEY, 5, season="DAILY") == [DataEntry(text(r, "eve"), 3.0, 1, text(r, "daily"))]
    assert t.tourney_ranks_with_data(KEY, ["eve"], season="DAILY", previous=True) == []
    assert r.hexists(f"{KEY}:data", "eve") is False


def test_member_data_limits(r: redis.Redis) -> None:
    t = tally(r)
    with pytest.raises(redis.ResponseError, match=r"^member data is longer than tally.max-data-bytes \(1024 bytes\)"):
        t.tourney_incr(KEY, "a", 1, data="x" * 1025)
    with pytest.raises(redis.ResponseError, match="^member data is longer than"):
        t.tourney_submit(KEY, "a", 1, data="x" * 1025)
    assert r.exists(KEY, f"{KEY}:data") == 0
    t.tourney_incr(KEY, "a", 1, data="x" * 1024)
    r.config_set("tally.max-data-bytes", 0)
    try:
        with pytest.raises(redis.ResponseError, match=r"^member data is disabled"):
            t.tourney_submit(KEY, "a", 0, data="off")
        assert t.tourney_top_with_data(KEY, 1)[0].data == text(r, "x" * 1024)
    finally:
        r.config_set("tally.max-data-bytes", 1024)
