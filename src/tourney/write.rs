//! The writes: TOURNEY.INCR, TOURNEY.SUBMIT and TOURNEY.REM.

use super::board::Board;
use super::data::MemberData;
use super::ties::expired_at;
use super::{split_season, DATA_ARG, SEASON_ARG};
use crate::command::{Args, Command};
use crate::config;
use crate::server::{Arg, ArgFlags, ArgKind, Ctx, Key, KeyAccess, KeyKind, KeySpec, Keys, Notify, RawString};
use crate::stats::Family;
use smallvec::SmallVec;
use std::ffi::CStr;
use tally_core::tourney::ties::{plan_removal, plan_write, OutOfStep, ScoreWrite};
use tally_core::tourney::{self as core, MEMBER};
use tally_core::Error;

/// Stores `new` as `member`'s score (`old` before), and `data` as its data when given,
/// keeps the tie structures in step as the core's plan says and replicates every change.
/// Returns the member's arrival number under TIEBREAK FIRST.
fn store(
    board: &Board,
    zset: Key,
    member: RawString,
    (old, new): (Option<f64>, f64),
    data: Option<&[u8]>,
    event: &CStr,
) -> Result<Option<u64>, Error> {
    let ctx = board.ctx;
    let board_empty = zset.kind() == KeyKind::Empty;
    let ties = board.open_ties(true)?;
    // Whatever can refuse the call is decided before its first write.
    if !board_empty && !ties.in_step(zset.len()) {
        return Err(board.out_of_sync());
    }
    let member_data = if data.is_some() || board_empty { board.data_for_write(data.is_some())? } else { None };
    let write = ScoreWrite { old, new, board_empty };
    let plan = plan_write(&board.policy, write, &ties.reads(&zset, member)).map_err(|OutOfStep| board.out_of_sync())?;
    if plan.reset {
        ties.reset();
        // The data of an emptied board's members went with them.
        if let Some(member_data) = &member_data {
            member_data.clear();
        }
    }
    zset.set(new, member)?;
    let expire_at = board.policy.expire_at.filter(|_| board_empty);
    if let Some(at) = expire_at {
        zset.set_expire_at(at)?;
    }
    drop(zset);
    ctx.replicate_zadd(board.key, new, member);
    ctx.wrote(board.key, Notify::Zset, event);
    if let Some(at) = expire_at {
        expired_at(ctx, board.key, at);
    }
    ties.apply_write(member, new, &plan)?;
    ties.close(&plan);
    if let (Some(member_data), Some(value)) = (member_data, data) {
        member_data.set(member, value)?;
    }
    Ok(plan.arrival)
}

pub struct Incr;

impl Command for Incr {
    const NAME: &'static CStr = c"tourney.incr";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -4;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr = c"Adds delta to a member's score and returns the new score and its rank";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"member", ArgKind::String),
        Arg::new(c"delta", ArgKind::Double),
        DATA_ARG,
        SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4, true)?;
        let incr = core::parse_incr(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::UPSERT, period, incr.data.is_some())?;
        let member = args.raw(MEMBER)?;
        let zset = ctx.open_zset(board.key, true)?;
        let old = zset.score(member);
        let score = core::incremented(old, incr.delta)?;
        let arrival = store(&board, zset, member, (old, score), incr.data, c"zincr")?;
        let rank = board.rank(member, score, board.policy.ties, arrival)?;
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
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::UPSERT };
    const SUMMARY: &'static CStr =
        c"Submits a score (keeping the best, or the latest) and returns the stored score, its rank and whether it changed";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg::new(c"member", ArgKind::String),
        Arg::new(c"score", ArgKind::Double),
        Arg {
            flags: ArgFlags::OPTIONAL,
            subargs: &[
                Arg { token: Some(c"BEST"), ..Arg::new(c"best", ArgKind::Token) },
                Arg { token: Some(c"LATEST"), ..Arg::new(c"latest", ArgKind::Token) },
            ],
            ..Arg::new(c"mode", ArgKind::OneOf)
        },
        DATA_ARG,
        SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4, true)?;
        let submit = core::parse_submit(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::UPSERT, period, submit.data.is_some())?;
        let member = args.raw(MEMBER)?;
        let zset = ctx.open_zset(board.key, true)?;
        let old = zset.score(member);
        let decision = core::submit_decision(old, submit.score, submit.mode, board.policy.order);
        // The data goes with the score: a score not stored writes none.
        let (stored, arrival) = match decision {
            Some(new) => (new, store(&board, zset, member, (old, new), submit.data, c"zadd")?),
            None => {
                let len = zset.len();
                drop(zset);
                (old.unwrap_or(submit.score), board.check_in_step(len, Some(member))?)
            }
        };
        let rank = board.rank(member, stored, board.policy.ties, arrival)?;
        ctx.reply_array(3);
        ctx.reply_double(stored);
        ctx.reply_integer(rank);
        ctx.reply_integer(u64::from(decision.is_some()));
        Ok(())
    }
}

