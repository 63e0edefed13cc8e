//! TOURNEY commands as server citizens: registration (MODULE LIST, COMMAND INFO / GETKEYS /
//! DOCS, arity checked by the server), ACL key permissions, replication and AOF as effects
//! (ZADD / ZREM with concrete scores), AOF reload, and robustness against bad input.

use crate::common::aof::*;
use crate::common::registration::*;
use crate::common::reply::*;
use crate::common::rng::{Random, XorShift64};
use crate::common::*;

use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::path::Path;

// ---- small helpers -----------------------------------------------------------------------

/// A score as Redis prints it (the exact digits vary between server versions).
fn score(bytes: &[u8]) -> f64 {
    std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a score: {bytes:?}"))
}

/// `delta` added `times` times from 0, as f64 arithmetic does it.
fn repeated_sum(delta: f64, times: usize) -> f64 {
    (0..times).fold(0.0, |sum, _| sum + delta)
}

/// Up to `max_len` random bytes.
fn random_bytes(rng: &mut XorShift64, max_len: u64) -> Vec<u8> {
    (0..rng.below(max_len + 1)).map(|_| rng.next() as u8).collect()
}

// ---- the command table -------------------------------------------------------------------

const WRITE_FLAGS: &[&str] = &["write", "denyoom", "module", "fast"];
const READ_FAST_FLAGS: &[&str] = &["readonly", "module", "fast"];
const READ_FLAGS: &[&str] = &["readonly", "module"];
const UPSERT_KEY: &[&str] = &["RW", "access", "update"];
const READ_KEY: &[&str] = &["RO", "access"];

const SPECS: [Spec; 9] = [
    Spec {
        name: "tourney.incr",
        arity: -4,
        flags: WRITE_FLAGS,
        key_flags: UPSERT_KEY,
        example: &["mykey", "alice", "1"],
        doc_args: &["key", "member", "delta", "data", "season"],
    },
    Spec {
        name: "tourney.submit",
        arity: -4,
        flags: WRITE_FLAGS,
        key_flags: UPSERT_KEY,
        example: &["mykey", "alice", "1", "LATEST"],
        doc_args: &["key", "member", "score", "mode", "data", "season"],
    },
    Spec {
        name: "tourney.rank",
        arity: -3,
        flags: READ_FAST_FLAGS,
        key_flags: READ_KEY,
        example: &["mykey", "alice", "WITHSCORE"],
        doc_args: &["key", "member", "withscore", "ties", "season"],
    },
    Spec {
        name: "tourney.top",
        arity: -3,
        flags: READ_FLAGS,
        key_flags: READ_KEY,
        example: &["mykey", "10", "OFFSET", "1"],
        doc_args: &["key", "count", "offset", "ties", "withdata", "season"],
    },
    Spec {
        name: "tourney.around",
        arity: -4,
        flags: READ_FLAGS,
        key_flags: READ_KEY,
        example: &["mykey", "alice", "2"],
        doc_args: &["key", "member", "radius", "ties", "withdata", "season"],
    },
    Spec {
        name: "tourney.percentile",
        arity: -3,
        flags: READ_FAST_FLAGS,
        key_flags: READ_KEY,
        example: &["mykey", "alice"],
        doc_args: &["key", "member", "season"],
    },
    Spec {
        // Like ZREM: removing frees memory, so no deny-oom.
        name: "tourney.rem",
        arity: -3,
        flags: &["write", "module", "fast"],
        key_flags: &["RW", "delete"],
        example: &["mykey", "alice", "bob"],
        doc_args: &["key", "member", "season"],
    },
    Spec {
        // Reads the board's size, may set its expiry; writes the settings key beside it.
        name: "tourney.create",
        arity: -2,
        flags: WRITE_FLAGS,
        key_flags: &["RW", "update"],
        example: &["mykey", "TIES", "DENSE"],
        doc_args: &["key", "order", "tiebreak", "ties", "unix-time-milliseconds"],
    },
    Spec {
        name: "tourney.info",
        arity: -2,
        flags: READ_FAST_FLAGS,
        key_flags: READ_KEY,
        example: &["mykey"],
        doc_args: &["key", "season"],
    },
];

