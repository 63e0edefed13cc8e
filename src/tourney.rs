//! TOURNEY.*: leaderboards over native sorted sets. Highest score is rank 1.
//!
//! A leaderboard is a plain sorted set. TOURNEY.CREATE makes it a tournament: its settings
//! go in a string key beside it, and TIEBREAK FIRST and TIES DENSE keep tie structures in
//! native keys beside it, all in its slot (docs/tie-policies.md):
//! - `:arrival`, a hash: member -> its arrival number at its score (see `order_entry`);
//! - `:order`, a sorted set of the same scores whose members are `order_entry(arrival,
//!   member)`, so that its reverse rank puts earlier arrivals first among equal scores;
//! - `:dense`, a sorted set with one member per distinct score, so that the members above
//!   a score count the distinct scores above it.
//!
//! Every write updates them with the leaderboard and replicates each change as a native
//! command with concrete values.

use crate::command::{
    Arg, Args, Command, KeySpec, Keys, BLOCK, DOUBLE, INTEGER, KEY, MULTIPLE, ONEOF, OPTIONAL, STRING, TOKEN,
};
use crate::config;
use crate::keys;
use crate::server::{string_bytes, Access, Ctx, Key, KeyKind, Order, OwnedString, RawString};
use crate::stats::Family;
use redis_module::raw;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::ffi::{c_int, CStr};
use tally_core::season::{self, season_at, season_key, Period, SeasonChoice};
use tally_core::slot::Companions;
use tally_core::tourney::ties::{
    dense_member, next_arrival, order_entry, order_entry_arrival, order_entry_member, parse_arrival,
};
use tally_core::tourney::{
    self as core, PageRanks, Policy, Ties, ARRIVAL_SUFFIX, DENSE_SUFFIX, KEY as KEY_POS, MEMBER, ORDER_SUFFIX,
    SETTINGS_SUFFIX,
};
use tally_core::Error;

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

// ---- the tournament of a call ----------------------------------------------------------

/// A leaderboard with its tournament's settings and the names of its tie structures.
struct Board<'c> {
    ctx: &'c Ctx,
    /// The leaderboard: the key the call names, or its season's.
    key: RawString,
    /// Holds the season's key name alive.
    season: Option<OwnedString<'c>>,
    policy: Policy,
    created: bool,
    arrival: Option<OwnedString<'c>>,
    order: Option<OwnedString<'c>>,
    dense: Option<OwnedString<'c>>,
}

/// A member's arrival numbers around a write under TIEBREAK FIRST: before (`None` for a
/// new member) and after.
#[derive(Clone, Copy)]
struct Arrival {
    previous: Option<u64>,
    next: u64,
}

/// The tie structures of a tournament, open for one write.
struct Kept<'c> {
    arrival: Option<Key<'c>>,
    order: Option<Key<'c>>,
    dense: Option<Key<'c>>,
}

