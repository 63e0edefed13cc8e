//! LIMIT.*: rate limiters on the server's clock. Replies are always
//! `[allowed, limit, remaining, retry_after_ms, reset_after_ms]`.

use crate::command::{Args, Command};
use crate::config;
use crate::keys;
use crate::server::{
    register_command, Arg, ArgFlags, ArgKind, Ctx, Key, KeyAccess, KeyKind, KeySpec, Keys, LoadCtx, Notify, RawString,
};
use crate::stats::{self, Family};
use smallvec::SmallVec;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};
use tally_core::limit::{self as core, Decision, LogState, Window};
use tally_core::number::IntText;
use tally_core::Error;

mod fixed;
mod lease;

const KEY_POS: usize = 1;

pub fn register(ctx: &LoadCtx) -> Result<(), String> {
    register_command::<Slide>(ctx)?;
    register_command::<Multi>(ctx)?;
    register_command::<Gcra>(ctx)?;
    register_command::<fixed::Fixed>(ctx)?;
    register_command::<lease::Acquire>(ctx)?;
    register_command::<lease::Release>(ctx)?;
    register_command::<lease::Renew>(ctx)?;
    register_command::<Reset>(ctx)
}

/// Counts a decision and returns what the caller is told: under `tally.limit-shadow` a
/// refusal is answered as allowed (the state stays as the refusal leaves it).
fn judge(decision: &Decision) -> Decision {
    if decision.allowed {
        stats::count(&stats::LIMIT_ALLOWED, 1);
        *decision
    } else if config::limit_shadow() {
        stats::count(&stats::LIMIT_SHADOW_DENIED, 1);
        decision.shadowed()
    } else {
        stats::count(&stats::LIMIT_DENIED, 1);
        *decision
    }
}

fn reply_decision(ctx: &Ctx, decision: &Decision) {
    ctx.reply_array(5);
    for value in judge(decision).as_array() {
        ctx.reply_integer(value);
    }
}

const COST_ARG: Arg = Arg { token: Some(c"COST"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"cost", ArgKind::Integer) };

// ---- sliding log ----------------------------------------------------------------------

/// Makes the members of a sliding log: `<ms>-<sequence>`, unique within the key (the
/// sequence never repeats in a process, and a clash with an older entry is skipped).
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Prunes an open log of the entries that left the window and reads what deciding
/// `cost` units against it needs. Also tells whether pruning emptied the log.
fn prune_and_read(ctx: &Ctx, log: &Key, name: RawString, window: &Window, cost: i64, now: i64) -> (LogState, bool) {
    let cutoff = window.cutoff(now);
    let pruned = log.remove_at_or_below(cutoff as f64) > 0;
    if pruned {
        ctx.replicate_zremrangebyscore(name, cutoff);
        ctx.wrote(name, Notify::Zset, c"zremrangebyscore");
    }
    let count = log.len();
    let state = LogState {
        count,
        newest: log.highest_score().map(|s| s as i64),
        blocking: window.blocking_index(count, cost).and_then(|n| log.nth_lowest_score(n)).map(|s| s as i64),
    };
    (state, pruned && count == 0)
}

/// Decides `cost` units against one sliding window per key, consuming from all of them
/// only if every one allows. Every key is opened (and type-checked) before any is touched,
/// so an error changes nothing.
fn limit_windows(ctx: &Ctx, names: &[RawString], windows: &[Window], cost: i64) -> Result<Decision, Error> {
    let logs = names.iter().map(|name| ctx.open_zset(*name, true)).collect::<Result<SmallVec<[Key; 4]>, _>>()?;
    let now = ctx.now_ms();
    let mut states = SmallVec::<[(Window, LogState); 4]>::new();
    let mut emptied = SmallVec::<[RawString; 4]>::new();
    for (log, (name, window)) in logs.iter().zip(names.iter().zip(windows)) {
        let (state, empty) = prune_and_read(ctx, log, *name, window, cost, now);
        states.push((*window, state));
        if empty {
            emptied.push(*name);
        }
    }
    let decision = core::decide_all(now, cost, &states);
    if decision.allowed && cost > 0 {
        for (log, (name, window)) in logs.into_iter().zip(names.iter().zip(windows)) {
            consume(ctx, log, *name, window, cost, now)?;
        }
    } else {
        // Closing a log that pruning emptied deletes it, as ZREMRANGEBYSCORE does.
        drop(logs);
        for name in emptied {
            ctx.notify_deleted(name);
        }
    }
    Ok(decision)
}