impl Spec {
    /// The example call with `key` in place of `mykey`.
    fn call_on<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
        std::iter::once(self.name).chain(std::iter::once(key)).chain(self.example[1..].iter().copied()).collect()
    }

    /// Calls the server must refuse for their argument count.
    fn wrong_arity_calls(&self) -> Vec<Vec<&str>> {
        let needed = self.arity.unsigned_abs() as usize - 1;
        let mut calls = vec![std::iter::once(self.name).chain(self.example[..needed - 1].iter().copied()).collect()];
        if self.arity > 0 {
            assert_eq!(self.example.len(), needed, "example of {} must match its arity", self.name);
            calls.push(std::iter::once(self.name).chain(self.example.iter().copied()).chain(["extra"]).collect());
        }
        calls
    }
}

// ---- 1. registration ---------------------------------------------------------------------

#[test]
fn module_list_shows_the_cargo_version() {
    let server = Server::start();
    let mut con = server.connect();
    let modules = ok(&mut con, &["MODULE", "LIST"]);
    let tally: Vec<_> = items(&modules).iter().map(fields).filter(|m| text(field(m, "name")) == "tally").collect();
    assert_eq!(tally.len(), 1, "MODULE LIST: {}", render(&modules));
    let semver: Vec<i64> = env!("CARGO_PKG_VERSION").split('.').map(|part| part.parse().unwrap()).collect();
    assert_eq!(int(field(&tally[0], "ver")), semver[0] * 10000 + semver[1] * 100 + semver[2]);
}

#[test]
fn command_info_declares_arity_flags_and_key_specs() {
    let server = Server::start();
    let mut con = server.connect();
    assert_single_key_command_infos(&mut con, &SPECS);
}

#[test]
fn command_getkeys_finds_the_key_of_every_command() {
    let server = Server::start();
    let mut con = server.connect();
    for spec in &SPECS {
        let mut args = vec!["COMMAND", "GETKEYS"];
        args.extend(spec.call_on("mykey"));
        assert_eq!(run(&mut con, &args), "[\"mykey\"]", "{args:?}");
    }
    assert_eq!(sh(&mut con, "COMMAND GETKEYS tourney.incr mykey alice 1"), "[\"mykey\"]");
}

#[test]
fn command_docs_describe_every_command() {
    let server = Server::start();
    let mut con = server.connect();
    assert_single_key_command_docs(&mut con, &SPECS);
}

#[test]
fn the_server_refuses_wrong_arity_before_the_module_runs() {
    let server = Server::start();
    let mut con = server.connect();
    for spec in &SPECS {
        assert_eq!(sh(&mut con, "CONFIG RESETSTAT"), "OK");
        let calls = spec.wrong_arity_calls();
        for call in &calls {
            // Upper-case on purpose: the error names the registered (lower-case) command.
            let mut call = call.clone();
            let upper = call[0].to_uppercase();
            call[0] = &upper;
            assert_eq!(
                run(&mut con, &call),
                format!("(error) ERR wrong number of arguments for '{}' command", spec.name),
                "{call:?}"
            );
        }
        // Rejected by the server: counted as rejected calls, never as calls of the module.
        let stats = info_field(&mut con, "commandstats", &format!("cmdstat_{}", spec.name));
        assert!(stats.starts_with("calls=0,"), "{}: {stats}", spec.name);
        assert!(stats.contains(&format!("rejected_calls={},", calls.len())), "{}: {stats}", spec.name);
    }
}

// ---- 2. ACL --------------------------------------------------------------------------------

fn seed_leaderboard(con: &mut Connection, key: &str) {
    for (member, score) in [("alice", "5"), ("bob", "3"), ("carol", "8")] {
        ok(con, &["TOURNEY.SUBMIT", key, member, score]);
    }
}

const NOPERM: &str = "(error) NOPERM";

