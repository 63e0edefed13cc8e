//! A tournament's tie structures open for one call: whether they are in step with the
//! leaderboard, what a plan reads of them, and how a plan (decided in
//! `tally_core::tourney::ties`) is applied to them, replicated as native commands with
//! concrete values and signalled with the native commands' keyspace events.

use super::board::{ranking, TieNames};
use crate::server::{string_bytes, Ctx, Key, KeyKind, Notify, Order, OwnedString, RawString};
use smallvec::SmallVec;
use tally_core::tourney::ties::{
    dense_member, order_entry, order_entry_arrival, parse_arrival, OutOfStep, RemovalPlan, TiePlan, TieReads,
};
use tally_core::tourney::{Order as BoardOrder, Policy};
use tally_core::Error;

/// One tie structure, open: its key, its name for replication and events, and whether
/// this call removed members from it (signalled as `zrem` when it closes).
struct TieKey<'c> {
    name: RawString,
    key: Key<'c>,
    removed: std::cell::Cell<bool>,
}

/// The tie structures of a tournament, open for one call.
pub(super) struct TieKeys<'c> {
    ctx: &'c Ctx,
    /// The board's order, which its order entries encode.
    order: BoardOrder,
    /// When every key of the tournament expires: the tie structures it creates too.
    expire_at: Option<i64>,
    arrival_hash: Option<TieKey<'c>>,
    order_set: Option<TieKey<'c>>,
    dense_set: Option<TieKey<'c>>,
}

/// Opens the tie structure named `name`, if the tournament keeps it.
fn open_tie<'c>(
    name: Option<&OwnedString>,
    open: impl FnOnce(RawString) -> Result<Key<'c>, Error>,
) -> Result<Option<TieKey<'c>>, Error> {
    name.map(|name| Ok(TieKey { name: name.raw(), key: open(name.raw())?, removed: std::cell::Cell::new(false) }))
        .transpose()
}

/// Replicates an expiry the module set, and fires its event.
pub(super) fn expired_at(ctx: &Ctx, name: RawString, at: i64) {
    ctx.replicate_pexpireat(name, at);
    ctx.notify_expire(name);
}

impl<'c> TieKeys<'c> {
    /// Opens the tie structures `names` holds: every one for a write; for a read only the
    /// arrival hash and the dense set, as the order set changes only with the arrival hash.
    pub(super) fn open(ctx: &'c Ctx, names: &TieNames, write: bool, policy: &Policy) -> Result<TieKeys<'c>, Error> {
        Ok(TieKeys {
            ctx,
            order: policy.order,
            expire_at: policy.expire_at,
            arrival_hash: open_tie(names.arrival.as_ref(), |name| ctx.open_kind(name, KeyKind::Hash, write))?,
            order_set: if write { open_tie(names.order.as_ref(), |name| ctx.open_zset(name, write))? } else { None },
            dense_set: open_tie(names.dense.as_ref(), |name| ctx.open_zset(name, write))?,
        })
    }

    /// Checks the tie structures against a leaderboard of `len` members: something other
    /// than TOURNEY commands (a ZADD, a DEL) may have changed one without the others.
    pub(super) fn in_step(&self, len: u64) -> bool {
        self.order_set.as_ref().is_none_or(|order| order.key.len() == len)
            && self.arrival_hash.as_ref().is_none_or(|arrival| arrival.key.len() == len)
            && self.dense_set.as_ref().is_none_or(|dense| {
                let distinct = dense.key.len();
                distinct <= len && (distinct == 0) == (len == 0)
            })
    }

    /// `member`'s arrival number under TIEBREAK FIRST, as the arrival hash holds it.
    pub(super) fn arrival_of(&self, member: RawString) -> Option<u64> {
        let arrival = self.arrival_hash.as_ref()?;
        arrival.key.hash_get(member).and_then(|value| parse_arrival(value.bytes()))
    }

    /// What a write plan for `member` reads: these structures and the leaderboard `board`,
    /// both as they are before the write.
    pub(super) fn reads<'a>(&'a self, board: &'a Key<'c>, member: RawString) -> WriteReads<'a, 'c> {
        WriteReads { ties: self, board, member }
    }