/// The settings of a tournament, `None` for a leaderboard never created (or expired).
fn read_policy(ctx: &Ctx, name: RawString, key: &[u8]) -> Result<Option<Policy>, Error> {
    // Most leaderboards have no settings: look without counting a keyspace miss.
    let settings = ctx.open_quietly(name);
    let bad = || Error::BadTournamentSettings(key.to_vec());
    match settings.kind() {
        KeyKind::Empty => Ok(None),
        KeyKind::String => {
            let mut buf = [0u8; 128];
            let len = settings.string_value(&mut buf).ok_or_else(bad)?;
            buf.get(..len).and_then(Policy::decode).map(Some).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

impl<'c> Board<'c> {
    /// Validates the call's key and loads its tournament; with a season, the leaderboard
    /// is the season's key, with the tournament of the key the call names. The caller must
    /// be allowed `access` to the season, settings and tie-structure keys, which argv does
    /// not name.
    fn open(
        ctx: &'c Ctx,
        args: &'c Args<'_>,
        access: Access,
        choice: Option<SeasonChoice>,
    ) -> Result<Board<'c>, Error> {
        let named = keys::single(args, KEY_POS)?;
        let named_bytes = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let mut board = Board {
            ctx,
            key: named,
            season: None,
            policy: Policy::default(),
            created: false,
            arrival: None,
            order: None,
            dense: None,
        };
        let mut season_expiry = None;
        if let Some(choice) = choice {
            if choice.previous && access == Access::Write {
                return Err(Error::PastSeasonWrite);
            }
            let season = choice.season(ctx.now_ms());
            let name = ctx.string(&season_key(named_bytes, &season)?);
            board.key = name.raw();
            board.season = Some(name);
            season_expiry = Some(season.expire_at_ms);
            board.policy.expire_at = season_expiry;
        }
        let mut derived: SmallVec<[RawString; 5]> = SmallVec::new();
        derived.extend(board.season.as_ref().map(OwnedString::raw));
        // Outlives the permission check below, which reads the name.
        let settings;
        // A key that cannot have companions (a '}' but no tag) was never created.
        if let Ok(mut names) = Companions::new(named_bytes) {
            settings = ctx.string(names.name(SETTINGS_SUFFIX));
            if let Some(policy) = read_policy(ctx, settings.raw(), named_bytes)? {
                board.created = true;
                // A season ends its leaderboard even in a tournament that lasts longer.
                let expire_at = match (policy.expire_at, season_expiry) {
                    (Some(at), Some(season)) => Some(at.min(season)),
                    (at, season) => at.or(season),
                };
                board.policy = Policy { expire_at, ..policy };
                // The tie structures are named after the board: the season's key, if any.
                let mut season_names = board.season.as_ref().map(|name| Companions::new(name.bytes())).transpose()?;
                let kept = season_names.as_mut().unwrap_or(&mut names);
                if policy.keeps_arrivals() {
                    board.arrival = Some(ctx.string(kept.name(ARRIVAL_SUFFIX)));
                    board.order = Some(ctx.string(kept.name(ORDER_SUFFIX)));
                }
                if policy.keeps_dense() {
                    board.dense = Some(ctx.string(kept.name(DENSE_SUFFIX)));
                }
                derived.push(settings.raw());
                derived.extend(board.companions().map(OwnedString::raw));
            }
        }
        if !derived.is_empty() {
            ctx.check_permissions(&derived, access)?;
        }
        Ok(board)
    }

    fn companions(&self) -> impl Iterator<Item = &OwnedString<'c>> {
        [&self.arrival, &self.order, &self.dense].into_iter().flatten()
    }

    /// Opens the tie structures for a write.
    fn open_kept(&self) -> Result<Kept<'c>, Error> {
        let ctx = self.ctx;
        Ok(Kept {
            arrival: self.arrival.as_ref().map(|name| ctx.open_kind(name.raw(), KeyKind::Hash, true)).transpose()?,
            order: self.order.as_ref().map(|name| ctx.open_zset(name.raw(), true)).transpose()?,
            dense: self.dense.as_ref().map(|name| ctx.open_zset(name.raw(), true)).transpose()?,
        })
    }

    fn out_of_sync(&self) -> Error {
        Error::TournamentOutOfSync(string_bytes(self.key).to_vec())
    }

    /// Checks the tie structures against a leaderboard of `len` members: something other
    /// than TOURNEY commands (a ZADD, a DEL) may have changed one without the others.
    fn check_kept(&self, kept: &Kept, len: u64) -> Result<(), Error> {
        let in_step = kept.order.as_ref().is_none_or(|order| order.len() == len)
            && kept.arrival.as_ref().is_none_or(|arrival| arrival.len() == len)
            && kept.dense.as_ref().is_none_or(|dense| dense.len() <= len && (dense.len() == 0) == (len == 0));
        if in_step {
            Ok(())
        } else {
            Err(self.out_of_sync())
        }
    }

    /// For reads: checks the tie structures against a leaderboard of `len` members, and
    /// looks up `member`'s arrival number under TIEBREAK FIRST while they are open.
    fn check_in_step(&self, len: u64, member: Option<RawString>) -> Result<Option<u64>, Error> {
        // An empty board (deleted or expired on its own) reads as empty; its stale tie
        // structures go with the next write.
        if len == 0 || self.companions().next().is_none() {
            return Ok(None);
        }
        // The order set changes only with the arrival hash: checking the hash suffices.
        let ctx = self.ctx;
        let kept = Kept {
            arrival: self.arrival.as_ref().map(|name| ctx.open_kind(name.raw(), KeyKind::Hash, false)).transpose()?,
            order: None,
            dense: self.dense.as_ref().map(|name| ctx.open_zset(name.raw(), false)).transpose()?,
        };
        self.check_kept(&kept, len)?;
        Ok(match (&kept.arrival, member) {
            (Some(arrival), Some(member)) => arrival.hash_get(member).and_then(|value| parse_arrival(value.bytes())),
            _ => None,
        })
    }

    /// The set whose reverse order is the ranking: the order set under TIEBREAK FIRST.
    fn ranked_set(&self) -> RawString {
        self.order.as_ref().map_or(self.key, OwnedString::raw)
    }

    /// 0-based position of a member in the ranking, `None` when absent. Under TIEBREAK
    /// FIRST `arrival` is the member's arrival number, as the caller looked it up (`None`:
    /// the member has none, so it is absent).
    fn position(&self, member: RawString, arrival: Option<u64>) -> Result<Option<u64>, Error> {
        let Some(order) = &self.order else { return self.ctx.zrevrank(self.key, member) };
        let Some(arrival) = arrival else { return Ok(None) };
        let entry = self.ctx.string(&order_entry(arrival, string_bytes(member)));
        self.ctx.zrevrank(order.raw(), entry.raw())
    }

    /// 1 + the members (COMPETITION) or distinct scores (DENSE) above `score`.
    fn shared_rank(&self, ties: Ties, score: f64) -> Result<u64, Error> {
        let set = match ties {
            Ties::Dense => self.dense.as_ref().ok_or(Error::DenseNotKept)?.raw(),
            _ => self.key,
        };
        Ok(self.ctx.count_above(set, score)?.saturating_add(1))
    }

    /// 1-based rank of a member known to hold `score`.
    fn rank(&self, member: RawString, score: f64, ties: Ties, arrival: Option<u64>) -> Result<u64, Error> {
        match ties {
            Ties::Ordinal => Ok(self.position(member, arrival)?.ok_or_else(|| self.out_of_sync())?.saturating_add(1)),
            shared => self.shared_rank(shared, score),
        }
    }

    /// Replies `[[member, score, rank], ...]` for reverse ranks `start..=stop`.
    fn reply_page(&self, start: u64, stop: u64, ties: Ties) -> Result<(), Error> {
        let ctx = self.ctx;
        let page = ctx.zrange_rev(self.ranked_set(), start, stop)?;
        let first_rank = match (ties, page.scored_member(0)) {
            (Ties::Ordinal, _) | (_, None) => start.saturating_add(1),
            (shared, Some((_, score))) => self.shared_rank(shared, score)?,
        };
        let mut ranks = PageRanks::new(ties, start.saturating_add(1), first_rank);
        let len = page.len();
        ctx.reply_array(len);
        for index in 0..len {
            let (entry, score) = page.scored_member(index).unwrap_or_default();
            let member = if self.order.is_some() { order_entry_member(entry) } else { entry };
            reply_entry(ctx, |ctx| ctx.reply_bulk(member), score, ranks.next(score));
        }
        Ok(())
    }

    /// Stores `new` as `member`'s score (`old` before), keeps the tie structures in step
    /// and replicates every change. Returns the member's arrival number under TIEBREAK
    /// FIRST.
    fn store(
        &self,
        zset: Key,
        member: RawString,
        old: Option<f64>,
        new: f64,
        event: &CStr,
    ) -> Result<Option<u64>, Error> {
        let ctx = self.ctx;
        let fresh = zset.kind() == KeyKind::Empty;
        let kept = self.open_kept()?;
        let changed = old != Some(new);
        // Whatever can refuse the call is decided before its first write.
        if !fresh {
            self.check_kept(&kept, zset.len())?;
        }
        let plan = match (&kept.arrival, &kept.order) {
            // The leaderboard was deleted or expired on its own: its ties go with it, and
            // the member is the first to arrive.
            (Some(_), Some(_)) if fresh => Some(Arrival { previous: None, next: 1 }),
            (Some(arrival), Some(order)) => {
                Some(self.plan_arrival(arrival, order, member, old.is_some(), new, changed)?)
            }
            _ => None,
        };
        if fresh {
            self.reset(&kept);
        }
        zset.set(new, member)?;
        let expire_at = self.policy.expire_at.filter(|_| fresh);
        if let Some(at) = expire_at {
            zset.set_expire_at(at)?;
        }
        let old_score_left = match old {
            Some(old) if changed && kept.dense.is_some() => zset.has_score(old),
            _ => true,
        };
        drop(zset);
        ctx.replicate_zadd(self.key, new, member);
        ctx.wrote(self.key, ZSET, event);
        if let Some(at) = expire_at {
            self.expired_at(self.key, at);
        }
        if let (Some(arrival), Some(order), Some(plan), true) = (&kept.arrival, &kept.order, plan, changed) {
            self.arrive(arrival, order, member, plan, new)?;
        }
        if let Some(dense) = &kept.dense {
            if changed {
                self.move_dense(dense, old.filter(|_| !old_score_left), new)?;
            }
        }
        drop(kept);
        self.notify_kept(changed);
        Ok(plan.map(|plan| plan.next))
    }

    /// Deletes tie structures left from a leaderboard that no longer exists.
    fn reset(&self, kept: &Kept) {
        let stale: SmallVec<[RawString; 3]> =
            [(&kept.arrival, &self.arrival), (&kept.order, &self.order), (&kept.dense, &self.dense)]
                .into_iter()
                .filter_map(|(key, name)| Some((key.as_ref()?, name.as_ref()?)))
                .filter(|(key, _)| key.delete())
                .map(|(_, name)| name.raw())
                .collect();
        if !stale.is_empty() {
            self.ctx.replicate_del(&stale);
            stale.iter().for_each(|&name| self.ctx.notify_deleted(name));
        }
    }

    /// Where a member's order entry is, and where it goes when its score becomes
    /// `score`: after the latest arrival already there. Reads only; a member whose entry
    /// is missing, or a score whose arrival numbers ran out, means keys written outside
    /// TOURNEY commands.
    fn plan_arrival(
        &self,
        arrival: &Key,
        order: &Key,
        member: RawString,
        had_score: bool,
        score: f64,
        changed: bool,
    ) -> Result<Arrival, Error> {
        let previous = if had_score {
            let number = arrival.hash_get(member).and_then(|value| parse_arrival(value.bytes()));
            let number = number.ok_or_else(|| self.out_of_sync())?;
            let entry = self.ctx.string(&order_entry(number, string_bytes(member)));
            order.score(entry.raw()).ok_or_else(|| self.out_of_sync())?;
            Some(number)
        } else {
            None
        };
        if !changed {
            return Ok(Arrival { previous, next: previous.ok_or_else(|| self.out_of_sync())? });
        }
        // The latest arrival at this score is its lowest entry.
        let mut latest = None;
        order.visit(Order::Ascending, score, score, 1, |entry, _| {
            latest = Some(order_entry_arrival(string_bytes(entry)))
        });
        let latest = latest.map(|number| number.ok_or_else(|| self.out_of_sync())).transpose()?;
        let next =
            next_arrival(latest).filter(|&next| i64::try_from(next).is_ok()).ok_or_else(|| self.out_of_sync())?;
        Ok(Arrival { previous, next })
    }

    /// Moves `member`'s order entry as `plan` says and records its arrival number.
    fn arrive(&self, arrival: &Key, order: &Key, member: RawString, plan: Arrival, score: f64) -> Result<(), Error> {
        let ctx = self.ctx;
        let (Some(arrival_name), Some(order_name)) = (&self.arrival, &self.order) else { return Err(Error::Internal) };
        let member_bytes = string_bytes(member);
        let fresh = [arrival.kind() == KeyKind::Empty, order.kind() == KeyKind::Empty];
        if let Some(previous) = plan.previous {
            let entry = ctx.string(&order_entry(previous, member_bytes));
            if order.remove(entry.raw()) {
                ctx.replicate_with_key(c"ZREM", order_name.raw(), &[entry.raw()]);
            }
        }
        let next_text = ctx.integer_string(i64::try_from(plan.next).map_err(|_| Error::Internal)?);
        arrival.hash_set(member, next_text.raw())?;
        ctx.replicate_with_key(c"HSET", arrival_name.raw(), &[member, next_text.raw()]);
        let entry = ctx.string(&order_entry(plan.next, member_bytes));
        order.set(score, entry.raw())?;
        ctx.replicate_zadd(order_name.raw(), score, entry.raw());
        if let Some(at) = self.policy.expire_at {
            for ((key, name), fresh) in [(arrival, arrival_name), (order, order_name)].into_iter().zip(fresh) {
                if fresh {
                    key.set_expire_at(at)?;
                    self.expired_at(name.raw(), at);
                }
            }
        }
        Ok(())
    }

    /// Adds `new` to the distinct scores, and removes `gone`, a score no member holds now.
    fn move_dense(&self, dense: &Key, gone: Option<f64>, new: f64) -> Result<(), Error> {
        let ctx = self.ctx;
        let Some(name) = &self.dense else { return Err(Error::Internal) };
        let fresh = dense.kind() == KeyKind::Empty;
        let text = ctx.string(dense_member(new).as_bytes());
        if dense.add_new(new, text.raw())? {
            ctx.replicate_zadd(name.raw(), new, text.raw());
        }
        if let Some(gone) = gone {
            let text = ctx.string(dense_member(gone).as_bytes());
            if dense.remove(text.raw()) {
                ctx.replicate_with_key(c"ZREM", name.raw(), &[text.raw()]);
            }
        }
        if let Some(at) = self.policy.expire_at.filter(|_| fresh) {
            dense.set_expire_at(at)?;
            self.expired_at(name.raw(), at);
        }
        Ok(())
    }

    /// Replicates an expiry the module set, and fires its event.
    fn expired_at(&self, name: RawString, at: i64) {
        self.ctx.replicate_pexpireat(name, at);
        self.ctx.notify_expire(name);
    }

    /// Signals the tie structures a write changed (after they are closed).
    fn notify_kept(&self, changed: bool) {
        if !changed {
            return;
        }
        if let Some(name) = &self.arrival {
            self.ctx.wrote(name.raw(), HASH, c"hset");
        }
        for name in [&self.order, &self.dense].into_iter().flatten() {
            self.ctx.wrote(name.raw(), ZSET, c"zadd");
        }
    }
}

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

