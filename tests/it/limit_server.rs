//! LIMIT commands as server citizens: replication and AOF as concrete effects (ZADD /
//! ZREMRANGEBYSCORE / PEXPIREAT / SET .. PXAT / DEL, never the LIMIT command), identical
//! data and expiry on a replica and after an AOF reload or a restart, key declarations
//! (COMMAND INFO / GETKEYS / DOCS), ACL key permissions, and maxmemory (deny-oom).
//!
//! Every test ends by checking that no server logged a panic.

use crate::common::aof::*;
use crate::common::registration::*;
use crate::common::reply::*;
use crate::common::*;

use redis::{Connection, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// A window short enough to wait out in a test; waited for by polling the server clock.
const SHORT: i64 = 50;
const OOM: &str = "(error) OOM command not allowed when used memory > 'maxmemory'.";
const NOPERM: &str = "(error) NOPERM";

// ---- small helpers ------------------------------------------------------------------------

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_i64(bytes: &[u8]) -> i64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an integer: {:?}", shown(bytes)))
}

fn assert_no_panic(server: &Server, role: &str) {
    let log = server.log();
    assert!(!log.contains("panicked"), "the {role} logged a panic:\n{log}");
}

/// Checks a limiter reply `[allowed, limit, remaining, retry_after, reset_after]` against
/// a pattern of five space-separated items, each an exact number or an inclusive range
/// `lo..hi`.
fn assert_decision(reply: &Value, pattern: &str, context: &str) {
    let got: Vec<i64> = match reply {
        Value::Array(values) => values.iter().map(int).collect(),
        other => panic!("{context}: expected a decision, got {}", render(other)),
    };
    let wanted: Vec<&str> = words(pattern);
    assert_eq!((got.len(), wanted.len()), (5, 5), "{context}: {got:?} vs {pattern}");
    let fits = got.iter().zip(&wanted).all(|(value, want)| match want.split_once("..") {
        Some((lo, hi)) => (parse_i64(lo.as_bytes())..=parse_i64(hi.as_bytes())).contains(value),
        None => *value == parse_i64(want.as_bytes()),
    });
    assert!(fits, "{context}: replied {got:?}, expected {pattern}");
}

// ---- the workload and the effects it must propagate ------------------------------------------

/// One propagated effect, in the order the module must emit it.
#[derive(Debug, Clone, PartialEq)]
enum Effect {
    /// `ZREMRANGEBYSCORE key -inf <now - window>`.
    Prune { key: Vec<u8>, window: i64 },
    /// `ZADD key <now> <now>-<seq> ...` (cost pairs), then `PEXPIREAT key <now + window>`.
    Consume { key: Vec<u8>, cost: i64, window: i64 },
    /// `SET key <tat> PXAT <ceil(tat / 1000)>` (`tat` in microseconds, `us` or `us+rem/per`).
    GcraSet { key: Vec<u8> },
    /// `DEL key...`.
    Del { keys: Vec<Vec<u8>> },
}

/// A stored GCRA state's whole microseconds and the millisecond it rounds up to, read from
/// its documented text (`us`, or `us+rem/per` with `0 < rem < per`), not with the module's code.
fn tat_times(text: &[u8]) -> (i64, i64) {
    let text = std::str::from_utf8(text).expect("a GCRA state is ASCII");
    let (whole, fraction) = text.split_once('+').map_or((text, None), |(us, f)| (us, Some(f)));
    let us: i64 = whole.parse().expect("whole microseconds");
    if let Some(fraction) = fraction {
        let (rem, per) = fraction.split_once('/').expect("rem/per");
        let (rem, per): (i64, i64) = (rem.parse().unwrap(), per.parse().unwrap());
        assert!(0 < rem && rem < per, "a reduced fraction: {text}");
        // us + rem/per is never a whole number of milliseconds.
        return (us, us.div_euclid(1000) + 1);
    }
    (us, us.div_euclid(1000) + i64::from(us.rem_euclid(1000) != 0))
}

/// One call with its expected reply and effects.
struct Pending {
    args: Vec<Vec<u8>>,
    /// A decision pattern (see `assert_decision`), or the exact rendered reply.
    expect: String,
    /// Propagated whatever the decision (pruning, DEL).
    always: Vec<Effect>,
    /// Propagated only when the reply says allowed.
    if_allowed: Vec<Effect>,
}

struct Writer<'a> {
    con: &'a mut Connection,
    effects: Vec<Effect>,
    /// Calls queued inside MULTI, settled at EXEC.
    queued: Option<Vec<Pending>>,
}

fn numbers(params: &str) -> Vec<i64> {
    words(params).into_iter().filter(|w| !w.eq_ignore_ascii_case("COST")).map(|w| parse_i64(w.as_bytes())).collect()
}

impl<'a> Writer<'a> {
    fn new(con: &'a mut Connection) -> Self {
        Writer { con, effects: Vec::new(), queued: None }
    }

    fn settle(&mut self, pending: Pending, reply: &Value) {
        let context = format!("{:?}", printable(&pending.args));
        if let Value::Array(_) = reply {
            assert_decision(reply, &pending.expect, &context);
        } else {
            assert_eq!(render(reply), pending.expect, "{context}");
        }
        self.effects.extend(pending.always);
        if matches!(reply, Value::Array(values) if values.first() == Some(&Value::Int(1))) {
            self.effects.extend(pending.if_allowed);
        }
    }

    fn submit(&mut self, pending: Pending) {
        if let Some(queued) = &mut self.queued {
            assert_eq!(render(&ok(self.con, &pending.args)), "QUEUED");
            queued.push(pending);
        } else {
            let reply = ok(self.con, &pending.args);
            self.settle(pending, &reply);
        }
    }

    fn begin(&mut self) {
        assert_eq!(sh(self.con, "MULTI"), "OK");
        self.queued = Some(Vec::new());
    }

    fn exec(&mut self) {
        let queued = self.queued.take().expect("MULTI was started");
        let replies = ok(self.con, &["EXEC"]);
        let replies = items(&replies).to_vec();
        assert_eq!(replies.len(), queued.len(), "EXEC replies");
        for (pending, reply) in queued.into_iter().zip(&replies) {
            self.settle(pending, reply);
        }
    }

