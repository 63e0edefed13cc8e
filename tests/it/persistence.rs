//! Persistence of a mixed workload of every tally write command: TOURNEY.INCR / SUBMIT /
//! REM, LIMIT.SLIDE / MULTI / GCRA / RESET (long windows, so nothing expires while a test
//! runs), AUDIT.APPEND (with MAXLEN and IDEMPOTENT, retries and stale sequences included)
//! and AUDIT.GROUP.
//!
//! Each acknowledged write updates a model of what the data set must hold, built from the
//! replies alone: leaderboard scores, the number of units in each sliding log, each GCRA
//! limiter's theoretical arrival time, each stream's entries (IDs and fields, capped as
//! the command caps them), each idempotent producer's last sequence and entry, and each
//! stream's groups. The model is checked on the live server, then after:
//!
//! - `kill -9` of a server with `appendonly yes` and `appendfsync always` (an AOF rewrite
//!   half-way through) and a restart on the same folder;
//! - `SAVE`, `kill -9` and a restart from the RDB file;
//! - `DEBUG RELOAD`;
//! - a replica's full sync after a long workload (and the stream of effects after it).
//!
//! Every time, each key's `DUMP` and `PEXPIRETIME` must also equal those taken just before.
//! The figures (acknowledged writes, keys and entries checked) are printed.