// ---- commands --------------------------------------------------------------------------

pub struct Incr;

impl Command for Incr {
    const NAME: &'static CStr = c"tourney.incr";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -4;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: UPSERT };
    const SUMMARY: &'static CStr = c"Adds delta to a member's score and returns the new score and its rank";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] =
        &[Arg::new(c"key", KEY), Arg::new(c"member", STRING), Arg::new(c"delta", DOUBLE), SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4)?;
        let incr = core::parse_incr(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Write, period)?;
        let member = args.raw(MEMBER)?;
        let zset = ctx.open_zset(board.key, true)?;
        let old = zset.score(member);
        let score = core::incremented(old, incr.delta)?;
        let arrival = board.store(zset, member, old, score, c"zincr")?;
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
        SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4)?;
        let submit = core::parse_submit(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Write, period)?;
        let member = args.raw(MEMBER)?;
        let zset = ctx.open_zset(board.key, true)?;
        let old = zset.score(member);
        let decision = core::submit_decision(old, submit.score, submit.mode);
        let (stored, arrival) = match decision {
            Some(new) => (new, board.store(zset, member, old, new, c"zadd")?),
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
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3)?;
        let rank = core::parse_rank(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Read, period)?;
        let member = args.raw(MEMBER)?;
        let ties = board.policy.ties_for(rank.ties)?;
        if !rank.with_score && ties == Ties::Ordinal && !board.created {
            // The common case needs no key access of its own: one ZREVRANK.
            match ctx.zrevrank(board.key, member)? {
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
        READ_SEASON_ARG,
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3)?;
        let top = core::parse_top(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Read, period)?;
        let ties = board.policy.ties_for(top.ties)?;
        let len = ctx.open_zset(board.key, false)?.len();
        board.check_in_step(len, None)?;
        if len == 0 {
            ctx.reply_array(0);
            return Ok(());
        }
        // Pages come from the ranked set (the order set under TIEBREAK FIRST), so it must
        // hold the board's members, whatever was done to it.
        let ranked = ctx.open_zset(board.ranked_set(), false)?;
        if ranked.len() != len {
            return Err(board.out_of_sync());
        }
        if top.offset > 0 {
            drop(ranked);
            let stop = top.offset.saturating_add(top.count - 1);
            return board.reply_page(top.offset, stop, ties);
        }
        // The first page walks the ranked set from its top with no command call; its
        // first entry has rank 1 under every tie rule.
        let count = len.min(top.count);
        let mut ranks = PageRanks::new(ties, 1, 1);
        ctx.reply_array(usize::try_from(count).unwrap_or(0));
        ranked.visit(Order::Descending, f64::NEG_INFINITY, f64::INFINITY, count, |entry, score| {
            let rank = ranks.next(score);
            if board.order.is_some() {
                reply_entry(ctx, |ctx| ctx.reply_bulk(order_entry_member(string_bytes(entry))), score, rank);
            } else {
                reply_entry(ctx, |ctx| ctx.reply_string(entry), score, rank);
            }
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
        &[Arg::new(c"key", KEY), Arg::new(c"member", STRING), Arg::new(c"radius", INTEGER), TIES_ARG, READ_SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 4)?;
        let around = core::parse_around(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Read, period)?;
        let member = args.raw(MEMBER)?;
        let ties = board.policy.ties_for(around.ties)?;
        let len = ctx.open_zset(board.key, false)?.len();
        let arrival = board.check_in_step(len, Some(member))?;
        let window = match board.position(member, arrival)? {
            Some(position) => core::around_window(position, around.radius, len),
            None => None,
        };
        match window {
            Some((start, stop)) => board.reply_page(start, stop, ties),
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
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr =
        c"Returns the percentage of members ranked at or below the member (equal scores count as at or below, unless ties are broken by arrival)";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", KEY), Arg::new(c"member", STRING), READ_SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, period) = split_season(args, 3)?;
        core::parse_percentile(&words, &config::limits())?;
        let board = Board::open(ctx, args, Access::Read, period)?;
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
            ctx.count_at_or_below(board.key, score)?
        };
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
        let board = Board::open(ctx, args, Access::Write, None)?;
        let zset = ctx.open_zset(board.key, true)?;
        let kept = board.open_kept()?;
        if zset.len() > 0 {
            board.check_kept(&kept, zset.len())?;
        }
        let mut removed: SmallVec<[(RawString, f64); 8]> = SmallVec::new();
        for &member in args.raw_from(MEMBER) {
            if let Some(score) = zset.score(member) {
                if zset.remove(member) {
                    removed.push((member, score));
                }
            }
        }
        let emptied = zset.len() == 0;
        // Distinct scores no member holds any more.
        let gone_scores: SmallVec<[f64; 8]> = match kept.dense {
            Some(_) if !emptied => {
                let mut gone: SmallVec<[f64; 8]> = SmallVec::new();
                for &(_, score) in &removed {
                    if !zset.has_score(score) && !gone.contains(&score) {
                        gone.push(score);
                    }
                }
                gone
            }
            _ => SmallVec::new(),
        };
        // Closing the key deletes it when it became empty, as ZREM does.
        drop(zset);
        if removed.is_empty() {
            ctx.reply_integer(0);
            return Ok(());
        }
        let members: SmallVec<[RawString; 8]> = removed.iter().map(|&(member, _)| member).collect();
        ctx.replicate_with_key(c"ZREM", board.key, &members);
        ctx.wrote(board.key, ZSET, c"zrem");
        if emptied {
            ctx.notify_deleted(board.key);
            board.reset(&kept);
        } else {
            board.forget(&kept, &members, &gone_scores);
        }
        drop(kept);
        ctx.reply_integer(removed.len() as u64);
        Ok(())
    }
}

impl Board<'_> {
    /// Removes departed members' order entries and arrivals, and scores nobody holds.
    fn forget(&self, kept: &Kept, members: &[RawString], gone_scores: &[f64]) {
        let ctx = self.ctx;
        if let (Some(arrival), Some(order), Some(arrival_name), Some(order_name)) =
            (&kept.arrival, &kept.order, &self.arrival, &self.order)
        {
            let mut entries: SmallVec<[OwnedString; 8]> = SmallVec::new();
            for &member in members {
                if let Some(number) = arrival.hash_get(member).and_then(|value| parse_arrival(value.bytes())) {
                    let entry = ctx.string(&order_entry(number, string_bytes(member)));
                    if order.remove(entry.raw()) {
                        entries.push(entry);
                    }
                }
                arrival.hash_delete(member);
            }
            let entries: SmallVec<[RawString; 8]> = entries.iter().map(OwnedString::raw).collect();
            ctx.replicate_with_key(c"HDEL", arrival_name.raw(), members);
            ctx.wrote(arrival_name.raw(), HASH, c"hdel");
            if !entries.is_empty() {
                ctx.replicate_with_key(c"ZREM", order_name.raw(), &entries);
                ctx.wrote(order_name.raw(), ZSET, c"zrem");
            }
        }
        if let (Some(dense), Some(name)) = (&kept.dense, &self.dense) {
            let texts: SmallVec<[OwnedString; 8]> =
                gone_scores.iter().map(|&score| ctx.string(dense_member(score).as_bytes())).collect();
            let texts: SmallVec<[RawString; 8]> =
                texts.iter().map(OwnedString::raw).filter(|&text| dense.remove(text)).collect();
            if !texts.is_empty() {
                ctx.replicate_with_key(c"ZREM", name.raw(), &texts);
                ctx.wrote(name.raw(), ZSET, c"zrem");
            }
        }
    }
}