    /// `LIMIT.SLIDE key <params>`; `prunes` says whether entries leave the window.
    fn slide(&mut self, key: &[u8], params: &str, prunes: bool, expect: &str) {
        let n = numbers(params);
        let (window, cost) = (n[0], n.get(2).copied().unwrap_or(1));
        let mut args = vec![b"LIMIT.SLIDE".to_vec(), key.to_vec()];
        args.extend(words(params).iter().map(|w| w.as_bytes().to_vec()));
        self.submit(Pending {
            args,
            expect: expect.into(),
            always: if prunes { vec![Effect::Prune { key: key.to_vec(), window }] } else { vec![] },
            if_allowed: if cost > 0 { vec![Effect::Consume { key: key.to_vec(), cost, window }] } else { vec![] },
        });
    }

    /// `LIMIT.MULTI` over `windows` (key, window_ms, max); `pruned` lists the keys whose
    /// entries leave their window.
    fn multi(&mut self, windows: &[(&[u8], i64, i64)], cost: Option<i64>, pruned: &[&[u8]], expect: &str) {
        let mut args = vec![b"LIMIT.MULTI".to_vec(), windows.len().to_string().into_bytes()];
        args.extend(windows.iter().map(|(key, _, _)| key.to_vec()));
        for (_, window, max) in windows {
            args.push(window.to_string().into_bytes());
            args.push(max.to_string().into_bytes());
        }
        if let Some(cost) = cost {
            args.push(b"COST".to_vec());
            args.push(cost.to_string().into_bytes());
        }
        let cost = cost.unwrap_or(1);
        // All windows are checked (and pruned) first, then all consume.
        let always = windows
            .iter()
            .filter(|(key, _, _)| pruned.contains(key))
            .map(|(key, window, _)| Effect::Prune { key: key.to_vec(), window: *window })
            .collect();
        let if_allowed = if cost > 0 {
            windows
                .iter()
                .map(|(key, window, _)| Effect::Consume { key: key.to_vec(), cost, window: *window })
                .collect()
        } else {
            vec![]
        };
        self.submit(Pending { args, expect: expect.into(), always, if_allowed });
    }

    /// `LIMIT.GCRA key <params>`.
    fn gcra(&mut self, key: &[u8], params: &str, expect: &str) {
        let cost = numbers(params).get(3).copied().unwrap_or(1);
        let mut args = vec![b"LIMIT.GCRA".to_vec(), key.to_vec()];
        args.extend(words(params).iter().map(|w| w.as_bytes().to_vec()));
        let if_allowed = if cost > 0 { vec![Effect::GcraSet { key: key.to_vec() }] } else { vec![] };
        self.submit(Pending { args, expect: expect.into(), always: vec![], if_allowed });
    }

    /// `LIMIT.RESET keys...`, of which `removed` exist.
    fn reset(&mut self, keys: &[&[u8]], removed: &[&[u8]]) {
        let mut args = vec![b"LIMIT.RESET".to_vec()];
        args.extend(keys.iter().map(|k| k.to_vec()));
        let always = if removed.is_empty() {
            vec![]
        } else {
            vec![Effect::Del { keys: removed.iter().map(|k| k.to_vec()).collect() }]
        };
        self.submit(Pending { args, expect: removed.len().to_string(), always, if_allowed: vec![] });
    }

    /// LIMIT.SLIDE called from a Lua script.
    fn scripted_slide(&mut self, key: &[u8], window: i64, max: i64, expect: &str) {
        let script = b"return redis.call('LIMIT.SLIDE', KEYS[1], ARGV[1], ARGV[2])".to_vec();
        let args = vec![
            b"EVAL".to_vec(),
            script,
            b"1".to_vec(),
            key.to_vec(),
            window.to_string().into_bytes(),
            max.to_string().into_bytes(),
        ];
        let if_allowed = vec![Effect::Consume { key: key.to_vec(), cost: 1, window }];
        self.submit(Pending { args, expect: expect.into(), always: vec![], if_allowed });
    }

    /// Polls the server clock until the newest entry of the log at `key` has left a
    /// window of `window` ms (score <= now - window).
    fn wait_out_of_window(&mut self, key: &[u8], window: i64) {
        assert!(self.queued.is_none(), "cannot poll inside MULTI");
        let newest = ok(self.con, &[&b"ZRANGE"[..], key, b"-1", b"-1", b"WITHSCORES"]);
        let newest = parse_i64(&bytes(&items(&newest)[1]));
        let con = &mut *self.con;
        poll_until(Duration::from_secs(10), || server_ms(con) >= newest + window);
    }
}

// The keys of the workload. Keys in one slot per LIMIT.MULTI / LIMIT.RESET call.
const BASIC: &[u8] = b"rl:{s}:basic";
const TWICE: &[u8] = b"rl:{s}:twice";
const BIG: &[u8] = b"rl:{s}:big";
const NUL: &[u8] = b"rl:{s}:\0nul";
const KEEP: &[u8] = b"rl:{p}:keep";
const DENY: &[u8] = b"rl:{p}:deny";
const GONE: &[u8] = b"rl:{p}:gone";
const RENEW: &[u8] = b"rl:{p}:renew";
const M_TEN: &[u8] = b"rl:{m}:ten-minutes";
const M_HOUR: &[u8] = b"rl:{m}:hour";
const M_DAY: &[u8] = b"rl:{m}:day";
const Q_A: &[u8] = b"rl:{q}:a";
const Q_B: &[u8] = b"rl:{q}:b";
const G_A: &[u8] = b"rl:{g}:a";
const G_COST: &[u8] = b"rl:{g}:cost";
const G_UNUSED: &[u8] = b"rl:{g}:unused";
const SCRIPTED: &[u8] = b"rl:{e}:scripted";
const R_ZSET: &[u8] = b"rl:{r}:zset";
const R_GCRA: &[u8] = b"rl:{r}:gcra";
const R_MISSING: &[u8] = b"rl:{r}:missing";

/// The sliding logs left by the workload, with the window of the last call that
/// consumed on each (their expiry is the newest entry + that window).
const LOGS: [(&[u8], i64); 13] = [
    (BASIC, HOUR),
    (TWICE, HOUR),
    (BIG, HOUR),
    (NUL, HOUR),
    (KEEP, HOUR),
    (DENY, HOUR),
    (RENEW, HOUR),
    (M_TEN, 600_000),
    (M_HOUR, HOUR),
    (M_DAY, DAY),
    (Q_A, HOUR),
    (Q_B, HOUR),
    (SCRIPTED, HOUR),
];
/// The GCRA states left by the workload.
const GCRAS: [&[u8]; 2] = [G_A, G_COST];
/// Keys the workload used that must not exist at its end.
const ABSENT: [&[u8]; 5] = [GONE, G_UNUSED, R_ZSET, R_GCRA, R_MISSING];

