//! LIMIT.ACQUIRE, LIMIT.RELEASE and LIMIT.RENEW: concurrency leases in a native sorted set,
//! token -> the lease's end (ms), so `ZRANGE key 0 -1 WITHSCORES` shows who holds what.
//! Every call first removes the leases that have ended; the key expires with its last lease.

use super::{judge, KEY_POS};
use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, Key, KeyAccess, KeySpec, Keys, Notify, OwnedString, RawString};
use crate::stats::Family;
use std::ffi::CStr;
use tally_core::limit::lease::{self as core, Leases, MADE_TOKEN_HEX, TOKEN_POSITION};
use tally_core::Error;

/// Where LIMIT.ACQUIRE takes its optional token (after the word TOKEN).
const ACQUIRE_TOKEN_POSITION: usize = 5;

/// The leases of `name`, opened for writing, with those ended at or before `now` removed
/// (replicated as `ZREMRANGEBYSCORE key -inf now`); also tells whether any were.
fn open_live(ctx: &Ctx, name: RawString, now: i64) -> Result<(Key<'_>, bool), Error> {
    let leases = ctx.open_zset(name, true)?;
    let ended = leases.remove_at_or_below(now as f64) > 0;
    if ended {
        ctx.replicate_zremrangebyscore(name, now);
        ctx.wrote(name, Notify::Zset, c"zremrangebyscore");
    }
    Ok((leases, ended))
}

/// Closes the leases after a call that `removed` some or `wrote` a lease ending then: keeps
/// the key's expiry at its last lease's end (replicated when it changes); with none left,
/// closing deletes the key, as ZREM does.
fn close(ctx: &Ctx, leases: Key, name: RawString, removed: bool, wrote: Option<i64>) -> Result<(), Error> {
    // The lease just written is the last unless one ends later: asking that reads no lease.
    let last_end = match wrote {
        Some(end) if !leases.any_scored_above(end as f64) => Some(end),
        _ => leases.highest_score().map(|end| end as i64),
    };
    let Some(last_end) = last_end else {
        drop(leases);
        if removed {
            ctx.notify_deleted(name);
        }
        return Ok(());
    };
    if leases.expire_at() != Some(last_end) {
        leases.set_expire_at(last_end)?;
        drop(leases);
        ctx.replicate_pexpireat(name, last_end);
        ctx.notify_expire(name);
    }
    Ok(())
}

/// A token no lease of the key holds: 128 random bits from the server's generator. A clash
/// is next to impossible; a few draws bound the loop whatever the generator does.
fn made_token<'c>(ctx: &'c Ctx, leases: &Key) -> Result<OwnedString<'c>, Error> {
    for _ in 0..8 {
        let token = ctx.string(&ctx.random_hex::<MADE_TOKEN_HEX>());
        if leases.score(token.raw()).is_none() {
            return Ok(token);
        }
    }
    Err(Error::Internal)
}

pub struct Acquire;

