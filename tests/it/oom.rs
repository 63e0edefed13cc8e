//! tally under `maxmemory` with `maxmemory-policy noeviction`: every command that can grow
//! memory (TOURNEY.INCR / SUBMIT, LIMIT.SLIDE / MULTI / GCRA / FIXED / ACQUIRE, AUDIT.APPEND with and
//! without IDEMPOTENT, AUDIT.GROUP) is declared `denyoom`, so the server refuses it with its
//! own OOM error before the module runs, and the data set stays as it was (each key's
//! `DUMP` and `PEXPIRETIME` compared before and after). Reads keep working, and so do the
//! commands that only free memory (TOURNEY.REM, LIMIT.RESET, which are not `denyoom`,
//! like ZREM and DEL). Once there is room again, every family carries on from its state.
//!
//! tests/it/limit_server.rs covers the LIMIT commands alone in depth; this file covers TOURNEY
//! and AUDIT, and all three families at once on one full server.

use crate::common::*;

use redis::{Connection, Value};
use std::collections::BTreeSet;

const OOM: &str = "(error) OOM command not allowed when used memory > 'maxmemory'.";
const MAXMEMORY: i64 = 2 * 1024 * 1024;
/// Keys of the test's own filling (junk value, probe); left out of the snapshots.
const FILL_PREFIX: &str = "oom:";

const SCORES: &str = "tournament:{t1}:scores";
const FINISHED: &str = "tournament:{t1}:finished";
const AUDIT: &str = "warehouse:{inv}:audit";
const PRODUCERS: &str = "warehouse:{inv}:audit:producers";

// ---- helpers -------------------------------------------------------------------------------

/// A server started with `--maxmemory 2mb --maxmemory-policy noeviction`.
fn small_server() -> Server {
    let server = Server::start_with(Options {
        server_args: ["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        ..Options::default()
    });
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG GET maxmemory"), format!("[\"maxmemory\", \"{MAXMEMORY}\"]"));
    assert_eq!(sh(&mut con, "CONFIG GET maxmemory-policy"), "[\"maxmemory-policy\", \"noeviction\"]");
    server
}

/// Runs `prepare` with the limit lifted (an idle server already uses about half of 2 MB),
/// then puts it back.
fn with_room(con: &mut Connection, prepare: impl FnOnce(&mut Connection)) {
    assert_eq!(sh(con, "CONFIG SET maxmemory 0"), "OK");
    prepare(con);
    assert_eq!(sh(con, "CONFIG SET maxmemory 2mb"), "OK");
}

fn used_memory(con: &mut Connection) -> i64 {
    let info: String = redis::cmd("INFO").arg("memory").query(con).expect("INFO memory");
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim_end().parse().ok())
        .expect("used_memory in INFO memory")
}

/// Grows a junk string with SETRANGE until a plain `SET` is refused with OOM. Steps of 2 MB
/// leave the server well above the limit (checked), so that small changes in the
/// server's own memory use cannot let a refused write through.
fn fill_memory(con: &mut Connection) {
    let junk = format!("{FILL_PREFIX}junk");
    let probe = format!("{FILL_PREFIX}probe");
    let mut size: i64 = 0;
    while !run(con, &["SET", &probe, "1"]).starts_with("(error) OOM") {
        size += 2_000_000;
        assert!(size <= 40_000_000, "writes never hit maxmemory");
        let reply = run(con, &["SETRANGE", &junk, &size.to_string(), "x"]);
        assert!(reply == (size + 1).to_string() || reply == OOM, "SETRANGE: {reply}");
    }
    assert_eq!(run(con, &["SET", &probe, "2"]), OOM);
    let used = used_memory(con);
    assert!(used >= MAXMEMORY + 256 * 1024, "used_memory {used} is too close to maxmemory {MAXMEMORY}");
}

/// Every key but the filling, with its serialized value and absolute expiry.
fn snapshot(con: &mut Connection) -> KeyDumps {
    key_dumps_where(con, |key| !key.starts_with(FILL_PREFIX.as_bytes()))
}