/// LIMIT.SLIDE (allowed, denied, COST n, COST 0, two in one ms, a log past the listpack
/// size, a NUL in the key, pruning that keeps some entries / denies / empties the key /
/// renews it), LIMIT.MULTI (allowed, denied by one window, COST 0, pruning one key),
/// LIMIT.GCRA (allowed, denied, COST n, COST 0, never used), LIMIT.RESET, a script, and
/// MULTI/EXEC. Every key left at the end expires in an hour or more. Returns the effects
/// the replies say must have been propagated, in order.
fn workload(con: &mut Connection) -> Vec<Effect> {
    let mut w = Writer::new(con);
    let h = HOUR;

    // Plain sliding windows.
    w.slide(BASIC, "3600000 3", false, "1 3 2 0 3600000");
    w.slide(BASIC, "3600000 3 COST 2", false, "1 3 0 0 3600000");
    w.slide(BASIC, "3600000 3", false, "0 3 0 1..3600000 1..3600000");
    w.slide(BASIC, "3600000 3 COST 0", false, "1 3 0 0 1..3600000");
    w.slide(BASIC, "3600000 5 COST 2", false, "1 5 0 0 3600000");
    w.slide(BASIC, "3600000 5 COST 0", false, "1 5 0 0 1..3600000");
    w.slide(TWICE, "3600000 10", false, "1 10 9 0 3600000");
    w.slide(TWICE, "3600000 10", false, "1 10 8 0 3600000");
    w.slide(BIG, "3600000 300 COST 150", false, "1 300 150 0 3600000");
    w.slide(BIG, "3600000 300 COST 100", false, "1 300 50 0 3600000");
    w.slide(BIG, "3600000 300 COST 51", false, "0 300 50 1..3600000 1..3600000");
    w.slide(NUL, "3600000 2", false, "1 2 1 0 3600000");

    // Pruning that keeps the newer entries. The short-window call runs in the same
    // transaction as the entry it must keep, so that entry is well inside the window.
    w.slide(KEEP, "3600000 5 COST 2", false, "1 5 3 0 3600000");
    w.wait_out_of_window(KEEP, SHORT);
    w.begin();
    w.slide(KEEP, "3600000 5", false, "1 5 2 0 3600000");
    w.slide(KEEP, "50 5 COST 0", true, "1 5 4 0 1..50");
    w.slide(KEEP, "3600000 5 COST 4", false, "1 5 0 0 3600000");
    w.slide(KEEP, "3600000 5", false, "0 5 0 1..3600000 1..3600000");
    w.exec();

    // Pruning, then denied: only the pruning propagates.
    w.slide(DENY, "3600000 3 COST 2", false, "1 3 1 0 3600000");
    w.wait_out_of_window(DENY, SHORT);
    w.begin();
    w.slide(DENY, "3600000 3", false, "1 3 0 0 3600000");
    w.slide(DENY, "50 1", true, "0 1 0 1..50 1..50");
    w.exec();

    // Pruning every entry with COST 0: the key goes.
    w.slide(GONE, "3600000 4 COST 2", false, "1 4 2 0 3600000");
    w.wait_out_of_window(GONE, SHORT);
    w.slide(GONE, "50 4 COST 0", true, "1 4 4 0 0");

    // Pruning every entry, consuming with the short window, then renewed for an hour.
    w.slide(RENEW, "3600000 2 COST 2", false, "1 2 0 0 3600000");
    w.wait_out_of_window(RENEW, SHORT);
    w.begin();
    w.slide(RENEW, "50 2", true, "1 2 1 0 50");
    w.slide(RENEW, "3600000 2", false, "1 2 0 0 3600000");
    w.exec();

    // Several windows at once.
    let (ten, hour, day) = ((M_TEN, 600_000, 3), (M_HOUR, h, 5), (M_DAY, DAY, 10));
    w.multi(&[ten, hour], None, &[], "1 3 2 0 3600000");
    w.multi(&[ten, hour], None, &[], "1 3 1 0 3600000");
    w.multi(&[ten, hour], Some(1), &[], "1 3 0 0 3600000");
    w.multi(&[ten, hour], None, &[], "0 3 0 1..600000 1..3600000");
    w.multi(&[ten, hour], Some(0), &[], "1 3 0 0 1..3600000");
    w.multi(&[hour, day], Some(2), &[], "1 5 0 0 86400000");
    // The hour window is full: the day window must not consume either.
    w.multi(&[day, hour], Some(1), &[], "0 5 0 1..3600000 1..86400000");
    // Pruning one key of several (emptying it, COST 0), then consuming again.
    w.multi(&[(Q_A, h, 4), (Q_B, h, 4)], Some(2), &[], "1 4 2 0 3600000");
    w.wait_out_of_window(Q_A, SHORT);
    w.multi(&[(Q_A, SHORT, 4), (Q_B, h, 4)], Some(0), &[Q_A], "1 4 2 0 1..3600000");
    w.multi(&[(Q_A, h, 4), (Q_B, h, 4)], None, &[], "1 4 1 0 3600000");

    // GCRA: one unit an hour, bursts of 3.
    w.gcra(G_A, "2 1 3600000", "1 3 2 0 3600000");
    w.gcra(G_A, "2 1 3600000", "1 3 1 0 1..7200000");
    w.gcra(G_A, "2 1 3600000", "1 3 0 0 1..10800000");
    w.gcra(G_A, "2 1 3600000", "0 3 0 1..3600000 1..10800000");
    w.gcra(G_A, "2 1 3600000 COST 0", "1 3 0 0 1..10800000");
    // Ten units in ten hours, taken in costs.
    w.gcra(G_COST, "9 10 36000000 COST 4", "1 10 6 0 14400000");
    w.gcra(G_COST, "9 10 36000000 COST 6", "1 10 0 0 1..36000000");
    w.gcra(G_COST, "9 10 36000000", "0 10 0 1..3600000 1..36000000");
    w.gcra(G_UNUSED, "2 1 3600000 COST 0", "1 3 3 0 0");

    // From a script.
    w.scripted_slide(SCRIPTED, h, 2, "1 2 1 0 3600000");

    // Reset: a log and a GCRA state removed, a missing key ignored.
    w.slide(R_ZSET, "3600000 5", false, "1 5 4 0 3600000");
    w.gcra(R_GCRA, "0 1 3600000", "1 1 0 0 3600000");
    w.reset(&[R_ZSET, R_MISSING, R_GCRA], &[R_ZSET, R_GCRA]);
    w.reset(&[R_MISSING], &[]);

    w.effects
}

