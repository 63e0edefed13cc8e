//! TOURNEY.*: leaderboards over native sorted sets. Highest score is rank 1.
//!
//! A leaderboard is a plain sorted set. TOURNEY.CREATE makes it a tournament: its settings
//! go in a string key beside it, and TIEBREAK FIRST and TIES DENSE keep tie structures in
//! native keys beside it, all in its slot (docs/tie-policies.md, `tally_core::tourney::ties`):
//! - `:arrival`, a hash: member -> its arrival number at its score;
//! - `:order`, a sorted set of the same scores whose members are `order_entry(arrival,
//!   member)`, so that its reverse rank puts earlier arrivals first among equal scores;
//! - `:dense`, a sorted set with one member per distinct score, so that the members above
//!   a score count the distinct scores above it.
//!
//! Every write updates them with the leaderboard, as the core's plan says, and replicates
//! each change as a native command with concrete values.
//!
//! - `board`: the tournament of a call (its leaderboard, settings and companion names);
//! - `ties`: its tie structures open for a call, and how a plan is applied and replicated;
//! - `write`, `read`, `create`: the commands.

mod board;
mod create;
mod read;
mod ties;
mod write;

use crate::command::{Arg, Args, BLOCK, ONEOF, OPTIONAL, TOKEN};
use create::{Create, Info};
use read::{Around, Percentile, Rank, Top};
use redis_module::raw;
use std::borrow::Cow;
use std::ffi::c_int;
use tally_core::season::{self, SeasonChoice};
use tally_core::Error;
use write::{Incr, Rem, Submit};

const READ: u32 = raw::REDISMODULE_CMD_KEY_RO | raw::REDISMODULE_CMD_KEY_ACCESS;
/// As ZINCRBY declares it (the server allows one of INSERT, UPDATE, DELETE).
const UPSERT: u32 = raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_ACCESS | raw::REDISMODULE_CMD_KEY_UPDATE;
const DELETE: u32 = raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_DELETE;
/// TOURNEY.CREATE reads the leaderboard's size and may set its expiry.
const SETUP: u32 = raw::REDISMODULE_CMD_KEY_RW | raw::REDISMODULE_CMD_KEY_UPDATE;

const ZSET: c_int = raw::REDISMODULE_NOTIFY_ZSET;
const HASH: c_int = raw::REDISMODULE_NOTIFY_HASH;

/// Registers every TOURNEY command.
pub fn register(ctx: *mut raw::RedisModuleCtx) -> Result<(), String> {
    use crate::command::register as r;
    r::<Incr>(ctx)?;
    r::<Submit>(ctx)?;
    r::<Rank>(ctx)?;
    r::<Top>(ctx)?;
    r::<Around>(ctx)?;
    r::<Percentile>(ctx)?;
    r::<Rem>(ctx)?;
    r::<Create>(ctx)?;
    r::<Info>(ctx)
}

// ---- arguments shared by several commands ----------------------------------------------

/// A call's arguments as its parser reads them.
type Words<'a> = Cow<'a, [&'a [u8]]>;

/// The call's arguments without its `SEASON period [PREVIOUS]` (looked for from argv
/// index `options`), for the command's parser, and the season it names.
fn split_season<'a>(args: &'a Args<'_>, options: usize) -> Result<(Words<'a>, Option<SeasonChoice>), Error> {
    if !season::names_season(args.bytes(), options) {
        return Ok((Cow::Borrowed(args.bytes()), None));
    }
    let (rest, period) = season::take_season(args.bytes(), options)?;
    Ok((Cow::Owned(rest), period))
}

const TIES_ARG: Arg = Arg {
    name: c"ties",
    kind: ONEOF,
    token: Some(c"TIES"),
    flags: OPTIONAL,
    subargs: &[
        Arg { token: Some(c"ORDINAL"), ..Arg::new(c"ordinal", TOKEN) },
        Arg { token: Some(c"COMPETITION"), ..Arg::new(c"competition", TOKEN) },
        Arg { token: Some(c"DENSE"), ..Arg::new(c"dense", TOKEN) },
    ],
};

const PERIODS: &[Arg] = &[
    Arg { token: Some(c"DAILY"), ..Arg::new(c"daily", TOKEN) },
    Arg { token: Some(c"WEEKLY"), ..Arg::new(c"weekly", TOKEN) },
    Arg { token: Some(c"MONTHLY"), ..Arg::new(c"monthly", TOKEN) },
];

/// Writes: the current season.
const SEASON_ARG: Arg = Arg { name: c"season", kind: ONEOF, token: Some(c"SEASON"), flags: OPTIONAL, subargs: PERIODS };

/// Reads: the current season, or the previous one.
const READ_SEASON_ARG: Arg = Arg {
    name: c"season",
    kind: BLOCK,
    token: Some(c"SEASON"),
    flags: OPTIONAL,
    subargs: &[
        Arg { subargs: PERIODS, ..Arg::new(c"period", ONEOF) },
        Arg { token: Some(c"PREVIOUS"), flags: OPTIONAL, ..Arg::new(c"previous", TOKEN) },
    ],
};
