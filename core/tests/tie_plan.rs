//! The tie bookkeeping of TIEBREAK FIRST and TIES DENSE (docs/tie-policies.md), planned by
//! `tally_core::tourney::ties` and applied here to an in-memory model of a tournament's
//! keys, as the module applies it to the real ones.

use std::collections::BTreeMap;
use tally_core::tourney::ties::{
    order_entry, order_entry_arrival, order_entry_member, plan_removal, plan_write, OutOfStep, RemovalPlan, ScoreWrite,
    TiePlan, TieReads,
};
use tally_core::tourney::{Order, Policy, Tiebreak, Ties};

const FIRST: Policy = Policy { order: Order::Desc, tiebreak: Tiebreak::First, ties: Ties::Ordinal, expire_at: None };
const DENSE: Policy = Policy { order: Order::Desc, tiebreak: Tiebreak::Member, ties: Ties::Dense, expire_at: None };
const FIRST_DENSE: Policy =
    Policy { order: Order::Desc, tiebreak: Tiebreak::First, ties: Ties::Dense, expire_at: None };

/// A tournament's leaderboard and tie structures.
#[derive(Debug, Default)]
struct Model {
    policy: Policy,
    scores: BTreeMap<String, f64>,
    arrivals: BTreeMap<String, u64>,
    order: Vec<(f64, Vec<u8>)>,
    dense: Vec<f64>,
}

/// The model as a plan reads it for a write of `member`.
struct Reads<'a> {
    model: &'a Model,
    member: &'a str,
}

impl TieReads for Reads<'_> {
    fn arrival(&self) -> Option<u64> {
        self.model.arrivals.get(self.member).copied()
    }

    fn has_order_entry(&self, arrival: u64) -> bool {
        let entry = order_entry(self.model.policy.order, arrival, self.member.as_bytes());
        self.model.order.iter().any(|(_, held)| *held == entry)
    }

    fn latest_arrival(&self, score: f64) -> Result<Option<u64>, OutOfStep> {
        let order = self.model.policy.order;
        let at_score = self.model.order.iter().filter(|(held, _)| *held == score).map(|(_, entry)| entry);
        // The last entry in ranking order: ZREVRANGE's last is the lowest, ZRANGE's the highest.
        let last = match order {
            Order::Desc => at_score.min(),
            Order::Asc => at_score.max(),
        };
        last.map(|entry| order_entry_arrival(order, entry).ok_or(OutOfStep)).transpose()
    }

    fn others_hold(&self, score: f64) -> bool {
        self.model.scores.iter().any(|(member, &held)| member != self.member && held == score)
    }
}

/// Reads that must not happen: the plan has everything it needs.
struct NoReads;

impl TieReads for NoReads {
    fn arrival(&self) -> Option<u64> {
        panic!("read the arrival hash")
    }

    fn has_order_entry(&self, _: u64) -> bool {
        panic!("read the order set")
    }

    fn latest_arrival(&self, _: f64) -> Result<Option<u64>, OutOfStep> {
        panic!("read the order set")
    }

    fn others_hold(&self, _: f64) -> bool {
        panic!("read the leaderboard")
    }
}

impl Model {
    fn new(policy: Policy) -> Model {
        Model { policy, ..Model::default() }
    }

    /// Plans a write of `member`'s score and applies it, as TOURNEY.INCR and SUBMIT do.
    fn write(&mut self, member: &str, new: f64) -> Result<TiePlan, OutOfStep> {
        let write = ScoreWrite { old: self.scores.get(member).copied(), new, board_empty: self.scores.is_empty() };
        let plan = plan_write(&self.policy, write, &Reads { model: self, member })?;
        if plan.reset {
            self.arrivals.clear();
            self.order.clear();
            self.dense.clear();
        }
        self.scores.insert(member.to_string(), new);
        let order = self.policy.order;
        if let Some(arrival) = plan.order_remove {
            let entry = order_entry(order, arrival, member.as_bytes());
            self.order.retain(|(_, held)| *held != entry);
        }
        if let Some(arrival) = plan.order_add {
            self.arrivals.insert(member.to_string(), arrival);
            self.order.push((new, order_entry(order, arrival, member.as_bytes())));
        }
        if let Some(score) = plan.dense_add.filter(|score| !self.dense.contains(score)) {
            self.dense.push(score);
        }
        if let Some(score) = plan.dense_drop {
            self.dense.retain(|&held| held != score);
        }
        Ok(plan)
    }