/// Every key with its DUMP and absolute expiry (PEXPIRETIME).
type Snapshot = BTreeMap<Vec<u8>, (Vec<u8>, i64)>;

fn snapshot(con: &mut Connection) -> Snapshot {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS *");
    keys.into_iter()
        .map(|key| {
            let dump: Option<Vec<u8>> = redis::cmd("DUMP").arg(&key).query(con).expect("DUMP");
            let dump = dump.unwrap_or_else(|| panic!("DUMP {:?}: the key vanished", shown(&key)));
            let expiry = int(&ok(con, &[&b"PEXPIRETIME"[..], &key]));
            (key, (dump, expiry))
        })
        .collect()
}

/// The data set is what the workload leaves, and every expiry is what it must be: a log
/// expires a window after its newest entry, a GCRA state when its TAT is reached.
fn assert_workload_data(con: &mut Connection, data: &Snapshot) {
    let expected: BTreeSet<Vec<u8>> =
        LOGS.iter().map(|(key, _)| key.to_vec()).chain(GCRAS.iter().map(|key| key.to_vec())).collect();
    let present: BTreeSet<Vec<u8>> = data.keys().cloned().collect();
    assert_eq!(
        present.iter().map(|k| shown(k)).collect::<Vec<_>>(),
        expected.iter().map(|k| shown(k)).collect::<Vec<_>>(),
        "keys left by the workload"
    );
    for key in ABSENT {
        assert!(!data.contains_key(key), "{:?} should not exist", shown(key));
    }
    let cards: BTreeMap<&[u8], i64> = [
        (BASIC, 5),
        (TWICE, 2),
        (BIG, 250),
        (NUL, 1),
        (KEEP, 5),
        (DENY, 1),
        (RENEW, 2),
        (M_TEN, 3),
        (M_HOUR, 5),
        (M_DAY, 2),
        (Q_A, 1),
        (Q_B, 3),
        (SCRIPTED, 1),
    ]
    .into_iter()
    .collect();
    for (key, window) in LOGS {
        assert_eq!(int(&ok(con, &[&b"ZCARD"[..], key])), cards[key], "ZCARD {:?}", shown(key));
        let newest = ok(con, &[&b"ZRANGE"[..], key, b"-1", b"-1", b"WITHSCORES"]);
        let newest = parse_i64(&bytes(&items(&newest)[1]));
        assert_eq!(data[key].1, newest + window, "PEXPIRETIME of {:?}", shown(key));
    }
    for key in GCRAS {
        let tat = bytes(&ok(con, &[&b"GET"[..], key]));
        let (_, ceil_ms) = tat_times(&tat);
        assert_eq!(data[key].1, ceil_ms, "PEXPIRETIME of {:?} (TAT {} us)", shown(key), shown(&tat));
    }
}

// ---- AOF files ------------------------------------------------------------------------------

/// The AOF holds exactly `effects`, in order, as native commands with concrete numbers:
/// times within `[t_start, t_end]` (expiries that far plus their window), never a LIMIT
/// command, never a `*` argument. Only SELECT and MULTI/EXEC wrap them.
fn assert_aof_holds(dir: &Path, effects: &[Effect], t_start: i64, t_end: i64) {
    let bytes = aof_bytes(dir);
    assert!(!contains_ignore_case(&bytes, b"limit."), "a LIMIT command reached the AOF");
    let all = parse_aof(&bytes);
    let multis = all.iter().filter(|c| is_named(c, "MULTI")).count();
    assert_eq!(multis, all.iter().filter(|c| is_named(c, "EXEC")).count(), "MULTI/EXEC pairs");
    assert!(multis > 0, "multi-command effects are wrapped in MULTI/EXEC");
    let data: Vec<Vec<Vec<u8>>> = all.into_iter().filter(|c| !is_wrapping(c)).collect();
    for command in &data {
        assert!(!command.iter().any(|arg| arg == b"*"), "a `*` argument: {:?}", printable(command));
        let name = shown(&command[0]).to_ascii_uppercase();
        assert!(
            ["ZADD", "ZREMRANGEBYSCORE", "PEXPIREAT", "SET", "DEL"].contains(&name.as_str()),
            "unexpected command in the AOF: {:?}",
            printable(command)
        );
    }

    let mut rest = data.iter();
    let mut next = |what: &Effect| -> &Vec<Vec<u8>> {
        rest.next().unwrap_or_else(|| panic!("the AOF ends before the effect {what:?}"))
    };
    for effect in effects {
        match effect {
            Effect::Prune { key, window } => {
                let c = next(effect);
                let context = format!("{effect:?} vs {:?}", printable(c));
                assert!(is_named(c, "ZREMRANGEBYSCORE") && c.len() == 4, "{context}");
                assert_eq!((&c[1], c[2].as_slice()), (key, &b"-inf"[..]), "{context}");
                let now = parse_i64(&c[3]) + window;
                assert!((t_start..=t_end).contains(&now), "cutoff + window is the call time: {context}");
            }
            Effect::Consume { key, cost, window } => {
                let zadd = next(effect).clone();
                let context = format!("{effect:?} vs {:?}", printable(&zadd));
                assert!(is_named(&zadd, "ZADD") && &zadd[1] == key, "{context}");
                assert_eq!(zadd.len() as i64, 2 + 2 * cost, "one member per unit: {context}");
                let now = parse_i64(&zadd[2]);
                assert!((t_start..=t_end).contains(&now), "an absolute time: {context}");
                let mut members = BTreeSet::new();
                for pair in zadd[2..].chunks(2) {
                    assert_eq!(pair[0], zadd[2], "every unit scored at the call time: {context}");
                    let member = shown(&pair[1]);
                    let seq = member.strip_prefix(&format!("{now}-")).unwrap_or_else(|| panic!("{context}"));
                    assert!(!seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()), "{context}");
                    assert!(members.insert(member.clone()), "duplicate member {member}: {context}");
                }
                let expire = next(effect);
                assert!(is_named(expire, "PEXPIREAT") && expire.len() == 3, "{effect:?} vs {:?}", printable(expire));
                assert_eq!(&expire[1], key, "{effect:?}");
                assert_eq!(parse_i64(&expire[2]), now + window, "PEXPIREAT is now + window: {effect:?}");
            }
            Effect::GcraSet { key } => {
                let c = next(effect);
                let context = format!("{effect:?} vs {:?}", printable(c));
                assert!(is_named(c, "SET") && c.len() == 5 && &c[1] == key, "{context}");
                assert!(c[3].eq_ignore_ascii_case(b"PXAT"), "{context}");
                let ((tat_us, ceil_ms), at) = (tat_times(&c[2]), parse_i64(&c[4]));
                assert!(tat_us >= t_start * 1000 && tat_us <= (t_end + DAY) * 1000, "an absolute TAT: {context}");
                assert_eq!(at, ceil_ms, "expires at the TAT: {context}");
            }
            Effect::Del { keys } => {
                let c = next(effect);
                assert!(is_named(c, "DEL") && &c[1..] == keys.as_slice(), "{effect:?} vs {:?}", printable(c));
            }
        }
    }
    let extra: Vec<Vec<String>> = rest.map(|c| printable(c)).collect();
    assert!(extra.is_empty(), "commands in the AOF beyond the expected effects: {extra:?}");
}