use crate::common::reply::*;
use crate::common::rng::{Random, SplitMix64};
use crate::common::*;
use redis::{Connection, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

// ---- small helpers -----------------------------------------------------------------------

fn cmd(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

fn show(args: &[Vec<u8>]) -> String {
    args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}

fn score(value: &Value) -> f64 {
    text(value).parse().expect("a score")
}

// ---- the workload and its model ----------------------------------------------------------

const BOARDS: [&str; 3] = ["p:{t}:lb0", "p:{t}:lb1", "p:{t}:lb2"];
const LOGS: [&str; 4] = ["p:{l}:s0", "p:{l}:s1", "p:{l}:s2", "p:{l}:s3"];
/// One hour: nothing leaves a window while a test runs.
const WINDOW_MS: i64 = 3_600_000;
const LOG_MAX: i64 = 400;
const GCRAS: [&str; 3] = ["p:{g}:c0", "p:{g}:c1", "p:{g}:c2"];
/// GCRA parameters: 10 units per hour, bursts of 120 (limit 121); one unit is 360 s.
const GCRA_BURST: i64 = 120;
const GCRA_COUNT: i64 = 10;
const GCRA_PERIOD_MS: i64 = 3_600_000;
const EMISSION_US: i64 = GCRA_PERIOD_MS * 1000 / GCRA_COUNT;
const STREAMS: [&str; 3] = ["p:{a}:log0", "p:{a}:log1", "p:{a}:log2"];
const PRODUCERS: [&str; 3] = ["pos-1", "pos-2", "pos-3"];
/// Besides the shared keys above: per-user limiters and per-tenant audit logs, each in
/// its own slot, so that the data sets hold a few hundred keys.
const USERS: u64 = 150;
const TENANTS: u64 = 20;
/// tally.audit-max-len's default: the cap without MAXLEN.
const DEFAULT_CAP: usize = 10_000;

type Entry = (String, Vec<(String, String)>);

#[derive(Default)]
struct Model {
    boards: BTreeMap<String, BTreeMap<String, f64>>,
    /// Units in each sliding log.
    logs: BTreeMap<String, i64>,
    /// Theoretical arrival time (µs) of each GCRA limiter.
    gcras: BTreeMap<String, i64>,
    streams: BTreeMap<String, VecDeque<Entry>>,
    /// (stream, producer) -> (last sequence, its entry ID).
    producers: BTreeMap<(String, String), (i64, String)>,
    groups: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Default, Debug, Clone, Copy)]
struct Figures {
    writes: u64,
    refused: u64,
    retries: u64,
}

struct Workload {
    rng: SplitMix64,
    model: Model,
    figures: Figures,
    next_seq: BTreeMap<(String, String), i64>,
}

impl Workload {
    fn new(seed: u64) -> Workload {
        Workload {
            rng: SplitMix64(seed),
            model: Model::default(),
            figures: Figures::default(),
            next_seq: BTreeMap::new(),
        }
    }

    fn score(&mut self) -> String {
        let whole = self.rng.below(2001) as i64 - 1000;
        match self.rng.below(4) {
            0 => format!("{whole}.5"),
            1 => format!("{}", whole as f64 / 10.0),
            _ => whole.to_string(),
        }
    }

    /// One write command; its reply updates the model.
    fn step(&mut self, con: &mut Connection) {
        match self.rng.below(20) {
            0..=3 => self.tourney_write(con),
            4..=6 => self.slide(con),
            7 => self.multi(con),
            8 | 9 => self.gcra(con),
            10 => self.reset(con),
            11..=17 => self.append(con),
            _ => self.group(con),
        }
    }

    fn tourney_write(&mut self, con: &mut Connection) {
        let key = self.rng.pick(&BOARDS).to_string();
        // lb0 grows past 128 members (a skiplist), the others stay small (a listpack).
        let spread = if key == BOARDS[0] { 300 } else { 40 };
        let member = format!("m{}", self.rng.below(spread));
        match self.rng.below(6) {
            0 | 1 => {
                let delta = self.score();
                let reply = ok(con, &cmd(&["TOURNEY.INCR", &key, &member, &delta]));
                let new = score(&items(&reply)[0]);
                let old = self.model.boards.get(&key).and_then(|b| b.get(&member)).copied().unwrap_or(0.0);
                assert_eq!(new, old + delta.parse::<f64>().unwrap(), "INCR {key} {member} {delta}");
                self.model.boards.entry(key).or_default().insert(member, new);
            }
            2..=4 => {
                let value = self.score();
                let mode = *self.rng.pick(&["BEST", "LATEST"]);
                let reply = ok(con, &cmd(&["TOURNEY.SUBMIT", &key, &member, &value, mode]));
                let stored = score(&items(&reply)[0]);
                let old = self.model.boards.get(&key).and_then(|b| b.get(&member)).copied();
                let new: f64 = value.parse().unwrap();
                let want = match (old, mode) {
                    (Some(old), "BEST") => old.max(new),
                    _ => new,
                };
                assert_eq!(stored, want, "SUBMIT {key} {member} {value} {mode}");
                assert_eq!(int(&items(&reply)[2]), i64::from(old != Some(want)), "SUBMIT updated flag");
                self.model.boards.entry(key).or_default().insert(member, stored);
            }
            _ => {
                let extra = self.rng.below(3);
                let members: BTreeSet<String> =
                    (0..extra).map(|_| format!("m{}", self.rng.below(spread))).chain([member]).collect();
                let mut args = cmd(&["TOURNEY.REM", &key]);
                args.extend(members.iter().map(|m| m.as_bytes().to_vec()));
                let removed = int(&ok(con, &args));
                let board = self.model.boards.entry(key.clone()).or_default();
                let present = members.iter().filter(|m| board.remove(*m).is_some()).count() as i64;
                assert_eq!(removed, present, "{}", show(&args));
                if board.is_empty() {
                    self.model.boards.remove(&key);
                }
            }
        }
        self.figures.writes += 1;
    }

    fn check_decision(&self, reply: &Value, limit: i64, remaining: i64, call: &str) -> bool {
        let values: Vec<i64> = items(reply).iter().map(int).collect();
        assert_eq!(values.len(), 5, "{call}");
        assert_eq!((values[1], values[2]), (limit, remaining), "{call}: {values:?}");
        values[0] == 1
    }

    fn slide(&mut self, con: &mut Connection) {
        let key = match self.rng.below(2) {
            0 => self.rng.pick(&LOGS).to_string(),
            _ => format!("rl:{{u{}}}", self.rng.below(USERS)),
        };
        let cost = self.rng.below(4) as i64;
        let call = cmd(&["LIMIT.SLIDE", &key, &WINDOW_MS.to_string(), &LOG_MAX.to_string(), "COST", &cost.to_string()]);
        let reply = ok(con, &call);
        let count = self.model.logs.get(&key).copied().unwrap_or(0);
        let fits = count + cost <= LOG_MAX;
        let after = if fits { count + cost } else { count };
        assert_eq!(self.check_decision(&reply, LOG_MAX, LOG_MAX - after, &show(&call)), fits);
        if fits && cost > 0 {
            self.model.logs.insert(key, after);
        }
        self.figures.writes += 1;
    }

    fn multi(&mut self, con: &mut Connection) {
        let n = 1 + self.rng.below(3) as usize;
        let mut keys: Vec<String> = LOGS.iter().map(std::string::ToString::to_string).collect();
        // A deterministic shuffle, then the first n.
        for i in (1..keys.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            keys.swap(i, j);
        }
        keys.truncate(n);
        let cost = self.rng.below(3) as i64;
        let mut call = vec!["LIMIT.MULTI".to_string(), n.to_string()];
        call.extend(keys.iter().cloned());
        for _ in 0..n {
            call.push(WINDOW_MS.to_string());
            call.push(LOG_MAX.to_string());
        }
        call.extend(["COST".to_string(), cost.to_string()]);
        let call: Vec<Vec<u8>> = call.into_iter().map(String::into_bytes).collect();
        let reply = ok(con, &call);
        let counts: Vec<i64> = keys.iter().map(|k| self.model.logs.get(k).copied().unwrap_or(0)).collect();
        let fits = counts.iter().all(|c| c + cost <= LOG_MAX);
        let fullest = counts.iter().max().copied().unwrap_or(0);
        let tightest = if fits { fullest + cost } else { fullest };
        assert_eq!(self.check_decision(&reply, LOG_MAX, LOG_MAX - tightest, &show(&call)), fits);
        if fits && cost > 0 {
            for key in keys {
                *self.model.logs.entry(key).or_default() += cost;
            }
        }
        self.figures.writes += 1;
    }

    fn gcra(&mut self, con: &mut Connection) {
        let key = match self.rng.below(2) {
            0 => self.rng.pick(&GCRAS).to_string(),
            _ => format!("gc:{{u{}}}", self.rng.below(USERS)),
        };
        let cost = self.rng.below(4) as i64;
        let call = cmd(&[
            "LIMIT.GCRA",
            &key,
            &GCRA_BURST.to_string(),
            &GCRA_COUNT.to_string(),
            &GCRA_PERIOD_MS.to_string(),
            "COST",
            &cost.to_string(),
        ]);
        let reply = ok(con, &call);
        let decision: Vec<i64> = items(&reply).iter().map(int).collect();
        assert_eq!(decision[1], GCRA_BURST + 1, "{}", show(&call));
        if decision[0] == 1 && cost > 0 {
            match self.model.gcras.get_mut(&key) {
                // A unit is 360 s: the limiter never catches up with the clock in a test,
                // so each allowed unit moves the arrival time by exactly one emission.
                Some(tat) => *tat += cost * EMISSION_US,
                None => {
                    let tat = text(&ok(con, &cmd(&["GET", &key]))).parse().expect("a GCRA state");
                    self.model.gcras.insert(key, tat);
                }
            }
        }
        self.figures.writes += 1;
    }

    fn reset(&mut self, con: &mut Connection) {
        // Keys of one slot: shared logs, shared GCRA limiters, or one user's limiters.
        let keys: BTreeSet<String> = match self.rng.below(3) {
            0 => (0..=self.rng.below(2)).map(|_| self.rng.pick(&LOGS).to_string()).collect(),
            1 => (0..=self.rng.below(2)).map(|_| self.rng.pick(&GCRAS).to_string()).collect(),
            _ => {
                let user = self.rng.below(USERS);
                [format!("rl:{{u{user}}}"), format!("gc:{{u{user}}}")]
                    .into_iter()
                    .take(1 + self.rng.below(2) as usize)
                    .collect()
            }
        };
        let mut call = cmd(&["LIMIT.RESET"]);
        call.extend(keys.iter().map(|k| k.as_bytes().to_vec()));
        let removed = int(&ok(con, &call));
        let present = keys
            .iter()
            .filter(|k| self.model.logs.remove(*k).is_some() | self.model.gcras.remove(*k).is_some())
            .count() as i64;
        assert_eq!(removed, present, "{}", show(&call));
        self.figures.writes += 1;
    }

    fn stream_key(&mut self) -> String {
        match self.rng.below(2) {
            0 => self.rng.pick(&STREAMS).to_string(),
            _ => format!("audit:{{tenant{}}}", self.rng.below(TENANTS)),
        }
    }

    fn append(&mut self, con: &mut Connection) {
        let key = self.stream_key();
        let mut call = cmd(&["AUDIT.APPEND", &key]);
        let mut cap = DEFAULT_CAP;
        if self.rng.below(10) == 0 {
            cap = 100 + self.rng.below(400) as usize;
            call.extend(cmd(&["MAXLEN", &cap.to_string()]));
        }
        let mut idempotent = None;
        if self.rng.below(2) == 0 {
            let producer = self.rng.pick(&PRODUCERS).to_string();
            let slot = (key.clone(), producer.clone());
            let last = self.model.producers.get(&slot).map(|(seq, _)| *seq);
            let seq = match (self.rng.below(8), last) {
                (0, Some(last)) => last,                 // a retry
                (1, Some(last)) if last > 0 => last - 1, // stale
                _ => {
                    let next = self.next_seq.entry(slot.clone()).or_insert(0);
                    *next += 1 + self.rng.below(3) as i64;
                    *next
                }
            };
            call.extend(cmd(&["IDEMPOTENT", &producer, &seq.to_string()]));
            idempotent = Some((slot, seq, last));
        }
        let fields: Vec<(String, String)> = (0..=self.rng.below(3))
            .map(|i| (["action", "qty", "by"][i as usize].to_string(), self.rng.below(100_000).to_string()))
            .collect();
        for (field, value) in &fields {
            call.extend(cmd(&[field, value]));
        }
        match idempotent {
            Some((slot, seq, Some(last))) if seq == last => {
                let id = text(&ok(con, &call));
                assert_eq!(id, self.model.producers[&slot].1, "a retry replies the original ID: {}", show(&call));
                self.figures.retries += 1;
            }
            Some((_, seq, Some(last))) if seq < last => {
                let error = query(con, &call).expect_err("a stale sequence is refused");
                assert_eq!(error, format!("ERR sequence {seq} is below the producer's last accepted sequence {last}"));
                self.figures.refused += 1;
            }
            idempotent => {
                let id = text(&ok(con, &call));
                let stream = self.model.streams.entry(key).or_default();
                if let Some(last) = stream.back() {
                    assert!(id_key(&id) > id_key(&last.0), "IDs grow: {id} after {}", last.0);
                }
                stream.push_back((id.clone(), fields));
                while stream.len() > cap {
                    stream.pop_front();
                }
                if let Some((slot, seq, _)) = idempotent {
                    self.model.producers.insert(slot, (seq, id));
                }
                self.figures.writes += 1;
            }
        }
    }

    fn group(&mut self, con: &mut Connection) {
        let key = self.stream_key();
        let group = format!("g{}", self.rng.below(4));
        let start = *self.rng.pick(&["$", "0"]);
        assert_eq!(text(&ok(con, &cmd(&["AUDIT.GROUP", &key, &group, "START", start]))), "OK");
        self.model.groups.entry(key.clone()).or_default().insert(group);
        // MKSTREAM: a group on a new key makes an empty stream.
        self.model.streams.entry(key).or_default();
        self.figures.writes += 1;
    }

    fn run(&mut self, con: &mut Connection, writes: u64) {
        let target = self.figures.writes + writes;
        while self.figures.writes < target {
            self.step(con);
        }
    }
}

fn id_key(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').expect("an entry ID");
    (ms.parse().unwrap(), seq.parse().unwrap())
}

/// What the model says, read back from a server; returns the number of facts checked.
/// On a primary (`writable`) each log is also asked, with COST 0, for its remaining units.
fn verify_model(con: &mut Connection, model: &Model, when: &str, writable: bool) -> usize {
    let mut facts = 0;
    let mut expected_keys = BTreeSet::new();
    for (key, board) in &model.boards {
        let reply = ok(con, &cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]));
        let stored: BTreeMap<String, f64> = items(&reply).chunks(2).map(|p| (text(&p[0]), score(&p[1]))).collect();
        assert_eq!(&stored, board, "{when}: leaderboard {key}");
        facts += board.len();
        expected_keys.insert(key.clone());
    }
    for (key, count) in &model.logs {
        if *count == 0 {
            continue;
        }
        assert_eq!(int(&ok(con, &cmd(&["ZCARD", key]))), *count, "{when}: units in {key}");
        if writable {
            let check = ok(con, &cmd(&["LIMIT.SLIDE", key, &WINDOW_MS.to_string(), &LOG_MAX.to_string(), "COST", "0"]));
            assert_eq!(int(&items(&check)[2]), LOG_MAX - count, "{when}: remaining in {key}");
        }
        facts += 1;
        expected_keys.insert(key.clone());
    }
    for (key, tat) in &model.gcras {
        let stored: i64 = text(&ok(con, &cmd(&["GET", key]))).parse().expect("a GCRA state");
        assert_eq!(stored, *tat, "{when}: GCRA state of {key}");
        let expire_at = int(&ok(con, &cmd(&["PEXPIRETIME", key])));
        assert_eq!(expire_at, (tat + 999) / 1000, "{when}: expiry of {key}");
        facts += 1;
        expected_keys.insert(key.clone());
    }
    for (key, entries) in &model.streams {
        let reply = ok(con, &cmd(&["XRANGE", key, "-", "+"]));
        let stored: Vec<Entry> = items(&reply)
            .iter()
            .map(|entry| {
                let parts = items(entry);
                let fields = items(&parts[1]).chunks(2).map(|p| (text(&p[0]), text(&p[1]))).collect();
                (text(&parts[0]), fields)
            })
            .collect();
        assert_eq!(stored, entries.iter().cloned().collect::<Vec<_>>(), "{when}: entries of {key}");
        facts += entries.len();
        let groups: BTreeSet<String> = items(&ok(con, &cmd(&["XINFO", "GROUPS", key])))
            .iter()
            .map(|group| {
                let fields = items(group);
                let at = fields.iter().position(|f| text(f) == "name").expect("a group name");
                text(&fields[at + 1])
            })
            .collect();
        assert_eq!(groups, model.groups.get(key).cloned().unwrap_or_default(), "{when}: groups of {key}");
        facts += groups.len();
        expected_keys.insert(key.clone());
    }
    let mut by_stream: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for ((stream, producer), (seq, id)) in &model.producers {
        by_stream.entry(format!("{stream}:producers")).or_default().insert(producer.clone(), format!("{seq} {id}"));
    }
    for (key, producers) in &by_stream {
        let reply = ok(con, &cmd(&["HGETALL", key]));
        let stored: BTreeMap<String, String> = items(&reply).chunks(2).map(|p| (text(&p[0]), text(&p[1]))).collect();
        assert_eq!(&stored, producers, "{when}: idempotent producers of {key}");
        facts += producers.len();
        expected_keys.insert(key.clone());
    }
    let keys: BTreeSet<String> = items(&ok(con, &cmd(&["KEYS", "*"]))).iter().map(text).collect();
    assert_eq!(keys, expected_keys, "{when}: the keys");
    facts
}

