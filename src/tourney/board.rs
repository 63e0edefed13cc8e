//! The tournament of a call: the leaderboard it works on (the key it names, or its
//! season's), the tournament's settings, the names of its companion keys, and the reads
//! that rank members on it.

use super::data::MemberData;
use super::ties::TieKeys;
use crate::command::Args;
use crate::keys;
use crate::server::{string_bytes, Ctx, KeyAccess, KeyKind, Order, OwnedString, RawString};
use smallvec::SmallVec;
use std::cell::Cell;
use tally_core::season::{named_season, season_at, season_key, SeasonChoice};
use tally_core::slot::Companions;
use tally_core::tourney::ties::{order_entry, order_entry_member};
use tally_core::tourney::{
    self as core, PageRanks, Policy, Ties, ARRIVAL_SUFFIX, DATA_SUFFIX, DENSE_SUFFIX, KEY_POSITION as KEY_POS,
    ORDER_SUFFIX, SETTINGS_SUFFIX, TOURNAMENT, WITH_DATA,
};
use tally_core::Error;

/// A leaderboard with its tournament's settings and the names of its tie structures.
pub(super) struct Board<'c> {
    pub(super) ctx: &'c Ctx,
    /// The leaderboard: the key the call names, or its season's.
    pub(super) key: RawString,
    /// Holds the season's key name alive.
    season: Option<OwnedString<'c>>,
    pub(super) policy: Policy,
    pub(super) created: bool,
    pub(super) ties: TieNames<'c>,
    /// The member-data hash's name, derived by `open` when the call reads or writes data
    /// (`with_data`) and the key has a hash tag, and taken by the call's `data_for_*`.
    data: Cell<Option<OwnedString<'c>>>,
}

/// The names of the tie structures a tournament keeps (`None`: its policy keeps none).
#[derive(Default)]
pub(super) struct TieNames<'c> {
    /// TIEBREAK FIRST: the arrival hash.
    pub(super) arrival: Option<OwnedString<'c>>,
    /// TIEBREAK FIRST: the order set.
    pub(super) order: Option<OwnedString<'c>>,
    /// TIES DENSE: the set of distinct scores.
    pub(super) dense: Option<OwnedString<'c>>,
}

impl<'c> TieNames<'c> {
    /// The names of the tie structures `policy` keeps beside the key `names` is built on.
    pub(super) fn new(ctx: &'c Ctx, names: &mut Companions, policy: &Policy) -> TieNames<'c> {
        let mut ties = TieNames::default();
        if policy.keeps_arrivals() {
            ties.arrival = Some(ctx.string(names.name(ARRIVAL_SUFFIX)));
            ties.order = Some(ctx.string(names.name(ORDER_SUFFIX)));
        }
        if policy.keeps_dense() {
            ties.dense = Some(ctx.string(names.name(DENSE_SUFFIX)));
        }
        ties
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &OwnedString<'c>> {
        [&self.arrival, &self.order, &self.dense].into_iter().flatten()
    }
}

/// The name of a tournament's settings key.
pub(super) fn settings_key<'c>(ctx: &'c Ctx, names: &mut Companions) -> OwnedString<'c> {
    ctx.string(names.name(SETTINGS_SUFFIX))
}

/// A tournament's settings and when it was created (when its settings record it).
pub(super) type Settings = (Policy, Option<i64>);

/// The settings of a tournament, `None` for a leaderboard never created (or expired).
pub(super) fn read_policy(ctx: &Ctx, name: RawString, key: &[u8]) -> Result<Option<Settings>, Error> {
    let bad = || Error::BadTournamentSettings(key.to_vec());
    // Most leaderboards have no settings: read_companion looks without a keyspace miss.
    match ctx.read_companion(name).map_err(|()| bad())? {
        None => Ok(None),
        Some(value) => Policy::decode_with_created(&value).map(Some).ok_or_else(bad),
    }
}