// ---- 1. replication of effects ----------------------------------------------------------------

#[test]
fn replica_and_aof_get_concrete_effects_and_identical_data() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let t_start = server_ms(&mut con);
    let effects = workload(&mut con);
    let t_end = server_ms(&mut con);
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");

    let on_primary = snapshot(&mut con);
    assert_workload_data(&mut con, &on_primary);
    let mut rcon = replica.connect();
    let on_replica = snapshot(&mut rcon);
    let names = |s: &Snapshot| s.keys().map(|k| shown(k)).collect::<Vec<_>>();
    assert_eq!(names(&on_replica), names(&on_primary), "key sets differ");
    for (key, (dump, expiry)) in &on_primary {
        let (replica_dump, replica_expiry) = &on_replica[key];
        assert!(replica_dump == dump, "DUMP of {:?} differs on the replica", shown(key));
        assert_eq!(replica_expiry, expiry, "PEXPIRETIME of {:?}", shown(key));
    }

    assert_aof_holds(&primary.dir, &effects, t_start, t_end);

    // The replica serves the data but refuses the commands (they write).
    assert!(run(&mut rcon, &["LIMIT.SLIDE", "rl:{s}:basic", "1000", "5"]).starts_with("(error) READONLY"));
    assert!(!replica.log().contains("CRITICAL"), "replica log:\n{}", replica.log());
    assert_no_panic(&primary, "primary");
    assert_no_panic(&replica, "replica");
}

#[test]
fn calls_that_change_nothing_propagate_nothing() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    for (line, expected) in [
        ("LIMIT.SLIDE rl:{n}:log 3600000 2 COST 2", "[1, 2, 0, 0, 3600000]"),
        ("LIMIT.GCRA rl:{n}:gcra 0 1 3600000", "[1, 1, 0, 0, 3600000]"),
        ("LIMIT.MULTI 2 rl:{n}:a rl:{n}:b 3600000 1 3600000 2", "[1, 1, 0, 0, 3600000]"),
    ] {
        assert_eq!(sh(&mut con, line), expected, "{line}");
    }
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    let before = propagation_mark(&mut con, &primary.dir);
    let dataset = snapshot(&mut con);
    for (line, prefix) in [
        ("LIMIT.SLIDE rl:{n}:log 3600000 2", "[0, 2, 0, "),
        ("LIMIT.SLIDE rl:{n}:log 3600000 2 COST 0", "[1, 2, 0, 0, "),
        ("LIMIT.SLIDE rl:{n}:new 3600000 2 COST 0", "[1, 2, 2, 0, 0]"),
        ("LIMIT.GCRA rl:{n}:gcra 0 1 3600000", "[0, 1, 0, "),
        ("LIMIT.GCRA rl:{n}:gcra 0 1 3600000 COST 0", "[1, 1, 0, 0, "),
        ("LIMIT.GCRA rl:{n}:new 0 1 3600000 COST 0", "[1, 1, 1, 0, 0]"),
        ("LIMIT.MULTI 2 rl:{n}:a rl:{n}:b 3600000 1 3600000 2", "[0, 1, 0, "),
        ("LIMIT.MULTI 2 rl:{n}:b rl:{n}:new 3600000 2 3600000 2 COST 2", "[0, 2, "),
        ("LIMIT.MULTI 2 rl:{n}:a rl:{n}:b 3600000 1 3600000 2 COST 0", "[1, 1, 0, 0, "),
        ("LIMIT.RESET rl:{n}:new rl:{n}:other", "0"),
        ("LIMIT.SLIDE rl:{n}:log 0 2", "(error) ERR window_ms must be between 1 and 31536000000"),
        ("LIMIT.MULTI 2 rl:{n}:a rl:{n}:a 3600000 1 3600000 2", "(error) ERR the same key is given more than once"),
    ] {
        let reply = sh(&mut con, line);
        assert!(reply.starts_with(prefix), "{line}: {reply}");
    }
    assert_eq!(propagation_mark(&mut con, &primary.dir), before, "a call that changed nothing was propagated");
    assert_eq!(snapshot(&mut con), dataset, "a call that should change nothing changed the data");

    // Control: a call that consumes moves both.
    assert_eq!(sh(&mut con, "LIMIT.SLIDE rl:{n}:new 3600000 2"), "[1, 2, 1, 0, 3600000]");
    let after = propagation_mark(&mut con, &primary.dir);
    assert!(after.0 != before.0 && after.1 > before.1, "{before:?} -> {after:?}");
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    assert_eq!(snapshot(&mut replica.connect()), snapshot(&mut con));
    assert_no_panic(&primary, "primary");
    assert_no_panic(&replica, "replica");
}

// ---- 2. AOF reload ----------------------------------------------------------------------------

#[test]
fn aof_reload_and_restart_after_kill_restore_data_and_expiry() {
    let options = aof_options(&["--enable-debug-command", "yes"]);
    let server = Server::start_with(options.clone());
    let mut con = server.connect();
    let t_start = server_ms(&mut con);
    let effects = workload(&mut con);
    let t_end = server_ms(&mut con);
    let before = snapshot(&mut con);
    assert_workload_data(&mut con, &before);
    assert_aof_holds(&server.dir, &effects, t_start, t_end);

    assert_eq!(sh(&mut con, "DEBUG LOADAOF"), "OK");
    assert_eq!(snapshot(&mut con), before, "after DEBUG LOADAOF");
    assert_no_panic(&server, "server");

    let dir = server.kill();
    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    let mut con = restarted.connect();
    assert_eq!(snapshot(&mut con), before, "after kill -9 and a restart");
    // The reloaded state is live state: full limiters stay full.
    let denied = [
        "LIMIT.SLIDE rl:{s}:basic 3600000 5",
        "LIMIT.GCRA rl:{g}:a 2 1 3600000",
        "LIMIT.MULTI 2 rl:{m}:ten-minutes rl:{m}:hour 600000 3 3600000 5",
    ];
    for line in denied {
        let reply = sh(&mut con, line);
        assert!(reply.starts_with("[0, "), "{line}: {reply}");
    }
    assert_eq!(sh(&mut con, "LIMIT.SLIDE rl:{s}:twice 3600000 10"), "[1, 10, 7, 0, 3600000]");
    assert_no_panic(&restarted, "restarted server");
}

