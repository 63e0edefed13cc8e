//! The reads: TOURNEY.RANK, TOURNEY.RANKS, TOURNEY.TOP, TOURNEY.AROUND and TOURNEY.PERCENTILE.

use super::board::{reply_entry, Board, EntryMember};
use super::{split_season, READ_SEASON_ARG, TIES_ARG, WITHDATA_ARG};
use crate::command::{Args, Command};
use crate::config;
use crate::server::{string_bytes, Arg, ArgFlags, ArgKind, Ctx, KeyAccess, KeySpec, Keys, RawString};
use crate::stats::Family;
use smallvec::SmallVec;
use std::ffi::CStr;
use tally_core::tourney::ties::order_entry_member;
use tally_core::tourney::{self as core, PageRanks, Ties, MEMBER, RANKS_FIRST_MEMBER};
use tally_core::Error;

pub struct Rank;

impl Command for Rank {
    const NAME: &'static CStr = c"tourney.rank";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = -3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr = c"Returns a member's 1-based rank (best score first), optionally with its score";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"member", ArgKind::String),
        Arg { token: Some(c"WITHSCORE"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"withscore", ArgKind::Token) },
        TIES_ARG,
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3, false)?;
        let rank = core::parse_rank(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::READ, period, false)?;
        let member = args.raw(MEMBER)?;
        let ties = board.policy.ties_for(rank.ties)?;
        if !rank.with_score && ties == Ties::Ordinal && !board.created {
            // The common case needs no key access of its own: one ZREVRANK.
            match ctx.zrank(board.key, member, board.walk())? {
                Some(position) => ctx.reply_integer(position.saturating_add(1)),
                None => ctx.reply_null(),
            }
            return Ok(());
        }
        let zset = ctx.open_zset(board.key, false)?;
        let (score, len) = (zset.score(member), zset.len());
        drop(zset);
        let Some(score) = score else {
            ctx.reply_null();
            return Ok(());
        };
        let arrival = board.check_in_step(len, Some(member))?;
        let position = board.rank(member, score, ties, arrival)?;
        if rank.with_score {
            ctx.reply_array(2);
            ctx.reply_integer(position);
            ctx.reply_double(score);
        } else {
            ctx.reply_integer(position);
        }
        Ok(())
    }
}

pub struct Ranks;

/// A member TOURNEY.RANKS found: its name, score, arrival (TIEBREAK FIRST) and rank.
struct Found {
    member: RawString,
    score: f64,
    arrival: Option<u64>,
    rank: u64,
}

impl Command for Ranks {
    const NAME: &'static CStr = c"tourney.ranks";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Returns the scores and ranks of a list of members (a friends view), best first; absent members are left out";
    const COMPLEXITY: &'static CStr = c"O(M*log(N)) where N is the number of members and M the number named";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"nummembers", ArgKind::Integer),
        Arg { flags: ArgFlags::MULTIPLE, ..Arg::new(c"member", ArgKind::String) },
        TIES_ARG,
        WITHDATA_ARG,
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let limits = config::limits();
        let count = core::ranks_count(args.bytes(), &limits)?;
        let (words, period) = split_season(args, RANKS_FIRST_MEMBER.saturating_add(count), false)?;
        let ranks = core::parse_ranks(&words, &limits)?;
        let board = Board::open(ctx, args, KeyAccess::READ, period, ranks.with_data)?;
        let ties = board.policy.ties_for(ranks.ties)?;
        let mut named: SmallVec<[RawString; 16]> =
            args.raw_range(RANKS_FIRST_MEMBER..RANKS_FIRST_MEMBER.saturating_add(count))?.into();
        // A member named twice is listed once.
        named.sort_unstable_by(|a, b| string_bytes(*a).cmp(string_bytes(*b)));
        named.dedup_by(|a, b| string_bytes(*a) == string_bytes(*b));
        let zset = ctx.open_zset(board.key, false)?;
        let len = zset.len();
        let mut found: SmallVec<[Found; 16]> = named
            .iter()
            .filter_map(|&member| Some(Found { member, score: zset.score(member)?, arrival: None, rank: 0 }))
            .collect();
        drop(zset);
        let tie_keys = board.ties_in_step(len)?;
        if board.ranks_by_arrival() {
            for entry in &mut found {
                let arrival = tie_keys.as_ref().and_then(|ties| ties.arrival_of(entry.member));
                entry.arrival = Some(arrival.ok_or_else(|| board.out_of_sync())?);
            }
        }
        drop(tie_keys);
        for entry in &mut found {
            entry.rank = board.rank(entry.member, entry.score, ties, entry.arrival)?;
        }
        // Best first, equal scores in the leaderboard's own order (arrival, else Redis' member order).
        let order = board.policy.order;
        found.sort_unstable_by(|a, b| {
            order.compare(a.score, b.score).then_with(|| match (a.arrival, b.arrival) {
                (Some(first), Some(second)) => first.cmp(&second),
                _ => order.compare_members(string_bytes(a.member), string_bytes(b.member)),
            })
        });
        // As TOP and AROUND, a reply with no entries reads no data.
        let data = if ranks.with_data && !found.is_empty() { Some(board.data_for_read()?) } else { None };
        ctx.reply_array(found.len());
        for entry in &found {
            reply_entry(ctx, EntryMember::Raw(entry.member), entry.score, entry.rank, data.as_ref());
        }
        Ok(())
    }
}