/// The settings key of the tournament `key` (tagged, `names` built on it) and what it holds.
fn lookup_settings<'c>(
    ctx: &'c Ctx,
    names: &mut Companions,
    key: &[u8],
) -> Result<(OwnedString<'c>, Option<Settings>), Error> {
    let name = settings_key(ctx, names);
    let found = read_policy(ctx, name.raw(), key)?;
    Ok((name, found))
}

/// The walk of a sorted set that lists a board of `order` best first.
pub(super) fn ranking(order: core::Order) -> Order {
    match order {
        core::Order::Desc => Order::Descending,
        core::Order::Asc => Order::Ascending,
    }
}

/// A page entry's member, as the read found it.
#[derive(Clone, Copy)]
pub(super) enum EntryMember<'a> {
    Raw(RawString),
    Bytes(&'a [u8]),
}

/// Replies one page entry: `[member, score, rank]`, and `data`'s value for the member
/// (nil where none) when the call asked WITHDATA.
pub(super) fn reply_entry(ctx: &Ctx, member: EntryMember, score: f64, rank: u64, data: Option<&MemberData>) {
    ctx.reply_array(if data.is_some() { 4 } else { 3 });
    match member {
        EntryMember::Raw(member) => ctx.reply_string(member),
        EntryMember::Bytes(member) => ctx.reply_bulk(member),
    }
    ctx.reply_double(score);
    ctx.reply_integer(rank);
    if let Some(data) = data {
        data.reply(member);
    }
}