// ---- 3. key declarations ------------------------------------------------------------------------

struct Spec {
    name: &'static str,
    arity: i64,
    flags: &'static [&'static str],
    triple: (i64, i64, i64),
    key_flags: &'static [&'static str],
    doc_args: &'static [&'static str],
}

const UPDATE_KEY: &[&str] = &["RW", "access", "update"];

const SPECS: [Spec; 8] = [
    Spec {
        name: "limit.slide",
        arity: -4,
        flags: &["write", "denyoom", "module"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "window_ms", "max", "cost"],
    },
    Spec {
        name: "limit.gcra",
        arity: -5,
        flags: &["write", "denyoom", "module", "fast"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "burst", "count", "period_ms", "cost"],
    },
    Spec {
        name: "limit.multi",
        arity: -5,
        flags: &["write", "denyoom", "module", "movablekeys"],
        triple: (0, 0, 0),
        key_flags: UPDATE_KEY,
        doc_args: &["numkeys", "key", "window", "cost"],
    },
    Spec {
        name: "limit.fixed",
        arity: -4,
        flags: &["write", "denyoom", "module", "fast"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "period_ms", "max", "cost"],
    },
    Spec {
        name: "limit.acquire",
        arity: -4,
        flags: &["write", "denyoom", "module", "fast"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "max", "lease_ms", "token"],
    },
    Spec {
        // Ending or extending a lease grows nothing: no deny-oom, so leases are kept above maxmemory.
        name: "limit.release",
        arity: 3,
        flags: &["write", "module", "fast"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "token"],
    },
    Spec {
        name: "limit.renew",
        arity: 4,
        flags: &["write", "module", "fast"],
        triple: (1, 1, 1),
        key_flags: UPDATE_KEY,
        doc_args: &["key", "token", "lease_ms"],
    },
    Spec {
        // Removing frees memory: no deny-oom.
        name: "limit.reset",
        arity: -2,
        flags: &["write", "module"],
        triple: (1, -1, 1),
        key_flags: &["RM", "delete"],
        doc_args: &["key"],
    },
];

#[test]
fn command_info_declares_flags_and_key_specs() {
    let server = Server::start();
    let mut con = server.connect();
    for spec in &SPECS {
        let (find, context) =
            assert_command_info(&mut con, spec.name, spec.arity, spec.flags, spec.triple, spec.key_flags);
        let find_spec = fields(field(&find, "spec"));
        let (kind, names, values): (&str, [&str; 3], [i64; 3]) = match spec.name {
            "limit.multi" => ("keynum", ["keynumidx", "firstkey", "keystep"], [0, 1, 1]),
            "limit.reset" => ("range", ["lastkey", "keystep", "limit"], [-1, 1, 0]),
            _ => ("range", ["lastkey", "keystep", "limit"], [0, 1, 0]),
        };
        assert_eq!(text(field(&find, "type")), kind, "{context}");
        let got: Vec<i64> = names.iter().map(|name| int(field(&find_spec, name))).collect();
        assert_eq!(got, values, "{names:?}: {context}");
    }
}

#[test]
fn command_getkeys_finds_every_key() {
    let server = Server::start();
    let mut con = server.connect();
    for (line, keys) in [
        ("limit.slide rl:{k}:a 1000 5", "[\"rl:{k}:a\"]"),
        ("LIMIT.SLIDE rl:{k}:a 1000 5 COST 2", "[\"rl:{k}:a\"]"),
        ("limit.gcra rl:{k}:g 2 10 1000", "[\"rl:{k}:g\"]"),
        ("limit.gcra rl:{k}:g 2 10 1000 COST 0", "[\"rl:{k}:g\"]"),
        ("limit.multi 1 rl:{k}:a 1000 5", "[\"rl:{k}:a\"]"),
        (
            "limit.multi 3 rl:{k}:a rl:{k}:b rl:{k}:c 1000 5 2000 5 3000 5 COST 2",
            "[\"rl:{k}:a\", \"rl:{k}:b\", \"rl:{k}:c\"]",
        ),
        ("limit.fixed rl:{k}:f 86400000 1000", "[\"rl:{k}:f\"]"),
        ("limit.fixed rl:{k}:f 86400000 1000 COST 0", "[\"rl:{k}:f\"]"),
        ("limit.acquire rl:{k}:l 5 30000", "[\"rl:{k}:l\"]"),
        ("limit.acquire rl:{k}:l 5 30000 TOKEN w1", "[\"rl:{k}:l\"]"),
        ("limit.release rl:{k}:l w1", "[\"rl:{k}:l\"]"),
        ("limit.renew rl:{k}:l w1 30000", "[\"rl:{k}:l\"]"),
        ("limit.reset rl:{k}:a", "[\"rl:{k}:a\"]"),
        ("limit.reset rl:{k}:a rl:{k}:b rl:{k}:c", "[\"rl:{k}:a\", \"rl:{k}:b\", \"rl:{k}:c\"]"),
    ] {
        assert_eq!(sh(&mut con, &format!("COMMAND GETKEYS {line}")), keys, "{line}");
    }
    // With the access flags of each key.
    assert_eq!(
        sh(&mut con, "COMMAND GETKEYSANDFLAGS limit.multi 2 rl:{k}:a rl:{k}:b 1000 5 2000 5"),
        "[[\"rl:{k}:a\", [RW, access, update]], [\"rl:{k}:b\", [RW, access, update]]]"
    );
    assert_eq!(
        sh(&mut con, "COMMAND GETKEYSANDFLAGS limit.reset rl:{k}:a rl:{k}:b"),
        "[[\"rl:{k}:a\", [RM, delete]], [\"rl:{k}:b\", [RM, delete]]]"
    );
    assert_no_panic(&server, "server");
}

