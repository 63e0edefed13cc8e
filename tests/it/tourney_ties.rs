//! Tournaments (issue 8): TOURNEY.CREATE / TOURNEY.INFO, TIEBREAK FIRST and TIES DENSE,
//! against a real server with the module loaded.
//!
//! - CREATE and INFO: defaults, every option in any case and order, repeated CREATE
//!   (identical: OK and nothing written or propagated; different: refused), boards that
//!   already have members, EXPIREAT bounds, syntax and arity errors, wrong types and a
//!   settings key tally did not write. Every refusal leaves every key's DUMP and expiry
//!   as they were.
//! - TIEBREAK FIRST: equal scores ordered by arrival under INCR and SUBMIT (names picked
//!   so that arrival order differs from the native member order), in every read and every
//!   TIES; REM keeping the companion keys in step.
//! - Seeded workloads (INCR / SUBMIT BEST and LATEST / REM / native DEL then INCR over 30
//!   members, so ties are frequent) checked reply by reply, and fully every 100 writes,
//!   against a reference model kept here: every rank, TOP page, AROUND window, PERCENTILE,
//!   INFO, the native order of the board, and the companion keys byte for byte (arrival
//!   hash, order set, dense set). The model knows ORDER: the same workloads run on ASC
//!   tournaments (lowest score first) under every TIEBREAK and TIES, and on ASC seasons'
//!   boards, written and read both through `SEASON monthly` and by the season's key.
//! - ORDER ASC by hand, independent of the model: CREATE rules (same settings again: OK and
//!   nothing written; other order: refused; ASC alone on a populated board), syntax, INFO
//!   (`top` the lowest score, RESP2 and RESP3), every read under every TIES and TIEBREAK,
//!   order entries, SUBMIT BEST keeping the lower score.
//! - Replication, AOF (DEBUG LOADAOF and restart) and RDB restart: DUMP of every key,
//!   companions included, equal; the AOF holds only native commands, exactly the spec's.
//!   The boards include two ASC ones (FIRST + DENSE with an expiry, MEMBER + COMPETITION).
//!   600-member boards (skiplists, a hashtable), DESC and ASC, replicate the same contents
//!   and order.
//! - EXPIREAT reaching every key on primary and replica; a tournament expiring as a whole.
//! - Stale companions after a native DEL, and the out-of-sync error after a native ZADD.
//! - ACL on companion keys (the module's NOPERM and its ACL LOG entry), key declaration,
//!   and the RESP3 map of TOURNEY.INFO.
//!
//! `submit_without_change_on_a_changed_first_board_is_refused_too` fails on purpose: it
//! shows a module bug (see its comment).
//!
//! Every test starts its own server(s), so they run in parallel. The file passes on Redis
//! 7.0 and on Valkey 9.1 (`TALLY_SERVER`); where the servers word a refusal differently,
//! only the common part is checked.

use crate::common::aof::{
    aof_bytes, aof_data_commands, aof_options, contains_ignore_case, primary_with_replica, propagation_mark,
};
use crate::common::registration::{assert_command_info, assert_one_key_range};
use crate::common::reply::{bulk, field, fields, info_field, int, items, ok, server_ms, text};
use crate::common::rng::{Random, SplitMix64};
use crate::common::*;
use crate::tourney_seasons_and_ties::in_one_month;
use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tally_core::season::{season_at, Period};

// ---- error texts -----------------------------------------------------------------------------

const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const EXPIRE_PAST: &str = "ERR EXPIREAT is in the past";
const EXPIRE_RANGE: &str = "ERR EXPIREAT must be between 1 and 9223372036854775807";
const DENSE_NOT_KEPT: &str = "ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE";
/// The module's own refusal of a key it derives (the server's text differs on Valkey).
const MODULE_NOPERM: &str = "(error) NOPERM this user has no permissions to access one of the keys used as arguments";

fn exists_error(key: &str) -> String {
    format!("ERR tournament '{key}' already exists with other settings")
}

fn has_members_error(key: &str) -> String {
    format!(
        "ERR leaderboard '{key}' already has members: TIEBREAK FIRST and TIES DENSE start from an empty leaderboard"
    )
}

fn out_of_sync_error(key: &str) -> String {
    format!("ERR tournament '{key}' was changed outside TOURNEY commands: its companion keys no longer match it")
}

fn bad_settings_error(key: &str) -> String {
    format!("WRONGTYPE the settings key of tournament '{key}' holds a value tally did not write")
}

fn arity_error(command: &str) -> String {
    format!("ERR wrong number of arguments for '{command}' command")
}

// ---- servers, commands and refusals ------------------------------------------------------------

fn start() -> (Server, Connection) {
    let server = Server::start();
    let con = server.connect();
    (server, con)
}

/// The name of a key the module keeps beside `key`: `key` + suffix when it has a hash tag
/// (non-empty braces), else `{key}` + suffix.
fn companion(key: &str, suffix: &str) -> String {
    format!("{key}{suffix}")
}

/// The leaderboard and its four companion keys.
fn all_keys(key: &str) -> [String; 5] {
    [
        key.to_string(),
        companion(key, ":tourney"),
        companion(key, ":arrival"),
        companion(key, ":order"),
        companion(key, ":dense"),
    ]
}

/// Asserts `args` is refused with exactly `error` and leaves every key (DUMP and expiry) as it was.
fn refused_args<A: AsRef<[u8]>>(con: &mut Connection, args: &[A], error: &str) {
    let shown: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a.as_ref()).into_owned()).collect();
    let before = key_dumps(con);
    assert_eq!(run(con, args), format!("(error) {error}"), "reply to {shown:?}");
    assert_eq!(key_dumps(con), before, "the data set changed after {shown:?}");
}

/// `refused_args` of a command line split on spaces.
fn refused(con: &mut Connection, line: &str, error: &str) {
    refused_args(con, &words(line), error);
}

/// Asserts the exact rendered reply of each command line.
fn expect(con: &mut Connection, cases: &[(&str, &str)]) {
    for (line, reply) in cases {
        assert_eq!(sh(con, line), *reply, "{line}");
    }
}

/// TOURNEY.INFO of a DESC board as RESP2 renders it.
fn info_reply(
    created: bool,
    tiebreak: &str,
    ties: &str,
    expireat: Option<i64>,
    members: usize,
    top_bottom: Option<(&str, &str)>,
) -> String {
    info_reply_in("desc", created, tiebreak, ties, expireat, members, top_bottom)
}

/// TOURNEY.INFO of a board of `order` (`desc` or `asc`) as RESP2 renders it.
fn info_reply_in(
    order: &str,
    created: bool,
    tiebreak: &str,
    ties: &str,
    expireat: Option<i64>,
    members: usize,
    top_bottom: Option<(&str, &str)>,
) -> String {
    let expireat = expireat.map_or("nil".to_string(), |at| at.to_string());
    let (top, bottom) =
        top_bottom.map_or(("nil".to_string(), "nil".to_string()), |(t, b)| (format!("\"{t}\""), format!("\"{b}\"")));
    format!(
        r#"["created", {}, "tiebreak", "{tiebreak}", "ties", "{ties}", "expireat", {expireat}, "members", {members}, "top", {top}, "bottom", {bottom}, "order", "{order}"]"#,
        u8::from(created)
    )
}

/// An order-set entry of a DESC board: 8 bytes big-endian of u64::MAX - arrival, then the member.
fn order_entry(arrival: u64, member: &str) -> Vec<u8> {
    order_entry_in(false, arrival, member)
}

/// An order-set entry: the arrival number, 8 bytes big-endian, inverted on a DESC board (so
/// ZREVRANGE lists earlier arrivals first) and as is on an ASC one (ZRANGE does), then the member.
fn order_entry_in(asc: bool, arrival: u64, member: &str) -> Vec<u8> {
    let prefix = if asc { arrival } else { u64::MAX - arrival };
    let mut entry = prefix.to_be_bytes().to_vec();
    entry.extend_from_slice(member.as_bytes());
    entry
}

/// A score as the server prints it; the tests only use multiples of 0.5 well inside 2^53,
/// whose shortest form is also what Redis and Valkey print.
fn score_text(score: f64) -> String {
    format!("{}", score + 0.0)
}

fn percentile_of(con: &mut Connection, key: &str, member: &str) -> f64 {
    let reply = bulk(&ok(con, &["TOURNEY.PERCENTILE", key, member]));
    reply.parse().unwrap_or_else(|_| panic!("PERCENTILE {key} {member} replied {reply:?}"))
}

/// Waits until the replica has applied everything the primary sent.
fn wait_in_sync(primary: &mut Connection, replica: &mut Connection) {
    poll_until(Duration::from_secs(30), || {
        let offset = info_field(primary, "replication", "master_repl_offset");
        info_field(replica, "replication", "master_link_status") == "up"
            && info_field(replica, "replication", "slave_repl_offset") == offset
    });
}

// ---- the reference model -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ties {
    Ordinal,
    Competition,
    Dense,
}

impl Ties {
    fn word(self) -> &'static str {
        match self {
            Ties::Ordinal => "ORDINAL",
            Ties::Competition => "COMPETITION",
            Ties::Dense => "DENSE",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Policy {
    first: bool,
    ties: Ties,
    /// ORDER ASC: the lowest score is rank 1.
    asc: bool,
}

impl Policy {
    fn create_args(self) -> Vec<String> {
        let tiebreak = if self.first { "FIRST" } else { "MEMBER" };
        let mut args = vec!["TIEBREAK", tiebreak, "TIES", self.ties.word()];
        if self.asc {
            args.extend(["ORDER", "ASC"]);
        }
        args.into_iter().map(str::to_string).collect()
    }

    fn order_word(self) -> &'static str {
        if self.asc {
            "asc"
        } else {
            "desc"
        }
    }

    /// Whether `score` ranks strictly before `other` on this board.
    fn better(self, score: f64, other: f64) -> bool {
        if self.asc {
            score < other
        } else {
            score > other
        }
    }

    /// The TIES a call may name on this tournament.
    fn allowed_ties(self) -> Vec<Ties> {
        let mut ties = vec![Ties::Ordinal, Ties::Competition];
        if self.ties == Ties::Dense {
            ties.push(Ties::Dense);
        }
        ties
    }
}

/// A tournament as the module keeps it: each member's score and its arrival number at
/// that score (1 for the first member to reach it, then one more than the latest arrival
/// still there, so later arrivals always have larger numbers; docs/tie-policies.md).
/// Issue 8's summary describes one counter for the whole tournament kept in the field ""
/// of the arrival hash; the module numbers per score instead. Both give the same order.
#[derive(Debug, Clone)]
struct Model {
    policy: Policy,
    members: BTreeMap<String, (f64, u64)>,
    /// False for a season's board, whose settings key is its tournament's.
    own_settings: bool,
}

impl Model {
    fn new(policy: Policy) -> Model {
        Model { policy, members: BTreeMap::new(), own_settings: true }
    }

    /// Stores a score: the member arrives again when it is new or its score changes.
    fn store(&mut self, member: &str, score: f64) {
        let score = score + 0.0;
        if self.members.get(member).is_some_and(|&(old, _)| old == score) {
            return;
        }
        let latest = self.members.values().filter(|&&(other, _)| other == score).map(|&(_, n)| n).max();
        self.members.insert(member.to_string(), (score, latest.unwrap_or(0) + 1));
    }

    fn incr(&mut self, member: &str, delta: f64) -> f64 {
        let new = self.members.get(member).map_or(0.0, |&(old, _)| old) + delta + 0.0;
        self.store(member, new);
        new
    }

    /// SUBMIT: the stored score and whether it changed.
    fn submit(&mut self, member: &str, score: f64, latest: bool) -> (f64, bool) {
        match self.members.get(member).map(|&(old, _)| old) {
            Some(old) if (latest && score == old) || (!latest && !self.policy.better(score, old)) => (old, false),
            _ => {
                self.store(member, score);
                (score, true)
            }
        }
    }

    fn rem(&mut self, members: &[&str]) -> usize {
        members.iter().filter(|member| self.members.remove(**member).is_some()).count()
    }

    /// A native DEL of the leaderboard: the next write starts afresh.
    fn deleted(&mut self) {
        self.members.clear();
    }

    /// (member, score, arrival), best first: among equal scores by arrival under FIRST,
    /// else in Redis' order (ZREVRANK: greater member bytes first; ZRANK on ASC: smaller).
    fn ranking(&self) -> Vec<(&str, f64, u64)> {
        let mut ranking: Vec<(&str, f64, u64)> =
            self.members.iter().map(|(member, &(score, arrival))| (member.as_str(), score, arrival)).collect();
        ranking.sort_by(|a, b| {
            let (a_bytes, b_bytes) = (a.0.as_bytes(), b.0.as_bytes());
            let (scores, members) = if self.policy.asc {
                (a.1.partial_cmp(&b.1).unwrap(), a_bytes.cmp(b_bytes))
            } else {
                (b.1.partial_cmp(&a.1).unwrap(), b_bytes.cmp(a_bytes))
            };
            scores.then_with(|| if self.policy.first { a.2.cmp(&b.2) } else { members })
        });
        ranking
    }

    /// Rank of the entry at 0-based `index` of `ranking`.
    fn rank_at(&self, ranking: &[(&str, f64, u64)], index: usize, ties: Ties) -> u64 {
        let score = ranking[index].1;
        let better = |entry: &&(&str, f64, u64)| self.policy.better(entry.1, score);
        let rank = match ties {
            Ties::Ordinal => index + 1,
            Ties::Competition => 1 + ranking.iter().filter(better).count(),
            Ties::Dense => {
                // `ranking` is best first, so equal scores are adjacent.
                let mut before: Vec<f64> = ranking.iter().filter(better).map(|entry| entry.1).collect();
                before.dedup();
                1 + before.len()
            }
        };
        rank as u64
    }

    fn index_of(ranking: &[(&str, f64, u64)], member: &str) -> Option<usize> {
        ranking.iter().position(|entry| entry.0 == member)
    }

    fn rank(&self, member: &str, ties: Ties) -> u64 {
        let ranking = self.ranking();
        self.rank_at(&ranking, Model::index_of(&ranking, member).expect("a member"), ties)
    }