fn key_names(snapshot: &KeyDumps) -> BTreeSet<String> {
    snapshot.keys().map(|key| String::from_utf8_lossy(key).into_owned()).collect()
}

/// The `tally_*_calls` / `_errors` counters of INFO tally.
fn call_counters(con: &mut Connection) -> Vec<(String, String)> {
    let info: String = redis::cmd("INFO").arg("tally").query(con).expect("INFO tally");
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.ends_with("_calls") || name.ends_with("_errors"))
        .map(|(name, value)| (name.to_string(), value.trim_end().to_string()))
        .collect()
}

fn assert_no_panic(server: &Server) {
    let log = server.log();
    assert!(!log.contains("panic") && !log.contains("crashed by signal"), "server log:\n{log}");
}

/// Runs `line` and checks the OOM refusal.
fn assert_refused(con: &mut Connection, line: &str) {
    assert_eq!(sh(con, line), OOM, "{line}");
}

fn seed_leaderboard(con: &mut Connection) {
    for (member, score) in [("alice", "10"), ("bob", "15"), ("carol", "10"), ("dave", "3")] {
        let reply = sh(con, &format!("TOURNEY.SUBMIT {SCORES} {member} {score}"));
        assert!(reply.starts_with(&format!("[\"{score}\", ")), "{member}: {reply}");
    }
    assert_eq!(sh(con, &format!("TOURNEY.INCR {FINISHED} zoe 1")), "[\"1\", 1]");
}

/// Appends entries to AUDIT (one through an idempotent producer), makes a group and has a
/// consumer read one entry. Returns the entry IDs.
fn seed_audit(con: &mut Connection) -> Vec<String> {
    let mut ids = Vec::new();
    for line in [
        format!("AUDIT.APPEND {AUDIT} IDEMPOTENT p 1 sku 1"),
        format!("AUDIT.APPEND {AUDIT} sku 2"),
        format!("AUDIT.APPEND {AUDIT} sku 3"),
    ] {
        let reply = sh(con, &line);
        assert!(reply.starts_with('"') && reply.contains('-'), "{line}: {reply}");
        ids.push(reply.trim_matches('"').to_string());
    }
    assert_eq!(sh(con, &format!("AUDIT.GROUP {AUDIT} g START 0")), "OK");
    assert_eq!(
        sh(con, &format!("XREADGROUP GROUP g c1 COUNT 1 STREAMS {AUDIT} >")),
        format!("[[\"{AUDIT}\", [[\"{}\", [\"sku\", \"1\"]]]]]", ids[0])
    );
    ids
}

const TOURNEY_READS: [&str; 8] = [
    "TOURNEY.RANK tournament:{t1}:scores alice",
    "TOURNEY.RANK tournament:{t1}:scores alice WITHSCORE TIES COMPETITION",
    "TOURNEY.RANK tournament:{t1}:scores nobody",
    "TOURNEY.TOP tournament:{t1}:scores 2",
    "TOURNEY.TOP tournament:{t1}:scores 10 OFFSET 1 TIES COMPETITION",
    "TOURNEY.AROUND tournament:{t1}:scores dave 1",
    "TOURNEY.PERCENTILE tournament:{t1}:scores alice",
    "TOURNEY.INFO tournament:{t1}:scores",
];

const AUDIT_READS: [&str; 2] = ["AUDIT.INFO warehouse:{inv}:audit", "AUDIT.INFO warehouse:{inv}:missing"];

fn replies(con: &mut Connection, lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| sh(con, line)).collect()
}

// ---- TOURNEY ----------------------------------------------------------------------------------