/// Each key's DUMP and absolute expiry.
type Dataset = BTreeMap<Vec<u8>, (Vec<u8>, i64)>;

fn dataset(con: &mut Connection) -> Dataset {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS *");
    keys.into_iter()
        .map(|key| {
            let dump = bytes(&ok(con, &[b"DUMP".to_vec(), key.clone()]));
            let expiry = int(&ok(con, &[b"PEXPIRETIME".to_vec(), key.clone()]));
            (key, (dump, expiry))
        })
        .collect()
}

fn assert_same(after: &Dataset, before: &Dataset, when: &str) {
    let names = |d: &Dataset| d.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>();
    assert_eq!(names(after), names(before), "{when}: the keys");
    for (key, state) in before {
        assert!(after[key] == *state, "{when}: {} differs (DUMP or PEXPIRETIME)", String::from_utf8_lossy(key));
    }
}

/// After a restart: every retry of each producer's last sequence still replies its
/// original entry and appends nothing.
fn retries_still_deduplicate(con: &mut Connection, model: &Model) -> usize {
    for ((stream, producer), (seq, id)) in &model.producers {
        let reply =
            ok(con, &cmd(&["AUDIT.APPEND", stream, "IDEMPOTENT", producer, &seq.to_string(), "action", "retry"]));
        assert_eq!(&text(&reply), id, "retry of {producer} {seq} on {stream}");
    }
    model.producers.len()
}