    /// Removes members, plans what that does to the ties and applies it, as TOURNEY.REM.
    fn remove(&mut self, members: &[&str]) -> RemovalPlan {
        let mut removed = Vec::new();
        for &member in members {
            if let Some(score) = self.scores.remove(member) {
                removed.push((member, score));
            }
        }
        let scores = &self.scores;
        let plan = plan_removal(&self.policy, removed.iter().map(|&(_, score)| score), scores.is_empty(), |score| {
            scores.values().any(|&held| held == score)
        });
        if plan.reset {
            self.arrivals.clear();
            self.order.clear();
            self.dense.clear();
        }
        if plan.forget_arrivals {
            for (member, _) in removed {
                if let Some(arrival) = self.arrivals.remove(member) {
                    let entry = order_entry(self.policy.order, arrival, member.as_bytes());
                    self.order.retain(|(_, held)| *held != entry);
                }
            }
        }
        self.dense.retain(|score| !plan.dense_drop.contains(score));
        plan
    }

    /// The members by TIEBREAK FIRST, as the order set walked in ranking order lists them:
    /// best score first, equal scores by entry (descending for DESC, ascending for ASC).
    fn ranking(&self) -> Vec<&str> {
        let mut entries: Vec<&(f64, Vec<u8>)> = self.order.iter().collect();
        entries.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        if self.policy.order == Order::Desc {
            entries.reverse();
        }
        entries.iter().map(|(_, entry)| std::str::from_utf8(order_entry_member(entry)).unwrap()).collect()
    }

    fn dense_rank(&self, member: &str) -> usize {
        let score = self.scores[member];
        1 + self.dense.iter().filter(|&&held| self.policy.order.better(held, score)).count()
    }

    /// The tie structures hold exactly what the leaderboard implies.
    fn check(&self) {
        if self.policy.keeps_arrivals() {
            assert_eq!(self.arrivals.len(), self.scores.len(), "{self:?}");
            assert_eq!(self.order.len(), self.scores.len(), "{self:?}");
            for (member, &score) in &self.scores {
                let entry = order_entry(self.policy.order, self.arrivals[member], member.as_bytes());
                assert!(self.order.contains(&(score, entry)), "{member} out of order in {self:?}");
            }
        }
        if self.policy.keeps_dense() {
            let mut distinct: Vec<f64> = self.scores.values().copied().collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            let mut dense = self.dense.clone();
            dense.sort_by(f64::total_cmp);
            assert_eq!(dense, distinct, "{self:?}");
        }
    }
}

#[test]
fn a_new_member_arrives_first_at_its_score() {
    let mut board = Model::new(FIRST);
    let plan = board.write("alice", 10.0).unwrap();
    // The first write of a board deletes whatever tie structures a deleted one left.
    assert_eq!(plan, TiePlan { reset: true, arrival: Some(1), order_add: Some(1), ..TiePlan::default() });
    let plan = board.write("bob", 20.0).unwrap();
    assert_eq!(plan, TiePlan { arrival: Some(1), order_add: Some(1), ..TiePlan::default() });
    board.check();
}

#[test]
fn ties_go_to_earlier_arrivals_whatever_the_names() {
    let mut board = Model::new(FIRST);
    for (member, arrival) in [("zoe", 1), ("amy", 2), ("max", 3)] {
        assert_eq!(board.write(member, 40.0).unwrap().arrival, Some(arrival));
    }
    assert_eq!(board.ranking(), ["zoe", "amy", "max"]);
    board.check();
}

#[test]
fn moving_up_leaves_the_old_entry_and_arrives_at_the_new_score() {
    let mut board = Model::new(FIRST);
    board.write("ann", 10.0).unwrap();
    board.write("ben", 11.0).unwrap();
    let plan = board.write("ann", 11.0).unwrap();
    assert_eq!(plan, TiePlan { arrival: Some(2), order_remove: Some(1), order_add: Some(2), ..TiePlan::default() });
    assert_eq!(board.ranking(), ["ben", "ann"]);
    board.check();
}