#[test]
fn command_docs_describe_every_command() {
    let server = Server::start();
    let mut con = server.connect();
    for spec in &SPECS {
        let (args, context) = assert_command_docs(&mut con, spec.name, spec.doc_args);
        for arg in &args {
            let name = text(field(arg, "name"));
            let kind = text(field(arg, "type"));
            let flags = arg.get("flags").map(texts).unwrap_or_default();
            match name.as_str() {
                "key" => {
                    assert_eq!(kind, "key", "{context}");
                    assert_eq!(int(field(arg, "key_spec_index")), 0, "{context}");
                    let multiple = spec.name == "limit.multi" || spec.name == "limit.reset";
                    assert_eq!(flags.contains(&"multiple".to_string()), multiple, "key flags {flags:?}; {context}");
                }
                "cost" => {
                    assert_eq!(kind, "integer", "{context}");
                    assert_eq!(text(field(arg, "token")), "COST", "{context}");
                    assert_eq!(flags, ["optional"], "{context}");
                }
                "token" => {
                    assert_eq!(kind, "string", "{context}");
                    let optional = spec.name == "limit.acquire";
                    assert_eq!(flags.contains(&"optional".to_string()), optional, "{context}");
                    if optional {
                        assert_eq!(text(field(arg, "token")), "TOKEN", "{context}");
                    }
                }
                "window" => {
                    assert_eq!(kind, "block", "{context}");
                    assert_eq!(flags, ["multiple"], "{context}");
                    let sub: Vec<String> =
                        items(field(arg, "arguments")).iter().map(|a| text(field(&fields(a), "name"))).collect();
                    assert_eq!(sub, ["window_ms", "max"], "{context}");
                }
                _ => assert_eq!(kind, "integer", "{name}; {context}"),
            }
        }
    }
    assert_no_panic(&server, "server");
}

// ---- 4. ACL -----------------------------------------------------------------------------------

#[test]
fn key_patterns_are_enforced_for_every_limit_command() {
    let server = Server::start();
    let mut admin = server.connect();
    assert!(sh(&mut admin, "LIMIT.SLIDE other:{x}:a 3600000 5").starts_with("[1, "));
    assert!(sh(&mut admin, "LIMIT.GCRA other:{x}:g 2 1 3600000").starts_with("[1, "));
    assert_eq!(sh(&mut admin, "ACL SETUSER limiter on nopass ~rl:* +@all"), "OK");
    let before = snapshot(&mut admin);
    let mut user = login(&server, "limiter");

    let refused = [
        "LIMIT.SLIDE other:{x}:a 3600000 5",
        "LIMIT.SLIDE other:{x}:a 3600000 5 COST 0",
        "LIMIT.GCRA other:{x}:g 2 1 3600000",
        "LIMIT.GCRA other:{x}:new 2 1 3600000 COST 0",
        "LIMIT.MULTI 1 other:{x}:a 3600000 5",
        // Only the second key is outside the pattern.
        "LIMIT.MULTI 2 rl:{x}:a other:{x}:a 3600000 5 3600000 5",
        "LIMIT.MULTI 2 rl:{x}:a other:{x}:new 3600000 5 3600000 5 COST 0",
        "LIMIT.RESET other:{x}:a",
        "LIMIT.RESET rl:{x}:a other:{x}:g",
        "LIMIT.FIXED other:{x}:f 3600000 5",
        "LIMIT.FIXED other:{x}:f 3600000 5 COST 0",
        "LIMIT.ACQUIRE other:{x}:l 5 3600000",
        "LIMIT.ACQUIRE other:{x}:l 5 3600000 TOKEN w1",
        "LIMIT.RELEASE other:{x}:l w1",
        "LIMIT.RENEW other:{x}:l w1 3600000",
    ];
    for line in refused {
        let reply = sh(&mut user, line);
        assert!(reply.starts_with(NOPERM), "{line}: {reply}");
    }
    assert_eq!(snapshot(&mut admin), before, "refused calls changed nothing (rl:{{x}}:a not created either)");

    // Its reset is the time left in the current hour.
    assert!(sh(&mut user, "LIMIT.FIXED rl:{x}:f 3600000 5").starts_with("[1, 5, 4, 0, "));
    for (line, expected) in [
        ("LIMIT.SLIDE rl:{x}:a 3600000 5", "[1, 5, 4, 0, 3600000]"),
        ("LIMIT.GCRA rl:{x}:g 2 1 3600000", "[1, 3, 2, 0, 3600000]"),
        ("LIMIT.MULTI 2 rl:{x}:a rl:{x}:b 3600000 5 3600000 5", "[1, 5, 3, 0, 3600000]"),
        ("LIMIT.ACQUIRE rl:{x}:l 5 3600000 TOKEN w1", "[1, 5, 4, 0, \"w1\"]"),
        ("LIMIT.RENEW rl:{x}:l w1 3600000", "1"),
        ("LIMIT.RELEASE rl:{x}:l w1", "1"),
        ("LIMIT.RESET rl:{x}:a rl:{x}:b rl:{x}:g rl:{x}:f", "4"),
    ] {
        assert_eq!(sh(&mut user, line), expected, "{line}");
    }
    assert_eq!(snapshot(&mut admin), before, "the allowed keys were reset, the others untouched");
    assert_no_panic(&server, "server");
}

#[test]
fn read_only_key_permission_refuses_every_limit_command() {
    let server = Server::start();
    let mut admin = server.connect();
    assert!(sh(&mut admin, "LIMIT.SLIDE rl:{x}:a 3600000 5").starts_with("[1, "));
    assert!(sh(&mut admin, "LIMIT.GCRA rl:{x}:g 2 1 3600000").starts_with("[1, "));
    assert_eq!(sh(&mut admin, "ACL SETUSER reader on nopass %R~* +@all"), "OK");
    let before = snapshot(&mut admin);
    let mut reader = login(&server, "reader");

    // Control: reads of the same keys are allowed.
    assert_eq!(sh(&mut reader, "ZCARD rl:{x}:a"), "1");
    assert!(sh(&mut reader, "GET rl:{x}:g").starts_with('"'));
    for line in [
        "LIMIT.SLIDE rl:{x}:a 3600000 5",
        "LIMIT.SLIDE rl:{x}:a 3600000 5 COST 0",
        "LIMIT.SLIDE rl:{x}:new 3600000 5",
        "LIMIT.GCRA rl:{x}:g 2 1 3600000",
        "LIMIT.GCRA rl:{x}:g 2 1 3600000 COST 0",
        "LIMIT.MULTI 2 rl:{x}:a rl:{x}:b 3600000 5 3600000 5",
        "LIMIT.MULTI 1 rl:{x}:a 3600000 5 COST 0",
        "LIMIT.RESET rl:{x}:a",
        "LIMIT.RESET rl:{x}:missing",
        "LIMIT.FIXED rl:{x}:g 3600000 5",
        "LIMIT.FIXED rl:{x}:new 3600000 5 COST 0",
        "LIMIT.ACQUIRE rl:{x}:new 5 3600000",
        "LIMIT.RELEASE rl:{x}:a w1",
        "LIMIT.RENEW rl:{x}:a w1 1000",
    ] {
        let reply = sh(&mut reader, line);
        assert!(reply.starts_with(NOPERM), "{line}: {reply}");
    }
    assert_eq!(snapshot(&mut admin), before, "refused calls changed nothing");
    assert_no_panic(&server, "server");
}