#[test]
fn read_only_key_permission_allows_reads_and_refuses_writes() {
    let server = Server::start();
    let mut admin = server.connect();
    seed_leaderboard(&mut admin, "lb");
    let before = dataset(&mut admin);
    assert_eq!(sh(&mut admin, "ACL SETUSER reader on nopass %R~* +@all"), "OK");
    let mut reader = login(&server, "reader");

    assert_eq!(sh(&mut reader, "TOURNEY.RANK lb alice"), "2");
    assert_eq!(sh(&mut reader, "TOURNEY.RANK lb alice WITHSCORE"), "[2, \"5\"]");
    assert_eq!(sh(&mut reader, "TOURNEY.TOP lb 1"), "[[\"carol\", \"8\", 1]]");
    assert_eq!(sh(&mut reader, "TOURNEY.AROUND lb alice 0"), "[[\"alice\", \"5\", 2]]");
    assert!(sh(&mut reader, "TOURNEY.PERCENTILE lb alice").starts_with("\"66.6"));
    for line in
        ["TOURNEY.INCR lb alice 1", "TOURNEY.SUBMIT lb alice 100", "TOURNEY.REM lb alice", "TOURNEY.INCR new alice 1"]
    {
        let reply = sh(&mut reader, line);
        assert!(reply.starts_with(NOPERM), "{line}: {reply}");
    }
    assert_eq!(dataset(&mut admin), before, "refused writes changed nothing");
}

#[test]
fn key_patterns_are_enforced_for_every_command() {
    let server = Server::start();
    let mut admin = server.connect();
    seed_leaderboard(&mut admin, "other:{x}:scores");
    assert_eq!(sh(&mut admin, "ACL SETUSER game on nopass ~tournament:* +@all"), "OK");
    let mut game = login(&server, "game");
    for spec in &SPECS {
        let denied = run(&mut game, &spec.call_on("other:{x}:scores"));
        assert!(denied.starts_with(NOPERM), "{}: {denied}", spec.name);
        let allowed = run(&mut game, &spec.call_on("tournament:{x}:scores"));
        assert!(!allowed.starts_with("(error)"), "{}: {allowed}", spec.name);
    }
    // The writes on the allowed key happened (incr, then submit LATEST 1, then rem alice).
    assert_eq!(sh(&mut admin, "EXISTS tournament:{x}:scores"), "0");
    assert_eq!(sh(&mut admin, "ZCARD other:{x}:scores"), "3");
}

// ---- a mixed workload, its effects and the data set ---------------------------------------

const KEY_A: &str = "tournament:{a}:scores";
/// Filled and then emptied by TOURNEY.REM, so it must not exist afterwards.
const KEY_B: &str = "tournament:{b}:scores";
const NUL_KEY: &[u8] = b"tournament:{n}:\0scores";

/// What the writes of a workload must have propagated, counted from their replies.
#[derive(Debug, Default, PartialEq, Eq)]
struct Effects {
    zadd: usize,
    zrem: usize,
    removed_members: usize,
}

impl Effects {
    fn record(&mut self, command: &str, reply: &Value) {
        match command.to_ascii_lowercase().as_str() {
            "tourney.incr" => self.zadd += 1,
            "tourney.submit" if int(&items(reply)[2]) == 1 => self.zadd += 1,
            "tourney.rem" if int(reply) > 0 => {
                self.zrem += 1;
                self.removed_members += int(reply) as usize;
            }
            _ => {}
        }
    }
}

struct Writer<'a> {
    con: &'a mut Connection,
    effects: Effects,
}

impl Writer<'_> {
    fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        let reply = ok(self.con, args);
        self.effects.record(&String::from_utf8_lossy(args[0].as_ref()), &reply);
        reply
    }

    fn line(&mut self, line: &str) -> Value {
        self.call(&words(line))
    }
}