pub struct Create;

impl Command for Create {
    const NAME: &'static CStr = c"tourney.create";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"write deny-oom fast";
    const ARITY: i32 = -2;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: SETUP };
    const SUMMARY: &'static CStr =
        c"Makes a leaderboard a tournament with a tie-break rule, a rank rule for ties and an optional expiry";
    const COMPLEXITY: &'static CStr = c"O(1)";
    const ARGS: &'static [Arg] = &[
        Arg::new(c"key", KEY),
        Arg {
            token: Some(c"TIEBREAK"),
            flags: OPTIONAL,
            subargs: &[
                Arg { token: Some(c"FIRST"), ..Arg::new(c"first", TOKEN) },
                Arg { token: Some(c"MEMBER"), ..Arg::new(c"member", TOKEN) },
            ],
            ..Arg::new(c"tiebreak", ONEOF)
        },
        TIES_ARG,
        Arg { token: Some(c"EXPIREAT"), flags: OPTIONAL, ..Arg::new(c"unix-time-milliseconds", INTEGER) },
    ];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let policy = core::parse_create(args.bytes(), ctx.now_ms())?;
        let key = keys::single(args, KEY_POS)?;
        let key_bytes = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let mut companions = Companions::new(key_bytes)?;
        let settings_name = ctx.string(companions.name(SETTINGS_SUFFIX));
        let mut names: SmallVec<[OwnedString; 3]> = SmallVec::new();
        if policy.keeps_arrivals() {
            names.push(ctx.string(companions.name(ARRIVAL_SUFFIX)));
            names.push(ctx.string(companions.name(ORDER_SUFFIX)));
        }
        if policy.keeps_dense() {
            names.push(ctx.string(companions.name(DENSE_SUFFIX)));
        }
        let raw_names: SmallVec<[RawString; 4]> =
            std::iter::once(&settings_name).chain(&names).map(OwnedString::raw).collect();
        ctx.check_permissions(&raw_names, Access::Write)?;
        if let Some(existing) = read_policy(ctx, settings_name.raw(), key_bytes)? {
            return if existing == policy {
                ctx.reply_ok();
                Ok(())
            } else {
                Err(Error::TournamentExists(key_bytes.to_vec()))
            };
        }
        let zset = ctx.open_zset(key, true)?;
        let populated = zset.len() > 0;
        if policy.keeps_arrivals() || policy.keeps_dense() {
            if populated {
                return Err(Error::TournamentHasMembers(key_bytes.to_vec()));
            }
            // The boards of running seasons would lack the tie structures too.
            let now = ctx.now_ms();
            let seasons = [Period::Daily, Period::Weekly, Period::Monthly]
                .map(|period| season_key(key_bytes, &season_at(period, now)).map(|name| ctx.string(&name)));
            let seasons: SmallVec<[OwnedString; 3]> = seasons.into_iter().collect::<Result<_, _>>()?;
            let raw_seasons: SmallVec<[RawString; 3]> = seasons.iter().map(OwnedString::raw).collect();
            ctx.check_permissions(&raw_seasons, Access::Read)?;
            if let Some(running) = seasons.iter().find(|season| ctx.open_quietly(season.raw()).len() > 0) {
                return Err(Error::TournamentHasMembers(running.bytes().to_vec()));
            }
        }
        let settings = ctx.open_key(settings_name.raw(), true);
        let value = ctx.string(policy.encode().as_bytes());
        settings.set_string(&value)?;
        if let Some(at) = policy.expire_at {
            settings.set_expire_at(at)?;
            if populated {
                zset.set_expire_at(at)?;
            }
        }
        drop((settings, zset));
        match policy.expire_at {
            Some(at) => ctx.replicate_set_pxat(settings_name.raw(), value.raw(), at),
            None => ctx.replicate_set(settings_name.raw(), value.raw()),
        }
        ctx.wrote(settings_name.raw(), raw::REDISMODULE_NOTIFY_STRING, c"set");
        if let (Some(at), true) = (policy.expire_at, populated) {
            ctx.replicate_pexpireat(key, at);
            ctx.signal_modified(key);
            ctx.notify_expire(key);
        }
        ctx.reply_ok();
        Ok(())
    }
}