#[test]
fn tourney_writes_are_refused_while_reads_and_rem_keep_working() {
    let server = small_server();
    let mut con = server.connect();
    with_room(&mut con, seed_leaderboard);
    // The limit is back and the data fits: writes still work before the filling.
    assert_eq!(sh(&mut con, "TOURNEY.INCR tournament:{t1}:scores dave 0"), "[\"3\", 4]");
    let reads_before = replies(&mut con, &TOURNEY_READS);
    assert_eq!(
        reads_before,
        [
            "3",
            "[2, \"10\"]",
            "nil",
            "[[\"bob\", \"15\", 1], [\"carol\", \"10\", 2]]",
            "[[\"carol\", \"10\", 2], [\"alice\", \"10\", 2], [\"dave\", \"3\", 4]]",
            "[[\"carol\", \"10\", 2], [\"alice\", \"10\", 3], [\"dave\", \"3\", 4]]",
            "\"75\"",
            "[\"created\", 0, \"tiebreak\", \"member\", \"ties\", \"ordinal\", \"expireat\", nil, \"members\", 4, \"top\", \"15\", \"bottom\", \"3\", \"order\", \"desc\"]",
        ]
    );

    fill_memory(&mut con);
    let before = snapshot(&mut con);
    assert_eq!(key_names(&before), BTreeSet::from([SCORES.to_string(), FINISHED.to_string()]));
    let counters = call_counters(&mut con);
    for line in [
        "TOURNEY.INCR tournament:{t1}:scores alice 1",
        "TOURNEY.INCR tournament:{t1}:scores alice -1",
        // Changes nothing, yet is refused: the server decides from the command's flags.
        "TOURNEY.INCR tournament:{t1}:scores alice 0",
        "TOURNEY.INCR tournament:{t1}:scores newcomer 1",
        "TOURNEY.INCR tournament:{t1}:new alice 1",
        "TOURNEY.SUBMIT tournament:{t1}:scores alice 100",
        "TOURNEY.SUBMIT tournament:{t1}:scores alice 1",
        "TOURNEY.SUBMIT tournament:{t1}:scores alice 1 LATEST",
        "TOURNEY.SUBMIT tournament:{t1}:scores alice 10 BEST",
        "TOURNEY.SUBMIT tournament:{t1}:scores newcomer 5 LATEST",
        "TOURNEY.SUBMIT tournament:{t1}:new alice 5",
        // Refused before the arguments are looked at.
        "TOURNEY.INCR tournament:{t1}:scores alice nan",
    ] {
        assert_refused(&mut con, line);
    }
    // Queued in a transaction: refused when queued, and the transaction is discarded.
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    assert_refused(&mut con, "TOURNEY.SUBMIT tournament:{t1}:scores alice 100");
    assert!(sh(&mut con, "EXEC").starts_with("(error) EXECABORT"));
    // From a script: the script gets the OOM error.
    let scripted = run(&mut con, &["EVAL", "return redis.call('TOURNEY.INCR', KEYS[1], 'alice', '1')", "1", SCORES]);
    assert!(scripted.starts_with("(error) OOM command not allowed"), "EVAL: {scripted}");

    assert_eq!(snapshot(&mut con), before, "refused TOURNEY writes changed the data set");
    assert_eq!(call_counters(&mut con), counters, "the module ran although the server refused the call");
    assert_eq!(replies(&mut con, &TOURNEY_READS), reads_before, "reads under OOM");

    // TOURNEY.REM only frees memory, so it still runs (like ZREM).
    assert_eq!(sh(&mut con, "TOURNEY.REM tournament:{t1}:scores dave nobody"), "1");
    assert_eq!(sh(&mut con, "TOURNEY.REM tournament:{t1}:scores nobody"), "0");
    assert_eq!(sh(&mut con, "TOURNEY.REM tournament:{t1}:missing alice"), "0");
    assert_eq!(sh(&mut con, "TOURNEY.RANK tournament:{t1}:scores dave"), "nil");
    assert_eq!(sh(&mut con, "TOURNEY.TOP tournament:{t1}:scores 5 TIES COMPETITION").matches('[').count(), 4);
    // Removing the last member deletes the key.
    assert_eq!(sh(&mut con, "TOURNEY.REM tournament:{t1}:finished zoe"), "1");
    assert_eq!(key_names(&snapshot(&mut con)), BTreeSet::from([SCORES.to_string()]));
    // Still refused: REM freed far less than the filling took.
    assert_refused(&mut con, "TOURNEY.INCR tournament:{t1}:scores alice 1");

    // With room again, scores carry on from where they were.
    assert_eq!(sh(&mut con, "CONFIG SET maxmemory 0"), "OK");
    assert_eq!(sh(&mut con, "TOURNEY.INCR tournament:{t1}:scores alice 1"), "[\"11\", 2]");
    assert_eq!(sh(&mut con, "TOURNEY.SUBMIT tournament:{t1}:scores carol 20"), "[\"20\", 1, 1]");
    assert_no_panic(&server);
}