/// INCR with fractional deltas, SUBMIT BEST/LATEST (changing and not), REM (present and
/// absent members, down to deleting a key), binary keys and members, writes inside
/// MULTI/EXEC and a script, then a seeded random mix. Returns the expected effects.
fn workload(con: &mut Connection) -> Effects {
    let mut w = Writer { con, effects: Effects::default() };
    let mut last = Value::Nil;
    for _ in 0..10 {
        last = w.line(&format!("TOURNEY.INCR {KEY_A} alice 0.1"));
    }
    let after_ten = score(text(&items(&last)[0]).as_bytes());
    assert_eq!(after_ten, repeated_sum(0.1, 10), "ten increments of 0.1");
    assert_ne!(after_ten, 1.0, "ten increments of 0.1 are not exactly 1 in f64");
    for line in [
        "TOURNEY.INCR {A} bob 0.1",
        "TOURNEY.INCR {A} bob 0.1",
        "TOURNEY.INCR {A} bob 0.1",
        "TOURNEY.INCR {A} carol -2.5",
        "TOURNEY.INCR {A} dave 1e300",
        "TOURNEY.INCR {A} dave 1e300",
        "TOURNEY.SUBMIT {A} erin 5",
        "TOURNEY.SUBMIT {A} erin 3",
        "TOURNEY.SUBMIT {A} erin 3 LATEST",
        "TOURNEY.SUBMIT {A} erin 3 LATEST",
        "TOURNEY.SUBMIT {A} frank -0 LATEST",
        "TOURNEY.SUBMIT {A} gina 5e-324",
        "TOURNEY.SUBMIT {A} hank 0.30000000000000004 BEST",
        "TOURNEY.SUBMIT {A} ivan -1e-7 LATEST",
        "TOURNEY.SUBMIT {A} judy 9007199254740993",
        "TOURNEY.REM {A} bob ghost",
        "TOURNEY.REM {A} ghost",
        "TOURNEY.INCR {B} x 1",
        "TOURNEY.INCR {B} y 2.5",
        "TOURNEY.SUBMIT {B} z 3",
        "TOURNEY.REM {B} x",
        "TOURNEY.REM {B} y z ghost",
        "TOURNEY.REM {B} y",
    ] {
        w.line(&line.replace("{A}", KEY_A).replace("{B}", KEY_B));
    }
    w.call(&[&b"TOURNEY.INCR"[..], NUL_KEY, b"m\0n", b"1.5"]);
    w.call(&[&b"TOURNEY.SUBMIT"[..], NUL_KEY, b"\xff\xfe", b"2", b"LATEST"]);

    // A transaction: every queued write is recorded from its slot in the EXEC reply.
    let queued = [
        format!("TOURNEY.INCR {KEY_A} alice 0.1"),
        format!("TOURNEY.REM {KEY_A} carol"),
        format!("TOURNEY.SUBMIT {KEY_A} kim 7 LATEST"),
    ];
    assert_eq!(sh(w.con, "MULTI"), "OK");
    for line in &queued {
        assert_eq!(sh(w.con, line), "QUEUED");
    }
    let replies = ok(w.con, &["EXEC"]);
    for (line, reply) in queued.iter().zip(items(&replies)) {
        w.effects.record(words(line)[0], reply);
    }

    // A script calling the module: replicated as the effects too.
    let script = "return redis.call('TOURNEY.INCR', KEYS[1], ARGV[1], ARGV[2])";
    let reply = ok(w.con, &["EVAL", script, "1", KEY_A, "scripted", "0.7"]);
    w.effects.record("tourney.incr", &reply);

    let mut rng = XorShift64(0x7a11_5eed_2024_0001);
    let keys = ["tournament:{r0}:scores", "tournament:{r1}:scores", "tournament:{r2}:scores"];
    let members = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"];
    let numbers = ["0.1", "-0.1", "0.25", "1e-9", "3", "-7.5", "1e15", "0.3", "0", "-0"];
    for _ in 0..400 {
        let key = *rng.pick(&keys);
        let member = *rng.pick(&members);
        let number = *rng.pick(&numbers);
        match rng.below(10) {
            0..=4 => w.call(&["TOURNEY.INCR", key, member, number]),
            5..=7 => w.call(&["TOURNEY.SUBMIT", key, member, number, *rng.pick(&["BEST", "LATEST"])]),
            _ => {
                let mut call = vec!["TOURNEY.REM", key, member];
                call.extend((0..rng.below(3)).map(|_| *rng.pick(&members)));
                w.call(&call)
            }
        };
    }
    assert!(w.effects.zadd > 100 && w.effects.zrem > 10, "the workload wrote too little: {:?}", w.effects);
    w.effects
}

type Dataset = BTreeMap<Vec<u8>, Vec<Vec<u8>>>;

/// Every key with its `ZRANGE key 0 -1 WITHSCORES` (all keys here are sorted sets).
fn dataset(con: &mut Connection) -> Dataset {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS *");
    keys.into_iter()
        .map(|key| {
            let entries: Vec<Vec<u8>> =
                redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).arg("WITHSCORES").query(con).expect("ZRANGE");
            (key, entries)
        })
        .collect()
}