#[test]
fn moving_back_down_arrives_again_behind_those_who_stayed() {
    // docs/tie-policies.md, "When a member's arrival changes".
    let mut board = Model::new(FIRST);
    for member in ["ann", "ben", "cat"] {
        board.write(member, 10.0).unwrap();
    }
    board.write("ann", 11.0).unwrap();
    let plan = board.write("ann", 10.0).unwrap();
    assert_eq!(plan, TiePlan { arrival: Some(4), order_remove: Some(1), order_add: Some(4), ..TiePlan::default() });
    assert_eq!(board.ranking(), ["ben", "cat", "ann"]);
    board.check();
}

#[test]
fn the_same_score_keeps_the_arrival_and_writes_no_ties() {
    let mut board = Model::new(FIRST_DENSE);
    board.write("ann", 10.0).unwrap();
    board.write("ben", 10.0).unwrap();
    let plan = board.write("ann", 10.0).unwrap();
    assert_eq!(plan, TiePlan { arrival: Some(1), ..TiePlan::default() });
    assert_eq!(board.ranking(), ["ann", "ben"]);
    board.check();
}

#[test]
fn dense_scores_go_when_their_last_holder_leaves() {
    let mut board = Model::new(DENSE);
    board.write("a", 10.0).unwrap();
    board.write("b", 10.0).unwrap();
    board.write("c", 20.0).unwrap();
    assert_eq!(board.dense_rank("a"), 2);
    // b still holds 10.
    let plan = board.write("a", 30.0).unwrap();
    assert_eq!(plan, TiePlan { dense_add: Some(30.0), ..TiePlan::default() });
    // b was the last at 10; 30 is kept already, so adding it changes nothing.
    let plan = board.write("b", 30.0).unwrap();
    assert_eq!(plan, TiePlan { dense_add: Some(30.0), dense_drop: Some(10.0), ..TiePlan::default() });
    assert_eq!(board.dense_rank("c"), 2);
    board.check();
}

#[test]
fn first_and_dense_together_plan_both() {
    let mut board = Model::new(FIRST_DENSE);
    board.write("a", 5.0).unwrap();
    board.write("b", 7.0).unwrap();
    let plan = board.write("a", 7.0).unwrap();
    let expected = TiePlan {
        arrival: Some(2),
        order_remove: Some(1),
        order_add: Some(2),
        dense_add: Some(7.0),
        dense_drop: Some(5.0),
        ..TiePlan::default()
    };
    assert_eq!(plan, expected);
    assert_eq!(board.ranking(), ["b", "a"]);
    assert_eq!(board.dense_rank("a"), 1);
    board.check();
}

#[test]
fn plain_leaderboards_plan_nothing_and_read_nothing() {
    for ties in [Ties::Ordinal, Ties::Competition] {
        let policy = Policy { ties, ..Policy::default() };
        let write = ScoreWrite { old: Some(1.0), new: 2.0, board_empty: false };
        assert_eq!(plan_write(&policy, write, &NoReads), Ok(TiePlan::default()));
    }
}

#[test]
fn an_empty_board_reads_none_of_its_stale_structures() {
    let write = ScoreWrite { old: None, new: 3.0, board_empty: true };
    let plan = plan_write(&FIRST_DENSE, write, &NoReads).unwrap();
    let expected =
        TiePlan { reset: true, arrival: Some(1), order_add: Some(1), dense_add: Some(3.0), ..TiePlan::default() };
    assert_eq!(plan, expected);
}