// ---- 5. maxmemory ------------------------------------------------------------------------------

#[test]
fn out_of_memory_refuses_limiters_and_still_allows_reset() {
    let server = Server::start_with(Options {
        server_args: ["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        ..Options::default()
    });
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG GET maxmemory"), "[\"maxmemory\", \"1048576\"]");
    // Set the limiters up with room to spare (an idle server is close to 1 MB already).
    assert_eq!(sh(&mut con, "CONFIG SET maxmemory 0"), "OK");
    for (line, expected) in [
        ("LIMIT.SLIDE rl:{o}:log 3600000 5", "[1, 5, 4, 0, 3600000]"),
        ("LIMIT.GCRA rl:{o}:gcra 2 1 3600000", "[1, 3, 2, 0, 3600000]"),
        ("LIMIT.MULTI 2 rl:{o}:a rl:{o}:b 3600000 5 3600000 5", "[1, 5, 4, 0, 3600000]"),
        ("LIMIT.SLIDE rl:{o}:reset-me 3600000 5", "[1, 5, 4, 0, 3600000]"),
    ] {
        assert_eq!(sh(&mut con, line), expected, "{line}");
    }
    assert_eq!(sh(&mut con, "CONFIG SET maxmemory 1mb"), "OK");

    // Fill memory until plain writes are refused.
    let mut size = 0;
    while !sh(&mut con, "SET probe 1").starts_with("(error) OOM") {
        size += 2_000_000;
        assert!(size <= 20_000_000, "writes never hit maxmemory");
        let reply = run(&mut con, &["SETRANGE", "junk", &size.to_string(), "x"]);
        assert!(reply == (size + 1).to_string() || reply == OOM, "SETRANGE: {reply}");
    }
    assert_eq!(sh(&mut con, "SET probe 1"), OOM);
    let before = snapshot(&mut con);

    for line in [
        "LIMIT.SLIDE rl:{o}:log 3600000 5",
        "LIMIT.SLIDE rl:{o}:log 3600000 5 COST 0",
        "LIMIT.SLIDE rl:{o}:new 3600000 5",
        "LIMIT.GCRA rl:{o}:gcra 2 1 3600000",
        "LIMIT.GCRA rl:{o}:new 2 1 3600000",
        "LIMIT.MULTI 2 rl:{o}:a rl:{o}:b 3600000 5 3600000 5",
        "LIMIT.MULTI 2 rl:{o}:a rl:{o}:new 3600000 5 3600000 5",
    ] {
        assert_eq!(sh(&mut con, line), OOM, "{line}");
    }
    // Queued in a transaction: refused at queueing, the transaction is discarded.
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    assert_eq!(sh(&mut con, "LIMIT.SLIDE rl:{o}:log 3600000 5"), OOM);
    assert!(sh(&mut con, "EXEC").starts_with("(error) EXECABORT"));
    // Called from a script: the script gets the OOM error.
    let scripted =
        run(&mut con, &["EVAL", "return redis.call('LIMIT.SLIDE', KEYS[1], '3600000', '5')", "1", "rl:{o}:log"]);
    assert!(scripted.starts_with("(error) OOM command not allowed"), "EVAL: {scripted}");
    assert_eq!(snapshot(&mut con), before, "refused calls changed nothing");

    // LIMIT.RESET frees memory, so it still runs.
    assert_eq!(sh(&mut con, "LIMIT.RESET rl:{o}:reset-me rl:{o}:missing"), "1");
    assert_eq!(sh(&mut con, "EXISTS rl:{o}:reset-me"), "0");
    assert_eq!(sh(&mut con, "LIMIT.RESET rl:{o}:missing"), "0");

    // With room again, the limiters carry on from the state they had.
    assert_eq!(sh(&mut con, "CONFIG SET maxmemory 0"), "OK");
    assert_eq!(sh(&mut con, "LIMIT.SLIDE rl:{o}:log 3600000 5"), "[1, 5, 3, 0, 3600000]");
    assert!(sh(&mut con, "LIMIT.GCRA rl:{o}:gcra 2 1 3600000").starts_with("[1, 3, 1, 0, "));
    assert_eq!(sh(&mut con, "LIMIT.MULTI 2 rl:{o}:a rl:{o}:b 3600000 5 3600000 5"), "[1, 5, 3, 0, 3600000]");
    assert_no_panic(&server, "server");
}

// ---- keyspace events ------------------------------------------------------------------------------

/// The keyspace events fired on `key` by `steps` (each a command line, or `None` to wait
/// until the newest entry of `key` is out of a SHORT window). A final `SET` on a sentinel
/// key marks the end of the stream, so nothing waits a fixed time.
fn key_events(server: &Server, key: &str, steps: &[Option<&str>]) -> Vec<String> {
    keyspace_events(server, key, |con| {
        for step in steps {
            match step {
                Some(line) => assert!(!sh(con, line).starts_with("(error)"), "{line}"),
                None => Writer::new(con).wait_out_of_window(key.as_bytes(), SHORT),
            }
        }
    })
}

#[test]
fn pruning_that_empties_a_log_fires_del_like_zremrangebyscore() {
    let server = Server::start();
    let mut con = server.connect();
    let now = server_ms(&mut con);
    let native = key_events(
        &server,
        "native",
        &[Some(&format!("ZADD native {now} a")), Some(&format!("ZREMRANGEBYSCORE native -inf {now}"))],
    );
    assert_eq!(native, ["zadd", "zremrangebyscore", "del"], "control: what Redis itself fires");

    let limiter = key_events(
        &server,
        "rl:{k}:log",
        &[Some("LIMIT.SLIDE rl:{k}:log 3600000 2 COST 2"), None, Some("LIMIT.SLIDE rl:{k}:log 50 2 COST 0")],
    );
    assert_eq!(sh(&mut con, "EXISTS rl:{k}:log"), "0", "the pruned log is gone");
    assert_eq!(
        limiter,
        ["zadd", "expire", "zremrangebyscore", "del"],
        "pruning that empties a log deletes the key, so it must fire `del` as ZREMRANGEBYSCORE does"
    );
    assert_no_panic(&server, "server");
}