/// The workload left what it should: its named keys, not the emptied one.
fn assert_workload_shape(data: &Dataset) {
    assert!(data.contains_key(KEY_A.as_bytes()), "{KEY_A} missing");
    assert!(data.contains_key(NUL_KEY), "the key with a NUL byte is missing");
    assert!(!data.contains_key(KEY_B.as_bytes()), "{KEY_B} should be deleted once empty");
    let a = &data[KEY_A.as_bytes()];
    let score_of = |member: &str| a.chunks(2).find(|pair| pair[0] == member.as_bytes()).map(|pair| score(&pair[1]));
    assert_eq!(score_of("alice"), Some(repeated_sum(0.1, 11)));
    assert_eq!(score_of("frank").map(f64::to_bits), Some(0.0f64.to_bits()));
    assert_eq!(score_of("gina"), Some(5e-324));
    assert_eq!(score_of("judy"), Some(9007199254740992.0));
    assert_eq!(score_of("bob"), None);
}

// ---- AOF files ------------------------------------------------------------------------------

/// What the AOF holds matches the effects: only ZADD key <finite score> member and ZREM
/// key members, one per effective write, and never the TOURNEY command itself.
fn assert_aof_holds_effects(dir: &Path, effects: &Effects) {
    assert!(!contains_ignore_case(&aof_bytes(dir), b"tourney."), "a TOURNEY command was propagated verbatim");
    let commands = aof_data_commands(dir);
    let mut seen = Effects::default();
    for command in &commands {
        let shown = printable(command);
        match command[0].to_ascii_uppercase().as_slice() {
            b"ZADD" => {
                assert_eq!(command.len(), 4, "ZADD key score member: {shown:?}");
                assert!(score(&command[2]).is_finite(), "{shown:?}");
                seen.zadd += 1;
            }
            b"ZREM" => {
                assert!(command.len() >= 3, "{shown:?}");
                seen.zrem += 1;
                seen.removed_members += command.len() - 2;
            }
            _ => panic!("unexpected propagated command {shown:?}"),
        }
    }
    assert_eq!(&seen, effects, "propagated effects vs. effective writes");
}

// ---- 3. replication ---------------------------------------------------------------------------

fn wait_for_replica(con: &mut Connection) {
    assert_eq!(sh(con, "WAIT 1 5000"), "1");
}

#[test]
fn replica_matches_primary_after_a_mixed_workload() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let effects = workload(&mut con);
    wait_for_replica(&mut con);

    let on_primary = dataset(&mut con);
    assert_workload_shape(&on_primary);
    let mut rcon = replica.connect();
    let on_replica = dataset(&mut rcon);
    assert_eq!(on_replica.keys().collect::<Vec<_>>(), on_primary.keys().collect::<Vec<_>>(), "key sets differ");
    for (key, entries) in &on_primary {
        assert_eq!(&on_replica[key], entries, "ZRANGE WITHSCORES of {:?}", String::from_utf8_lossy(key));
    }

    assert_aof_holds_effects(&primary.dir, &effects);
    // The last ZADD of alice carries her exact score, not a rounded one.
    let alice_zadds: Vec<f64> = aof_data_commands(&primary.dir)
        .into_iter()
        .filter(|c| c[0] == b"ZADD" && c[1] == KEY_A.as_bytes() && c[3] == b"alice")
        .map(|c| score(&c[2]))
        .collect();
    let expected: Vec<f64> = (1..=11).map(|n| repeated_sum(0.1, n)).collect();
    assert_eq!(alice_zadds, expected);

    // The replica serves reads, refuses writes, and never refused its primary's stream.
    assert_eq!(run(&mut rcon, &["TOURNEY.RANK", KEY_A, "alice"]), run(&mut con, &["TOURNEY.RANK", KEY_A, "alice"]));
    assert!(run(&mut rcon, &["TOURNEY.INCR", KEY_A, "alice", "1"]).starts_with("(error) READONLY"));
    assert!(!replica.log().contains("CRITICAL"), "replica log:\n{}", replica.log());
}