pub struct Info;

impl Command for Info {
    const NAME: &'static CStr = c"tourney.info";
    const FAMILY: Family = Family::Tourney;
    const FLAGS: &'static CStr = c"readonly fast";
    const ARITY: i32 = -2;
    const KEY: KeySpec = KeySpec { keys: Keys::At(1), flags: READ };
    const SUMMARY: &'static CStr =
        c"Returns a leaderboard's tournament settings, its number of members and its top and bottom scores";
    const COMPLEXITY: &'static CStr = c"O(log(N)) where N is the number of members";
    const ARGS: &'static [Arg] = &[Arg::new(c"key", KEY), READ_SEASON_ARG];

    fn run(ctx: &Ctx, args: &Args) -> Result<(), Error> {
        let (words, season) = split_season(args, 2)?;
        core::parse_info(&words)?;
        let board = Board::open(ctx, args, Access::Read, season)?;
        let zset = ctx.open_zset(board.key, false)?;
        let (members, top, bottom) = (zset.len(), zset.highest_score(), zset.nth_lowest_score(0));
        drop(zset);
        let policy = board.policy;
        ctx.reply_map(7);
        ctx.reply_bulk(b"created");
        ctx.reply_integer(u64::from(board.created));
        ctx.reply_bulk(b"tiebreak");
        ctx.reply_bulk(policy.tiebreak_word().as_bytes());
        ctx.reply_bulk(b"ties");
        ctx.reply_bulk(policy.ties_word().as_bytes());
        ctx.reply_bulk(b"expireat");
        match policy.expire_at {
            Some(at) => ctx.reply_signed(at),
            None => ctx.reply_null(),
        }
        ctx.reply_bulk(b"members");
        ctx.reply_integer(members);
        for (name, score) in [(&b"top"[..], top), (b"bottom", bottom)] {
            ctx.reply_bulk(name);
            match score {
                Some(score) => ctx.reply_double(score),
                None => ctx.reply_null(),
            }
        }
        Ok(())
    }
}
