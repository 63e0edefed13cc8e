//! The tie structures of a tournament (docs/tie-policies.md) and what a write does to them.
//!
//! - TIEBREAK FIRST keeps an arrival hash (member -> its arrival number at its score) and
//!   an order set: the leaderboard's scores, each member prefixed by its arrival number
//!   (`order_entry`), so that walked in the board's ranking order (reverse for DESC) it
//!   lists earlier arrivals first among equal scores.
//! - TIES DENSE keeps a dense set: one entry per distinct score (`dense_member`).
//!
//! A write's effect on them is decided here, without a server, as a plan (`plan_write`,
//! `plan_removal`); the module applies the plan to its keys and replicates each change.

use super::{Order, Policy};
use crate::number::{parse_i64, ScoreText};
use smallvec::SmallVec;

/// Bytes of the arrival prefix of an order entry.
pub const ARRIVAL_BYTES: usize = 8;

/// The arrival prefix as stored: big-endian, inverted on a DESC board so that earlier
/// arrivals sort after later ones (ZREVRANGE lists them first among equal scores), as is
/// on an ASC board (ZRANGE lists them first).
fn arrival_prefix(order: Order, arrival: u64) -> u64 {
    match order {
        Order::Desc => u64::MAX - arrival,
        Order::Asc => arrival,
    }
}

/// A TIEBREAK FIRST order entry: the arrival prefix, then the member.
///
/// Arrival numbers count per score: a member reaching a score gets one more than the
/// latest arrival already there (1 when nobody is), the last entry of that score in
/// ranking order. Ties only ever compare entries of one score, so no tournament-wide
/// counter is needed.
pub fn order_entry(order: Order, arrival: u64, member: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(ARRIVAL_BYTES + member.len());
    entry.extend_from_slice(&arrival_prefix(order, arrival).to_be_bytes());
    entry.extend_from_slice(member);
    entry
}

/// The member of an order entry.
pub fn order_entry_member(entry: &[u8]) -> &[u8] {
    entry.get(ARRIVAL_BYTES..).unwrap_or_default()
}

/// The arrival number of an order entry (`None` for bytes tally did not write).
pub fn order_entry_arrival(order: Order, entry: &[u8]) -> Option<u64> {
    let prefix: [u8; ARRIVAL_BYTES] = entry.get(..ARRIVAL_BYTES)?.try_into().ok()?;
    // The prefix's mapping is its own inverse.
    Some(arrival_prefix(order, u64::from_be_bytes(prefix)))
}

/// The arrival number of a member reaching a score whose latest arrival is `latest`;
/// `None` past what the arrival hash stores (a signed 64-bit integer).
pub fn next_arrival(latest: Option<u64>) -> Option<u64> {
    latest.unwrap_or(0).checked_add(1).filter(|&next| i64::try_from(next).is_ok())
}

/// An arrival number as the arrival hash stores it (decimal, from 1).
pub fn parse_arrival(bytes: &[u8]) -> Option<u64> {
    parse_i64(bytes).ok().filter(|&n| n > 0).map(i64::unsigned_abs)
}

/// The dense set's member for `score`: the score's text, with -0 folded into 0 since the
/// two are one score to a sorted set.
pub fn dense_member(score: f64) -> ScoreText {
    ScoreText::new(score + 0.0)
}

/// The tie structures do not match the leaderboard: keys written outside TOURNEY
/// commands. The module reports it as `Error::TournamentOutOfSync` with the key's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfStep;

/// One write of a member's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreWrite {
    /// The member's score before the write, `None` for a new member.
    pub old: Option<f64>,
    pub new: f64,
    /// The leaderboard has no members (never written, deleted or expired on its own): any
    /// tie structures left are stale.
    pub board_empty: bool,
}

impl ScoreWrite {
    /// A member arrives at a score only when its stored score changes.
    pub fn changes(&self) -> bool {
        self.old != Some(self.new)
    }
}

/// What a write plan reads of the tournament as it is before the write: the module reads
/// its keys, tests read a model. A plan makes only the reads it needs.
pub trait TieReads {
    /// The written member's arrival number, as the arrival hash holds it (`None`: no
    /// field, or one tally did not write).
    fn arrival(&self) -> Option<u64>;
    /// Whether the order set holds the written member's entry for `arrival`.
    fn has_order_entry(&self, arrival: u64) -> bool;
    /// The arrival number of the latest member to reach `score`, its last order entry in
    /// ranking order (`Ok(None)`: nobody holds `score`).
    fn latest_arrival(&self, score: f64) -> Result<Option<u64>, OutOfStep>;
    /// Whether a member other than the written one holds `score`.
    fn others_hold(&self, score: f64) -> bool;
}