    /// Deletes tie structures left from a leaderboard that no longer exists.
    pub(super) fn reset(&self) {
        let stale: SmallVec<[RawString; 3]> = [&self.arrival_hash, &self.order_set, &self.dense_set]
            .into_iter()
            .flatten()
            .filter(|tie| tie.key.delete())
            .map(|tie| tie.name)
            .collect();
        if !stale.is_empty() {
            self.ctx.replicate_del(&stale);
            stale.iter().for_each(|&name| self.ctx.notify_deleted(name));
        }
    }

    /// Applies a write plan's arrival and dense scores for `member`, now at `score`, after
    /// the leaderboard's own write (and `reset`).
    pub(super) fn apply_write(&self, member: RawString, score: f64, plan: &TiePlan) -> Result<(), Error> {
        if let Some(next) = plan.order_add {
            self.arrive(member, plan.order_remove, next, score)?;
        }
        if let Some(new) = plan.dense_add {
            self.move_dense(new, plan.dense_drop)?;
        }
        Ok(())
    }

    /// Moves `member`'s order entry from arrival `previous` to `next` at `score` and
    /// records `next` in the arrival hash.
    fn arrive(&self, member: RawString, previous: Option<u64>, next: u64, score: f64) -> Result<(), Error> {
        let ctx = self.ctx;
        let (Some(arrival), Some(order)) = (&self.arrival_hash, &self.order_set) else { return Err(Error::Internal) };
        let member_bytes = string_bytes(member);
        if let Some(previous) = previous {
            let entry = ctx.string(&order_entry(self.order, previous, member_bytes));
            if order.key.remove(entry.raw()) {
                ctx.replicate_with_key(c"ZREM", order.name, &[entry.raw()]);
                order.removed.set(true);
            }
        }
        // After the removal: removing a board's only member's entry deletes the order set,
        // which the ZADD below creates again, without its expiry.
        let fresh = [arrival.key.kind() == KeyKind::Empty, order.key.kind() == KeyKind::Empty];
        let next_text = ctx.integer_string(i64::try_from(next).map_err(|_| Error::Internal)?);
        arrival.key.hash_set(member, next_text.raw())?;
        ctx.replicate_with_key(c"HSET", arrival.name, &[member, next_text.raw()]);
        let entry = ctx.string(&order_entry(self.order, next, member_bytes));
        order.key.set(score, entry.raw())?;
        ctx.replicate_zadd(order.name, score, entry.raw());
        if let Some(at) = self.expire_at {
            for (tie, fresh) in [arrival, order].into_iter().zip(fresh) {
                if fresh {
                    tie.key.set_expire_at(at)?;
                    expired_at(ctx, tie.name, at);
                }
            }
        }
        Ok(())
    }

    /// Adds `new` to the distinct scores, and removes `gone`, a score no member holds now.
    fn move_dense(&self, new: f64, gone: Option<f64>) -> Result<(), Error> {
        let ctx = self.ctx;
        let Some(dense) = &self.dense_set else { return Err(Error::Internal) };
        let fresh = dense.key.kind() == KeyKind::Empty;
        let text = ctx.string(dense_member(new).as_bytes());
        if dense.key.add_new(new, text.raw())? {
            ctx.replicate_zadd(dense.name, new, text.raw());
        }
        if let Some(gone) = gone {
            let text = ctx.string(dense_member(gone).as_bytes());
            if dense.key.remove(text.raw()) {
                ctx.replicate_with_key(c"ZREM", dense.name, &[text.raw()]);
                dense.removed.set(true);
            }
        }
        if let Some(at) = self.expire_at.filter(|_| fresh) {
            dense.key.set_expire_at(at)?;
            expired_at(ctx, dense.name, at);
        }
        Ok(())
    }