/// Records `cost` units at `now` in an open log and renews its expiry, as the classic
/// script does (`ZADD key now id`, `PEXPIRE key window`), replicating concrete values.
fn consume(ctx: &Ctx, log: Key, name: RawString, window: &Window, cost: i64, now: i64) -> Result<(), Error> {
    let now_digits = IntText::new(now);
    let now_text = ctx.string(now_digits.as_bytes());
    let mut members = SmallVec::<[_; 4]>::new();
    while members.len() < cost.unsigned_abs() as usize {
        // `<now>-<sequence>`, written without the formatting machinery (a hot path).
        let sequence = IntText::unsigned(SEQUENCE.fetch_add(1, Ordering::Relaxed));
        let mut text = SmallVec::<[u8; 64]>::new();
        text.extend_from_slice(now_digits.as_bytes());
        text.push(b'-');
        text.extend_from_slice(sequence.as_bytes());
        let member = ctx.string(&text);
        if log.add_new(now as f64, member.raw())? {
            members.push(member);
        }
    }
    let expire_at = now.saturating_add(window.window_ms);
    log.set_expire_at(expire_at)?;
    drop(log);
    let pairs: SmallVec<[RawString; 8]> = members.iter().flat_map(|m| [now_text.raw(), m.raw()]).collect();
    ctx.replicate_with_key(c"ZADD", name, &pairs);
    ctx.replicate_pexpireat(name, expire_at);
    ctx.wrote(name, Notify::Zset, c"zadd");
    ctx.notify_expire(name);
    Ok(())
}

pub struct Slide;

impl Command for Slide {
    const NAME: &'static CStr = c"limit.slide";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write deny-oom";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Sliding-window log limiter: allows at most max units in any window_ms, on the server's clock";
    const COMPLEXITY: &'static CStr =
        c"O(log(N)+P+C) where N is the log size, P the entries that left the window and C the cost";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"window_ms", ArgKind::Integer),
        Arg::new(c"max", ArgKind::Integer),
        COST_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let slide = core::parse_slide(args.bytes(), config::limit_max_log())?;
        let name = keys::single(args, KEY_POS)?;
        reply_decision(ctx, &limit_windows(ctx, &[name], &[slide.window], slide.cost)?);
        Ok(())
    }
}

pub struct Multi;