    /// `[["m", "score", rank], ...]`: `count` entries from 0-based position `start`, as RESP2
    /// renders a page.
    fn page(&self, start: usize, count: usize, ties: Ties) -> String {
        let ranking = self.ranking();
        let stop = (start + count).min(ranking.len());
        let entries: Vec<String> = (start.min(stop)..stop)
            .map(|index| {
                let (member, score, _) = ranking[index];
                format!(r#"["{member}", "{}", {}]"#, score_text(score), self.rank_at(&ranking, index, ties))
            })
            .collect();
        format!("[{}]", entries.join(", "))
    }

    /// The AROUND window: 2 * radius + 1 entries centred on the member, shifted inside.
    fn around(&self, member: &str, radius: usize, ties: Ties) -> String {
        let ranking = self.ranking();
        let index = Model::index_of(&ranking, member).expect("a member");
        let width = (2 * radius + 1).min(ranking.len());
        let start = index.saturating_sub(radius).min(ranking.len() - width);
        self.page(start, width, ties)
    }

    /// Ties broken by arrival are real ranks under an ORDINAL tournament; any other tie
    /// counts as at or below.
    fn percentile(&self, member: &str) -> f64 {
        let ranking = self.ranking();
        let index = Model::index_of(&ranking, member).expect("a member");
        let score = ranking[index].1;
        // The same score or a worse one (higher on an ASC board).
        let at_or_below = if self.policy.first && self.policy.ties == Ties::Ordinal {
            ranking.len() - index
        } else {
            ranking.iter().filter(|entry| !self.policy.better(entry.1, score)).count()
        };
        100.0 * at_or_below as f64 / ranking.len() as f64
    }

    fn distinct_scores(&self) -> Vec<f64> {
        let mut scores: Vec<f64> = self.members.values().map(|&(score, _)| score).collect();
        scores.sort_by(|a, b| a.partial_cmp(b).unwrap());
        scores.dedup();
        scores
    }

    fn info(&self, expireat: Option<i64>) -> String {
        let tiebreak = if self.policy.first { "first" } else { "member" };
        let ties = self.policy.ties.word().to_lowercase();
        let mut scores = self.distinct_scores();
        if !self.policy.asc {
            scores.reverse();
        }
        // `top` is rank 1's score, `bottom` the worst.
        let (top, bottom) = (scores.first().map(|&s| score_text(s)), scores.last().map(|&s| score_text(s)));
        let top_bottom = top.as_deref().zip(bottom.as_deref());
        info_reply_in(self.policy.order_word(), true, tiebreak, &ties, expireat, self.members.len(), top_bottom)
    }

    /// The keys the tournament has now: the settings always (but a season's board's); the
    /// leaderboard and the tie structures the policy keeps while it has members.
    fn keys(&self, key: &str) -> Vec<Vec<u8>> {
        let [board, settings, arrival, order, dense] = all_keys(key);
        let mut keys = Vec::new();
        if self.own_settings {
            keys.push(settings);
        }
        if !self.members.is_empty() {
            keys.push(board);
            if self.policy.first {
                keys.extend([arrival, order]);
            }
            if self.policy.ties == Ties::Dense {
                keys.push(dense);
            }
        }
        keys.into_iter().map(String::into_bytes).collect()
    }

    /// Checks everything a client can read of tournament `key` against the model, its
    /// companion keys byte for byte, and that each of its keys has the tournament's expiry.
    fn verify(&self, con: &mut Connection, key: &str, expireat: Option<i64>) {
        let ranking = self.ranking();
        let len = ranking.len();
        let context = |what: &str| format!("{key}: {what}");
        // The leaderboard itself.
        let stored: BTreeMap<String, String> = items(&ok(con, &["ZRANGE", key, "0", "-1", "WITHSCORES"]))
            .chunks(2)
            .map(|p| (bulk(&p[0]), bulk(&p[1])))
            .collect();
        let expected: BTreeMap<String, String> =
            self.members.iter().map(|(member, &(score, _))| (member.clone(), score_text(score))).collect();
        assert_eq!(stored, expected, "{}", context("ZRANGE WITHSCORES"));
        // A native read lists the board best first: ZRANGE on ASC, ZRANGE REV on DESC. Under
        // MEMBER that is the ranking itself; under FIRST equal scores may differ in order.
        let mut native = vec!["ZRANGE", key, "0", "-1", "WITHSCORES"];
        if !self.policy.asc {
            native.push("REV");
        }
        let listed: Vec<(String, String)> =
            items(&ok(con, &native)).chunks(2).map(|p| (bulk(&p[0]), bulk(&p[1]))).collect();
        let scores = |list: &[(String, String)]| list.iter().map(|(_, score)| score.clone()).collect::<Vec<_>>();
        let ranked: Vec<(String, String)> =
            ranking.iter().map(|&(member, score, _)| (member.to_string(), score_text(score))).collect();
        if self.policy.first {
            assert_eq!(scores(&listed), scores(&ranked), "{}", context(&format!("{native:?}")));
        } else {
            assert_eq!(listed, ranked, "{}", context(&format!("{native:?}")));
        }
        assert_eq!(sh(con, &format!("TOURNEY.INFO {key}")), self.info(expireat), "{}", context("INFO"));

        // TOP: the whole board and pages of 7, with the tournament's ties and each named one.
        let mut ties_options: Vec<Option<Ties>> = vec![None];
        ties_options.extend(self.policy.allowed_ties().into_iter().map(Some));
        for &ties in &ties_options {
            let mut tail = Vec::new();
            if let Some(ties) = ties {
                tail = vec!["TIES".to_string(), ties.word().to_string()];
            }
            let effective = ties.unwrap_or(self.policy.ties);
            let mut args: Vec<String> = vec!["TOURNEY.TOP".into(), key.into(), "1000".into()];
            args.extend(tail.clone());
            assert_eq!(run(con, &args), self.page(0, 1000, effective), "{}", context(&format!("{args:?}")));
            for offset in (0..len + 7).step_by(7) {
                let mut args: Vec<String> =
                    vec!["TOURNEY.TOP".into(), key.into(), "7".into(), "OFFSET".into(), offset.to_string()];
                args.extend(tail.clone());
                assert_eq!(run(con, &args), self.page(offset, 7, effective), "{}", context(&format!("{args:?}")));
            }
        }
        // RANK of every member: default ties, each named one, WITHSCORE; AROUND of every
        // third member; PERCENTILE of every member.
        for (index, &(member, score, _)) in ranking.iter().enumerate() {
            let default = self.rank_at(&ranking, index, self.policy.ties);
            assert_eq!(run(con, &["TOURNEY.RANK", key, member]), default.to_string(), "{}", context(member));
            assert_eq!(
                run(con, &["TOURNEY.RANK", key, member, "WITHSCORE"]),
                format!(r#"[{default}, "{}"]"#, score_text(score)),
                "{}",
                context(member)
            );
            for ties in self.policy.allowed_ties() {
                assert_eq!(
                    run(con, &["TOURNEY.RANK", key, member, "TIES", ties.word()]),
                    self.rank_at(&ranking, index, ties).to_string(),
                    "{}",
                    context(&format!("RANK {member} TIES {}", ties.word()))
                );
            }
            if index % 3 == 0 {
                let radius = index % 4;
                assert_eq!(
                    run(con, &["TOURNEY.AROUND", key, member, &radius.to_string()]),
                    self.around(member, radius, self.policy.ties),
                    "{}",
                    context(&format!("AROUND {member} {radius}"))
                );
                for ties in self.policy.allowed_ties() {
                    assert_eq!(
                        run(con, &["TOURNEY.AROUND", key, member, &radius.to_string(), "TIES", ties.word()]),
                        self.around(member, radius, ties),
                        "{}",
                        context(&format!("AROUND {member} {radius} TIES {}", ties.word()))
                    );
                }
            }
            assert_eq!(
                percentile_of(con, key, member),
                self.percentile(member),
                "{}",
                context(&format!("PERCENTILE {member}"))
            );
        }
        if let Some(absent) = NAMES.iter().find(|name| !self.members.contains_key(**name)) {
            assert_eq!(run(con, &["TOURNEY.RANK", key, absent, "WITHSCORE"]), "nil", "{}", context(absent));
        }
        let expiry = expireat.map_or("-1".to_string(), |at| at.to_string());
        for name in self.keys(key) {
            assert_eq!(run(con, &[&b"PEXPIRETIME"[..], &name]), expiry, "{}", context(&String::from_utf8_lossy(&name)));
        }
        if self.policy.ties != Ties::Dense {
            if let Some(&(member, _, _)) = ranking.first() {
                assert_eq!(
                    run(con, &["TOURNEY.RANK", key, member, "TIES", "DENSE"]),
                    format!("(error) {DENSE_NOT_KEPT}")
                );
            }
        }
        self.verify_companions(con, key);
    }

    /// Reads of a season's board through its tournament's key with `SEASON monthly`: the
    /// whole TOP, INFO, and each member's RANK, AROUND and PERCENTILE.
    fn verify_season_reads(&self, con: &mut Connection, base: &str, expireat: Option<i64>) {
        fn with_season<'a>(args: &[&'a str]) -> Vec<&'a str> {
            [args, &["SEASON", "monthly"][..]].concat()
        }
        let ties = self.policy.ties;
        assert_eq!(run(con, &with_season(&["TOURNEY.TOP", base, "1000"])), self.page(0, 1000, ties), "{base}: TOP");
        assert_eq!(run(con, &with_season(&["TOURNEY.INFO", base])), self.info(expireat), "{base}: INFO");
        let ranking = self.ranking();
        for (index, &(member, score, _)) in ranking.iter().enumerate() {
            let rank = self.rank_at(&ranking, index, ties);
            assert_eq!(
                run(con, &with_season(&["TOURNEY.RANK", base, member, "WITHSCORE"])),
                format!(r#"[{rank}, "{}"]"#, score_text(score)),
                "{base}: RANK {member}"
            );
            let around = run(con, &with_season(&["TOURNEY.AROUND", base, member, "2"]));
            assert_eq!(around, self.around(member, 2, ties), "{base}: AROUND {member}");
            let percentile = bulk(&ok(con, &with_season(&["TOURNEY.PERCENTILE", base, member])));
            assert_eq!(percentile.parse::<f64>().ok(), Some(self.percentile(member)), "{base}: PERCENTILE {member}");
        }
    }

    /// The companion keys hold exactly what the model says, entry for entry.
    fn verify_companions(&self, con: &mut Connection, key: &str) {
        let arrival = companion(key, ":arrival");
        let order = companion(key, ":order");
        let dense = companion(key, ":dense");
        if self.policy.first && !self.members.is_empty() {
            let hash: BTreeMap<Vec<u8>, Vec<u8>> = items(&ok(con, &["HGETALL", &arrival]))
                .chunks(2)
                .map(|pair| (text(&pair[0]).into_bytes(), text(&pair[1]).into_bytes()))
                .collect();
            let expected: BTreeMap<Vec<u8>, Vec<u8>> = self
                .members
                .iter()
                .map(|(member, &(_, number))| (member.as_bytes().to_vec(), number.to_string().into_bytes()))
                .collect();
            assert_eq!(hash, expected, "{arrival}");

            let entries: Vec<(Vec<u8>, String)> = items(&ok(con, &["ZRANGE", &order, "0", "-1", "WITHSCORES"]))
                .chunks(2)
                .map(|pair| (crate::common::reply::bytes(&pair[0]), bulk(&pair[1])))
                .collect();
            let mut expected: Vec<(f64, Vec<u8>)> = self
                .members
                .iter()
                .map(|(member, &(score, number))| (score, order_entry_in(self.policy.asc, number, member)))
                .collect();
            expected.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
            let expected: Vec<(Vec<u8>, String)> =
                expected.into_iter().map(|(score, entry)| (entry, score_text(score))).collect();
            assert_eq!(entries, expected, "{order}");
        } else {
            assert_eq!(sh(con, &format!("EXISTS {arrival} {order}")), "0", "{key}: no arrival structures");
        }
        if self.policy.ties == Ties::Dense && !self.members.is_empty() {
            let expected: Vec<String> =
                self.distinct_scores().iter().flat_map(|&score| [score_text(score), score_text(score)]).collect();
            let got: Vec<String> =
                items(&ok(con, &["ZRANGE", &dense, "0", "-1", "WITHSCORES"])).iter().map(bulk).collect();
            assert_eq!(got, expected, "{dense}");
            assert_eq!(sh(con, &format!("ZCARD {dense}")), self.distinct_scores().len().to_string());
        } else {
            assert_eq!(sh(con, &format!("EXISTS {dense}")), "0", "{key}: no dense set");
        }
    }
}

// ---- a seeded workload on one tournament -------------------------------------------------------

/// 30 players: names of several lengths, upper case and non-ASCII bytes, so that member
/// byte order, prefixes and arrival order all differ.
#[rustfmt::skip]
const NAMES: [&str; 30] = [
    "aaron", "zoe", "mike", "a", "ab", "abc", "b", "Zed", "zz", "yan", "bob", "carol", "dave", "eve", "frank",
    "gina", "hal", "ivy", "judy", "ken", "liam", "mia", "ned", "olga", "pat", "quinn", "rosa", "sam", "tina",
    "\u{fc}n\u{ef}",
];

/// Counts of what a workload did, to make sure each kind of write happened.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    incr: u64,
    zero_incr: u64,
    submit_changed: u64,
    submit_kept: u64,
    rem: u64,
    emptied: u64,
    deleted: u64,
    checks: u64,
    /// Full checks of a board where some members shared a score.
    tied_checks: u64,
}

struct Workload {
    key: String,
    /// For a season's board: its tournament's key, which half the writes name, with
    /// `SEASON monthly`, instead of the season's key.
    base: Option<String>,
    model: Model,
    expireat: Option<i64>,
    rng: SplitMix64,
    counts: Counts,
}

impl Workload {
    /// Creates the tournament (with `EXPIREAT expireat` when given) and its model.
    fn create(con: &mut Connection, key: &str, policy: Policy, expireat: Option<i64>, seed: u64) -> Workload {
        let mut args = vec!["TOURNEY.CREATE".to_string(), key.to_string()];
        args.extend(policy.create_args());
        if let Some(at) = expireat {
            args.extend(["EXPIREAT".to_string(), at.to_string()]);
        }
        assert_eq!(run(con, &args), "OK", "{args:?}");
        Workload {
            key: key.to_string(),
            base: None,
            model: Model::new(policy),
            expireat,
            rng: SplitMix64(seed),
            counts: Counts::default(),
        }
    }

    /// Creates the tournament `base` and a workload on its season `month` (the current
    /// monthly one), whose keys expire at `season_expiry` or at the tournament's EXPIREAT,
    /// whichever comes first.
    fn season(
        con: &mut Connection,
        base: &str,
        month: &str,
        policy: Policy,
        expireat: Option<i64>,
        season_expiry: i64,
        seed: u64,
    ) -> Workload {
        let mut work = Workload::create(con, base, policy, expireat, seed);
        work.key = format!("{base}:{month}");
        work.base = Some(base.to_string());
        work.model.own_settings = false;
        work.expireat = Some(expireat.map_or(season_expiry, |at| at.min(season_expiry)));
        work
    }

    /// The key of the next write and the words after its arguments: the board's key, or for
    /// a season's board, half the time its tournament's key and `SEASON monthly`.
    fn target(&mut self) -> (String, &'static [&'static str]) {
        match &self.base {
            Some(base) if self.rng.one_in(2) => (base.clone(), &["SEASON", "monthly"]),
            _ => (self.key.clone(), &[]),
        }
    }

    /// A score or delta: mostly whole numbers, sometimes a half.
    fn value(&mut self, low: i64, high: i64) -> f64 {
        let whole = self.rng.range(low, high) as f64;
        if self.rng.one_in(6) {
            whole + 0.5
        } else {
            whole
        }
    }

    /// One write, its reply checked against the model.
    fn step(&mut self, con: &mut Connection) {
        let ties = self.model.policy.ties;
        let member = *self.rng.pick(&NAMES);
        let choice = self.rng.below(100);
        let (key, tail) = self.target();
        match choice {
            0..=44 => {
                let delta = self.value(-3, 3);
                let new = self.model.incr(member, delta);
                let reply = run(con, &[&["TOURNEY.INCR", &key, member, &score_text(delta)][..], tail].concat());
                let expected = format!(r#"["{}", {}]"#, score_text(new), self.model.rank(member, ties));
                assert_eq!(reply, expected, "{key}: INCR {member} {delta}");
                self.counts.incr += 1;
                self.counts.zero_incr += u64::from(delta == 0.0);
            }
            45..=86 => {
                let latest = self.rng.one_in(2);
                let score = self.value(-4, 12);
                let (stored, changed) = self.model.submit(member, score, latest);
                let mode = if latest { "LATEST" } else { "BEST" };
                let reply = run(con, &[&["TOURNEY.SUBMIT", &key, member, &score_text(score), mode][..], tail].concat());
                let rank = self.model.rank(member, ties);
                assert_eq!(
                    reply,
                    format!(r#"["{}", {rank}, {}]"#, score_text(stored), u8::from(changed)),
                    "{key}: SUBMIT {member} {score} {mode}"
                );
                if changed {
                    self.counts.submit_changed += 1;
                } else {
                    self.counts.submit_kept += 1;
                }
            }
            87..=98 => {
                let mut gone: Vec<&str> = (0..self.rng.range(1, 3)).map(|_| *self.rng.pick(&NAMES)).collect();
                if self.rng.one_in(40) {
                    gone = NAMES.to_vec();
                }
                let removed = self.model.rem(&gone);
                let mut args = vec!["TOURNEY.REM", key.as_str()];
                args.extend(&gone);
                args.extend(tail);
                assert_eq!(run(con, &args), removed.to_string(), "{key}: {args:?}");
                self.counts.rem += 1;
                self.counts.emptied += u64::from(removed > 0 && self.model.members.is_empty());
            }
            _ => {
                // A native DEL, then a write, which starts the tie structures afresh.
                sh_ok(con, &format!("DEL {}", self.key));
                self.model.deleted();
                let new = self.model.incr(member, 1.0);
                let reply = run(con, &[&["TOURNEY.INCR", &key, member, "1"][..], tail].concat());
                assert_eq!(reply, format!(r#"["{}", 1]"#, score_text(new)));
                self.counts.deleted += 1;
            }
        }
    }

    fn verify(&mut self, con: &mut Connection) {
        self.model.verify(con, &self.key, self.expireat);
        if let Some(base) = &self.base {
            self.model.verify_season_reads(con, base, self.expireat);
        }
        self.counts.checks += 1;
        self.counts.tied_checks += u64::from(self.model.distinct_scores().len() < self.model.members.len());
    }

    /// `ops` writes, with a full check every 100 and at the end.
    fn run(&mut self, con: &mut Connection, ops: u64) {
        for op in 1..=ops {
            self.step(con);
            if op % 100 == 0 {
                self.verify(con);
            }
        }
        self.verify(con);
    }

    fn assert_varied(&self) {
        let c = self.counts;
        assert!(
            c.incr > 0
                && c.zero_incr > 0
                && c.submit_changed > 0
                && c.submit_kept > 0
                && c.rem > 0
                && c.emptied > 0
                && c.deleted > 0,
            "{}: the workload missed a kind of write: {c:?}",
            self.key
        );
        assert!(c.tied_checks * 3 >= c.checks * 2, "{}: ties were rare: {c:?}", self.key);
    }
}

/// Runs a 3000-write seeded workload on one tournament and checks it against the model.
fn model_workload(key: &str, policy: Policy, seed: u64) {
    let started = Instant::now();
    let (_server, mut con) = start();
    let mut work = Workload::create(&mut con, key, policy, None, seed);
    work.run(&mut con, 3000);
    work.assert_varied();
    println!("{key} {policy:?}: {:?}, {:.1} s", work.counts, started.elapsed().as_secs_f64());
}

// ==== 1. TOURNEY.CREATE and TOURNEY.INFO ==========================================================

#[test]
fn info_of_a_never_created_key_and_create_with_defaults() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(false, "member", "ordinal", None, 0, None));
    assert_eq!(sh(&mut con, "DBSIZE"), "0", "INFO writes nothing");
    // A plain leaderboard with members reads as never created.
    sh_ok(&mut con, "ZADD plain 5 a 2.5 b");
    assert_eq!(sh(&mut con, "TOURNEY.INFO plain"), info_reply(false, "member", "ordinal", None, 2, Some(("5", "2.5"))));

    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb}"), "OK");
    assert_eq!(without_created(&sh(&mut con, "GET {lb}:tourney")), r#""tiebreak member ties ordinal""#);
    assert_eq!(sh(&mut con, "PEXPIRETIME {lb}:tourney"), "-1");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "member", "ordinal", None, 0, None));
    // Only the settings key: an empty tournament has no leaderboard and no tie structures.
    assert_eq!(sh(&mut con, "KEYS *lb*"), r#"["{lb}:tourney"]"#);
}