#[test]
fn writes_that_change_nothing_propagate_nothing() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    for line in ["TOURNEY.INCR lb alice 10", "TOURNEY.SUBMIT lb bob 5"] {
        ok(&mut con, &words(line));
    }
    wait_for_replica(&mut con);

    let before = propagation_mark(&mut con, &primary.dir);
    for (line, expected) in [
        ("TOURNEY.SUBMIT lb alice 3", "[\"10\", 1, 0]"),
        ("TOURNEY.SUBMIT lb alice 10 BEST", "[\"10\", 1, 0]"),
        ("TOURNEY.SUBMIT lb alice 10 LATEST", "[\"10\", 1, 0]"),
        ("TOURNEY.REM lb ghost", "0"),
        ("TOURNEY.REM lb ghost phantom", "0"),
        ("TOURNEY.REM missing alice", "0"),
        ("TOURNEY.INCR lb alice nan", "(error) ERR value is not a valid float"),
        ("TOURNEY.RANK lb alice", "1"),
    ] {
        assert_eq!(sh(&mut con, line), expected, "{line}");
    }
    assert_eq!(propagation_mark(&mut con, &primary.dir), before, "a no-op write was propagated");
    assert_eq!(sh(&mut con, "EXISTS missing"), "0");

    // Control: real changes do move both, as exactly the changed data.
    assert_eq!(sh(&mut con, "TOURNEY.SUBMIT lb alice 11"), "[\"11\", 1, 1]");
    assert_eq!(sh(&mut con, "TOURNEY.REM lb bob ghost"), "1");
    let after = propagation_mark(&mut con, &primary.dir);
    assert!(after.0 != before.0 && after.1 > before.1, "{before:?} -> {after:?}");
    let tail: Vec<Vec<Vec<u8>>> = aof_data_commands(&primary.dir).into_iter().rev().take(2).collect();
    assert_eq!(tail, [byte_words("ZREM lb bob"), byte_words("ZADD lb 11 alice")]);
    wait_for_replica(&mut con);
    assert_eq!(dataset(&mut replica.connect()), dataset(&mut con));
}

// ---- behaving like the native commands they stand for ---------------------------------------

#[test]
fn keyspace_events_match_the_native_commands() {
    let server = Server::start();
    let native = key_events(
        &server,
        "native",
        &["ZINCRBY native 1 a", "ZADD native 5 b", "ZADD native GT 1 b", "ZREM native ghost", "ZREM native a b"],
    );
    assert_eq!(native, ["zincr", "zadd", "zrem", "del"], "control: what Redis itself fires");
    let tourney = key_events(
        &server,
        "lb",
        &[
            "TOURNEY.INCR lb a 1",
            "TOURNEY.SUBMIT lb b 5",
            "TOURNEY.SUBMIT lb b 1",
            "TOURNEY.REM lb ghost",
            "TOURNEY.REM lb a b",
        ],
    );
    assert_eq!(tourney, native, "TOURNEY.REM that empties a key must also fire `del`, as ZREM does");
}

/// Whether `line`, run on another connection between WATCH `key` and EXEC, aborts the
/// transaction.
fn aborts_watchers(server: &Server, key: &str, line: &str) -> bool {
    let mut watcher = server.connect();
    let mut other = server.connect();
    assert_eq!(sh(&mut watcher, &format!("WATCH {key}")), "OK");
    assert!(!sh(&mut other, line).starts_with("(error)"), "{line}");
    assert_eq!(sh(&mut watcher, "MULTI"), "OK");
    assert_eq!(sh(&mut watcher, "PING"), "QUEUED");
    match sh(&mut watcher, "EXEC").as_str() {
        "nil" => true,
        "[PONG]" => false,
        other => panic!("EXEC replied {other}"),
    }
}

#[test]
fn writes_that_change_nothing_leave_watched_keys_alone() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "TOURNEY.SUBMIT lb alice 10"), "[\"10\", 1, 1]");
    // Controls: native no-ops keep the transaction, real changes abort it.
    assert!(!aborts_watchers(&server, "lb", "ZADD lb GT 1 alice"));
    assert!(!aborts_watchers(&server, "lb", "ZREM lb ghost"));
    assert!(aborts_watchers(&server, "lb", "TOURNEY.SUBMIT lb alice 11"));
    assert!(aborts_watchers(&server, "lb", "TOURNEY.INCR lb alice 1"));
    let no_ops = [
        ("lb", "TOURNEY.SUBMIT lb alice 1"),
        ("lb", "TOURNEY.SUBMIT lb alice 12 LATEST"), // alice holds 12 after the controls
        ("lb", "TOURNEY.REM lb ghost"),
        ("missing", "TOURNEY.REM missing ghost"),
    ];
    let aborted: Vec<&str> =
        no_ops.iter().filter(|(key, line)| aborts_watchers(&server, key, line)).map(|(_, line)| *line).collect();
    assert!(aborted.is_empty(), "no-op writes aborted WATCH transactions: {aborted:?}");
}