impl Command for Multi {
    const NAME: &'static CStr = c"limit.multi";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write deny-oom";
    const ARITY: i32 = -5;
    const KEYS: KeySpec = KeySpec { keys: Keys::Counted(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Checks several sliding windows at once and consumes from all of them only if every one allows";
    const COMPLEXITY: &'static CStr = c"O(K*(log(N)+P+C)) for K windows, as LIMIT.SLIDE for each";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"numkeys", ArgKind::Integer),
        Arg { flags: ArgFlags::MULTIPLE, ..Arg::new(c"key", ArgKind::Key) },
        Arg {
            flags: ArgFlags::MULTIPLE,
            subargs: &[Arg::new(c"window_ms", ArgKind::Integer), Arg::new(c"max", ArgKind::Integer)],
            ..Arg::new(c"window", ArgKind::Block)
        },
        COST_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let multi = core::parse_multi(args.bytes(), config::limit_max_log())?;
        let first = core::MULTI_FIRST_KEY;
        let names = keys::many(args, first..first + multi.numkeys)?;
        let key_bytes = args.bytes().get(first..first + multi.numkeys).unwrap_or_default();
        core::check_distinct_keys(key_bytes)?;
        let decision = limit_windows(ctx, names, &multi.windows, multi.cost)?;
        reply_decision(ctx, &decision);
        Ok(())
    }
}

// ---- GCRA -----------------------------------------------------------------------------

pub struct Gcra;

impl Command for Gcra {
    const NAME: &'static CStr = c"limit.gcra";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -5;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"GCRA limiter (as CL.THROTTLE): count units per period_ms with bursts of burst+1, in O(1) memory";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"burst", ArgKind::Integer),
        Arg::new(c"count", ArgKind::Integer),
        Arg::new(c"period_ms", ArgKind::Integer),
        COST_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let gcra = core::parse_gcra(args.bytes())?;
        let name = keys::single(args, KEY_POS)?;
        let now = ctx.now_ms();
        let state = ctx.open_key(name, true);
        let stored = match state.kind() {
            KeyKind::Empty => None,
            KeyKind::String => {
                let mut buf = [0u8; core::GCRA_STATE_MAX_BYTES];
                let len = state.string_value(&mut buf).ok_or(Error::NotALimiter)?;
                Some(core::parse_gcra_state(buf.get(..len).unwrap_or_default())?)
            }
            _ => return Err(Error::WrongType),
        };
        let outcome = gcra.decide(now, stored);
        if let Some(tat) = outcome.new_tat {
            let expire_at = tat.expire_at_ms();
            let tat_text = tat.encode();
            if stored.is_some() {
                state.overwrite_string(&tat_text)?;
            } else {
                state.set_string(&ctx.string(&tat_text))?;
            }
            state.set_expire_at(expire_at)?;
            drop(state);
            ctx.replicate_set_pxat(name, &tat_text, expire_at);
            ctx.wrote(name, Notify::String, c"set");
            ctx.notify_expire(name);
        }
        reply_decision(ctx, &outcome.decision);
        Ok(())
    }
}

// ---- reset ----------------------------------------------------------------------------

pub struct Reset;

impl Command for Reset {
    const NAME: &'static CStr = c"limit.reset";
    const FAMILY: Family = Family::Limit;
    const FLAGS: &'static CStr = c"write";
    const ARITY: i32 = -2;
    const KEYS: KeySpec = KeySpec { keys: Keys::From(1), access: KeyAccess::DELETE_KEY };
    const SUMMARY: &'static CStr = c"Removes the state of limiters (any kind) and returns how many were removed";
    const COMPLEXITY: &'static CStr = c"O(K) for K keys, plus the size of each sliding log";
    const ARGS: &'static [Arg] = &[Arg { flags: ArgFlags::MULTIPLE, ..Arg::new(c"key", ArgKind::Key) }];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        if args.bytes().len() < 2 {
            return Err(Error::WrongArity("limit.reset"));
        }
        let names = keys::many(args, KEY_POS..args.bytes().len())?;
        // One handle per distinct key: a second handle on a key the first one deleted
        // would point at freed memory.
        let key_bytes = args.bytes().get(KEY_POS..).unwrap_or_default();
        let distinct: SmallVec<[RawString; 4]> = names
            .iter()
            .zip(key_bytes)
            .enumerate()
            .filter(|(i, (_, key))| !key_bytes.iter().take(*i).any(|earlier| earlier == *key))
            .map(|(_, (name, _))| *name)
            .collect();
        // Check every key before removing any, so an error changes nothing.
        let opened: SmallVec<[Key; 4]> = distinct.iter().map(|name| ctx.open_key(*name, true)).collect();
        if opened.iter().any(|key| !matches!(key.kind(), KeyKind::Empty | KeyKind::String | KeyKind::Zset)) {
            return Err(Error::WrongType);
        }
        let removed: SmallVec<[RawString; 4]> =
            opened.iter().zip(&distinct).filter(|(key, _)| key.delete()).map(|(_, name)| *name).collect();
        drop(opened);
        if !removed.is_empty() {
            ctx.replicate_del(&removed);
            for name in &removed {
                ctx.wrote(*name, Notify::Generic, c"del");
            }
        }
        ctx.reply_integer(removed.len());
        Ok(())
    }
}
