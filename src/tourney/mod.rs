//! TOURNEY.*: leaderboards over native sorted sets. Highest score is rank 1, or the lowest
//! on a tournament created with ORDER ASC.
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
mod data;
mod read;
mod ties;
mod write;

use crate::command::Args;
use crate::server::{register_command, Arg, ArgFlags, ArgKind, LoadCtx};
use create::{Create, Info};
use read::{Around, Percentile, Rank, Ranks, Top};
use std::borrow::Cow;
use tally_core::season::{self, SeasonChoice};
use tally_core::Error;
use write::{Incr, Rem, Submit};

/// Registers every TOURNEY command.
pub fn register(ctx: &LoadCtx) -> Result<(), String> {
    register_command::<Incr>(ctx)?;
    register_command::<Submit>(ctx)?;
    register_command::<Rank>(ctx)?;
    register_command::<Ranks>(ctx)?;
    register_command::<Top>(ctx)?;
    register_command::<Around>(ctx)?;
    register_command::<Percentile>(ctx)?;
    register_command::<Rem>(ctx)?;
    register_command::<Create>(ctx)?;
    register_command::<Info>(ctx)
}

// ---- arguments shared by several commands ----------------------------------------------

/// A call's arguments as its parser reads them.
type Words<'a> = Cow<'a, [&'a [u8]]>;

/// The call's arguments without its `SEASON period [PREVIOUS]` (looked for from argv
/// index `options`; `data_values`: the command takes `DATA value`), for the command's
/// parser, and the season it names.
fn split_season<'a>(
    args: &'a Args<'_>,
    options: usize,
    data_values: bool,
) -> Result<(Words<'a>, Option<SeasonChoice>), Error> {
    if !season::names_season(args.bytes(), options, data_values) {
        return Ok((Cow::Borrowed(args.bytes()), None));
    }
    let (rest, period) = season::take_season(args.bytes(), options, data_values)?;
    Ok((Cow::Owned(rest), period))
}

const WITHDATA_ARG: Arg =
    Arg { token: Some(c"WITHDATA"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"withdata", ArgKind::Token) };

const DATA_ARG: Arg = Arg { token: Some(c"DATA"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"data", ArgKind::String) };

const TIES_ARG: Arg = Arg {
    name: c"ties",
    kind: ArgKind::OneOf,
    token: Some(c"TIES"),
    flags: ArgFlags::OPTIONAL,
    subargs: &[
        Arg { token: Some(c"ORDINAL"), ..Arg::new(c"ordinal", ArgKind::Token) },
        Arg { token: Some(c"COMPETITION"), ..Arg::new(c"competition", ArgKind::Token) },
        Arg { token: Some(c"DENSE"), ..Arg::new(c"dense", ArgKind::Token) },
    ],
};

const PERIODS: &[Arg] = &[
    Arg { token: Some(c"DAILY"), ..Arg::new(c"daily", ArgKind::Token) },
    Arg { token: Some(c"WEEKLY"), ..Arg::new(c"weekly", ArgKind::Token) },
    Arg { token: Some(c"MONTHLY"), ..Arg::new(c"monthly", ArgKind::Token) },
];

/// Writes: the current season.
const SEASON_ARG: Arg =
    Arg { name: c"season", kind: ArgKind::OneOf, token: Some(c"SEASON"), flags: ArgFlags::OPTIONAL, subargs: PERIODS };

/// Reads: the current season, or the previous one.
const READ_SEASON_ARG: Arg = Arg {
    name: c"season",
    kind: ArgKind::Block,
    token: Some(c"SEASON"),
    flags: ArgFlags::OPTIONAL,
    subargs: &[
        Arg { subargs: PERIODS, ..Arg::new(c"period", ArgKind::OneOf) },
        Arg { token: Some(c"PREVIOUS"), flags: ArgFlags::OPTIONAL, ..Arg::new(c"previous", ArgKind::Token) },
    ],
};