// ---- 4. AOF reload ----------------------------------------------------------------------------

#[test]
fn aof_reload_and_restart_after_kill_restore_identical_data() {
    let options = aof_options(&["--enable-debug-command", "yes"]);
    let server = Server::start_with(options.clone());
    let mut con = server.connect();
    let effects = workload(&mut con);
    let before = dataset(&mut con);
    assert_workload_shape(&before);
    assert_aof_holds_effects(&server.dir, &effects);

    assert_eq!(sh(&mut con, "DEBUG LOADAOF"), "OK");
    assert_eq!(dataset(&mut con), before, "after DEBUG LOADAOF");

    let dir = server.kill();
    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    assert_eq!(dataset(&mut restarted.connect()), before, "after kill -9 and restart");
}

// ---- 5. safety ----------------------------------------------------------------------------------

/// Malformed calls, each of which must be answered with an error.
fn bad_calls() -> Vec<Vec<Vec<u8>>> {
    let big = vec![b'm'; 1 << 20];
    let mut calls: Vec<Vec<Vec<u8>>> = [
        "TOURNEY.INCR k m nan",
        "TOURNEY.INCR k m -nan",
        "TOURNEY.INCR k m inf",
        "TOURNEY.INCR k m -inf",
        "TOURNEY.INCR k m 1e400",
        "TOURNEY.INCR k m -1e400",
        "TOURNEY.INCR k m 1e99999999999999999999",
        "TOURNEY.INCR k m 99999999999999999999999999999999999999999999999999999999999999999999999999e999",
        "TOURNEY.INCR k m 1..2",
        "TOURNEY.INCR k m 0x",
        "TOURNEY.INCR k m -",
        "TOURNEY.INCR k  1",
        "TOURNEY.SUBMIT k m nan",
        "TOURNEY.SUBMIT k m 1 BOGUS",
        "TOURNEY.SUBMIT k m 1 BEST LATEST",
        "TOURNEY.SUBMIT k  1",
        "TOURNEY.RANK k m TIES",
        "TOURNEY.RANK k m TIES BOGUS",
        "TOURNEY.RANK k m WITHSCORE WITHSCORE WITHSCORE WITHSCORE",
        "TOURNEY.RANK k m BOGUS",
        "TOURNEY.RANK k ",
        "TOURNEY.TOP k 0",
        "TOURNEY.TOP k -1",
        "TOURNEY.TOP k 1001",
        "TOURNEY.TOP k 99999999999999999999",
        "TOURNEY.TOP k -9223372036854775809",
        "TOURNEY.TOP k 1.5",
        "TOURNEY.TOP k 1 OFFSET",
        "TOURNEY.TOP k 1 OFFSET -1",
        "TOURNEY.TOP k 1 OFFSET 9223372036854775808",
        "TOURNEY.TOP k 1 TIES",
        "TOURNEY.TOP k 1 TIES ORDINAL OFFSET",
        "TOURNEY.TOP k 1 BOGUS 1",
        "TOURNEY.AROUND k m -1",
        "TOURNEY.AROUND k m 500",
        "TOURNEY.AROUND k m 99999999999999999999",
        "TOURNEY.AROUND k m 1 TIES",
        "TOURNEY.AROUND k m 1 BOGUS ORDINAL",
        "TOURNEY.AROUND k  1",
        "TOURNEY.PERCENTILE k ",
        "TOURNEY.REM k m ",
        "TOURNEY.REM k ",
    ]
    .iter()
    .map(|line| byte_words(line))
    .collect();
    for spec in &SPECS {
        // A 1 MB member where the command takes members (TOP takes a count there, CREATE an
        // option: refused too); INFO takes nothing there.
        if spec.name != "tourney.info" {
            let mut call = byte_words(&spec.call_on("k").join(" "));
            call[2] = big.clone();
            calls.push(call);
        }
        // A string key: every command refuses it.
        calls.push(byte_words(&spec.call_on("a-string").join(" ")));
    }
    calls
}