impl Command for Acquire {
    const NAME: &'static CStr = c"limit.acquire";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Takes one of max concurrency slots for lease_ms on the server's clock, or renews the lease of the token given";
    const COMPLEXITY: &'static CStr = c"O(log(N)+E) where N is the number of leases and E the leases that ended";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"max", ArgKind::Integer),
        Arg::new(c"lease_ms", ArgKind::Integer),
        Arg { token: Some(c"TOKEN"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"token", ArgKind::String) },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let acquire = core::parse_acquire(args.bytes(), config::limit_max_log())?;
        let name = keys::single(args, KEY_POS)?;
        let now = ctx.now_ms();
        let (leases, ended) = open_live(ctx, name, now)?;
        let named = match acquire.token {
            Some(_) => Some(args.raw(ACQUIRE_TOKEN_POSITION)?),
            None => None,
        };
        let count = leases.len();
        // A named token's lease is written at once, sparing a lookup: with a slot free it gets
        // one whether it held one or not (the write tells which); with none, only a renewal.
        let end = core::lease_end(now, acquire.lease_ms) as f64;
        let holds_token = match named {
            Some(token) if acquire.acquires(count, false) => !leases.set(end, token)?,
            Some(token) => leases.update_existing(end, token)?,
            None => false,
        };
        let written = named.is_some() && acquire.acquires(count, holds_token);
        // Only a refusal replies when the soonest lease ends.
        let earliest_end =
            if acquire.acquires(count, holds_token) { None } else { leases.nth_lowest_score(0).map(|end| end as i64) };
        let outcome = acquire.decide(now, &Leases { live: count, holds_token, earliest_end });
        let shown = judge(&outcome.decision);
        // The token replied: the caller's, or one made for this lease (under shadow mode
        // also for a refused call, which is not stored).
        let made = if named.is_none() && shown.allowed { Some(made_token(ctx, &leases)?) } else { None };
        let token = named.or(made.as_ref().map(OwnedString::raw));
        let lease_end = outcome.lease_end.filter(|_| token.is_some());
        if let (Some(end), Some(token)) = (lease_end, token) {
            if !written {
                leases.set(end as f64, token)?;
            }
            ctx.replicate_zadd(name, end as f64, token);
            ctx.wrote(name, Notify::Zset, c"zadd");
        }
        close(ctx, leases, name, ended, lease_end)?;
        ctx.reply_array(5);
        for value in [i64::from(shown.allowed), shown.limit, shown.remaining, shown.retry_after_ms] {
            ctx.reply_integer(value);
        }
        match token.filter(|_| shown.allowed) {
            Some(token) => ctx.reply_string(token),
            None => ctx.reply_null(),
        }
        Ok(())
    }
}

pub struct Release;

impl Command for Release {
    const NAME: &'static CStr = c"limit.release";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write fast";
    const ARITY: i32 = 3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr = c"Ends a lease taken with LIMIT.ACQUIRE: 1 if it was live, 0 otherwise";
    const COMPLEXITY: &'static CStr = c"O(log(N)+E) where N is the number of leases and E the leases that ended";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", ArgKind::Key), Arg::new(c"token", ArgKind::String)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        core::parse_release(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let token = args.raw(TOKEN_POSITION)?;
        let (leases, ended) = open_live(ctx, name, ctx.now_ms())?;
        let released = leases.remove(token);
        if released {
            ctx.replicate_with_key(c"ZREM", name, &[token]);
            ctx.wrote(name, Notify::Zset, c"zrem");
        }
        // A release that removed nothing left the leases, and so their expiry, as they were.
        if ended || released {
            close(ctx, leases, name, true, None)?;
        }
        ctx.reply_integer(i64::from(released));
        Ok(())
    }
}

pub struct Renew;

impl Command for Renew {
    const NAME: &'static CStr = c"limit.renew";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write fast";
    const ARITY: i32 = 4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Extends a live lease to lease_ms from now: 1 if it was live, 0 if it had ended (its slot may be taken)";
    const COMPLEXITY: &'static CStr = c"O(log(N)+E) where N is the number of leases and E the leases that ended";
    const ARGS: &'static [Arg] =
        &[Arg::new(c"key", ArgKind::Key), Arg::new(c"token", ArgKind::String), Arg::new(c"lease_ms", ArgKind::Integer)];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let lease_ms = core::parse_renew(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let token = args.raw(TOKEN_POSITION)?;
        let now = ctx.now_ms();
        let (leases, ended) = open_live(ctx, name, now)?;
        let end = core::lease_end(now, lease_ms);
        let renewed = leases.update_existing(end as f64, token)?;
        if renewed {
            ctx.replicate_zadd(name, end as f64, token);
            ctx.wrote(name, Notify::Zset, c"zadd");
        }
        // A renewal that found no live lease left the leases, and their expiry, as they were.
        if ended || renewed {
            close(ctx, leases, name, ended, renewed.then_some(end))?;
        }
        ctx.reply_integer(i64::from(renewed));
        Ok(())
    }
}