#[test]
fn keys_changed_outside_tourney_commands_refuse_the_write() {
    let mut board = Model::new(FIRST);
    board.write("ann", 10.0).unwrap();
    board.write("ben", 10.0).unwrap();
    // A member without an arrival, or whose order entry is gone.
    board.arrivals.remove("ann");
    assert_eq!(board.write("ann", 12.0), Err(OutOfStep));
    assert_eq!(board.write("ann", 10.0), Err(OutOfStep));
    board.arrivals.insert("ann".into(), 7);
    assert_eq!(board.write("ann", 12.0), Err(OutOfStep));
    // An order entry tally did not write at the new score.
    board.arrivals.insert("ann".into(), 1);
    board.order.push((12.0, b"short".to_vec()));
    assert_eq!(board.write("ann", 12.0), Err(OutOfStep));
    // A score whose arrival numbers ran out.
    board.order.push((13.0, order_entry(Order::Desc, i64::MAX.unsigned_abs(), b"max")));
    assert_eq!(board.write("ben", 13.0), Err(OutOfStep));
    // Nothing was written by the refused calls.
    assert_eq!(board.scores["ann"], 10.0);
    assert_eq!(board.scores["ben"], 10.0);
}

#[test]
fn rem_forgets_arrivals_and_drops_each_score_nobody_holds_once() {
    let mut board = Model::new(FIRST_DENSE);
    for (member, score) in [("a", 1.0), ("b", 1.0), ("c", 2.0), ("d", 3.0), ("e", 3.0)] {
        board.write(member, score).unwrap();
    }
    let plan = board.remove(&["a", "d", "e", "e", "nobody"]);
    assert_eq!(plan, RemovalPlan { reset: false, forget_arrivals: true, dense_drop: [3.0].into_iter().collect() });
    board.check();
    assert_eq!(board.ranking(), ["c", "b"]);
    // A member coming back arrives behind those who stayed.
    assert_eq!(board.write("a", 1.0).unwrap().arrival, Some(3));
    board.check();
    // Removing the last members deletes every tie structure instead.
    let plan = board.remove(&["a", "b", "c"]);
    assert_eq!(plan, RemovalPlan { reset: true, ..RemovalPlan::default() });
    board.check();
}

#[test]
fn rem_on_dense_only_tournaments_keeps_no_arrivals() {
    let mut board = Model::new(DENSE);
    board.write("a", 1.0).unwrap();
    board.write("b", 2.0).unwrap();
    let plan = board.remove(&["b"]);
    assert_eq!(plan, RemovalPlan { reset: false, forget_arrivals: false, dense_drop: [2.0].into_iter().collect() });
    board.check();
}

#[test]
fn lowest_wins_boards_rank_earlier_arrivals_first_too() {
    let asc = Policy { order: Order::Asc, ..FIRST_DENSE };
    let mut board = Model::new(asc);
    for (member, score) in [("zoe", 40.0), ("amy", 40.0), ("max", 30.0), ("bob", 40.0)] {
        board.write(member, score).unwrap();
    }
    assert_eq!(board.ranking(), ["max", "zoe", "amy", "bob"]);
    assert_eq!(board.dense_rank("amy"), 2);
    // zoe leaves 40 and comes back: she arrives behind amy and bob.
    board.write("zoe", 41.0).unwrap();
    assert_eq!(board.write("zoe", 40.0).unwrap().arrival, Some(4));
    assert_eq!(board.ranking(), ["max", "amy", "bob", "zoe"]);
    board.check();
}

#[test]
fn any_sequence_of_writes_and_removals_keeps_the_ties_in_step() {
    for order in [Order::Desc, Order::Asc] {
        random_walk(Policy { order, ..FIRST_DENSE });
    }
}

fn random_walk(policy: Policy) {
    // A fixed pseudo-random walk (64-bit LCG) over few members and scores, so that
    // members meet, leave and come back to scores often.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |below: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % below
    };
    let members = ["a", "b", "c", "d", "e", "f"];
    let mut board = Model::new(policy);
    for _ in 0..2000 {
        let member = members[next(6) as usize];
        if next(8) == 0 {
            board.remove(&[member]);
        } else {
            let old = board.scores.get(member).copied();
            let plan = board.write(member, next(4) as f64).unwrap();
            // An arrival moves exactly when the score changes.
            assert_eq!(plan.order_add.is_some(), old != board.scores.get(member).copied());
        }
        board.check();
        // Among equal scores, arrival numbers are distinct and the ranking follows them.
        let ranking = board.ranking();
        for pair in ranking.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            if board.scores[first] == board.scores[second] {
                assert!(board.arrivals[first] < board.arrivals[second], "{board:?}");
            }
        }
    }
}