#[test]
fn bad_input_never_hurts_the_server() {
    let mut server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "SET a-string x"), "OK");
    assert!(sh(&mut con, "TOURNEY.INCR k m 1.7e308").ends_with("e+308\", 1]"));
    assert_eq!(
        sh(&mut con, "TOURNEY.INCR k m 1.7e308"),
        "(error) ERR increment would produce a score that is not a finite number"
    );

    for call in bad_calls() {
        let reply = query(&mut con, &call);
        assert!(reply.is_err(), "{:?} was accepted: {}", printable(&call), render(&reply.unwrap()));
    }

    // Odd but valid input: stored as Redis would store it.
    assert_eq!(sh(&mut con, "TOURNEY.SUBMIT k zero -0 LATEST"), "[\"0\", 2, 1]");
    assert_eq!(sh(&mut con, "TOURNEY.INCR k zero -0"), "[\"0\", 2]");
    assert_eq!(sh(&mut con, "TOURNEY.TOP k 1000 OFFSET 9223372036854775807"), "[]");
    assert_eq!(sh(&mut con, "TOURNEY.TOP k 1 OFFSET 9223372036854775807 TIES COMPETITION"), "[]");
    assert_eq!(run(&mut con, &[&b"TOURNEY.INCR"[..], b"k\0ey", b"m\0\0n", b"1"]), "[\"1\", 1]");
    assert_eq!(run(&mut con, &[&b"ZSCORE"[..], b"k\0ey", b"m\0\0n"]), "\"1\"");
    assert_eq!(run(&mut con, &[&b"TOURNEY.RANK"[..], b"k\0ey", b"m\0"]), "nil");

    // Random argument vectors for every command, some over an existing key.
    let mut rng = XorShift64(0x000b_adc0_ffee_1234);
    let mut internal_errors = Vec::new();
    for round in 0..600 {
        let mut call: Vec<Vec<u8>> = vec![rng.pick(&SPECS).name.as_bytes().to_vec()];
        call.push(if round % 3 == 0 { b"k".to_vec() } else { random_bytes(&mut rng, 12) });
        call.extend((0..rng.below(6)).map(|_| {
            match rng.below(4) {
                0 => rng
                    .pick(&["0", "-0", "1", "nan", "inf", "1e308", "TIES", "OFFSET", "WITHSCORE", "LATEST", "SEASON"])
                    .as_bytes()
                    .to_vec(),
                1 => rng
                    .pick(&[
                        "9223372036854775807",
                        "-9223372036854775808",
                        "18446744073709551616",
                        "COMPETITION",
                        "DENSE",
                        "daily",
                        "TIEBREAK",
                        "FIRST",
                        "EXPIREAT",
                    ])
                    .as_bytes()
                    .to_vec(),
                _ => random_bytes(&mut rng, 20),
            }
        }));
        if let Err(error) = query(&mut con, &call) {
            if error.contains("internal error") {
                internal_errors.push(printable(&call));
            }
        }
    }
    assert!(internal_errors.is_empty(), "internal errors (caught panics) for {internal_errors:?}");

    assert!(server.is_up(), "the server went down");
    assert_eq!(sh(&mut con, "PING"), "PONG");
    let log = server.log();
    assert!(!log.contains("panicked"), "a command panicked:\n{log}");
    assert!(!log.contains("crashed"), "the server crashed:\n{log}");
}

#[test]
fn module_arguments_set_configs_at_load() {
    let server = Server::start_with_module_args(&["max-member-bytes", "4"]);
    let mut con = server.connect();
    assert!(sh(&mut con, "MODULE LIST").contains("\"tally\""));
    assert_eq!(sh(&mut con, "CONFIG GET tally.max-member-bytes"), "[\"tally.max-member-bytes\", \"4\"]");
    assert_eq!(sh(&mut con, "TOURNEY.INCR k abcd 1"), "[\"1\", 1]");
    assert_eq!(
        sh(&mut con, "TOURNEY.INCR k abcde 1"),
        "(error) ERR member is longer than tally.max-member-bytes (4 bytes)"
    );
    // Runtime changes apply at once.
    assert_eq!(sh(&mut con, "CONFIG SET tally.max-member-bytes 5"), "OK");
    assert_eq!(sh(&mut con, "TOURNEY.INCR k abcde 1"), "[\"1\", 1]");
}