pub struct Rem;

impl Command for Rem {
    const NAME: &'static CStr = c"tourney.rem";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write fast";
    const ARITY: i32 = -3;
    const KEYS: KeySpec = KeySpec { keys: Keys::At(1), access: KeyAccess::REMOVE_MEMBERS };
    const SUMMARY: &'static CStr = c"Removes members from a leaderboard and returns how many were removed";
    const COMPLEXITY: &'static CStr =
        c"O(M*log(N)) where N is the number of members and M the number of members to remove";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", ArgKind::Key),
        Arg { flags: ArgFlags::MULTIPLE, ..Arg::new(c"member", ArgKind::String) },
        SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        // SEASON comes after the members (from the second one on, so that a first member
        // may be named SEASON), and last.
        let (words, season) = split_season(args, MEMBER + 1, false)?;
        if args.bytes().get(..words.len()) != Some(&words[..]) {
            return Err(Error::Syntax);
        }
        core::parse_rem(&words, &config::limits())?;
        let board = Board::open(ctx, args, KeyAccess::UPSERT, season, false)?;
        let members = args.raw_from(MEMBER).get(..words.len().saturating_sub(MEMBER)).unwrap_or_default();
        let zset = ctx.open_zset(board.key, true)?;
        let ties = board.open_ties(true)?;
        if zset.len() > 0 && !ties.in_step(zset.len()) {
            return Err(board.out_of_sync());
        }
        let member_data = board.data_for_write(false)?;
        let mut removed: SmallVec<[(RawString, f64); 8]> = SmallVec::new();
        for &member in members {
            if let Some(score) = zset.score(member) {
                if zset.remove(member) {
                    removed.push((member, score));
                }
            }
        }
        if removed.is_empty() {
            // A leaderboard deleted or expired on its own leaves its tie structures behind;
            // a write deletes them, this one too.
            let board_gone = zset.kind() == KeyKind::Empty;
            drop(zset);
            if board_gone {
                ties.reset();
                member_data.iter().for_each(MemberData::clear);
            }
            ctx.reply_integer(0);
            return Ok(());
        }
        let scores = removed.iter().map(|&(_, score)| score);
        let plan = plan_removal(&board.policy, scores, zset.len() == 0, |score| zset.has_score(score));
        // Closing the key deletes it when it became empty, as ZREM does.
        drop(zset);
        let members: SmallVec<[RawString; 8]> = removed.iter().map(|&(member, _)| member).collect();
        ctx.replicate_with_key(c"ZREM", board.key, &members);
        ctx.wrote(board.key, Notify::Zset, c"zrem");
        if plan.reset {
            ctx.notify_deleted(board.key);
            ties.reset();
            member_data.iter().for_each(MemberData::clear);
        } else {
            ties.forget(&members, &plan);
            if let Some(member_data) = member_data {
                member_data.remove(&members);
            }
        }
        drop(ties);
        ctx.reply_integer(removed.len() as u64);
        Ok(())
    }
}