    /// Closes the tie structures, then signals those a write plan changed.
    pub(super) fn close(self, plan: &TiePlan) {
        let ctx = self.ctx;
        let arrival = self.arrival_hash.as_ref().map(|tie| tie.name).filter(|_| plan.order_add.is_some());
        let order = self.order_set.as_ref().map(|tie| tie.name).filter(|_| plan.order_add.is_some());
        let dense = self.dense_set.as_ref().map(|tie| tie.name).filter(|_| plan.dense_add.is_some());
        // Entries this write removed, as the ZREM it replicated would signal them.
        let removed: SmallVec<[RawString; 2]> = [&self.order_set, &self.dense_set]
            .into_iter()
            .flatten()
            .filter(|tie| tie.removed.get())
            .map(|tie| tie.name)
            .collect();
        drop(self);
        for name in removed {
            ctx.wrote(name, Notify::Zset, c"zrem");
        }
        if let Some(name) = arrival {
            ctx.wrote(name, Notify::Hash, c"hset");
        }
        for name in [order, dense].into_iter().flatten() {
            ctx.wrote(name, Notify::Zset, c"zadd");
        }
    }

    /// Applies TOURNEY.REM's plan when members remain: removes the departed `members`'
    /// order entries and arrivals, and the scores nobody holds.
    pub(super) fn forget(&self, members: &[RawString], plan: &RemovalPlan) {
        let ctx = self.ctx;
        if let (true, Some(arrival), Some(order)) = (plan.forget_arrivals, &self.arrival_hash, &self.order_set) {
            let mut entries: SmallVec<[OwnedString; 8]> = SmallVec::new();
            for &member in members {
                if let Some(number) = self.arrival_of(member) {
                    let entry = ctx.string(&order_entry(self.order, number, string_bytes(member)));
                    if order.key.remove(entry.raw()) {
                        entries.push(entry);
                    }
                }
                arrival.key.hash_delete(member);
            }
            let entries: SmallVec<[RawString; 8]> = entries.iter().map(OwnedString::raw).collect();
            ctx.replicate_with_key(c"HDEL", arrival.name, members);
            ctx.wrote(arrival.name, Notify::Hash, c"hdel");
            if !entries.is_empty() {
                ctx.replicate_with_key(c"ZREM", order.name, &entries);
                ctx.wrote(order.name, Notify::Zset, c"zrem");
            }
        }
        if let Some(dense) = &self.dense_set {
            let texts: SmallVec<[OwnedString; 8]> =
                plan.dense_drop.iter().map(|&score| ctx.string(dense_member(score).as_bytes())).collect();
            let texts: SmallVec<[RawString; 8]> =
                texts.iter().map(OwnedString::raw).filter(|&text| dense.key.remove(text)).collect();
            if !texts.is_empty() {
                ctx.replicate_with_key(c"ZREM", dense.name, &texts);
                ctx.wrote(dense.name, Notify::Zset, c"zrem");
            }
        }
    }
}

/// The tie structures and the leaderboard as a write plan reads them, before the write.
pub(super) struct WriteReads<'a, 'c> {
    ties: &'a TieKeys<'c>,
    board: &'a Key<'c>,
    member: RawString,
}

impl TieReads for WriteReads<'_, '_> {
    fn arrival(&self) -> Option<u64> {
        self.ties.arrival_of(self.member)
    }

    fn has_order_entry(&self, arrival: u64) -> bool {
        let Some(order) = &self.ties.order_set else { return false };
        let entry = self.ties.ctx.string(&order_entry(self.ties.order, arrival, string_bytes(self.member)));
        order.key.score(entry.raw()).is_some()
    }

    fn latest_arrival(&self, score: f64) -> Result<Option<u64>, OutOfStep> {
        let Some(order) = &self.ties.order_set else { return Err(OutOfStep) };
        // The latest arrival at a score is its last entry in ranking order.
        let against_ranking = match ranking(self.ties.order) {
            Order::Descending => Order::Ascending,
            Order::Ascending => Order::Descending,
        };
        let mut latest = None;
        order.key.visit(against_ranking, score, score, 1, |entry, _| {
            latest = Some(order_entry_arrival(self.ties.order, string_bytes(entry)));
        });
        latest.map(|number| number.ok_or(OutOfStep)).transpose()
    }

    fn others_hold(&self, score: f64) -> bool {
        // Before the write the member holds `score` too: another holder makes two.
        let mut holders = 0;
        self.board.visit(Order::Ascending, score, score, 2, |_, _| holders += 1);
        holders > 1
    }
}