// ---- AUDIT -------------------------------------------------------------------------------------

#[test]
fn audit_writes_are_refused_while_info_and_the_consumer_loop_keep_working() {
    let server = small_server();
    let mut con = server.connect();
    let mut ids = Vec::new();
    with_room(&mut con, |con| ids = seed_audit(con));
    let reads_before = replies(&mut con, &AUDIT_READS);
    assert!(reads_before[0].starts_with("[\"length\", 3, \"cap\", 10000,"), "{}", reads_before[0]);
    assert!(reads_before[0].contains("[[\"name\", \"g\", \"consumers\", 1, \"pending\", 1, "), "{}", reads_before[0]);
    assert_eq!(reads_before[1], "nil");

    fill_memory(&mut con);
    let before = snapshot(&mut con);
    assert_eq!(key_names(&before), BTreeSet::from([AUDIT.to_string(), PRODUCERS.to_string()]));
    let counters = call_counters(&mut con);
    for line in [
        "AUDIT.APPEND warehouse:{inv}:audit sku 4",
        // Would trim the stream to one entry: still refused, nothing trimmed.
        "AUDIT.APPEND warehouse:{inv}:audit MAXLEN 1 sku 4",
        "AUDIT.APPEND warehouse:{inv}:new sku 4",
        // The producer's next sequence, a retry of its last one (which would only reply the
        // original ID), a stale one and a new producer: all refused alike.
        "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 2 sku 4",
        "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 1 sku 1",
        "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 0 sku 0",
        "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT q 1 sku 4",
        "AUDIT.APPEND warehouse:{inv}:audit MAXLEN 1 IDEMPOTENT q 1 sku 4",
        "AUDIT.APPEND warehouse:{inv}:new IDEMPOTENT p 1 sku 4",
        // A new group, an existing one (which would be a no-op), and MKSTREAM of a new key.
        "AUDIT.GROUP warehouse:{inv}:audit g2",
        "AUDIT.GROUP warehouse:{inv}:audit g2 START 0",
        "AUDIT.GROUP warehouse:{inv}:audit g",
        "AUDIT.GROUP warehouse:{inv}:new g",
    ] {
        assert_refused(&mut con, line);
    }
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    assert_refused(&mut con, "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 2 sku 4");
    assert!(sh(&mut con, "EXEC").starts_with("(error) EXECABORT"));
    let script = "return redis.call('AUDIT.APPEND', KEYS[1], 'IDEMPOTENT', 'p', '2', 'sku', '4')";
    let scripted = run(&mut con, &["EVAL", script, "1", AUDIT]);
    assert!(scripted.starts_with("(error) OOM command not allowed"), "EVAL: {scripted}");

    assert_eq!(snapshot(&mut con), before, "refused AUDIT writes changed the data set");
    assert_eq!(call_counters(&mut con), counters, "the module ran although the server refused the call");
    assert_eq!(replies(&mut con, &AUDIT_READS), reads_before, "AUDIT.INFO under OOM");

    // Consumers drain the log under OOM: XREADGROUP, XACK and XAUTOCLAIM are not denyoom.
    assert_eq!(
        sh(&mut con, "XREADGROUP GROUP g c1 COUNT 10 STREAMS warehouse:{inv}:audit >"),
        format!("[[\"{AUDIT}\", [[\"{}\", [\"sku\", \"2\"]], [\"{}\", [\"sku\", \"3\"]]]]]", ids[1], ids[2])
    );
    assert_eq!(run(&mut con, &["XACK", AUDIT, "g", &ids[0], &ids[1]]), "2");
    let claimed = run(&mut con, &["XAUTOCLAIM", AUDIT, "g", "c2", "0", "0-0"]);
    assert!(claimed.contains(&ids[2]), "XAUTOCLAIM: {claimed}");
    let info = sh(&mut con, "AUDIT.INFO warehouse:{inv}:audit");
    assert!(info.contains("[[\"name\", \"g\", \"consumers\", 2, \"pending\", 1, \"lag\", 0]]"), "{info}");

    // With room again, the producer carries on: a retry still finds its entry.
    assert_eq!(sh(&mut con, "CONFIG SET maxmemory 0"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 1 sku 1"), format!("\"{}\"", ids[0]));
    let next = sh(&mut con, "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 2 sku 4");
    assert!(next.starts_with('"') && next != format!("\"{}\"", ids[2]), "{next}");
    assert_eq!(sh(&mut con, "XLEN warehouse:{inv}:audit"), "4");
    assert_eq!(sh(&mut con, "AUDIT.GROUP warehouse:{inv}:audit g2 START 0"), "OK");
    assert_no_panic(&server);
}

