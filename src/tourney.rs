//! TOURNEY.*: leaderboards over native sorted sets. Highest score is rank 1.

use crate::command::{Arg, Args, Command, KeySpec, Keys, DOUBLE, INTEGER, KEY, MULTIPLE, ONEOF, OPTIONAL, STRING, TOKEN};
use crate::config;
use crate::stats::Family;
use crate::keys;
use crate::server::{Ctx, Key, Order, RawString};
use redis_module::raw;
use smallvec::SmallVec;
use std::ffi::CStr;
use tally_core::tourney::{self as core, PageRanks, Ties, KEY as KEY_POS, MEMBER};
use tally_core::Error;

const READ: u32 = raw::REDISMODULE_CMD_KEY_RO | raw::REDISMODULE_CMD_KEY_ACCESS;
/// As ZINCRBY declares it (the server allows one of INSERT, UPDATE, DELETE).
const UPSERT: u32 = raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_ACCESS | raw::REDISMODULE_CMD_KEY_UPDATE;
const DELETE: u32 = raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_DELETE;

/// Registers every TOURNEY command.
pub fn register(ctx: *mut raw::RedisModuleCtx) -> Result<(), String> {
    use crate::command::register as r;
    r::<Incr>(ctx)?;
    r::<Submit>(ctx)?;
    r::<Rank>(ctx)?;
    r::<Top>(ctx)?;
    r::<Around>(ctx)?;
    r::<Percentile>(ctx)?;
    r::<Rem>(ctx)
}

// ---- shared steps ----------------------------------------------------------------------

/// The key and member of a call, the key validated against the hash-tag policy.
fn key_and_member(args: &Args) -> Result<(RawString, RawString), Error> {
    Ok((keys::single(args, KEY_POS)?, args.raw(MEMBER)?))
}

/// 1-based rank of a member known to hold `score`.
fn rank_of(ctx: &Ctx, key: RawString, member: RawString, score: f64, ties: Ties) -> Result<u64, Error> {
    match ties {
        Ties::Ordinal => {
            let rank = ctx.zrevrank(key, member)?.ok_or(Error::Internal)?;
            Ok(rank.saturating_add(1))
        }
        Ties::Competition => Ok(ctx.count_above(key, score)?.saturating_add(1)),
    }
}

/// Writes `score` for `member` and propagates it as a concrete ZADD.
fn store(ctx: &Ctx, zset: Key, key: RawString, member: RawString, score: f64, event: &CStr) -> Result<(), Error> {
    zset.set(score, member)?;
    drop(zset);
    ctx.replicate_zadd(key, score, member);
    ctx.wrote(key, raw::REDISMODULE_NOTIFY_ZSET, event);
    Ok(())
}

/// Replies `[[member, score, rank], ...]` for reverse ranks `start..=stop`.
fn reply_page(ctx: &Ctx, key: RawString, start: u64, stop: u64, ties: Ties) -> Result<(), Error> {
    let page = ctx.zrange_rev(key, start, stop)?;
    let first_rank = match (ties, page.scored_member(0)) {
        (Ties::Competition, Some((_, score))) => ctx.count_above(key, score)?.saturating_add(1),
        _ => start.saturating_add(1),
    };
    let mut ranks = PageRanks::new(ties, start.saturating_add(1), first_rank);
    let len = page.len();
    ctx.reply_array(len);
    for index in 0..len {
        let (member, score) = page.scored_member(index).unwrap_or_default();
        reply_entry(ctx, |ctx| ctx.reply_bulk(member), score, ranks.next(score));
    }
    Ok(())
}

fn reply_entry(ctx: &Ctx, member: impl FnOnce(&Ctx), score: f64, rank: u64) {
    ctx.reply_array(3);
    member(ctx);
    ctx.reply_double(score);
    ctx.reply_integer(rank);
}