impl<'c> Board<'c> {
    /// Validates the call's key and loads its tournament; with a season, the leaderboard
    /// is the season's key, with the tournament of the key the call names. The caller must
    /// be allowed `access` to the season, settings and tie-structure keys, which argv does
    /// not name, and, `with_data`, to the member-data hash (which a write needs a hash tag
    /// for).
    pub(super) fn open(
        ctx: &'c Ctx,
        args: &'c Args<'_>,
        access: KeyAccess,
        choice: Option<SeasonChoice>,
        with_data: bool,
    ) -> Result<Board<'c>, Error> {
        let named = keys::single(args, KEY_POS)?;
        let named_bytes = args.bytes().get(KEY_POS).copied().unwrap_or_default();
        let mut board = Board {
            ctx,
            key: named,
            season: None,
            policy: Policy::default(),
            created: false,
            ties: TieNames::default(),
            data: Cell::new(None),
        };
        let mut season_expiry = None;
        // Seasons that ended before the tournament was created are plain boards.
        let mut ended_before = None;
        if let Some(choice) = choice {
            if choice.previous && access == KeyAccess::UPSERT {
                return Err(Error::PastSeasonWrite);
            }
            let now = ctx.now_ms();
            let season = choice.season(now);
            let name = ctx.string(&season_key(named_bytes, &season)?);
            board.key = name.raw();
            board.season = Some(name);
            season_expiry = Some(season.expire_at_ms);
            board.policy.expire_at = season_expiry;
            if choice.previous {
                ended_before = Some(season_at(choice.period, now).start_ms);
            }
        }
        let mut derived: SmallVec<[RawString; 6]> = SmallVec::new();
        if let Some(season) = &board.season {
            derived.push(season.raw());
        }
        // Outlives the permission check below, which reads the name.
        let settings;
        // A key without a hash tag cannot have companions, so it was never created; a
        // season's key named directly belongs to its base's tournament.
        if let Some(mut own_names) = Companions::of(named_bytes) {
            let (own_settings, own) = lookup_settings(ctx, &mut own_names, named_bytes)?;
            // Only a key without settings of its own can be a season's, named directly.
            let direct_season = if own.is_none() { named_season(named_bytes) } else { None };
            let (name, found) = match direct_season {
                Some((base, season, ended_ms)) => {
                    // Its tournament's season, with the expiry and end `SEASON` gives it.
                    season_expiry = Some(season.expire_at_ms);
                    ended_before = Some(ended_ms);
                    lookup_settings(ctx, &mut Companions::new(base, TOURNAMENT)?, base)?
                }
                None => (own_settings, own),
            };
            settings = name;
            // A season that ended before the tournament was created is a plain board.
            let found = found.filter(
                |(_, created_ms)| !matches!((created_ms, ended_before), (Some(created), Some(end)) if *created >= end),
            );
            if let Some((policy, _)) = found {
                board.created = true;
                // A season ends its leaderboard even in a tournament that lasts longer.
                let expire_at = match (policy.expire_at, season_expiry) {
                    (Some(at), Some(season)) => Some(at.min(season)),
                    (at, season) => at.or(season),
                };
                board.policy = Policy { expire_at, ..policy };
                derived.push(settings.raw());
                {
                    // The tie structures are named after the board: the season's key, if any.
                    let mut board_names = Companions::new(string_bytes(board.key), TOURNAMENT)?;
                    board.ties = TieNames::new(ctx, &mut board_names, &policy);
                    derived.extend(board.ties.iter().map(OwnedString::raw));
                }
            }
        }
        if with_data {
            if access == KeyAccess::UPSERT {
                Companions::new(named_bytes, WITH_DATA)?;
            }
            let name = board.data_name();
            derived.extend(name.as_ref().map(OwnedString::raw));
            // Kept alive (a move does not free the string) for the check below and the call.
            board.data.set(name);
        }
        if !derived.is_empty() {
            ctx.check_permissions(&derived, access)?;
        }
        Ok(board)
    }

    /// The name of the board's member-data hash, beside the board (a season's beside the
    /// season's board): the one `open` derived, else derived now; `None` for a key without a
    /// hash tag, which cannot have one.
    fn data_name(&self) -> Option<OwnedString<'c>> {
        if let Some(name) = self.data.take() {
            return Some(name);
        }
        let mut names = Companions::of(string_bytes(self.key))?;
        Some(self.ctx.string(names.name(DATA_SUFFIX)))
    }

    /// For a write: the member-data hash, open. With `writes_data` the one `open` named
    /// (WRONGTYPE when something else holds its name); otherwise, for a write that only
    /// deletes data (TOURNEY.REM, the first write of an emptied board), the hash when it
    /// exists, after checking that the caller may change it.
    pub(super) fn data_for_write(&self, writes_data: bool) -> Result<Option<MemberData<'c>>, Error> {
        if writes_data {
            let name = self.data_name().ok_or(Error::Internal)?;
            return MemberData::open(self.ctx, name, self.policy.expire_at, true).map(Some);
        }
        let Some(name) = self.data_name() else { return Ok(None) };
        // A key of another type under the name is not tally's: deletes leave it alone.
        if self.ctx.open_quietly(name.raw()).kind() != KeyKind::Hash {
            return Ok(None);
        }
        self.ctx.check_permissions(&[name.raw()], KeyAccess::UPDATE)?;
        MemberData::open(self.ctx, name, self.policy.expire_at, true).map(Some)
    }

    /// For a WITHDATA read: the member-data hash, open (an empty one for a key without a
    /// hash tag, which cannot have data).
    pub(super) fn data_for_read(&self) -> Result<MemberData<'c>, Error> {
        match self.data_name() {
            Some(name) => MemberData::open(self.ctx, name, None, false),
            None => Ok(MemberData::none(self.ctx)),
        }
    }

    pub(super) fn out_of_sync(&self) -> Error {
        Error::TournamentOutOfSync(string_bytes(self.key).to_vec())
    }

    /// Opens the tie structures: every one for a write, those that tell whether they are
    /// in step for a read.
    pub(super) fn open_ties(&self, write: bool) -> Result<TieKeys<'c>, Error> {
        TieKeys::open(self.ctx, &self.ties, write, &self.policy)
    }

    /// For reads: the tie structures, checked against a leaderboard of `len` members;
    /// `None` when the board keeps none or is empty.
    pub(super) fn ties_in_step(&self, len: u64) -> Result<Option<TieKeys<'c>>, Error> {
        // An empty board (deleted or expired on its own) reads as empty; its stale tie
        // structures go with the next write.
        if len == 0 || self.ties.iter().next().is_none() {
            return Ok(None);
        }
        let ties = self.open_ties(false)?;
        if !ties.in_step(len) {
            return Err(self.out_of_sync());
        }
        Ok(Some(ties))
    }

    /// `ties_in_step`, and `member`'s arrival number under TIEBREAK FIRST while they are open.
    pub(super) fn check_in_step(&self, len: u64, member: Option<RawString>) -> Result<Option<u64>, Error> {
        Ok(self.ties_in_step(len)?.and_then(|ties| member.and_then(|member| ties.arrival_of(member))))
    }

    /// Whether the board ranks by arrival (TIEBREAK FIRST): its ranked set is then the
    /// order set, whose members are order entries.
    pub(super) fn ranks_by_arrival(&self) -> bool {
        self.ties.order.is_some()
    }

    /// The set whose walk in `walk()` order is the ranking: the order set under TIEBREAK FIRST.
    pub(super) fn ranked_set(&self) -> RawString {
        self.ties.order.as_ref().map_or(self.key, OwnedString::raw)
    }

    /// The walk of the ranked set that lists the board best first.
    pub(super) fn walk(&self) -> Order {
        ranking(self.policy.order)
    }

    /// 0-based position of a member in the ranking, `None` when absent. Under TIEBREAK
    /// FIRST `arrival` is the member's arrival number, as the caller looked it up (`None`:
    /// the member has none, so it is absent).
    pub(super) fn position(&self, member: RawString, arrival: Option<u64>) -> Result<Option<u64>, Error> {
        let Some(order) = &self.ties.order else { return self.ctx.zrank(self.key, member, self.walk()) };
        let Some(arrival) = arrival else { return Ok(None) };
        let entry = self.ctx.string(&order_entry(self.policy.order, arrival, string_bytes(member)));
        self.ctx.zrank(order.raw(), entry.raw(), self.walk())
    }

    /// 1 + the members (COMPETITION) or distinct scores (DENSE) ranked before `score`.
    fn shared_rank(&self, ties: Ties, score: f64) -> Result<u64, Error> {
        let set = match ties {
            Ties::Dense => self.ties.dense.as_ref().ok_or(Error::DenseNotKept)?.raw(),
            _ => self.key,
        };
        Ok(self.ctx.count_before(set, score, self.walk())?.saturating_add(1))
    }

    /// 1-based rank of a member known to hold `score`.
    pub(super) fn rank(&self, member: RawString, score: f64, ties: Ties, arrival: Option<u64>) -> Result<u64, Error> {
        match ties {
            Ties::Ordinal => Ok(self.position(member, arrival)?.ok_or_else(|| self.out_of_sync())?.saturating_add(1)),
            shared => self.shared_rank(shared, score),
        }
    }

    /// Replies `[[member, score, rank], ...]` for 0-based positions `start..=stop`, with
    /// each member's data from `data` (WITHDATA).
    pub(super) fn reply_page(&self, start: u64, stop: u64, ties: Ties, data: Option<&MemberData>) -> Result<(), Error> {
        let ctx = self.ctx;
        let page = ctx.zrange(self.ranked_set(), start, stop, self.walk())?;
        let first_rank = match (ties, page.scored_member(0)) {
            (Ties::Ordinal, _) | (_, None) => start.saturating_add(1),
            (shared, Some((_, score))) => self.shared_rank(shared, score)?,
        };
        let mut ranks = PageRanks::new(ties, start.saturating_add(1), first_rank);
        let len = page.len();
        ctx.reply_array(len);
        for index in 0..len {
            let (entry, score) = page.scored_member(index).unwrap_or_default();
            let member = if self.ranks_by_arrival() { order_entry_member(entry) } else { entry };
            reply_entry(ctx, EntryMember::Bytes(member), score, ranks.next(score), data);
        }
        Ok(())
    }
}