// ---- every family on one full server ------------------------------------------------------------

/// Every tally write that can grow memory, at least once per command.
const GROWING_WRITES: [&str; 16] = [
    "TOURNEY.INCR tournament:{t1}:scores alice 1",
    "TOURNEY.CREATE tournament:{t1}:next TIEBREAK FIRST TIES DENSE",
    "TOURNEY.SUBMIT tournament:{t1}:scores alice 100",
    "LIMIT.SLIDE limiter:{u1}:slide 3600000 5",
    "LIMIT.SLIDE limiter:{u1}:slide 3600000 5 COST 0",
    "LIMIT.MULTI 2 limiter:{u1}:second limiter:{u1}:minute 3600000 5 3600000 50",
    "LIMIT.GCRA limiter:{u1}:gcra 2 1 3600000",
    "LIMIT.GCRA limiter:{u1}:gcra 2 1 3600000 COST 0",
    "LIMIT.FIXED limiter:{u1}:fixed 3600000 5",
    "LIMIT.FIXED limiter:{u1}:fixed 3600000 5 COST 0",
    "LIMIT.ACQUIRE limiter:{u1}:lease 2 3600000 TOKEN w1",
    "AUDIT.APPEND warehouse:{inv}:audit sku 4",
    "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 2 sku 4",
    "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 1 sku 1",
    "AUDIT.GROUP warehouse:{inv}:audit g2",
    "AUDIT.CREATE warehouse:{inv}:next MAXLEN 10 ONFULL REFUSE CHAIN",
];