const TIES_ARG: Arg = Arg {
    name: c"ties",
    kind: ONEOF,
    token: Some(c"TIES"),
    flags: OPTIONAL,
    subargs: &[
        Arg { token: Some(c"ORDINAL"), ..Arg::new(c"ordinal", TOKEN) },
        Arg { token: Some(c"COMPETITION"), ..Arg::new(c"competition", TOKEN) },
    ],
};

// ---- commands --------------------------------------------------------------------------

pub struct Incr;

impl Command for Incr {
    const NAME: &'static CStr = c"tourney.incr";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = 4;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: UPSERT };
    const SUMMARY: &'static CStr = c"Adds delta to a member's score and returns the new score and its rank";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", KEY), Arg::new(c"member", STRING), Arg::new(c"delta", DOUBLE)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let incr = core::parse_incr(args.bytes(), &config::limits())?;
        let (key, member) = key_and_member(args)?;
        let zset = ctx.open_zset(key, true)?;
        let score = core::incremented(zset.score(member), incr.delta)?;
        store(ctx, zset, key, member, score, c"zincr")?;
        let rank = rank_of(ctx, key, member, score, Ties::Ordinal)?;
        ctx.reply_array(2);
        ctx.reply_double(score);
        ctx.reply_integer(rank);
        Ok(())
    }
}

pub struct Submit;

impl Command for Submit {
    const NAME: &'static CStr = c"tourney.submit";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -4;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: UPSERT };
    const SUMMARY: &'static CStr =
        c"Submits a score (keeping the best, or the latest) and returns the stored score, its rank and whether it changed";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", KEY),
        Arg::new(c"member", STRING),
        Arg::new(c"score", DOUBLE),
        Arg {
            flags: OPTIONAL,
            subargs: &[
                Arg { token: Some(c"BEST"), ..Arg::new(c"best", TOKEN) },
                Arg { token: Some(c"LATEST"), ..Arg::new(c"latest", TOKEN) },
            ],
            ..Arg::new(c"mode", ONEOF)
        },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let submit = core::parse_submit(args.bytes(), &config::limits())?;
        let (key, member) = key_and_member(args)?;
        let zset = ctx.open_zset(key, true)?;
        let old = zset.score(member);
        let decision = core::submit_decision(old, submit.score, submit.mode);
        let stored = match decision {
            Some(new) => {
                store(ctx, zset, key, member, new, c"zadd")?;
                new
            }
            None => {
                drop(zset);
                old.unwrap_or(submit.score)
            }
        };
        let rank = rank_of(ctx, key, member, stored, Ties::Ordinal)?;
        ctx.reply_array(3);
        ctx.reply_double(stored);
        ctx.reply_integer(rank);
        ctx.reply_integer(u64::from(decision.is_some()));
        Ok(())
    }
}

pub struct Rank;

impl Command for Rank {
    const NAME: &'static CStr = c"tourney.rank";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = -3;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr = c"Returns a member's 1-based rank (highest score first), optionally with its score";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", KEY),
        Arg::new(c"member", STRING),
        Arg { token: Some(c"WITHSCORE"), flags: OPTIONAL, ..Arg::new(c"withscore", TOKEN) },
        TIES_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let rank = core::parse_rank(args.bytes(), &config::limits())?;
        let (key, member) = key_and_member(args)?;
        if !rank.with_score && rank.ties == Ties::Ordinal {
            // The common case needs no key access of its own: one ZREVRANK.
            match ctx.zrevrank(key, member)? {
                Some(position) => ctx.reply_integer(position.saturating_add(1)),
                None => ctx.reply_null(),
            }
            return Ok(());
        }
        let Some(score) = ctx.open_zset(key, false)?.score(member) else {
            ctx.reply_null();
            return Ok(());
        };
        let position = rank_of(ctx, key, member, score, rank.ties)?;
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

pub struct Top;