#[test]
fn create_takes_every_option_in_any_case_and_order() {
    let (_server, mut con) = start();
    let at = server_ms(&mut con) + 3_600_000;
    // (options, settings value, INFO tiebreak, INFO ties, with the expiry); `{at}` is an hour from now.
    #[rustfmt::skip]
    let cases = [
        ("TIEBREAK FIRST", "tiebreak first ties ordinal", "first", "ordinal", false),
        ("TIEBREAK MEMBER", "tiebreak member ties ordinal", "member", "ordinal", false),
        ("TIES ORDINAL", "tiebreak member ties ordinal", "member", "ordinal", false),
        ("TIES COMPETITION", "tiebreak member ties competition", "member", "competition", false),
        ("TIES DENSE", "tiebreak member ties dense", "member", "dense", false),
        ("ties dense tiebreak first", "tiebreak first ties dense", "first", "dense", false),
        ("TiEbReAk FiRsT tIeS cOmPeTiTiOn", "tiebreak first ties competition", "first", "competition", false),
        ("EXPIREAT {at}", "tiebreak member ties ordinal expireat {at}", "member", "ordinal", true),
        ("expireat {at} TIES dense TIEBREAK first", "tiebreak first ties dense expireat {at}", "first", "dense", true),
        // A repeated option: the last one wins.
        ("TIEBREAK FIRST TIEBREAK MEMBER TIES DENSE", "tiebreak member ties dense", "member", "dense", false),
        ("TIES DENSE TIES COMPETITION TIES ORDINAL", "tiebreak member ties ordinal", "member", "ordinal", false),
        ("EXPIREAT 1 EXPIREAT {at}", "tiebreak member ties ordinal expireat {at}", "member", "ordinal", true),
    ];
    for (index, (options, settings, tiebreak, ties, expires)) in cases.iter().enumerate() {
        let (options, settings) = (options.replace("{at}", &at.to_string()), settings.replace("{at}", &at.to_string()));
        let expireat = expires.then_some(at);
        let key = format!("t:{{c{index}}}:lb");
        assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {key} {options}")), "OK", "{options}");
        let stored = run(&mut con, &["GET", &format!("{key}:tourney")]);
        assert_eq!(without_created(&stored), format!("\"{settings}\""), "{options}");
        let expiry = run(&mut con, &["PEXPIRETIME", &format!("{key}:tourney")]);
        assert_eq!(expiry, expireat.map_or("-1".to_string(), |at| at.to_string()), "{options}");
        assert_eq!(
            sh(&mut con, &format!("TOURNEY.INFO {key}")),
            info_reply(true, tiebreak, ties, expireat, 0, None),
            "{options}"
        );
        // The same settings in another spelling are the same tournament.
        assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {key} {}", options.to_lowercase())), "OK", "{options}");
    }
    assert_eq!(sh(&mut con, "DBSIZE"), cases.len().to_string(), "only settings keys");
}

#[test]
fn create_again_identical_writes_nothing_and_different_is_refused() {
    let server = Server::start_with(aof_options(&[]));
    let mut con = server.connect();
    let at = server_ms(&mut con) + 3_600_000;
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES DENSE EXPIREAT {at}")), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {lb} zoe 5");
    let dumps = key_dumps(&mut con);
    let mark = propagation_mark(&mut con, &server.dir);
    for line in [
        format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES DENSE EXPIREAT {at}"),
        format!("TOURNEY.CREATE {{lb}} expireat {at} ties dense tiebreak first"),
        format!("TOURNEY.CREATE {{lb}} EXPIREAT {at} TIES dense TIEBREAK first"),
    ] {
        assert_eq!(sh(&mut con, &line), "OK", "{line}");
    }
    assert_eq!(key_dumps(&mut con), dumps, "an identical CREATE wrote");
    assert_eq!(propagation_mark(&mut con, &server.dir), mark, "an identical CREATE was propagated");

    for line in [
        "TOURNEY.CREATE {lb}".to_string(),
        "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES DENSE".to_string(),
        format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES DENSE EXPIREAT {}", at + 1),
        format!("TOURNEY.CREATE {{lb}} TIEBREAK MEMBER TIES DENSE EXPIREAT {at}"),
        format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES COMPETITION EXPIREAT {at}"),
    ] {
        refused(&mut con, &line, &exists_error("{lb}"));
    }
    // A plain tournament also exists with its settings.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE t:{x}:lb"), "OK");
    refused(&mut con, "TOURNEY.CREATE t:{x}:lb TIES COMPETITION", &exists_error("t:{x}:lb"));
    assert_eq!(sh(&mut con, "TOURNEY.CREATE t:{x}:lb TIES ORDINAL TIEBREAK MEMBER"), "OK");
    assert!(propagation_mark(&mut con, &server.dir).1 > mark.1, "control: a new CREATE is propagated");
}

#[test]
fn first_and_dense_need_an_empty_board_member_and_competition_do_not() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD {lb} 5 a 5 b 3 z");
    for options in [
        "TIEBREAK FIRST",
        "TIES DENSE",
        "TIEBREAK FIRST TIES DENSE",
        "TIES DENSE TIEBREAK MEMBER",
        "TIEBREAK FIRST TIES COMPETITION",
    ] {
        refused(&mut con, &format!("TOURNEY.CREATE {{lb}} {options}"), &has_members_error("{lb}"));
    }
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(false, "member", "ordinal", None, 3, Some(("5", "3"))));
    // Control: on a plain board a is ranked by member bytes (b before a).
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} a 0"), r#"["5", 2]"#);

    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK MEMBER TIES COMPETITION"), "OK");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "member", "competition", None, 3, Some(("5", "3"))));
    // Calls without TIES now get the tournament's.
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR {lb} a 0", r#"["5", 1]"#),
            ("TOURNEY.SUBMIT {lb} z 5", r#"["5", 1, 1]"#),
            ("TOURNEY.RANK {lb} a", "1"),
            ("TOURNEY.RANK {lb} a TIES ORDINAL", "3"),
            ("TOURNEY.TOP {lb} 3", r#"[["z", "5", 1], ["b", "5", 1], ["a", "5", 1]]"#),
            ("TOURNEY.TOP {lb} 2 OFFSET 1 TIES ORDINAL", r#"[["b", "5", 2], ["a", "5", 3]]"#),
        ],
    );
    refused(&mut con, "TOURNEY.RANK {lb} a TIES DENSE", DENSE_NOT_KEPT);
    // A plain MEMBER + ORDINAL tournament keeps no tie structures either.
    sh_ok(&mut con, "ZADD {other} 1 m");
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {other}"), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {other} n 1");
    assert_eq!(
        sh(&mut con, "EXISTS {lb}:arrival {lb}:order {lb}:dense {other}:arrival {other}:order {other}:dense"),
        "0"
    );
    assert_eq!(sh(&mut con, "DBSIZE"), "4");
}

#[test]
fn expireat_must_be_a_future_unix_ms_time() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD {lb} 5 a");
    let now = server_ms(&mut con);
    for at in ["1".to_string(), (now - 1000).to_string(), "1000000000000".to_string()] {
        refused(&mut con, &format!("TOURNEY.CREATE {{lb}} EXPIREAT {at}"), EXPIRE_PAST);
        refused(&mut con, &format!("TOURNEY.CREATE {{fresh}} TIEBREAK FIRST EXPIREAT {at}"), EXPIRE_PAST);
    }
    for at in ["0", "-1", "-9223372036854775808"] {
        refused(&mut con, &format!("TOURNEY.CREATE {{lb}} EXPIREAT {at}"), EXPIRE_RANGE);
    }
    for at in ["abc", "1.5", "", "1e15", "9223372036854775808", "0x10", " 1"] {
        refused_args(&mut con, &["TOURNEY.CREATE", "{lb}", "EXPIREAT", at], NOT_INTEGER);
    }
    // The past is checked after the whole syntax.
    refused(&mut con, "TOURNEY.CREATE {lb} EXPIREAT 1 TIES SPARSE", SYNTAX);

    // A populated MEMBER board gets the expiry too.
    let at = now + 3_600_000;
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{lb}} TIES COMPETITION EXPIREAT {at}")), "OK");
    assert_eq!(sh(&mut con, "PEXPIRETIME {lb}"), at.to_string());
    assert_eq!(sh(&mut con, "PEXPIRETIME {lb}:tourney"), at.to_string());
    assert_eq!(
        sh(&mut con, "TOURNEY.INFO {lb}"),
        info_reply(true, "member", "competition", Some(at), 1, Some(("5", "5")))
    );
    // The largest time is accepted.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {far} EXPIREAT 9223372036854775807"), "OK");
    assert_eq!(sh(&mut con, "PEXPIRETIME {far}:tourney"), "9223372036854775807");
}

#[test]
fn create_syntax_and_arity_errors() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD {lb} 5 a");
    for line in [
        "TOURNEY.CREATE {lb} TIEBREAK",
        "TOURNEY.CREATE {lb} TIEBREAK LAST",
        "TOURNEY.CREATE {lb} TIEBREAK TIES",
        "TOURNEY.CREATE {lb} TIES",
        "TOURNEY.CREATE {lb} TIES SPARSE",
        "TOURNEY.CREATE {lb} TIES FIRST",
        "TOURNEY.CREATE {lb} EXPIREAT",
        "TOURNEY.CREATE {lb} FIRST",
        "TOURNEY.CREATE {lb} DENSE",
        "TOURNEY.CREATE {lb} BOGUS 1",
        "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES",
        "TOURNEY.CREATE {lb} TIES DENSE TIEBREAK",
        "TOURNEY.CREATE {lb} TIES COMPETITION EXTRA",
        "TOURNEY.CREATE {fresh} TIEBREAK FIRST TIES DENSE BOGUS",
    ] {
        refused(&mut con, line, SYNTAX);
    }
    // The server refuses too few arguments; the module refuses more than 10.
    refused(&mut con, "TOURNEY.CREATE", &arity_error("tourney.create"));
    refused(
        &mut con,
        "TOURNEY.CREATE {lb} TIES DENSE TIES DENSE TIES DENSE TIES DENSE TIES",
        &arity_error("tourney.create"),
    );
    refused(
        &mut con,
        "TOURNEY.CREATE {fresh} TIES DENSE TIES DENSE TIES DENSE TIES DENSE ORDER ASC",
        &arity_error("tourney.create"),
    );
    refused(&mut con, "TOURNEY.INFO", &arity_error("tourney.info"));
    refused(&mut con, "TOURNEY.INFO {lb} {lb}", &arity_error("tourney.info"));
    // 8 arguments is the most.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {fresh} TIES DENSE TIES DENSE TIES COMPETITION"), "OK");
    // A key with a '}' but no hash tag cannot have companions in its slot.
    refused(
        &mut con,
        "TOURNEY.CREATE a}b",
        "ERR tournament 'a}b' needs a hash tag like {id} in its name: tally keeps its companion keys beside it",
    );
    assert!(server.is_up());
}

#[test]
fn wrong_types_and_foreign_settings_are_refused() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "SET {s} x");
    sh_ok(&mut con, "HSET {h} f v");
    for key in ["{s}", "{h}"] {
        for options in ["", " TIEBREAK FIRST", " TIES DENSE", " TIES COMPETITION"] {
            refused(&mut con, &format!("TOURNEY.CREATE {key}{options}"), WRONGTYPE);
        }
        refused(&mut con, &format!("TOURNEY.INFO {key}"), WRONGTYPE);
    }
    // Settings keys holding what tally did not write: every TOURNEY command on the board.
    let foreign: [(&str, &[&str]); 6] = [
        ("{g1}", &["SET", "{g1}:tourney", "garbage"]),
        ("{g2}", &["SET", "{g2}:tourney", ""]),
        ("{g3}", &["SET", "{g3}:tourney", "tiebreak first ties"]),
        ("{g4}", &["SET", "{g4}:tourney", "tiebreak first ties dense expireat 0"]),
        ("{g5}", &["HSET", "{g5}:tourney", "tiebreak", "first"]),
        ("{g6}", &["ZADD", "{g6}:tourney", "1", "tiebreak"]),
    ];
    for (key, write) in foreign {
        assert!(!run(&mut con, write).starts_with("(error)"));
        sh_ok(&mut con, &format!("ZADD {key} 5 alice"));
        let error = bad_settings_error(key);
        for line in [
            "TOURNEY.CREATE {k}",
            "TOURNEY.CREATE {k} TIES COMPETITION",
            "TOURNEY.INFO {k}",
            "TOURNEY.INCR {k} alice 1",
            "TOURNEY.SUBMIT {k} bob 1",
            "TOURNEY.RANK {k} alice",
            "TOURNEY.RANK {k} alice WITHSCORE",
            "TOURNEY.TOP {k} 5",
            "TOURNEY.TOP {k} 5 OFFSET 1",
            "TOURNEY.AROUND {k} alice 1",
            "TOURNEY.PERCENTILE {k} alice",
            "TOURNEY.REM {k} alice",
        ] {
            refused(&mut con, &line.replace("{k}", key), &error);
        }
    }
    assert!(server.is_up());
}