fn assert_healthy(server: &mut Server) {
    assert!(server.is_up(), "the server went down");
    let log = server.log();
    assert!(!log.contains("panicked") && !log.contains("crashed"), "server log:\n{log}");
}

fn options(args: &[&str], dir: Option<PathBuf>) -> Options {
    Options { server_args: args.iter().map(std::string::ToString::to_string).collect(), dir, ..Options::default() }
}

const AOF: [&str; 6] = ["--appendonly", "yes", "--appendfsync", "always", "--enable-debug-command", "yes"];

// ---- tests -------------------------------------------------------------------------------

#[test]
fn every_acknowledged_write_survives_kill_9_with_aof_always() {
    let started = Instant::now();
    let server = Server::start_with(options(&AOF, None));
    let mut con = server.connect();
    let mut work = Workload::new(0xA0F);
    work.run(&mut con, 1500);
    // Half the writes before an AOF rewrite, half after: the restart reads the rewritten
    // base and the increments after it.
    assert!(text(&ok(&mut con, &cmd(&["BGREWRITEAOF"]))).contains("rewriting"));
    poll_until(Duration::from_secs(30), || {
        info_field(&mut con, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(&mut con, "persistence", "aof_rewrite_scheduled") == "0"
            && info_field(&mut con, "persistence", "aof_last_bgrewrite_status") == "ok"
    });
    work.run(&mut con, 1500);
    let facts = verify_model(&mut con, &work.model, "before the kill", true);
    let before = dataset(&mut con);
    drop(con);
    let dir = server.kill();

    let mut restarted = Server::start_with(options(&AOF, Some(dir)));
    let mut con = restarted.connect();
    assert_eq!(verify_model(&mut con, &work.model, "after kill -9 and the AOF", true), facts);
    assert_same(&dataset(&mut con), &before, "after kill -9 and the AOF");
    let retried = retries_still_deduplicate(&mut con, &work.model);
    assert_same(&dataset(&mut con), &before, "after the retries");
    assert_healthy(&mut restarted);
    let f = work.figures;
    println!(
        "persistence (AOF, appendfsync always, kill -9): {} acknowledged writes verified ({} facts: scores, log \
         units, GCRA states, stream entries, producers, groups), {} keys equal by DUMP and PEXPIRETIME, {} retries and \
         {} stale sequences during the run, {retried} retries after the restart; {:.1} s",
        f.writes,
        facts,
        before.len(),
        f.retries,
        f.refused,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn an_rdb_snapshot_restores_everything() {
    let started = Instant::now();
    let args = ["--save", "3600 1", "--appendonly", "no"];
    let server = Server::start_with(options(&args, None));
    let mut con = server.connect();
    let mut work = Workload::new(0x4DB);
    work.run(&mut con, 3000);
    let facts = verify_model(&mut con, &work.model, "before SAVE", true);
    let before = dataset(&mut con);
    assert_eq!(text(&ok(&mut con, &cmd(&["SAVE"]))), "OK");
    assert_eq!(info_field(&mut con, "persistence", "rdb_changes_since_last_save"), "0");
    drop(con);
    let dir = server.kill();

    let mut restarted = Server::start_with(options(&args, Some(dir)));
    let mut con = restarted.connect();
    assert_eq!(verify_model(&mut con, &work.model, "after the RDB restart", true), facts);
    assert_same(&dataset(&mut con), &before, "after the RDB restart");
    retries_still_deduplicate(&mut con, &work.model);
    assert_healthy(&mut restarted);
    println!(
        "persistence (RDB, SAVE, kill -9): {} acknowledged writes verified ({facts} facts), {} keys equal by DUMP and \
         PEXPIRETIME; {:.1} s",
        work.figures.writes,
        before.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn debug_reload_keeps_everything() {
    let mut server = Server::start_with(options(&["--enable-debug-command", "yes"], None));
    let mut con = server.connect();
    let mut work = Workload::new(0xDEB);
    work.run(&mut con, 2000);
    let facts = verify_model(&mut con, &work.model, "before DEBUG RELOAD", true);
    let before = dataset(&mut con);
    assert_eq!(text(&ok(&mut con, &cmd(&["DEBUG", "RELOAD"]))), "OK");
    assert_eq!(verify_model(&mut con, &work.model, "after DEBUG RELOAD", true), facts);
    assert_same(&dataset(&mut con), &before, "after DEBUG RELOAD");
    // And the module keeps working on the reloaded data.
    work.run(&mut con, 500);
    verify_model(&mut con, &work.model, "after writes on the reloaded data", true);
    assert_healthy(&mut server);
    println!(
        "persistence (DEBUG RELOAD): {} acknowledged writes verified ({facts} facts), {} keys equal by DUMP and \
         PEXPIRETIME",
        work.figures.writes,
        before.len()
    );
}

/// Waits until the replica has applied everything the primary has sent.
fn wait_in_sync(primary: &mut Connection, replica: &mut Connection) {
    poll_until(Duration::from_secs(30), || {
        let offset = info_field(primary, "replication", "master_repl_offset");
        info_field(replica, "replication", "master_link_status") == "up"
            && info_field(replica, "replication", "slave_repl_offset") == offset
    });
}

#[test]
fn a_replica_after_a_full_sync_equals_its_primary() {
    let started = Instant::now();
    // No wait before a diskless full sync (Redis waits 5 s for more replicas by default).
    let mut primary = Server::start_with(options(&["--repl-diskless-sync-delay", "0"], None));
    let mut con = primary.connect();
    let mut work = Workload::new(0x5EC);
    work.run(&mut con, 10_000);
    // Both encodings of a sorted set are in the data set.
    assert_eq!(text(&ok(&mut con, &cmd(&["OBJECT", "ENCODING", BOARDS[0]]))), "skiplist");
    assert_eq!(text(&ok(&mut con, &cmd(&["OBJECT", "ENCODING", BOARDS[1]]))), "listpack");
    let primary_data = dataset(&mut con);

    let mut replica = primary.start_replica();
    let mut rcon = replica.connect();
    wait_in_sync(&mut con, &mut rcon);
    assert_eq!(info_field(&mut con, "stats", "sync_full"), "1", "the replica did a full sync");
    let facts = verify_model(&mut rcon, &work.model, "on the replica after the full sync", false);
    assert_same(&dataset(&mut rcon), &primary_data, "replica after the full sync");
    let synced_keys = primary_data.len();

    // Then the stream of effects: more writes, applied as they come.
    work.run(&mut con, 2000);
    wait_in_sync(&mut con, &mut rcon);
    let primary_data = dataset(&mut con);
    verify_model(&mut rcon, &work.model, "on the replica after more writes", false);
    assert_same(&dataset(&mut rcon), &primary_data, "replica after more writes");
    assert_eq!(info_field(&mut con, "stats", "sync_full"), "1", "no second full sync");
    assert_healthy(&mut primary);
    assert_healthy(&mut replica);
    println!(
        "persistence (replica full sync): {} writes before the sync ({facts} facts, {synced_keys} keys equal by DUMP \
         and PEXPIRETIME), {} writes in all after replication ({} keys equal); {:.1} s",
        10_000,
        work.figures.writes,
        primary_data.len(),
        started.elapsed().as_secs_f64()
    );
}