impl Command for Top {
    const NAME: &'static CStr = c"tourney.top";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly";
    const ARITY: i32 = -3;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr = c"Returns the best members with their scores and ranks";
    const COMPLEXITY: &'static CStr = c"O(log(N)+M) where N is the number of members and M the number returned";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", KEY),
        Arg::new(c"count", INTEGER),
        Arg { token: Some(c"OFFSET"), flags: OPTIONAL, ..Arg::new(c"offset", INTEGER) },
        TIES_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let top = core::parse_top(args.bytes(), &config::limits())?;
        let key = keys::single(args, KEY_POS)?;
        let zset = ctx.open_zset(key, false)?;
        if top.offset > 0 {
            drop(zset);
            let stop = top.offset.saturating_add(top.count - 1);
            return reply_page(ctx, key, top.offset, stop, top.ties);
        }
        // The first page walks the set from its top with no command call.
        let len = zset.len().min(top.count);
        let mut ranks = PageRanks::new(top.ties, 1, 1);
        ctx.reply_array(usize::try_from(len).unwrap_or(0));
        zset.visit(Order::Descending, f64::NEG_INFINITY, f64::INFINITY, len, |member, score| {
            reply_entry(ctx, |ctx| ctx.reply_string(member), score, ranks.next(score));
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
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr =
        c"Returns the members ranked around a member, radius on each side, kept inside the leaderboard";
    const COMPLEXITY: &'static CStr = c"O(log(N)+M) where N is the number of members and M the number returned";
    const ARGS: &'static [Arg] =
        &[Arg::new(c"key", KEY), Arg::new(c"member", STRING), Arg::new(c"radius", INTEGER), TIES_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let around = core::parse_around(args.bytes(), &config::limits())?;
        let (key, member) = key_and_member(args)?;
        let len = ctx.open_zset(key, false)?.len();
        let window = match ctx.zrevrank(key, member)? {
            Some(position) => core::around_window(position, around.radius, len),
            None => None,
        };
        match window {
            Some((start, stop)) => reply_page(ctx, key, start, stop, around.ties),
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
    const ARITY: i32 = 3;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr =
        c"Returns the percentage of members whose score is at or below the member's score";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", KEY), Arg::new(c"member", STRING)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        core::parse_percentile(args.bytes(), &config::limits())?;
        let (key, member) = key_and_member(args)?;
        let zset = ctx.open_zset(key, false)?;
        let Some(score) = zset.score(member) else {
            ctx.reply_null();
            return Ok(());
        };
        let len = zset.len();
        drop(zset);
        let at_or_below = ctx.count_at_or_below(key, score)?;
        ctx.reply_double(core::percentile(at_or_below, len));
        Ok(())
    }
}

pub struct Rem;

impl Command for Rem {
    const NAME: &'static CStr = c"tourney.rem";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write fast";
    const ARITY: i32 = -3;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: DELETE };
    const SUMMARY: &'static CStr = c"Removes members from a leaderboard and returns how many were removed";
    const COMPLEXITY: &'static CStr =
        c"O(M*log(N)) where N is the number of members and M the number of members to remove";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", KEY), Arg { flags: MULTIPLE, ..Arg::new(c"member", STRING) }];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        core::parse_rem(args.bytes(), &config::limits())?;
        let key = keys::single(args, KEY_POS)?;
        let zset = ctx.open_zset(key, true)?;
        let removed: SmallVec<[RawString; 8]> =
            args.raw_from(MEMBER).iter().copied().filter(|&member| zset.remove(member)).collect();
        let emptied = zset.len() == 0;
        // Closing the key deletes it when it became empty, as ZREM does.
        drop(zset);
        if !removed.is_empty() {
            ctx.replicate_zrem(key, &removed);
            ctx.wrote(key, raw::REDISMODULE_NOTIFY_ZSET, c"zrem");
            if emptied {
                ctx.notify_deleted(key);
            }
        }
        ctx.reply_integer(removed.len() as u64);
        Ok(())
    }
}