pub struct Top;

impl Command for Top {
    const NAME: &'static CStr = c"tourney.top";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = -3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr = c"Returns the best members with their scores and ranks";
    const COMPLEXITY: &'static CStr = c"O(log(N)+M) where N is the number of members and M the number returned";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"count", ArgKind::Integer),
        Arg { token: Some(c"OFFSET"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"offset", ArgKind::Integer) },
        TIES_ARG,
        WITHDATA_ARG,
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3, false)?;
        let top = core::parse_top(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::READ, period, top.with_data)?;
        let ties = board.policy.ties_for(top.ties)?;
        let zset = ctx.open_zset(board.key, false)?;
        let len = zset.len();
        board.check_in_step(len, None)?;
        if len == 0 {
            ctx.reply_array(0);
            return Ok(());
        }
        // Pages come from the ranked set (the order set under TIEBREAK FIRST), so it must
        // hold the board's members, whatever was done to it; a plain board is its own.
        let ranked = if board.ranks_by_arrival() {
            let order = ctx.open_zset(board.ranked_set(), false)?;
            if order.len() != len {
                return Err(board.out_of_sync());
            }
            order
        } else {
            zset
        };
        let data = if top.with_data { Some(board.data_for_read()?) } else { None };
        if top.offset > 0 {
            drop(ranked);
            let stop = top.offset.saturating_add(top.count - 1);
            return board.reply_page(top.offset, stop, ties, data.as_ref());
        }
        // The first page walks the ranked set from its top with no command call; its
        // first entry has rank 1 under every tie rule.
        let count = len.min(top.count);
        let mut ranks = PageRanks::new(ties, 1, 1);
        ctx.reply_array(usize::try_from(count).unwrap_or(0));
        ranked.visit(board.walk(), f64::NEG_INFINITY, f64::INFINITY, count, |entry, score| {
            let member = if board.ranks_by_arrival() {
                EntryMember::Bytes(order_entry_member(string_bytes(entry)))
            } else {
                EntryMember::Raw(entry)
            };
            reply_entry(ctx, member, score, ranks.next(score), data.as_ref());
        });
        Ok(())
    }
}

pub struct Around;

impl Command for Around {
    const NAME: &'static CStr = c"tourney.around";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Returns the members ranked around a member, radius on each side, kept inside the leaderboard";
    const COMPLEXITY: &'static CStr = c"O(log(N)+M) where N is the number of members and M the number returned";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"member", ArgKind::String),
        Arg::new(c"radius", ArgKind::Integer),
        TIES_ARG,
        WITHDATA_ARG,
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4, false)?;
        let around = core::parse_around(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::READ, period, around.with_data)?;
        let member = args.raw(MEMBER)?;
        let ties = board.policy.ties_for(around.ties)?;
        let len = ctx.open_zset(board.key, false)?.len();
        let arrival = board.check_in_step(len, Some(member))?;
        let window = match board.position(member, arrival)? {
            Some(position) => core::around_window(position, around.radius, len),
            None => None,
        };
        match window {
            Some((start, stop)) => {
                let data = if around.with_data { Some(board.data_for_read()?) } else { None };
                board.reply_page(start, stop, ties, data.as_ref())
            }
            None => {
                ctx.reply_null();
                Ok(())
            }
        }
    }
}

pub struct Percentile;

impl Command for Percentile {
    const NAME: &'static CStr = c"tourney.percentile";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = -3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::READ };
    const SUMMARY: &'static CStr =
        c"Returns the percentage of members ranked at or below the member (equal scores count as at or below, unless ties are broken by arrival)";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] =
        &[Arg::new(c"key", ArgKind::Key), Arg::new(c"member", ArgKind::String), READ_SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3, false)?;
        core::parse_percentile(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::READ, period, false)?;
        let member = args.raw(MEMBER)?;
        let zset = ctx.open_zset(board.key, false)?;
        let (score, len) = (zset.score(member), zset.len());
        drop(zset);
        let Some(score) = score else {
            ctx.reply_null();
            return Ok(());
        };
        let arrival = board.check_in_step(len, Some(member))?;
        // Ties broken by arrival are real ranks; any other tie counts as at or below.
        let at_or_below = if board.policy.keeps_arrivals() && board.policy.ties == Ties::Ordinal {
            let position = board.position(member, arrival)?.ok_or_else(|| board.out_of_sync())?;
            len.saturating_sub(position)
        } else {
            ctx.count_from(board.key, score, board.walk())?
        };
        ctx.reply_double(core::percentile(at_or_below, len));
        Ok(())
    }
}