/// What one write of a member's score does to the tie structures, in the order the module
/// applies it: `reset`, then (after the leaderboard's own write) the order entry out, the
/// arrival in, then the dense scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TiePlan {
    /// Delete the stale tie structures of an empty leaderboard before writing.
    pub reset: bool,
    /// TIEBREAK FIRST: the member's arrival number after the write, which places it among
    /// equal scores.
    pub arrival: Option<u64>,
    /// TIEBREAK FIRST: the arrival number of the member's order entry to remove, the one
    /// at its old score.
    pub order_remove: Option<u64>,
    /// TIEBREAK FIRST: the arrival number to record in the arrival hash and to add as the
    /// member's order entry at the new score.
    pub order_add: Option<u64>,
    /// TIES DENSE: the new score, added to the distinct scores unless already there.
    pub dense_add: Option<f64>,
    /// TIES DENSE: the old score, which no member holds after the write.
    pub dense_drop: Option<f64>,
}

/// Decides what `write` does to the tie structures `policy` keeps. Refuses, before
/// anything is written, a member whose arrival or order entry is missing and a score whose
/// arrival numbers are unreadable or exhausted.
pub fn plan_write(policy: &Policy, write: ScoreWrite, reads: &impl TieReads) -> Result<TiePlan, OutOfStep> {
    let changes = write.changes();
    let mut plan = TiePlan { reset: write.board_empty, ..TiePlan::default() };
    if policy.keeps_arrivals() {
        // An empty leaderboard has no members: nothing of its stale structures is read.
        let previous = match write.old {
            Some(_) if !write.board_empty => {
                let number = reads.arrival().ok_or(OutOfStep)?;
                if !reads.has_order_entry(number) {
                    return Err(OutOfStep);
                }
                Some(number)
            }
            _ => None,
        };
        if changes {
            let latest = if write.board_empty { None } else { reads.latest_arrival(write.new)? };
            let next = next_arrival(latest).ok_or(OutOfStep)?;
            plan.order_remove = previous;
            plan.order_add = Some(next);
            plan.arrival = Some(next);
        } else {
            plan.arrival = Some(previous.ok_or(OutOfStep)?);
        }
    }
    if policy.keeps_dense() && changes {
        plan.dense_add = Some(write.new);
        plan.dense_drop = write.old.filter(|&old| !reads.others_hold(old));
    }
    Ok(plan)
}

/// What TOURNEY.REM does to the tie structures once its members are gone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemovalPlan {
    /// The leaderboard is empty now: delete every tie structure, as the leaderboard went.
    pub reset: bool,
    /// TIEBREAK FIRST: delete the removed members' arrivals and order entries.
    pub forget_arrivals: bool,
    /// TIES DENSE: the scores no member holds any more, once each, in removal order.
    pub dense_drop: SmallVec<[f64; 8]>,
}

/// Decides what removing members that held `removed_scores` (in removal order) does to
/// the tie structures `policy` keeps; `held` tells whether a remaining member holds a
/// score.
pub fn plan_removal(
    policy: &Policy,
    removed_scores: impl IntoIterator<Item = f64>,
    board_empty: bool,
    held: impl Fn(f64) -> bool,
) -> RemovalPlan {
    if board_empty {
        return RemovalPlan { reset: true, ..RemovalPlan::default() };
    }
    let mut dense_drop = SmallVec::new();
    if policy.keeps_dense() {
        for score in removed_scores {
            if !dense_drop.contains(&score) && !held(score) {
                dense_drop.push(score);
            }
        }
    }
    RemovalPlan { reset: false, forget_arrivals: policy.keeps_arrivals(), dense_drop }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_entries_list_earlier_arrivals_first() {
        // ZREVRANGE of equal scores is descending member bytes.
        let early = order_entry(Order::Desc, 1, b"zoe");
        let late = order_entry(Order::Desc, 2, b"aaron");
        assert!(early > late);
        assert!(order_entry(Order::Desc, 255, b"a") > order_entry(Order::Desc, 256, b"a"));
        assert_eq!(order_entry_member(&early), b"zoe");
        assert_eq!(order_entry_arrival(Order::Desc, &late), Some(2));
        assert_eq!(order_entry_arrival(Order::Desc, b"short"), None);
        // ZRANGE of equal scores is ascending member bytes.
        let (early, late) = (order_entry(Order::Asc, 1, b"zoe"), order_entry(Order::Asc, 2, b"aaron"));
        assert!(early < late);
        assert!(order_entry(Order::Asc, 255, b"z") < order_entry(Order::Asc, 256, b"a"));
        assert_eq!(order_entry_arrival(Order::Asc, &late), Some(2));
        assert_eq!(order_entry_member(&late), b"aaron");
        assert_eq!(next_arrival(None), Some(1));
        assert_eq!(next_arrival(Some(41)), Some(42));
        assert_eq!(next_arrival(Some(u64::MAX)), None);
        assert_eq!(next_arrival(Some(i64::MAX.unsigned_abs() - 1)), Some(i64::MAX.unsigned_abs()));
        assert_eq!(next_arrival(Some(i64::MAX.unsigned_abs())), None);
        assert_eq!(order_entry_member(b"short"), b"");
        assert_eq!(parse_arrival(b"42"), Some(42));
        assert_eq!(parse_arrival(b"0"), None);
        assert_eq!(parse_arrival(b"x"), None);
        assert_eq!(dense_member(-0.0).as_bytes(), b"0");
    }
}