#[test]
fn info_follows_the_writes() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST"), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {lb} a 5");
    sh_ok(&mut con, "TOURNEY.INCR {lb} b -2.5");
    sh_ok(&mut con, "TOURNEY.SUBMIT {lb} c 10");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "ordinal", None, 3, Some(("10", "-2.5"))));
    sh_ok(&mut con, "TOURNEY.SUBMIT {lb} c 1.5 LATEST");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "ordinal", None, 3, Some(("5", "-2.5"))));
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} a b"), "2");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "ordinal", None, 1, Some(("1.5", "1.5"))));
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} c"), "1");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "ordinal", None, 0, None));
}

#[test]
fn order_follows_the_create_rules() {
    let server = Server::start_with(aof_options(&[]));
    let mut con = server.connect();
    // ORDER ASC alone keeps no tie structures, so a board with members may take it.
    sh_ok(&mut con, "ZADD {lb} 5 a 3 b 9 c");
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} ORDER ASC"), "OK");
    assert_eq!(without_created(&sh(&mut con, "GET {lb}:tourney")), r#""tiebreak member ties ordinal order asc""#);
    assert_eq!(
        sh(&mut con, "TOURNEY.INFO {lb}"),
        info_reply_in("asc", true, "member", "ordinal", None, 3, Some(("3", "9")))
    );
    assert_eq!(sh(&mut con, "TOURNEY.TOP {lb} 3"), r#"[["b", "3", 1], ["a", "5", 2], ["c", "9", 3]]"#);

    // The same settings again, in any spelling: OK, nothing written or propagated.
    let dumps = key_dumps(&mut con);
    let mark = propagation_mark(&mut con, &server.dir);
    for line in [
        "TOURNEY.CREATE {lb} ORDER ASC",
        "TOURNEY.CREATE {lb} order asc ties ordinal tiebreak member",
        "TOURNEY.CREATE {lb} ORDER DESC ORDER Asc",
    ] {
        assert_eq!(sh(&mut con, line), "OK", "{line}");
    }
    assert_eq!(key_dumps(&mut con), dumps, "an identical CREATE wrote");
    assert_eq!(propagation_mark(&mut con, &server.dir), mark, "an identical CREATE was propagated");
    // Other settings, the order among them.
    for line in [
        "TOURNEY.CREATE {lb}",
        "TOURNEY.CREATE {lb} ORDER DESC",
        "TOURNEY.CREATE {lb} ORDER ASC TIES COMPETITION",
        "TOURNEY.CREATE {lb} ORDER ASC ORDER DESC",
    ] {
        refused(&mut con, line, &exists_error("{lb}"));
    }

    // A DESC tournament: ORDER DESC names its settings, ORDER ASC other ones.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {d} TIEBREAK FIRST TIES DENSE"), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {d} a 1");
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {d} TIEBREAK FIRST TIES DENSE ORDER desc"), "OK");
    refused(&mut con, "TOURNEY.CREATE {d} TIEBREAK FIRST TIES DENSE ORDER ASC", &exists_error("{d}"));
    refused(&mut con, "TOURNEY.CREATE {d} ORDER ASC", &exists_error("{d}"));

    // ASC with TIEBREAK FIRST or TIES DENSE needs an empty board, as DESC does.
    sh_ok(&mut con, "ZADD {full} 1 x");
    for options in ["ORDER ASC TIEBREAK FIRST", "ORDER ASC TIES DENSE"] {
        refused(&mut con, &format!("TOURNEY.CREATE {{full}} {options}"), &has_members_error("{full}"));
    }
    for line in [
        "TOURNEY.CREATE {new} ORDER UP",
        "TOURNEY.CREATE {new} ORDER",
        "TOURNEY.CREATE {new} ORDER ASCENDING",
        "TOURNEY.CREATE {new} ORDER FIRST",
        "TOURNEY.CREATE {new} ORDER ASC TIES",
        "TOURNEY.CREATE {new} ASC",
        "TOURNEY.CREATE {lb} ORDER UP",
    ] {
        refused(&mut con, line, SYNTAX);
    }
    assert_eq!(sh(&mut con, "EXISTS {new}:tourney"), "0");
}

#[test]
fn asc_info_reports_the_best_score_as_top() {
    let (_server, mut con) = start();
    let at = server_ms(&mut con) + 3_600_000;
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{lb}} ORDER ASC TIES DENSE EXPIREAT {at}")), "OK");
    let settings = format!(r#""tiebreak member ties dense order asc expireat {at}""#);
    assert_eq!(without_created(&sh(&mut con, "GET {lb}:tourney")), settings);
    let info = |members, top_bottom| info_reply_in("asc", true, "member", "dense", Some(at), members, top_bottom);
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info(0, None));
    sh_ok(&mut con, "TOURNEY.INCR {lb} a 5");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info(1, Some(("5", "5"))));
    sh_ok(&mut con, "TOURNEY.INCR {lb} b -2.5");
    sh_ok(&mut con, "TOURNEY.SUBMIT {lb} c 10");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info(3, Some(("-2.5", "10"))));
    sh_ok(&mut con, "TOURNEY.SUBMIT {lb} c -3 LATEST");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info(3, Some(("-3", "5"))));
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} a b c"), "3");
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info(0, None));
    // A board never created is DESC.
    sh_ok(&mut con, "ZADD plain 1 a 2 b");
    assert_eq!(sh(&mut con, "TOURNEY.INFO plain"), info_reply(false, "member", "ordinal", None, 2, Some(("2", "1"))));
}

// ==== 2. TIEBREAK FIRST ============================================================================