#[test]
fn a_full_server_refuses_every_growing_tally_write_and_serves_the_rest() {
    let server = small_server();
    let mut con = server.connect();

    // The commands declared denyoom are exactly the ones that can grow memory.
    let list = redis::cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("MODULE").arg("tally").query(&mut con);
    let Ok(Value::Array(names)) = list else { panic!("COMMAND LIST FILTERBY MODULE tally: {list:?}") };
    let mut denyoom = BTreeSet::new();
    let mut others = BTreeSet::new();
    for name in names {
        let name = match name {
            Value::BulkString(bytes) => String::from_utf8(bytes).unwrap(),
            Value::SimpleString(text) => text,
            other => panic!("command name {other:?}"),
        };
        let info = sh(&mut con, &format!("COMMAND INFO {name}"));
        if info.contains("denyoom") {
            denyoom.insert(name);
        } else {
            others.insert(name);
        }
    }
    let growing: BTreeSet<String> =
        GROWING_WRITES.iter().map(|line| line.split(' ').next().unwrap().to_lowercase()).collect();
    assert_eq!(denyoom, growing, "denyoom commands");
    assert_eq!(
        others,
        [
            "audit.digest",
            "audit.info",
            "audit.verify",
            "limit.release",
            "limit.renew",
            "limit.reset",
            "tourney.around",
            "tourney.info",
            "tourney.percentile",
            "tourney.rank",
            "tourney.ranks",
            "tourney.rem",
            "tourney.top"
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect::<BTreeSet<_>>()
    );

    let mut ids = Vec::new();
    with_room(&mut con, |con| {
        seed_leaderboard(con);
        ids = seed_audit(con);
        for (line, expected) in [
            ("LIMIT.SLIDE limiter:{u1}:slide 3600000 5", "[1, 5, 4, 0, 3600000]"),
            ("LIMIT.MULTI 2 limiter:{u1}:second limiter:{u1}:minute 3600000 5 3600000 50", "[1, 5, 4, 0, 3600000]"),
            ("LIMIT.GCRA limiter:{u1}:gcra 2 1 3600000", "[1, 3, 2, 0, 3600000]"),
            ("LIMIT.SLIDE limiter:{u1}:reset-me 3600000 5", "[1, 5, 4, 0, 3600000]"),
        ] {
            assert_eq!(sh(con, line), expected, "{line}");
        }
    });
    let reads: Vec<&str> = TOURNEY_READS.iter().chain(AUDIT_READS.iter()).copied().collect();
    let reads_before = replies(&mut con, &reads);

    fill_memory(&mut con);
    let before = snapshot(&mut con);
    assert_eq!(before.len(), 9, "{:?}", key_names(&before));
    let counters = call_counters(&mut con);

    for line in GROWING_WRITES {
        assert_refused(&mut con, line);
    }
    // All of them queued in one transaction: each is refused when queued, EXEC aborts.
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    for line in GROWING_WRITES {
        assert_refused(&mut con, line);
    }
    assert!(sh(&mut con, "EXEC").starts_with("(error) EXECABORT"));
    // Each from a script (standalone servers let scripts use keys they do not declare).
    for line in GROWING_WRITES {
        let mut eval = vec!["EVAL", "return redis.call(unpack(ARGV))", "0"];
        eval.extend(words(line));
        let scripted = run(&mut con, &eval);
        assert!(scripted.starts_with("(error) OOM command not allowed"), "EVAL {line}: {scripted}");
    }
    assert_eq!(snapshot(&mut con), before, "refused writes changed the data set");
    assert_eq!(call_counters(&mut con), counters, "the module ran although the server refused the call");
    assert_eq!(replies(&mut con, &reads), reads_before, "reads under OOM");

    // Deletions run: TOURNEY.REM and LIMIT.RESET only free memory.
    assert_eq!(sh(&mut con, "TOURNEY.REM tournament:{t1}:finished zoe"), "1");
    assert_eq!(sh(&mut con, "LIMIT.RESET limiter:{u1}:reset-me limiter:{u1}:missing"), "1");
    let after = snapshot(&mut con);
    let removed: BTreeSet<String> = key_names(&before).difference(&key_names(&after)).cloned().collect();
    assert_eq!(removed, BTreeSet::from([FINISHED.to_string(), "limiter:{u1}:reset-me".to_string()]));
    for (key, value) in &after {
        assert_eq!(before.get(key), Some(value), "{} changed", String::from_utf8_lossy(key));
    }

    // Freeing the filling lets every family carry on from its state.
    assert_eq!(run(&mut con, &["DEL", &format!("{FILL_PREFIX}junk")]), "1");
    poll_until(std::time::Duration::from_secs(10), || used_memory(&mut con) < MAXMEMORY);
    assert_eq!(sh(&mut con, "TOURNEY.INCR tournament:{t1}:scores alice 1"), "[\"11\", 2]");
    assert_eq!(sh(&mut con, "LIMIT.SLIDE limiter:{u1}:slide 3600000 5"), "[1, 5, 3, 0, 3600000]");
    assert_eq!(
        sh(&mut con, "LIMIT.MULTI 2 limiter:{u1}:second limiter:{u1}:minute 3600000 5 3600000 50"),
        "[1, 5, 3, 0, 3600000]"
    );
    assert!(sh(&mut con, "LIMIT.GCRA limiter:{u1}:gcra 2 1 3600000").starts_with("[1, 3, 1, 0, "));
    assert_eq!(sh(&mut con, "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 1 sku 1"), format!("\"{}\"", ids[0]));
    assert_eq!(sh(&mut con, "AUDIT.GROUP warehouse:{inv}:audit g2"), "OK");
    assert_no_panic(&server);
}