#[test]
fn first_orders_equal_scores_by_arrival_under_incr() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST"), "OK");
    let writes = [
        ("TOURNEY.INCR {lb} zoe 10", r#"["10", 1]"#),
        ("TOURNEY.INCR {lb} aaron 10", r#"["10", 2]"#),
        ("TOURNEY.INCR {lb} mike 10", r#"["10", 3]"#),
    ];
    expect(&mut con, &writes);
    assert_eq!(sh(&mut con, "TOURNEY.TOP {lb} 3"), r#"[["zoe", "10", 1], ["aaron", "10", 2], ["mike", "10", 3]]"#);
    // The same writes on a plain board: member bytes decide (zoe, mike, aaron).
    for (line, _) in writes {
        sh_ok(&mut con, &line.replace(" {lb} ", " plain "));
    }
    assert_eq!(sh(&mut con, "TOURNEY.TOP plain 3"), r#"[["zoe", "10", 1], ["mike", "10", 2], ["aaron", "10", 3]]"#);

    expect(
        &mut con,
        &[
            // INCR by 0 keeps the arrival (1: the first to reach 10).
            ("TOURNEY.INCR {lb} zoe 0", r#"["10", 1]"#),
            ("HGET {lb}:arrival zoe", r#""1""#),
            ("HGET {lb}:arrival mike", r#""3""#),
            // Leaving the score and coming back: after everyone already there.
            ("TOURNEY.INCR {lb} zoe 1", r#"["11", 1]"#),
            ("HGET {lb}:arrival zoe", r#""1""#),
            ("TOURNEY.INCR {lb} zoe -1", r#"["10", 3]"#),
            ("HGET {lb}:arrival zoe", r#""4""#),
            ("TOURNEY.TOP {lb} 3", r#"[["aaron", "10", 1], ["mike", "10", 2], ["zoe", "10", 3]]"#),
            ("TOURNEY.INCR {lb} aaron 0", r#"["10", 1]"#),
            ("TOURNEY.INCR {lb} zoe 0", r#"["10", 3]"#),
            // A first appearance by 0 is an arrival.
            ("TOURNEY.INCR {lb} newbie 0", r#"["0", 4]"#),
            ("HGET {lb}:arrival newbie", r#""1""#),
            ("TOURNEY.INCR {lb} mike 0.5", r#"["10.5", 1]"#),
            ("TOURNEY.INCR {lb} mike -0.5", r#"["10", 3]"#),
            ("TOURNEY.TOP {lb} 4", r#"[["aaron", "10", 1], ["zoe", "10", 2], ["mike", "10", 3], ["newbie", "0", 4]]"#),
            ("TOURNEY.TOP plain 3", r#"[["zoe", "10", 1], ["mike", "10", 2], ["aaron", "10", 3]]"#),
        ],
    );
    let arrival = ok(&mut con, &["HGETALL", "{lb}:arrival"]);
    let arrival: BTreeMap<String, String> = items(&arrival).chunks(2).map(|p| (bulk(&p[0]), bulk(&p[1]))).collect();
    let expected: BTreeMap<String, String> = [("aaron", "2"), ("zoe", "4"), ("mike", "5"), ("newbie", "1")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(arrival, expected);
}

#[test]
fn first_orders_equal_scores_by_arrival_under_submit() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST"), "OK");
    expect(
        &mut con,
        &[
            ("TOURNEY.SUBMIT {lb} aaron 50", r#"["50", 1, 1]"#),
            ("TOURNEY.SUBMIT {lb} zoe 50", r#"["50", 2, 1]"#),
            // Submissions that change nothing keep the arrival.
            ("TOURNEY.SUBMIT {lb} aaron 40", r#"["50", 1, 0]"#),
            ("TOURNEY.SUBMIT {lb} aaron 50 BEST", r#"["50", 1, 0]"#),
            ("TOURNEY.SUBMIT {lb} aaron 50 LATEST", r#"["50", 1, 0]"#),
            ("TOURNEY.TOP {lb} 2", r#"[["aaron", "50", 1], ["zoe", "50", 2]]"#),
            // LATEST down and back up: aaron now arrived at 50 after zoe.
            ("TOURNEY.SUBMIT {lb} aaron 40 LATEST", r#"["40", 2, 1]"#),
            ("TOURNEY.SUBMIT {lb} aaron 50 LATEST", r#"["50", 2, 1]"#),
            ("TOURNEY.TOP {lb} 2", r#"[["zoe", "50", 1], ["aaron", "50", 2]]"#),
            // BEST up to a score someone holds: behind them.
            ("TOURNEY.SUBMIT {lb} mike 30", r#"["30", 3, 1]"#),
            ("TOURNEY.SUBMIT {lb} mike 50 BEST", r#"["50", 3, 1]"#),
            ("TOURNEY.SUBMIT {lb} zoe 60", r#"["60", 1, 1]"#),
            ("TOURNEY.SUBMIT {lb} zoe 50 LATEST", r#"["50", 3, 1]"#),
            ("TOURNEY.TOP {lb} 3", r#"[["aaron", "50", 1], ["mike", "50", 2], ["zoe", "50", 3]]"#),
            ("TOURNEY.RANK {lb} zoe WITHSCORE", r#"[3, "50"]"#),
        ],
    );
    let arrival = ok(&mut con, &["HGETALL", "{lb}:arrival"]);
    let arrival: BTreeMap<String, String> = items(&arrival).chunks(2).map(|p| (bulk(&p[0]), bulk(&p[1]))).collect();
    let expected: BTreeMap<String, String> =
        [("aaron", "3"), ("mike", "4"), ("zoe", "5")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(arrival, expected);
}

/// aaron, yan, mike, zoe, bob arrive in that order: yan 30; aaron, mike, zoe 20; bob 10.
fn arrive_five(con: &mut Connection, key: &str, replies: [&str; 5]) {
    for ((member, score), reply) in
        [("aaron", 20), ("yan", 30), ("mike", 20), ("zoe", 20), ("bob", 10)].iter().zip(replies)
    {
        assert_eq!(run(con, &["TOURNEY.INCR", key, member, &score.to_string()]), reply, "{key} {member}");
    }
}

/// zoe, yan, aaron, mike, bob arrive in that order: bob 10; zoe, aaron, mike 20; yan 30. On
/// an ASC board arrival (zoe, aaron, mike) and ZRANK's member order (aaron, mike, zoe) differ.
fn arrive_five_asc(con: &mut Connection, key: &str, replies: [&str; 5]) {
    for ((member, score), reply) in
        [("zoe", 20), ("yan", 30), ("aaron", 20), ("mike", 20), ("bob", 10)].iter().zip(replies)
    {
        assert_eq!(run(con, &["TOURNEY.INCR", key, member, &score.to_string()]), reply, "{key} {member}");
    }
}

#[test]
fn first_reads_honour_arrival_under_every_ties() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST"), "OK");
    arrive_five(&mut con, "{lb}", [r#"["20", 1]"#, r#"["30", 1]"#, r#"["20", 3]"#, r#"["20", 4]"#, r#"["10", 5]"#]);
    let all = r#"[["yan", "30", 1], ["aaron", "20", 2], ["mike", "20", 3], ["zoe", "20", 4], ["bob", "10", 5]]"#;
    expect(
        &mut con,
        &[
            ("TOURNEY.TOP {lb} 5", all),
            ("TOURNEY.TOP {lb} 10 TIES ORDINAL", all),
            (
                "TOURNEY.TOP {lb} 5 TIES COMPETITION",
                r#"[["yan", "30", 1], ["aaron", "20", 2], ["mike", "20", 2], ["zoe", "20", 2], ["bob", "10", 5]]"#,
            ),
            ("TOURNEY.TOP {lb} 2 OFFSET 2", r#"[["mike", "20", 3], ["zoe", "20", 4]]"#),
            ("TOURNEY.TOP {lb} 2 OFFSET 2 TIES COMPETITION", r#"[["mike", "20", 2], ["zoe", "20", 2]]"#),
            ("TOURNEY.TOP {lb} 3 TIES ORDINAL OFFSET 3", r#"[["zoe", "20", 4], ["bob", "10", 5]]"#),
            ("TOURNEY.TOP {lb} 1 OFFSET 1 TIES COMPETITION", r#"[["aaron", "20", 2]]"#),
            ("TOURNEY.TOP {lb} 1 OFFSET 5", "[]"),
            ("TOURNEY.RANK {lb} aaron", "2"),
            ("TOURNEY.RANK {lb} mike", "3"),
            ("TOURNEY.RANK {lb} zoe", "4"),
            ("TOURNEY.RANK {lb} zoe WITHSCORE", r#"[4, "20"]"#),
            ("TOURNEY.RANK {lb} zoe TIES ORDINAL", "4"),
            ("TOURNEY.RANK {lb} zoe TIES COMPETITION", "2"),
            ("TOURNEY.RANK {lb} zoe TIES COMPETITION WITHSCORE", r#"[2, "20"]"#),
            ("TOURNEY.RANK {lb} bob TIES COMPETITION", "5"),
            ("TOURNEY.RANK {lb} nobody", "nil"),
            ("TOURNEY.RANK {lb} nobody WITHSCORE TIES COMPETITION", "nil"),
            ("TOURNEY.AROUND {lb} mike 1", r#"[["aaron", "20", 2], ["mike", "20", 3], ["zoe", "20", 4]]"#),
            (
                "TOURNEY.AROUND {lb} mike 1 TIES COMPETITION",
                r#"[["aaron", "20", 2], ["mike", "20", 2], ["zoe", "20", 2]]"#,
            ),
            ("TOURNEY.AROUND {lb} aaron 0", r#"[["aaron", "20", 2]]"#),
            ("TOURNEY.AROUND {lb} zoe 1", r#"[["mike", "20", 3], ["zoe", "20", 4], ["bob", "10", 5]]"#),
            ("TOURNEY.AROUND {lb} yan 1", r#"[["yan", "30", 1], ["aaron", "20", 2], ["mike", "20", 3]]"#),
            (
                "TOURNEY.AROUND {lb} bob 1 TIES COMPETITION",
                r#"[["mike", "20", 2], ["zoe", "20", 2], ["bob", "10", 5]]"#,
            ),
            ("TOURNEY.AROUND {lb} nobody 1", "nil"),
            ("TOURNEY.PERCENTILE {lb} nobody", "nil"),
        ],
    );
    refused(&mut con, "TOURNEY.RANK {lb} zoe TIES DENSE", DENSE_NOT_KEPT);
    refused(&mut con, "TOURNEY.TOP {lb} 5 TIES DENSE", DENSE_NOT_KEPT);
    refused(&mut con, "TOURNEY.AROUND {lb} zoe 1 TIES DENSE", DENSE_NOT_KEPT);
    // Under an ORDINAL tournament, later arrivals on the same score count as below.
    for (member, percent) in [("yan", 100.0), ("aaron", 80.0), ("mike", 60.0), ("zoe", 40.0), ("bob", 20.0)] {
        assert_eq!(percentile_of(&mut con, "{lb}", member), percent, "{member}");
    }

    // A COMPETITION tournament: shared ranks by default, the same arrival order.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lbc} TIEBREAK FIRST TIES COMPETITION"), "OK");
    arrive_five(&mut con, "{lbc}", [r#"["20", 1]"#, r#"["30", 1]"#, r#"["20", 2]"#, r#"["20", 2]"#, r#"["10", 5]"#]);
    expect(
        &mut con,
        &[
            (
                "TOURNEY.TOP {lbc} 5",
                r#"[["yan", "30", 1], ["aaron", "20", 2], ["mike", "20", 2], ["zoe", "20", 2], ["bob", "10", 5]]"#,
            ),
            ("TOURNEY.TOP {lbc} 5 TIES ORDINAL", all),
            ("TOURNEY.TOP {lbc} 2 OFFSET 2 TIES ORDINAL", r#"[["mike", "20", 3], ["zoe", "20", 4]]"#),
            ("TOURNEY.RANK {lbc} zoe", "2"),
            ("TOURNEY.RANK {lbc} zoe TIES ORDINAL", "4"),
            (
                "TOURNEY.AROUND {lbc} mike 1 TIES ORDINAL",
                r#"[["aaron", "20", 2], ["mike", "20", 3], ["zoe", "20", 4]]"#,
            ),
        ],
    );
    // Every tied member counts as at or below.
    for (member, percent) in [("yan", 100.0), ("aaron", 80.0), ("mike", 80.0), ("zoe", 80.0), ("bob", 20.0)] {
        assert_eq!(percentile_of(&mut con, "{lbc}", member), percent, "{member}");
    }

    // Control: the same writes on a plain board rank by member bytes.
    arrive_five(&mut con, "plain", [r#"["20", 1]"#, r#"["30", 1]"#, r#"["20", 2]"#, r#"["20", 2]"#, r#"["10", 5]"#]);
    assert_eq!(
        sh(&mut con, "TOURNEY.TOP plain 5"),
        r#"[["yan", "30", 1], ["zoe", "20", 2], ["mike", "20", 3], ["aaron", "20", 4], ["bob", "10", 5]]"#
    );
}

#[test]
fn rem_keeps_the_tie_structures_in_step() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES DENSE"), "OK");
    for (member, score) in [("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 3)] {
        sh_ok(&mut con, &format!("TOURNEY.INCR {{lb}} {member} {score}"));
    }
    let shape = |con: &mut Connection| {
        [
            sh(con, "ZCARD {lb}"),
            sh(con, "HLEN {lb}:arrival"),
            sh(con, "ZCARD {lb}:order"),
            sh(con, "ZRANGE {lb}:dense 0 -1"),
        ]
    };
    assert_eq!(shape(&mut con), ["5", "5", "5", r#"["1", "2", "3"]"#]);
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} a ghost"), "1");
    assert_eq!(shape(&mut con), ["4", "4", "4", r#"["2", "3"]"#]);
    assert_eq!(sh(&mut con, "HEXISTS {lb}:arrival a"), "0");
    // c still holds 2.
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} b"), "1");
    assert_eq!(shape(&mut con), ["3", "3", "3", r#"["2", "3"]"#]);
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} c d d"), "2");
    assert_eq!(shape(&mut con), ["1", "1", "1", r#"["3"]"#]);
    assert_eq!(sh(&mut con, "TOURNEY.TOP {lb} 5"), r#"[["e", "3", 1]]"#);
    let before = key_dumps(&mut con);
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} ghost phantom"), "0");
    assert_eq!(key_dumps(&mut con), before, "removing nobody changed the data set");

    // The last member: the leaderboard and its tie structures go; the settings stay.
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} e"), "1");
    assert_eq!(sh(&mut con, "KEYS *"), r#"["{lb}:tourney"]"#);
    assert_eq!(without_created(&sh(&mut con, "GET {lb}:tourney")), r#""tiebreak first ties dense""#);
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "dense", None, 0, None));
    assert_eq!(sh(&mut con, "TOURNEY.TOP {lb} 5"), "[]");
    // Arrival numbers start again.
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} f 4"), r#"["4", 1]"#);
    let arrival = ok(&mut con, &["HGETALL", "{lb}:arrival"]);
    assert_eq!(render(&arrival), r#"["f", "1"]"#);
    assert_eq!(
        run(&mut con, &["ZRANGE", "{lb}:order", "0", "-1"]),
        render(&Value::Array(vec![Value::BulkString(order_entry(1, "f"))]))
    );
}

#[test]
fn asc_reads_rank_lowest_first_under_every_ties() {
    let (_server, mut con) = start();
    // TIEBREAK FIRST: equal scores in arrival order (zoe, aaron, mike), lowest score first.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {f} ORDER ASC TIEBREAK FIRST"), "OK");
    arrive_five_asc(&mut con, "{f}", [r#"["20", 1]"#, r#"["30", 2]"#, r#"["20", 2]"#, r#"["20", 3]"#, r#"["10", 1]"#]);
    let all = r#"[["bob", "10", 1], ["zoe", "20", 2], ["aaron", "20", 3], ["mike", "20", 4], ["yan", "30", 5]]"#;
    expect(
        &mut con,
        &[
            ("TOURNEY.TOP {f} 5", all),
            ("TOURNEY.TOP {f} 5 TIES ORDINAL", all),
            (
                "TOURNEY.TOP {f} 5 TIES COMPETITION",
                r#"[["bob", "10", 1], ["zoe", "20", 2], ["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 5]]"#,
            ),
            ("TOURNEY.TOP {f} 2 OFFSET 2", r#"[["aaron", "20", 3], ["mike", "20", 4]]"#),
            ("TOURNEY.TOP {f} 2 OFFSET 3 TIES COMPETITION", r#"[["mike", "20", 2], ["yan", "30", 5]]"#),
            ("TOURNEY.RANK {f} bob", "1"),
            ("TOURNEY.RANK {f} mike", "4"),
            ("TOURNEY.RANK {f} mike TIES COMPETITION WITHSCORE", r#"[2, "20"]"#),
            ("TOURNEY.RANK {f} yan WITHSCORE", r#"[5, "30"]"#),
            ("TOURNEY.AROUND {f} aaron 1", r#"[["zoe", "20", 2], ["aaron", "20", 3], ["mike", "20", 4]]"#),
            ("TOURNEY.AROUND {f} bob 1", r#"[["bob", "10", 1], ["zoe", "20", 2], ["aaron", "20", 3]]"#),
            (
                "TOURNEY.AROUND {f} yan 1 TIES COMPETITION",
                r#"[["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 5]]"#,
            ),
            // The board itself lists lowest first without REV, equal scores by member bytes.
            ("ZRANGE {f} 0 -1", r#"["bob", "aaron", "mike", "zoe", "yan"]"#),
        ],
    );
    refused(&mut con, "TOURNEY.TOP {f} 5 TIES DENSE", DENSE_NOT_KEPT);
    // An ORDINAL tournament under FIRST: later arrivals on a score count as worse.
    for (member, percent) in [("bob", 100.0), ("zoe", 80.0), ("aaron", 60.0), ("mike", 40.0), ("yan", 20.0)] {
        assert_eq!(percentile_of(&mut con, "{f}", member), percent, "{member}");
    }
    // Order entries: the arrival as is, so that ZRANGE lists earlier arrivals first.
    let entries = [(1, "bob"), (1, "zoe"), (2, "aaron"), (3, "mike"), (1, "yan")];
    let expected = Value::Array(
        entries.iter().map(|&(arrival, member)| Value::BulkString(order_entry_in(true, arrival, member))).collect(),
    );
    assert_eq!(run(&mut con, &["ZRANGE", "{f}:order", "0", "-1"]), render(&expected));

    // FIRST and DENSE: shared ranks follow on from the distinct lower scores.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {fd} ORDER ASC TIEBREAK FIRST TIES DENSE"), "OK");
    arrive_five_asc(&mut con, "{fd}", [r#"["20", 1]"#, r#"["30", 2]"#, r#"["20", 1]"#, r#"["20", 1]"#, r#"["10", 1]"#]);
    expect(
        &mut con,
        &[
            (
                "TOURNEY.TOP {fd} 5",
                r#"[["bob", "10", 1], ["zoe", "20", 2], ["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 3]]"#,
            ),
            ("TOURNEY.TOP {fd} 5 TIES ORDINAL", all),
            ("TOURNEY.TOP {fd} 1 OFFSET 4 TIES COMPETITION", r#"[["yan", "30", 5]]"#),
            ("TOURNEY.RANK {fd} yan", "3"),
            ("TOURNEY.RANK {fd} mike TIES ORDINAL", "4"),
            ("TOURNEY.AROUND {fd} yan 1 TIES DENSE", r#"[["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 3]]"#),
            ("ZRANGE {fd}:dense 0 -1", r#"["10", "20", "30"]"#),
        ],
    );
    // Not an ORDINAL tournament: every tie counts as the same or worse.
    for (member, percent) in [("bob", 100.0), ("zoe", 80.0), ("mike", 80.0), ("yan", 20.0)] {
        assert_eq!(percentile_of(&mut con, "{fd}", member), percent, "{member}");
    }

    // TIEBREAK MEMBER: equal scores in ZRANK's order, smaller member bytes first.
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {m} ORDER ASC TIES COMPETITION"), "OK");
    arrive_five_asc(&mut con, "{m}", [r#"["20", 1]"#, r#"["30", 2]"#, r#"["20", 1]"#, r#"["20", 1]"#, r#"["10", 1]"#]);
    expect(
        &mut con,
        &[
            (
                "TOURNEY.TOP {m} 5 TIES ORDINAL",
                r#"[["bob", "10", 1], ["aaron", "20", 2], ["mike", "20", 3], ["zoe", "20", 4], ["yan", "30", 5]]"#,
            ),
            (
                "TOURNEY.TOP {m} 5",
                r#"[["bob", "10", 1], ["aaron", "20", 2], ["mike", "20", 2], ["zoe", "20", 2], ["yan", "30", 5]]"#,
            ),
            // ZRANK + 1 is the ORDINAL rank.
            ("TOURNEY.RANK {m} zoe TIES ORDINAL", "4"),
            ("ZRANK {m} zoe", "3"),
            ("TOURNEY.RANK {m} zoe", "2"),
            ("TOURNEY.AROUND {m} bob 0 TIES ORDINAL", r#"[["bob", "10", 1]]"#),
            ("TOURNEY.PERCENTILE {m} aaron", r#""80""#),
            ("TOURNEY.PERCENTILE {m} yan", r#""20""#),
            ("EXISTS {m}:arrival {m}:order {m}:dense", "0"),
        ],
    );
    refused(&mut con, "TOURNEY.RANK {m} zoe TIES DENSE", DENSE_NOT_KEPT);

    // Control: the same writes on a plain board rank highest first.
    arrive_five_asc(
        &mut con,
        "plain",
        [r#"["20", 1]"#, r#"["30", 1]"#, r#"["20", 3]"#, r#"["20", 3]"#, r#"["10", 5]"#],
    );
    assert_eq!(
        sh(&mut con, "TOURNEY.TOP plain 5"),
        r#"[["yan", "30", 1], ["zoe", "20", 2], ["mike", "20", 3], ["aaron", "20", 4], ["bob", "10", 5]]"#
    );
}

#[test]
fn asc_submit_best_keeps_the_lower_score() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {laps} ORDER ASC TIEBREAK FIRST"), "OK");
    expect(
        &mut con,
        &[
            ("TOURNEY.SUBMIT {laps} ana 83410", r#"["83410", 1, 1]"#),
            ("TOURNEY.SUBMIT {laps} ben 82950", r#"["82950", 1, 1]"#),
            // A slower lap does not replace the best, an equal one changes nothing.
            ("TOURNEY.SUBMIT {laps} ana 84000", r#"["83410", 2, 0]"#),
            ("TOURNEY.SUBMIT {laps} ana 83410 BEST", r#"["83410", 2, 0]"#),
            // A faster one does; equal to ben's, ana arrived there after him.
            ("TOURNEY.SUBMIT {laps} ana 82950 BEST", r#"["82950", 2, 1]"#),
            ("TOURNEY.SUBMIT {laps} ben 82950 LATEST", r#"["82950", 1, 0]"#),
            // LATEST stores a slower lap too; BEST back to 82950 arrives after ana.
            ("TOURNEY.SUBMIT {laps} ben 90000 LATEST", r#"["90000", 2, 1]"#),
            ("TOURNEY.SUBMIT {laps} ben 82950 BEST", r#"["82950", 2, 1]"#),
            ("TOURNEY.TOP {laps} 2", r#"[["ana", "82950", 1], ["ben", "82950", 2]]"#),
            ("HGET {laps}:arrival ben", r#""3""#),
            // Negative scores rank before every positive one.
            ("TOURNEY.SUBMIT {laps} cy -5.5", r#"["-5.5", 1, 1]"#),
            ("TOURNEY.SUBMIT {laps} cy -5 BEST", r#"["-5.5", 1, 0]"#),
            // INCR adds as ever: down is better.
            ("TOURNEY.INCR {laps} ben -1000", r#"["81950", 2]"#),
            ("TOURNEY.INCR {laps} cy 100000", r#"["99994.5", 3]"#),
            ("TOURNEY.TOP {laps} 3", r#"[["ben", "81950", 1], ["ana", "82950", 2], ["cy", "99994.5", 3]]"#),
        ],
    );
    assert_eq!(
        sh(&mut con, "TOURNEY.INFO {laps}"),
        info_reply_in("asc", true, "first", "ordinal", None, 3, Some(("81950", "99994.5")))
    );
}

// ==== 3 and 4. Seeded workloads against the model ====================================================

#[test]
fn first_ordinal_workload_matches_the_model() {
    model_workload("{lb}", Policy { first: true, ties: Ties::Ordinal, asc: false }, 0xF125);
}

#[test]
fn first_competition_workload_matches_the_model() {
    model_workload("tournament:{t1}:scores", Policy { first: true, ties: Ties::Competition, asc: false }, 0xC0375);
}

#[test]
fn dense_workload_matches_the_model() {
    model_workload("{dense}", Policy { first: false, ties: Ties::Dense, asc: false }, 0xDE45E);
}

#[test]
fn dense_first_workload_matches_the_model() {
    model_workload("t:{d}:lb", Policy { first: true, ties: Ties::Dense, asc: false }, 0xDF);
}

#[test]
fn member_ordinal_tournament_workload_matches_the_model() {
    // Control for the model: a created tournament with the default rules ranks as a plain board.
    model_workload("{plain}", Policy { first: false, ties: Ties::Ordinal, asc: false }, 0x9A1);
}

// ORDER ASC: the same workloads, lowest score first, under every TIEBREAK and TIES.

#[test]
fn asc_member_ordinal_workload_matches_the_model() {
    model_workload("{asc}", Policy { first: false, ties: Ties::Ordinal, asc: true }, 0xA5C1);
}

#[test]
fn asc_member_competition_workload_matches_the_model() {
    model_workload("laps:{monza}", Policy { first: false, ties: Ties::Competition, asc: true }, 0xA5C2);
}

#[test]
fn asc_member_dense_workload_matches_the_model() {
    model_workload("{asc:dense}", Policy { first: false, ties: Ties::Dense, asc: true }, 0xA5C3);
}

#[test]
fn asc_first_ordinal_workload_matches_the_model() {
    model_workload("t:{af}:lb", Policy { first: true, ties: Ties::Ordinal, asc: true }, 0xA5C4);
}

#[test]
fn asc_first_competition_workload_matches_the_model() {
    model_workload("{afc}", Policy { first: true, ties: Ties::Competition, asc: true }, 0xA5C5);
}

#[test]
fn asc_first_dense_workload_matches_the_model() {
    model_workload("golf:{open}:scores", Policy { first: true, ties: Ties::Dense, asc: true }, 0xA5C6);
}

#[test]
fn dense_ranks_share_and_follow_on() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIES DENSE"), "OK");
    expect(
        &mut con,
        &[
            ("TOURNEY.SUBMIT {lb} a 30", r#"["30", 1, 1]"#),
            ("TOURNEY.SUBMIT {lb} b 20", r#"["20", 2, 1]"#),
            ("TOURNEY.SUBMIT {lb} c 20", r#"["20", 2, 1]"#),
            ("TOURNEY.INCR {lb} d 10", r#"["10", 3]"#),
            ("TOURNEY.INCR {lb} e 10", r#"["10", 3]"#),
            ("TOURNEY.SUBMIT {lb} f 5", r#"["5", 4, 1]"#),
            (
                "TOURNEY.TOP {lb} 6",
                r#"[["a", "30", 1], ["c", "20", 2], ["b", "20", 2], ["e", "10", 3], ["d", "10", 3], ["f", "5", 4]]"#,
            ),
            (
                "TOURNEY.TOP {lb} 6 TIES COMPETITION",
                r#"[["a", "30", 1], ["c", "20", 2], ["b", "20", 2], ["e", "10", 4], ["d", "10", 4], ["f", "5", 6]]"#,
            ),
            (
                "TOURNEY.TOP {lb} 6 TIES ORDINAL",
                r#"[["a", "30", 1], ["c", "20", 2], ["b", "20", 3], ["e", "10", 4], ["d", "10", 5], ["f", "5", 6]]"#,
            ),
            ("TOURNEY.TOP {lb} 2 OFFSET 3", r#"[["e", "10", 3], ["d", "10", 3]]"#),
            ("TOURNEY.TOP {lb} 2 OFFSET 2 TIES DENSE", r#"[["b", "20", 2], ["e", "10", 3]]"#),
            ("TOURNEY.TOP {lb} 9 OFFSET 5", r#"[["f", "5", 4]]"#),
            ("TOURNEY.RANK {lb} f", "4"),
            ("TOURNEY.RANK {lb} d WITHSCORE", r#"[3, "10"]"#),
            ("TOURNEY.RANK {lb} d TIES COMPETITION", "4"),
            ("TOURNEY.RANK {lb} d TIES ORDINAL", "5"),
            ("TOURNEY.RANK {lb} d TIES DENSE WITHSCORE", r#"[3, "10"]"#),
            ("TOURNEY.AROUND {lb} b 1", r#"[["c", "20", 2], ["b", "20", 2], ["e", "10", 3]]"#),
            ("TOURNEY.AROUND {lb} f 1 TIES COMPETITION", r#"[["e", "10", 4], ["d", "10", 4], ["f", "5", 6]]"#),
            ("TOURNEY.PERCENTILE {lb} d", r#""50""#),
            ("ZRANGE {lb}:dense 0 -1 WITHSCORES", r#"["5", "5", "10", "10", "20", "20", "30", "30"]"#),
            // Leaving a score someone else holds keeps it; leaving the last holder drops it.
            ("TOURNEY.INCR {lb} c 5", r#"["25", 2]"#),
            ("ZRANGE {lb}:dense 0 -1", r#"["5", "10", "20", "25", "30"]"#),
            ("TOURNEY.SUBMIT {lb} b 26 LATEST", r#"["26", 2, 1]"#),
            ("ZRANGE {lb}:dense 0 -1", r#"["5", "10", "25", "26", "30"]"#),
            ("TOURNEY.RANK {lb} d", "4"),
            ("TOURNEY.RANK {lb} d TIES COMPETITION", "4"),
            ("TOURNEY.RANK {lb} f", "5"),
            // -0 is folded into 0.
            ("TOURNEY.SUBMIT {lb} g -0", r#"["0", 6, 1]"#),
            ("TOURNEY.INCR {lb} h 0", r#"["0", 6]"#),
            // f was the only one on 5: 5 leaves the distinct scores.
            ("TOURNEY.INCR {lb} f -5", r#"["0", 5]"#),
            ("ZRANGE {lb}:dense 0 -1 WITHSCORES", r#"["0", "0", "10", "10", "25", "25", "26", "26", "30", "30"]"#),
            ("TOURNEY.REM {lb} g h f", "3"),
            ("ZRANGE {lb}:dense 0 -1", r#"["10", "25", "26", "30"]"#),
        ],
    );
    assert_eq!(percentile_of(&mut con, "{lb}", "b"), 100.0 * 4.0 / 5.0);
    assert_eq!(sh(&mut con, "EXISTS {lb}:arrival {lb}:order"), "0", "DENSE alone keeps no arrivals");
}

#[test]
fn dense_with_first_orders_by_arrival_and_shares_ranks() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES DENSE"), "OK");
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR {lb} aaron 10", r#"["10", 1]"#),
            ("TOURNEY.INCR {lb} zoe 10", r#"["10", 1]"#),
            ("TOURNEY.SUBMIT {lb} mike 5", r#"["5", 2, 1]"#),
            ("TOURNEY.SUBMIT {lb} bob 7", r#"["7", 2, 1]"#),
            ("TOURNEY.TOP {lb} 4", r#"[["aaron", "10", 1], ["zoe", "10", 1], ["bob", "7", 2], ["mike", "5", 3]]"#),
            (
                "TOURNEY.TOP {lb} 4 TIES ORDINAL",
                r#"[["aaron", "10", 1], ["zoe", "10", 2], ["bob", "7", 3], ["mike", "5", 4]]"#,
            ),
            ("TOURNEY.TOP {lb} 2 OFFSET 1", r#"[["zoe", "10", 1], ["bob", "7", 2]]"#),
            ("TOURNEY.RANK {lb} zoe TIES ORDINAL", "2"),
            ("TOURNEY.AROUND {lb} zoe 1 TIES ORDINAL", r#"[["aaron", "10", 1], ["zoe", "10", 2], ["bob", "7", 3]]"#),
            ("TOURNEY.SUBMIT {lb} aaron 10 LATEST", r#"["10", 1, 0]"#),
            ("TOURNEY.INCR {lb} aaron 1", r#"["11", 1]"#),
            ("TOURNEY.INCR {lb} aaron -1", r#"["10", 1]"#),
            ("TOURNEY.TOP {lb} 2 TIES ORDINAL", r#"[["zoe", "10", 1], ["aaron", "10", 2]]"#),
            ("TOURNEY.RANK {lb} aaron TIES COMPETITION", "1"),
            ("ZCARD {lb}:dense", "3"),
        ],
    );
    // Not an ORDINAL tournament: every tied member counts as at or below.
    assert_eq!(percentile_of(&mut con, "{lb}", "aaron"), 100.0);
    assert_eq!(percentile_of(&mut con, "{lb}", "zoe"), 100.0);
    assert_eq!(percentile_of(&mut con, "{lb}", "mike"), 25.0);
}

// ==== 4b. Seasons of ASC tournaments ===================================================================

/// ASC tournaments' monthly seasons against the model, written through `SEASON monthly` and
/// through the season's key named directly, read both ways: FIRST + DENSE with an EXPIREAT
/// before the season's end, and MEMBER + COMPETITION, whose keys end with the season.
/// Retried if the month turns during the run.
#[test]
fn asc_season_boards_match_the_model() {
    let (_server, mut con) = start();
    in_one_month(&mut con, |con, month| {
        sh_ok(con, "FLUSHALL");
        let now = server_ms(con);
        let season_expiry = season_at(Period::Monthly, now).expire_at_ms;
        let at = now + 3_600_000;
        let first_dense = Policy { first: true, ties: Ties::Dense, asc: true };
        let member_competition = Policy { first: false, ties: Ties::Competition, asc: true };
        let mut boards = [
            Workload::season(con, "sa:{1}", month, first_dense, Some(at), season_expiry, 0x5EA1),
            Workload::season(con, "sb:{2}", month, member_competition, None, season_expiry, 0x5EA2),
        ];
        for board in &mut boards {
            board.run(con, 1500);
            board.assert_varied();
        }
        // Every write reached the season's board, none the tournament's own key.
        assert_eq!(sh(con, "EXISTS sa:{1} sb:{2}"), "0");
    });
}

/// The previous season of an ASC tournament that ran through it reads lowest first too.
/// The settings are those tally writes for a tournament created at the start of last month
/// (the only way to have one without waiting a month).
#[test]
fn an_asc_tournaments_previous_season_reads_lowest_first() {
    let (_server, mut con) = start();
    in_one_month(&mut con, |con, _| {
        sh_ok(con, "FLUSHALL");
        let this_month = season_at(Period::Monthly, server_ms(con));
        let last_month = season_at(Period::Monthly, this_month.start_ms - 1);
        assert_eq!(sh(con, "TOURNEY.CREATE {now} ORDER ASC TIEBREAK FIRST TIES COMPETITION"), "OK");
        let settings = run(con, &["GET", "{now}:tourney"]);
        assert_eq!(without_created(&settings), r#""tiebreak first ties competition order asc""#);
        let value = format!("tiebreak first ties competition order asc created {}", last_month.start_ms);
        assert_eq!(run(con, &["SET", "pa:{1}:tourney", &value]), "OK");
        // Last month's board, written by its name while the tournament ran.
        let last = format!("pa:{{1}}:{}", last_month.name);
        arrive_five_asc(con, &last, [r#"["20", 1]"#, r#"["30", 2]"#, r#"["20", 1]"#, r#"["20", 1]"#, r#"["10", 1]"#]);
        let previous = |line: &str| format!("{line} SEASON monthly PREVIOUS");
        expect(
            con,
            &[
                (
                    &previous("TOURNEY.TOP pa:{1} 10"),
                    r#"[["bob", "10", 1], ["zoe", "20", 2], ["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 5]]"#,
                ),
                (&previous("TOURNEY.RANK pa:{1} mike TIES ORDINAL"), "4"),
                (
                    &previous("TOURNEY.AROUND pa:{1} yan 1"),
                    r#"[["aaron", "20", 2], ["mike", "20", 2], ["yan", "30", 5]]"#,
                ),
                (&previous("TOURNEY.PERCENTILE pa:{1} zoe"), r#""80""#),
                (&previous("TOURNEY.PERCENTILE pa:{1} yan"), r#""20""#),
            ],
        );
        assert_eq!(
            sh(con, &previous("TOURNEY.INFO pa:{1}")),
            info_reply_in("asc", true, "first", "competition", Some(last_month.expire_at_ms), 5, Some(("10", "30")))
        );
    });
}

// ==== 5. Replication and persistence ================================================================

/// The boards of the replication and persistence tests: every policy, both orders, tagged
/// and untagged keys, and two with an expiry.
fn boards(con: &mut Connection, seed: u64) -> Vec<Workload> {
    let at = server_ms(con) + 3_600_000;
    vec![
        Workload::create(con, "r:{a}:first", Policy { first: true, ties: Ties::Ordinal, asc: false }, None, seed),
        Workload::create(con, "r:{b}:dense", Policy { first: false, ties: Ties::Dense, asc: false }, None, seed + 1),
        Workload::create(con, "{both}", Policy { first: true, ties: Ties::Dense, asc: false }, Some(at), seed + 2),
        Workload::create(
            con,
            "r:{c}:comp",
            Policy { first: true, ties: Ties::Competition, asc: false },
            None,
            seed + 3,
        ),
        // ASC: order entries not inverted, BEST keeping the lower score.
        Workload::create(con, "r:{e}:asc", Policy { first: true, ties: Ties::Dense, asc: true }, Some(at), seed + 4),
        Workload::create(con, "{asc}", Policy { first: false, ties: Ties::Competition, asc: true }, None, seed + 5),
    ]
}

/// `ops` writes spread over the boards in turn.
fn interleave(con: &mut Connection, boards: &mut [Workload], ops: usize) {
    for op in 0..ops {
        let count = boards.len();
        boards[op % count].step(con);
    }
    for board in boards.iter_mut() {
        board.verify(con);
    }
}

/// Every board's full TOP (ordinal) as the server replies it.
fn tops(con: &mut Connection, boards: &[Workload]) -> Vec<String> {
    boards.iter().map(|board| run(con, &["TOURNEY.TOP", &board.key, "1000", "TIES", "ORDINAL"])).collect()
}

/// Every key the boards may use: the leaderboards and their companions.
fn known_keys(boards: &[Workload]) -> Vec<Vec<u8>> {
    boards.iter().flat_map(|board| all_keys(&board.key)).map(String::into_bytes).collect()
}

/// The keys of a data set must be exactly those the models expect.
fn assert_key_set(dumps: &KeyDumps, boards: &[Workload], when: &str) {
    let mut expected: Vec<Vec<u8>> = boards.iter().flat_map(|board| board.model.keys(&board.key)).collect();
    expected.sort();
    let got: Vec<Vec<u8>> = dumps.keys().cloned().collect();
    let show = |keys: &[Vec<u8>]| keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>();
    assert_eq!(show(&got), show(&expected), "key set {when}");
}

/// The AOF in `dir` holds only the native commands the spec lists, each on a board's key.
fn assert_aof_is_native(dir: &std::path::Path, boards: &[Workload]) {
    assert!(!contains_ignore_case(&aof_bytes(dir), b"tourney."), "a TOURNEY command reached the AOF");
    let known = known_keys(boards);
    let mut seen = BTreeMap::new();
    for command in aof_data_commands(dir) {
        let name = String::from_utf8_lossy(&command[0]).to_uppercase();
        assert!(
            ["SET", "ZADD", "ZREM", "HSET", "HDEL", "DEL", "PEXPIREAT"].contains(&name.as_str()),
            "unexpected propagated command {:?}",
            crate::common::reply::printable(&command)
        );
        for key in if name == "DEL" { &command[1..] } else { &command[1..2] } {
            assert!(known.contains(key), "{name} on an unknown key {:?}", String::from_utf8_lossy(key));
        }
        *seen.entry(name).or_insert(0) += 1;
    }
    for name in ["SET", "ZADD", "ZREM", "HSET", "HDEL", "DEL", "PEXPIREAT"] {
        assert!(seen.contains_key(name), "no {name} in the AOF: {seen:?}");
    }
}

#[test]
fn replica_holds_the_same_bytes_and_order() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let mut rcon = replica.connect();
    let mut work = boards(&mut con, 0x4E9);
    interleave(&mut con, &mut work, 4000);
    wait_in_sync(&mut con, &mut rcon);

    // Boards of 30 members keep every key in the listpack encoding, whose DUMP is fixed by
    // the order of writes (a hashtable's is not: see the large-board test).
    let on_primary = key_dumps(&mut con);
    assert_key_set(&on_primary, &work, "on the primary");
    assert_eq!(key_dumps(&mut rcon), on_primary, "replica DUMPs");
    assert_eq!(tops(&mut rcon, &work), tops(&mut con, &work), "replica TOP order");
    // The replica serves every read as the primary's model says.
    for board in &work {
        board.model.verify(&mut rcon, &board.key, board.expireat);
    }
    assert_aof_is_native(&primary.dir, &work);
    assert!(!replica.log().contains("CRITICAL"), "replica log:\n{}", replica.log());
}

/// 600 members: the leaderboard and order set become skiplists and the arrival hash a
/// hashtable, on a DESC and an ASC board. The replica holds the same contents and order; the
/// sorted sets' DUMPs are equal, the hash's need not be (a hashtable's DUMP follows its
/// per-process hash seed).
#[test]
fn a_large_first_board_replicates_its_contents_and_order() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let mut rcon = replica.connect();
    for (key, asc) in [("{big}", false), ("{bigasc}", true)] {
        let policy = Policy { first: true, ties: Ties::Dense, asc };
        let Workload { mut model, mut rng, .. } = Workload::create(&mut con, key, policy, None, 0xB16);
        for index in 0..900 {
            let member = format!("m{}", if index < 600 { index } else { rng.below(600) as usize });
            let delta = rng.range(0, 6) as f64;
            let new = model.incr(&member, delta);
            let expected = format!(r#"["{}", {}]"#, score_text(new), model.rank(&member, Ties::Dense));
            assert_eq!(
                run(&mut con, &["TOURNEY.INCR", key, &member, &delta.to_string()]),
                expected,
                "{key}: INCR {member} {delta}"
            );
        }
        wait_in_sync(&mut con, &mut rcon);
        assert_eq!(sh(&mut con, &format!("OBJECT ENCODING {key}:arrival")), r#""hashtable""#);
        assert_eq!(sh(&mut con, &format!("OBJECT ENCODING {key}:order")), r#""skiplist""#);
        for server in [&mut con, &mut rcon] {
            model.verify(server, key, None);
        }
    }
    let dumps = |con: &mut Connection| key_dumps_where(con, |key| !key.ends_with(b":arrival"));
    assert_eq!(dumps(&mut rcon), dumps(&mut con));
}

#[test]
fn writes_propagate_as_exact_native_commands() {
    let server = Server::start_with(aof_options(&[]));
    let mut con = server.connect();
    let at = server_ms(&mut con) + 3_600_000;
    for line in [
        "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES DENSE".to_string(),
        "TOURNEY.INCR {lb} zoe 5".to_string(),
        "TOURNEY.INCR {lb} aaron 5".to_string(),
        "TOURNEY.SUBMIT {lb} zoe 7".to_string(),
        "TOURNEY.SUBMIT {lb} zoe 1".to_string(),
        "TOURNEY.REM {lb} aaron ghost".to_string(),
        "TOURNEY.REM {lb} zoe".to_string(),
        "ZADD t:{x}:lb 1 m".to_string(),
        format!("TOURNEY.CREATE t:{{x}}:lb TIES COMPETITION EXPIREAT {at}"),
        format!("TOURNEY.CREATE {{e}} TIES DENSE TIEBREAK FIRST EXPIREAT {at}"),
        "TOURNEY.SUBMIT {e} m 3".to_string(),
    ] {
        sh_ok(&mut con, &line);
    }
    let at = at.to_string();
    let settings_x = format!("tiebreak member ties competition expireat {at}");
    let settings_e = format!("tiebreak first ties dense expireat {at}");
    let cmd = |parts: &[&[u8]]| parts.iter().map(|p| p.to_vec()).collect::<Vec<Vec<u8>>>();
    let want: Vec<Vec<Vec<u8>>> = vec![
        cmd(&[b"SET", b"{lb}:tourney", b"tiebreak first ties dense"]),
        // zoe arrives at 5.
        cmd(&[b"ZADD", b"{lb}", b"5", b"zoe"]),
        cmd(&[b"HSET", b"{lb}:arrival", b"zoe", b"1"]),
        cmd(&[b"ZADD", b"{lb}:order", b"5", &order_entry(1, "zoe")]),
        cmd(&[b"ZADD", b"{lb}:dense", b"5", b"5"]),
        // aaron at 5: the score is already in the dense set.
        cmd(&[b"ZADD", b"{lb}", b"5", b"aaron"]),
        cmd(&[b"HSET", b"{lb}:arrival", b"aaron", b"2"]),
        cmd(&[b"ZADD", b"{lb}:order", b"5", &order_entry(2, "aaron")]),
        // zoe moves to 7, the first there; 5 stays in the dense set (aaron holds it).
        cmd(&[b"ZADD", b"{lb}", b"7", b"zoe"]),
        cmd(&[b"ZREM", b"{lb}:order", &order_entry(1, "zoe")]),
        cmd(&[b"HSET", b"{lb}:arrival", b"zoe", b"1"]),
        cmd(&[b"ZADD", b"{lb}:order", b"7", &order_entry(1, "zoe")]),
        cmd(&[b"ZADD", b"{lb}:dense", b"7", b"7"]),
        // SUBMIT zoe 1 changes nothing: nothing propagated. REM aaron (ghost is absent).
        cmd(&[b"ZREM", b"{lb}", b"aaron"]),
        cmd(&[b"HDEL", b"{lb}:arrival", b"aaron"]),
        cmd(&[b"ZREM", b"{lb}:order", &order_entry(2, "aaron")]),
        cmd(&[b"ZREM", b"{lb}:dense", b"5"]),
        // The last member: the tie structures go in one DEL.
        cmd(&[b"ZREM", b"{lb}", b"zoe"]),
        cmd(&[b"DEL", b"{lb}:arrival", b"{lb}:order", b"{lb}:dense"]),
        // EXPIREAT on a populated board, then on an empty one filled later.
        cmd(&[b"ZADD", b"t:{x}:lb", b"1", b"m"]),
        cmd(&[b"SET", b"t:{x}:lb:tourney", settings_x.as_bytes(), b"PXAT", at.as_bytes()]),
        cmd(&[b"PEXPIREAT", b"t:{x}:lb", at.as_bytes()]),
        cmd(&[b"SET", b"{e}:tourney", settings_e.as_bytes(), b"PXAT", at.as_bytes()]),
        cmd(&[b"ZADD", b"{e}", b"3", b"m"]),
        cmd(&[b"PEXPIREAT", b"{e}", at.as_bytes()]),
        cmd(&[b"HSET", b"{e}:arrival", b"m", b"1"]),
        cmd(&[b"ZADD", b"{e}:order", b"3", &order_entry(1, "m")]),
        cmd(&[b"PEXPIREAT", b"{e}:arrival", at.as_bytes()]),
        cmd(&[b"PEXPIREAT", b"{e}:order", at.as_bytes()]),
        cmd(&[b"ZADD", b"{e}:dense", b"3", b"3"]),
        cmd(&[b"PEXPIREAT", b"{e}:dense", at.as_bytes()]),
    ];
    let commands = aof_data_commands(&server.dir);
    let shown =
        |list: &[Vec<Vec<u8>>]| list.iter().map(|c| crate::common::reply::printable(c).join(" ")).collect::<Vec<_>>();
    // The settings carry the creation time, which the primary's clock chose.
    let commands: Vec<Vec<Vec<u8>>> = commands
        .into_iter()
        .map(|command| {
            command
                .into_iter()
                .map(|arg| without_created(&String::from_utf8_lossy(&arg)).into_bytes().to_vec())
                .collect()
        })
        .collect();
    assert_eq!(shown(&commands), shown(&want));
}

#[test]
fn aof_reload_and_restart_keep_bytes_and_order() {
    let options = aof_options(&["--enable-debug-command", "yes"]);
    let server = Server::start_with(options.clone());
    let mut con = server.connect();
    let mut work = boards(&mut con, 0xA0F);
    interleave(&mut con, &mut work, 3000);
    let before = key_dumps(&mut con);
    assert_key_set(&before, &work, "before the reload");
    let top = tops(&mut con, &work);
    assert_aof_is_native(&server.dir, &work);

    assert_eq!(sh(&mut con, "DEBUG LOADAOF"), "OK");
    assert_eq!(key_dumps(&mut con), before, "after DEBUG LOADAOF");
    assert_eq!(tops(&mut con, &work), top, "TOP after DEBUG LOADAOF");

    drop(con);
    let dir = server.kill();
    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    let mut con = restarted.connect();
    assert_eq!(key_dumps(&mut con), before, "after a restart from the AOF");
    assert_eq!(tops(&mut con, &work), top, "TOP after a restart from the AOF");
    // Arrival numbering goes on from the reloaded state.
    interleave(&mut con, &mut work, 600);
}

#[test]
fn rdb_restart_keeps_bytes_and_order() {
    let server = Server::start();
    let mut con = server.connect();
    let mut work = boards(&mut con, 0x4DB);
    interleave(&mut con, &mut work, 3000);
    let before = key_dumps(&mut con);
    assert_key_set(&before, &work, "before SAVE");
    let top = tops(&mut con, &work);
    assert_eq!(sh(&mut con, "SAVE"), "OK");
    drop(con);
    let dir = server.kill();

    let restarted = Server::start_with(Options { dir: Some(dir), ..Options::default() });
    let mut con = restarted.connect();
    assert_eq!(key_dumps(&mut con), before, "after the RDB restart");
    assert_eq!(tops(&mut con, &work), top, "TOP after the RDB restart");
    interleave(&mut con, &mut work, 600);
}

// ==== 6. Expiry =======================================================================================

#[test]
fn expireat_reaches_every_key_on_primary_and_replica() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let mut rcon = replica.connect();
    let at = server_ms(&mut con) + 3_600_000;
    let expiry = |con: &mut Connection, key: &str| -> Vec<String> {
        all_keys(key).iter().map(|name| run(con, &["PEXPIRETIME", name])).collect()
    };
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES DENSE EXPIREAT {at}")), "OK");
    assert_eq!(expiry(&mut con, "{lb}"), ["-2", &at.to_string(), "-2", "-2", "-2"]);
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} zoe 5"), r#"["5", 1]"#);
    let everywhere = vec![at.to_string(); 5];
    assert_eq!(expiry(&mut con, "{lb}"), everywhere);
    wait_in_sync(&mut con, &mut rcon);
    assert_eq!(expiry(&mut rcon, "{lb}"), everywhere, "on the replica");

    // Keys created again later get the same time: after the board empties, and after a DEL.
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} zoe"), "1");
    assert_eq!(expiry(&mut con, "{lb}"), ["-2", &at.to_string(), "-2", "-2", "-2"]);
    assert_eq!(sh(&mut con, "TOURNEY.SUBMIT {lb} aaron 3"), r#"["3", 1, 1]"#);
    assert_eq!(expiry(&mut con, "{lb}"), everywhere);
    sh_ok(&mut con, "DEL {lb}");
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} mike 1"), r#"["1", 1]"#);
    assert_eq!(expiry(&mut con, "{lb}"), everywhere);

    // A populated MEMBER board: the leaderboard gets the time at CREATE.
    sh_ok(&mut con, "ZADD t:{p}:lb 1 a 2 b");
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE t:{{p}}:lb TIES COMPETITION EXPIREAT {at}")), "OK");
    assert_eq!(expiry(&mut con, "t:{p}:lb"), [at.to_string().as_str(), &at.to_string(), "-2", "-2", "-2"]);
    wait_in_sync(&mut con, &mut rcon);
    assert_eq!(expiry(&mut rcon, "{lb}"), everywhere, "on the replica");
    assert_eq!(
        expiry(&mut rcon, "t:{p}:lb"),
        [at.to_string().as_str(), &at.to_string(), "-2", "-2", "-2"],
        "on the replica"
    );
    assert_eq!(key_dumps(&mut rcon), key_dumps(&mut con));
}

/// A board's only member changing its score: its order entry's ZREM empties the order set,
/// which the ZADD then creates again; it must get the tournament's expiry again (it kept
/// none, on primary and replica, and outlived the tournament). Both orders; a season's
/// board, whose expiry is its season's, alike.
#[test]
fn a_lone_member_moving_keeps_the_order_sets_expiry() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let mut rcon = replica.connect();
    let at = server_ms(&mut con) + 3_600_000;
    let expiry = |con: &mut Connection, key: &str| -> Vec<String> {
        all_keys(key).iter().map(|name| run(con, &["PEXPIRETIME", name])).collect()
    };
    let everywhere = vec![at.to_string(); 5];
    for (key, order) in [("{desc}", "DESC"), ("{asc}", "ASC")] {
        let create = format!("TOURNEY.CREATE {key} ORDER {order} TIEBREAK FIRST TIES DENSE EXPIREAT {at}");
        assert_eq!(sh(&mut con, &create), "OK");
        for line in ["TOURNEY.INCR {k} zoe 5", "TOURNEY.INCR {k} zoe 1", "TOURNEY.SUBMIT {k} zoe 2 LATEST"] {
            sh_ok(&mut con, &line.replace("{k}", key));
            assert_eq!(expiry(&mut con, key), everywhere, "{key}: after {line}");
        }
    }
    // A season's board: its keys end with the season.
    sh_ok(&mut con, "TOURNEY.CREATE {s} ORDER ASC TIEBREAK FIRST");
    sh_ok(&mut con, "TOURNEY.INCR {s} zoe 5 SEASON monthly");
    let season = season_at(Period::Monthly, server_ms(&mut con));
    let board = format!("{{s}}:{}", season.name);
    sh_ok(&mut con, "TOURNEY.INCR {s} zoe 1 SEASON monthly");
    let keys = [board.clone(), format!("{board}:arrival"), format!("{board}:order")];
    let expiries = |con: &mut Connection| keys.iter().map(|name| run(con, &["PEXPIRETIME", name])).collect::<Vec<_>>();
    assert_eq!(expiries(&mut con), vec![season.expire_at_ms.to_string(); 3], "{board}");
    wait_in_sync(&mut con, &mut rcon);
    for key in ["{desc}", "{asc}"] {
        assert_eq!(expiry(&mut rcon, key), everywhere, "{key} on the replica");
    }
    assert_eq!(expiries(&mut rcon), expiries(&mut con), "{board} on the replica");
    assert_eq!(key_dumps(&mut rcon), key_dumps(&mut con));
}

#[test]
fn a_tournament_expires_as_a_whole() {
    let (_server, mut con) = start();
    let at = server_ms(&mut con) + 1500;
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{lb}} TIEBREAK FIRST TIES DENSE EXPIREAT {at}")), "OK");
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} zoe 5"), r#"["5", 1]"#);
    assert_eq!(sh(&mut con, "EXISTS {lb} {lb}:tourney {lb}:arrival {lb}:order {lb}:dense"), "5");
    poll_until(Duration::from_secs(10), || {
        sh(&mut con, "EXISTS {lb} {lb}:tourney {lb}:arrival {lb}:order {lb}:dense") == "0"
    });
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(false, "member", "ordinal", None, 0, None));
    // What follows is a plain board again.
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} zoe 1"), r#"["1", 1]"#);
    assert_eq!(sh(&mut con, "KEYS *"), r#"["{lb}"]"#);
}

// ==== 7. Stale tie structures ===========================================================================

#[test]
fn a_deleted_leaderboard_starts_afresh_on_the_next_write() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST TIES DENSE"), "OK");
    for line in ["TOURNEY.INCR {lb} a 5", "TOURNEY.INCR {lb} b 5", "TOURNEY.INCR {lb} c 7"] {
        sh_ok(&mut con, line);
    }
    sh_ok(&mut con, "DEL {lb}");
    // Until the next write the board reads as empty, like any missing key, though its stale
    // tie structures are still there (docs/tie-policies.md, "Native writes and deletes").
    expect(
        &mut con,
        &[
            ("TOURNEY.RANK {lb} a", "nil"),
            ("TOURNEY.PERCENTILE {lb} a", "nil"),
            ("TOURNEY.TOP {lb} 5", "[]"),
            ("TOURNEY.TOP {lb} 5 OFFSET 1", "[]"),
            ("TOURNEY.AROUND {lb} a 1", "nil"),
            ("EXISTS {lb}:arrival {lb}:order {lb}:dense", "3"),
            // A write, even one that removes nothing, deletes them (issue 19 #8).
            ("TOURNEY.REM {lb} a", "0"),
            ("EXISTS {lb}:arrival {lb}:order {lb}:dense", "0"),
        ],
    );
    assert_eq!(sh(&mut con, "TOURNEY.INFO {lb}"), info_reply(true, "first", "dense", None, 0, None));
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR {lb} d 1", r#"["1", 1]"#),
            // A DENSE tournament: both share rank 1; TIES ORDINAL shows the arrival order.
            ("TOURNEY.SUBMIT {lb} e 1", r#"["1", 1, 1]"#),
            ("TOURNEY.TOP {lb} 5", r#"[["d", "1", 1], ["e", "1", 1]]"#),
            ("TOURNEY.TOP {lb} 5 TIES ORDINAL", r#"[["d", "1", 1], ["e", "1", 2]]"#),
            ("ZRANGE {lb}:dense 0 -1", r#"["1"]"#),
            ("ZCARD {lb}:order", "2"),
        ],
    );
    let arrival = ok(&mut con, &["HGETALL", "{lb}:arrival"]);
    assert_eq!(render(&arrival), r#"["d", "1", "e", "2"]"#);
}

#[test]
fn native_changes_to_a_first_board_are_detected() {
    let (mut server, mut con) = start();
    for key in ["{zadd}", "{zrem}"] {
        assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {key} TIEBREAK FIRST")), "OK");
        for (member, score) in [("a", 5), ("b", 3), ("c", 3)] {
            sh_ok(&mut con, &format!("TOURNEY.INCR {key} {member} {score}"));
        }
    }
    sh_ok(&mut con, "ZADD {zadd} 100 intruder");
    sh_ok(&mut con, "ZREM {zrem} c");
    for key in ["{zadd}", "{zrem}"] {
        let error = out_of_sync_error(key);
        for line in [
            "TOURNEY.INCR {k} a 1",
            "TOURNEY.INCR {k} a 0",
            "TOURNEY.INCR {k} newcomer 1",
            "TOURNEY.SUBMIT {k} a 50",
            "TOURNEY.SUBMIT {k} newcomer 1 LATEST",
            "TOURNEY.REM {k} a",
            "TOURNEY.REM {k} nobody",
            "TOURNEY.RANK {k} a",
            "TOURNEY.RANK {k} a WITHSCORE",
            "TOURNEY.RANK {k} b TIES COMPETITION",
            "TOURNEY.TOP {k} 10",
            "TOURNEY.TOP {k} 10 OFFSET 1",
            "TOURNEY.TOP {k} 1 TIES COMPETITION",
            "TOURNEY.AROUND {k} a 1",
            "TOURNEY.PERCENTILE {k} a",
        ] {
            refused(&mut con, &line.replace("{k}", key), &error);
        }
        // INFO still reports the board as it is.
        assert!(sh(&mut con, &format!("TOURNEY.INFO {key}")).starts_with(r#"["created", 1, "tiebreak", "first""#));
    }
    assert!(server.is_up());
}

/// Module bug: on a FIRST board changed with a native ZADD, a SUBMIT that leaves the score
/// as it is still replies, with a rank taken from the stale order set, where every other
/// TOURNEY call is refused as the spec says ("TOURNEY calls on it fail").
#[test]
fn submit_without_change_on_a_changed_first_board_is_refused_too() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE {lb} TIEBREAK FIRST"), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {lb} a 5");
    sh_ok(&mut con, "ZADD {lb} 100 intruder");
    let error = out_of_sync_error("{lb}");
    // Control: a SUBMIT that changes the score is refused.
    refused(&mut con, "TOURNEY.SUBMIT {lb} a 6", &error);
    // Replies ["5", 1, 0] although the leaderboard has intruder above a.
    for line in ["TOURNEY.SUBMIT {lb} a 1", "TOURNEY.SUBMIT {lb} a 5 BEST", "TOURNEY.SUBMIT {lb} a 5 LATEST"] {
        refused(&mut con, line, &error);
    }
}

// ==== 8. ACL on the companion keys ========================================================================

/// ACL LOG's newest entry as a map.
fn newest_acl_log(con: &mut Connection) -> BTreeMap<String, Value> {
    let log = ok(con, &["ACL", "LOG", "1"]);
    fields(&items(&log)[0])
}

#[test]
fn users_without_the_companion_keys_get_noperm_on_created_tournaments() {
    let server = Server::start();
    let mut admin = server.connect();
    let key = "t:{x}:lb";
    assert_eq!(sh(&mut admin, "ACL SETUSER player on nopass ~t:{x}:lb +@all"), "OK");
    let mut player = login(&server, "player");

    // A plain board: every command, with exact replies.
    let plain = [
        ("TOURNEY.INFO {k}", info_reply(false, "member", "ordinal", None, 0, None)),
        ("TOURNEY.INCR {k} alice 5", r#"["5", 1]"#.to_string()),
        ("TOURNEY.SUBMIT {k} bob 7", r#"["7", 1, 1]"#.to_string()),
        ("TOURNEY.RANK {k} alice", "2".to_string()),
        ("TOURNEY.RANK {k} alice WITHSCORE TIES COMPETITION", r#"[2, "5"]"#.to_string()),
        ("TOURNEY.TOP {k} 2", r#"[["bob", "7", 1], ["alice", "5", 2]]"#.to_string()),
        ("TOURNEY.TOP {k} 1 OFFSET 1", r#"[["alice", "5", 2]]"#.to_string()),
        ("TOURNEY.AROUND {k} alice 0", r#"[["alice", "5", 2]]"#.to_string()),
        ("TOURNEY.PERCENTILE {k} alice", r#""50""#.to_string()),
        ("TOURNEY.INFO {k}", info_reply(false, "member", "ordinal", None, 2, Some(("7", "5")))),
        ("TOURNEY.REM {k} bob", "1".to_string()),
    ];
    for (line, reply) in &plain {
        assert_eq!(sh(&mut player, &line.replace("{k}", key)), *reply, "{line}");
    }
    // CREATE writes the settings key, which the user may not touch.
    assert_eq!(sh(&mut admin, "ACL LOG RESET"), "OK");
    for options in ["", " TIES COMPETITION", " TIEBREAK FIRST"] {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut player, &format!("TOURNEY.CREATE {key}{options}")), MODULE_NOPERM, "{options}");
        assert_eq!(key_dumps(&mut admin), before);
    }
    let entry = newest_acl_log(&mut admin);
    assert_eq!(text(field(&entry, "object")), "t:{x}:lb:tourney");

    // Once created, every command needs the companion keys too.
    assert_eq!(sh(&mut admin, &format!("DEL {key}")), "1");
    assert_eq!(sh(&mut admin, &format!("TOURNEY.CREATE {key} TIEBREAK FIRST")), "OK");
    sh_ok(&mut admin, &format!("TOURNEY.INCR {key} alice 5"));
    assert_eq!(sh(&mut admin, "ACL LOG RESET"), "OK");
    let calls = [
        "TOURNEY.INFO {k}",
        "TOURNEY.INCR {k} alice 1",
        "TOURNEY.SUBMIT {k} bob 7",
        "TOURNEY.RANK {k} alice",
        "TOURNEY.RANK {k} alice WITHSCORE",
        "TOURNEY.TOP {k} 2",
        "TOURNEY.TOP {k} 1 OFFSET 1",
        "TOURNEY.AROUND {k} alice 0",
        "TOURNEY.PERCENTILE {k} alice",
        "TOURNEY.REM {k} alice",
        "TOURNEY.CREATE {k} TIEBREAK FIRST",
    ];
    for line in calls {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut player, &line.replace("{k}", key)), MODULE_NOPERM, "{line}");
        assert_eq!(key_dumps(&mut admin), before, "refused {line} changed the data set");
    }
    // One ACL LOG entry, counted once per refusal, naming the first key refused.
    let log = ok(&mut admin, &["ACL", "LOG"]);
    assert_eq!(items(&log).len(), 1, "{}", render(&log));
    let entry = fields(&items(&log)[0]);
    assert_eq!(int(field(&entry, "count")), calls.len() as i64);
    assert_eq!(text(field(&entry, "reason")), "key");
    assert_eq!(text(field(&entry, "context")), "module");
    assert_eq!(text(field(&entry, "object")), "t:{x}:lb:tourney");
    assert_eq!(text(field(&entry, "username")), "player");
}

#[test]
fn read_only_companions_allow_reads_and_refuse_writes() {
    let server = Server::start();
    let mut admin = server.connect();
    let key = "t:{x}:lb";
    assert_eq!(sh(&mut admin, &format!("TOURNEY.CREATE {key} TIEBREAK FIRST TIES DENSE")), "OK");
    for line in ["TOURNEY.INCR {k} alice 5", "TOURNEY.INCR {k} bob 7", "TOURNEY.INCR {k} carol 5"] {
        sh_ok(&mut admin, &line.replace("{k}", key));
    }
    let reads = [
        ("TOURNEY.RANK {k} carol", "2"),
        ("TOURNEY.RANK {k} carol WITHSCORE TIES ORDINAL", r#"[3, "5"]"#),
        ("TOURNEY.TOP {k} 3", r#"[["bob", "7", 1], ["alice", "5", 2], ["carol", "5", 2]]"#),
        ("TOURNEY.TOP {k} 2 OFFSET 1 TIES ORDINAL", r#"[["alice", "5", 2], ["carol", "5", 3]]"#),
        ("TOURNEY.AROUND {k} carol 0", r#"[["carol", "5", 2]]"#),
        ("TOURNEY.PERCENTILE {k} bob", r#""100""#),
        (
            "TOURNEY.INFO {k}",
            r#"["created", 1, "tiebreak", "first", "ties", "dense", "expireat", nil, "members", 3, "top", "7", "bottom", "5", "order", "desc"]"#,
        ),
    ];
    let writes = [
        "TOURNEY.INCR {k} alice 1",
        "TOURNEY.SUBMIT {k} dave 1",
        "TOURNEY.REM {k} alice",
        "TOURNEY.CREATE {k} TIEBREAK FIRST TIES DENSE",
    ];

    // Read-only on every key of the tournament: the server refuses the writes (its own
    // NOPERM wording differs between Redis and Valkey).
    assert_eq!(sh(&mut admin, "ACL SETUSER reader on nopass %R~t:{x}:lb* +@all"), "OK");
    let mut reader = login(&server, "reader");
    for (line, reply) in reads {
        assert_eq!(sh(&mut reader, &line.replace("{k}", key)), reply, "reader: {line}");
    }
    for line in writes {
        let before = key_dumps(&mut admin);
        let reply = sh(&mut reader, &line.replace("{k}", key));
        assert!(reply.starts_with("(error) NOPERM "), "reader: {line}: {reply}");
        assert_eq!(key_dumps(&mut admin), before, "reader: {line}");
    }

    // Write access to the leaderboard, read-only on the companions: the module refuses.
    assert_eq!(sh(&mut admin, "ACL SETUSER half on nopass ~t:{x}:lb %R~t:{x}:lb:* +@all"), "OK");
    let mut half = login(&server, "half");
    for (line, reply) in reads {
        assert_eq!(sh(&mut half, &line.replace("{k}", key)), reply, "half: {line}");
    }
    assert_eq!(sh(&mut admin, "ACL LOG RESET"), "OK");
    for line in writes {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut half, &line.replace("{k}", key)), MODULE_NOPERM, "half: {line}");
        assert_eq!(key_dumps(&mut admin), before, "half: {line}");
    }
    let entry = newest_acl_log(&mut admin);
    assert_eq!(text(field(&entry, "context")), "module");
    assert_eq!(text(field(&entry, "object")), "t:{x}:lb:tourney");
    assert_eq!(int(field(&entry, "count")), writes.len() as i64);

    // Full access: everything works.
    assert_eq!(sh(&mut admin, "ACL SETUSER full on nopass ~t:{x}:lb* +@all"), "OK");
    let mut full = login(&server, "full");
    for (line, reply) in reads {
        assert_eq!(sh(&mut full, &line.replace("{k}", key)), reply, "full: {line}");
    }
    expect(
        &mut full,
        &[
            ("TOURNEY.CREATE t:{x}:lb TIEBREAK FIRST TIES DENSE", "OK"),
            ("TOURNEY.INCR t:{x}:lb carol 2", r#"["7", 1]"#),
            ("TOURNEY.SUBMIT t:{x}:lb dave 1", r#"["1", 3, 1]"#),
            ("TOURNEY.REM t:{x}:lb alice", "1"),
            ("TOURNEY.TOP t:{x}:lb 3 TIES ORDINAL", r#"[["bob", "7", 1], ["carol", "7", 2], ["dave", "1", 3]]"#),
        ],
    );
}

#[test]
fn create_needs_write_access_to_the_keys_the_policy_keeps() {
    let server = Server::start();
    let mut admin = server.connect();
    assert_eq!(sh(&mut admin, "ACL SETUSER setup on nopass ~t:{z}:lb ~t:{z}:lb:tourney +@all"), "OK");
    let mut setup = login(&server, "setup");
    assert_eq!(sh(&mut admin, "ACL LOG RESET"), "OK");
    for (options, refused_key) in [("TIEBREAK FIRST", "t:{z}:lb:arrival"), ("TIES DENSE", "t:{z}:lb:dense")] {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut setup, &format!("TOURNEY.CREATE t:{{z}}:lb {options}")), MODULE_NOPERM, "{options}");
        assert_eq!(key_dumps(&mut admin), before, "{options}");
        let entry = newest_acl_log(&mut admin);
        assert_eq!(text(field(&entry, "object")), refused_key, "{options}");
        assert_eq!(text(field(&entry, "username")), "setup");
    }
    // A policy that keeps no tie structures needs only the settings key.
    expect(
        &mut setup,
        &[
            ("TOURNEY.CREATE t:{z}:lb TIES COMPETITION", "OK"),
            ("TOURNEY.INCR t:{z}:lb a 1", r#"["1", 1]"#),
            ("TOURNEY.INCR t:{z}:lb b 1", r#"["1", 1]"#),
            (
                "TOURNEY.INFO t:{z}:lb",
                r#"["created", 1, "tiebreak", "member", "ties", "competition", "expireat", nil, "members", 2, "top", "1", "bottom", "1", "order", "desc"]"#,
            ),
        ],
    );
}

// ==== 9. Key declaration ====================================================================================

#[test]
fn create_and_info_declare_their_key() {
    let (_server, mut con) = start();
    expect(
        &mut con,
        &[
            ("COMMAND GETKEYS TOURNEY.CREATE mykey", r#"["mykey"]"#),
            ("COMMAND GETKEYS TOURNEY.CREATE mykey TIEBREAK FIRST TIES DENSE EXPIREAT 99999999999999", r#"["mykey"]"#),
            ("COMMAND GETKEYS tourney.info t:{x}:lb", r#"["t:{x}:lb"]"#),
        ],
    );
    let (find, context) = assert_command_info(
        &mut con,
        "tourney.create",
        -2,
        &["write", "denyoom", "module", "fast"],
        (1, 1, 1),
        &["RW", "update"],
    );
    assert_one_key_range(&find, &context);
    let (find, context) = assert_command_info(
        &mut con,
        "tourney.info",
        -2,
        &["readonly", "module", "fast"],
        (1, 1, 1),
        &["RO", "access"],
    );
    assert_one_key_range(&find, &context);
}

// ==== 10. RESP3 ===============================================================================================

#[test]
fn info_is_a_map_in_resp3() {
    let server = Server::start();
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", server.port)).expect("a client");
    let mut con = client.get_connection().expect("a RESP3 connection");
    let at = server_ms(&mut con) + 3_600_000;
    let map = |pairs: Vec<(&str, Value)>| {
        Value::Map(
            pairs.into_iter().map(|(name, value)| (Value::BulkString(name.as_bytes().to_vec()), value)).collect(),
        )
    };
    let word = |w: &str| Value::BulkString(w.as_bytes().to_vec());
    assert_eq!(
        ok(&mut con, &["TOURNEY.INFO", "{lb}"]),
        map(vec![
            ("created", Value::Int(0)),
            ("tiebreak", word("member")),
            ("ties", word("ordinal")),
            ("expireat", Value::Nil),
            ("members", Value::Int(0)),
            ("top", Value::Nil),
            ("bottom", Value::Nil),
            ("order", word("desc")),
        ])
    );
    assert_eq!(
        run(&mut con, &["TOURNEY.CREATE", "{lb}", "TIEBREAK", "FIRST", "TIES", "DENSE", "EXPIREAT", &at.to_string()]),
        "OK"
    );
    ok(&mut con, &["TOURNEY.INCR", "{lb}", "a", "5"]);
    ok(&mut con, &["TOURNEY.INCR", "{lb}", "b", "-2.5"]);
    assert_eq!(
        ok(&mut con, &["TOURNEY.INFO", "{lb}"]),
        map(vec![
            ("created", Value::Int(1)),
            ("tiebreak", word("first")),
            ("ties", word("dense")),
            ("expireat", Value::Int(at)),
            ("members", Value::Int(2)),
            ("top", Value::Double(5.0)),
            ("bottom", Value::Double(-2.5)),
            ("order", word("desc")),
        ])
    );
    // An ASC tournament: `top` is the lowest score.
    assert_eq!(run(&mut con, &["TOURNEY.CREATE", "{asc}", "ORDER", "ASC"]), "OK");
    ok(&mut con, &["TOURNEY.INCR", "{asc}", "a", "5"]);
    ok(&mut con, &["TOURNEY.INCR", "{asc}", "b", "-2.5"]);
    assert_eq!(
        ok(&mut con, &["TOURNEY.INFO", "{asc}"]),
        map(vec![
            ("created", Value::Int(1)),
            ("tiebreak", word("member")),
            ("ties", word("ordinal")),
            ("expireat", Value::Nil),
            ("members", Value::Int(2)),
            ("top", Value::Double(-2.5)),
            ("bottom", Value::Double(5.0)),
            ("order", word("asc")),
        ])
    );
}
