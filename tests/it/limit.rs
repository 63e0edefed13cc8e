//! LIMIT.* against a real server with the module loaded: exact replies, wait times checked
//! against the sliding log's own entries and the server clock (`TIME`), interop with the
//! classic Lua script, all-or-nothing consumption, exactness under concurrent clients,
//! every documented error (each one leaving the data set untouched) and the config.
//!
//! The server clock cannot be controlled, so time-based values are checked two ways: a
//! reply's retry_after and reset_after are both "deadline - now" for the same `now`, so
//! their difference is exact; and each is bounded by `TIME` read just before and after the
//! call. Most tests use a long window so that nothing leaves the window while they run;
//! the tests about time passing poll the server clock instead of sleeping.

use crate::common::reply::server_ms;
use crate::common::scripts::SLIDING_WINDOW_LUA;
use crate::common::*;
use redis::{Connection, FromRedisValue, Value};
use std::collections::BTreeSet;
use std::sync::Barrier;
use std::time::Duration;

/// The usual window: nothing leaves it during a test.
const WINDOW: i64 = 60_000;
/// How long a test may wait for the clock to pass a deadline.
const WAIT: Duration = Duration::from_secs(10);

const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_GCRA: &str = "WRONGTYPE key holds a string that is not GCRA limiter state";
const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
const DUPLICATE: &str = "ERR the same key is given more than once";
const NUMKEYS: &str = "ERR numkeys must be between 1 and 64";
const REFILL: &str = "ERR burst, count and period_ms give a refill time over ten years";

/// `[allowed, limit, remaining, retry_after_ms, reset_after_ms]`
type Reply = [i64; 5];

// ---- servers and commands ----------------------------------------------------------------

fn start() -> (Server, Connection) {
    let server = Server::start();
    let con = server.connect();
    (server, con)
}

/// Runs a command line (split on spaces) that must succeed and converts its reply.
fn query<T: FromRedisValue>(con: &mut Connection, line: &str) -> T {
    let mut args = line.split(' ');
    let mut command = redis::cmd(args.next().expect("a command name"));
    for arg in args {
        command.arg(arg);
    }
    command.query(con).unwrap_or_else(|error| panic!("{line} -> {}", error_text(&error)))
}

/// The reply of one limiting command.
fn decision(con: &mut Connection, line: &str) -> Reply {
    query(con, line)
}

/// The replies of several limiting commands sent in one pipeline (in one MULTI/EXEC
/// when `atomic`, so they run back to back on the server).
fn decisions<S: AsRef<str>>(con: &mut Connection, lines: &[S], atomic: bool) -> Vec<Reply> {
    let mut pipe = redis::pipe();
    if atomic {
        pipe.atomic();
    }
    for line in lines {
        let mut args = line.as_ref().split(' ');
        pipe.cmd(args.next().expect("a command name"));
        for arg in args {
            pipe.arg(arg);
        }
    }
    pipe.query(con).unwrap_or_else(|error| panic!("pipeline -> {}", error_text(&error)))
}

/// Polls the server clock until it reaches `deadline_ms`.
fn wait_for_server_time(con: &mut Connection, deadline_ms: i64) {
    poll_until(WAIT, || server_ms(con) >= deadline_ms);
}

/// The server times read just before and just after some calls: every `now` the module
/// used in between lies in `from..=to`.
#[derive(Debug, Clone, Copy)]
struct Span {
    from: i64,
    to: i64,
}

fn timed<T>(con: &mut Connection, calls: impl FnOnce(&mut Connection) -> T) -> (T, Span) {
    let from = server_ms(con);
    let value = calls(con);
    let to = server_ms(con);
    (value, Span { from, to })
}

/// Asserts the wait times of a reply given when the request would pass (`retry_at`,
/// absolute ms; `None` for an allowed reply) and when the limiter is full again
/// (`reset_at`): both waits are "deadline - now" for one `now` inside `span`.
fn assert_waits(reply: Reply, retry_at: Option<i64>, reset_at: i64, span: Span) {
    let in_span = |wait: i64, at: i64| (at - span.to..=at - span.from).contains(&wait);
    assert!(in_span(reply[4], reset_at), "reset_after of {reply:?}: deadline {reset_at}, {span:?}");
    match retry_at {
        None => assert_eq!(reply[3], 0, "{reply:?}"),
        Some(at) => {
            assert!(reply[3] > 0 && in_span(reply[3], at), "retry_after of {reply:?}: deadline {at}, {span:?}");
            assert_eq!(reply[3] - reply[4], at - reset_at, "both waits of {reply:?} must use one clock reading");
        }
    }
}

/// The scores of a sliding log, oldest first.
fn scores(con: &mut Connection, key: &str) -> Vec<i64> {
    let entries: Vec<(String, i64)> = query(con, &format!("ZRANGE {key} 0 -1 WITHSCORES"));
    entries.into_iter().map(|(_, score)| score).collect()
}

fn members(con: &mut Connection, key: &str) -> Vec<String> {
    query(con, &format!("ZRANGE {key} 0 -1"))
}

fn zcard(con: &mut Connection, key: &str) -> i64 {
    query(con, &format!("ZCARD {key}"))
}

fn exists(con: &mut Connection, key: &str) -> bool {
    query::<i64>(con, &format!("EXISTS {key}")) == 1
}

fn pexpiretime(con: &mut Connection, key: &str) -> i64 {
    query(con, &format!("PEXPIRETIME {key}"))
}

/// Adds entries at the given times to a log with the native ZADD.
fn zadd_at(con: &mut Connection, key: &str, times: &[i64]) {
    for (i, time) in times.iter().enumerate() {
        sh_ok(con, &format!("ZADD {key} {time} native-{time}-{i}"));
    }
}

/// One call of the classic script at `now_ms`; true when it allowed the request.
fn classic(con: &mut Connection, key: &str, window_ms: i64, max: i64, now_ms: i64, request_id: &str) -> bool {
    let allowed: i64 = redis::cmd("EVAL")
        .arg(SLIDING_WINDOW_LUA)
        .arg(1)
        .arg(key)
        .arg(window_ms)
        .arg(max)
        .arg(now_ms)
        .arg(request_id)
        .query(con)
        .expect("EVAL of the classic script");
    allowed == 1
}

// ---- refusals ----------------------------------------------------------------------------

/// Asserts a command line is refused with exactly `error` and leaves every key as it was.
fn refused(con: &mut Connection, line: &str, error: &str) {
    let before = key_dumps(con);
    assert_eq!(sh(con, line), format!("(error) {error}"), "reply to: {line}");
    assert_eq!(key_dumps(con), before, "the data set changed after: {line}");
}

/// A sliding log `key` holding `count` entries and a GCRA limiter `gcra`, to refuse
/// commands against.
fn some_state(con: &mut Connection, key: &str, count: i64, gcra: &str) {
    assert_eq!(decision(con, &format!("LIMIT.SLIDE {key} {WINDOW} 100 COST {count}"))[0], 1);
    assert_eq!(decision(con, &format!("LIMIT.GCRA {gcra} 5 1 {WINDOW}"))[0], 1);
}

// ---- LIMIT.SLIDE -------------------------------------------------------------------------

#[test]
fn slide_counts_up_to_max_and_reports_exact_waits() {
    let (mut server, mut con) = start();
    let line = "LIMIT.SLIDE s 60000 3";
    let (replies, span) = timed(&mut con, |con| (0..3).map(|_| decision(con, line)).collect::<Vec<_>>());
    // An allowed request is the newest entry: the log is full again one window later.
    assert_eq!(replies, [[1, 3, 2, 0, WINDOW], [1, 3, 1, 0, WINDOW], [1, 3, 0, 0, WINDOW]]);
    let log = scores(&mut con, "s");
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|time| (span.from..=span.to).contains(time)), "{log:?} outside {span:?}");
    assert!(log.windows(2).all(|pair| pair[0] <= pair[1]));

    // Denied: COST n waits for the entry whose leaving lets n units fit (the oldest for 1).
    for (cost, blocking) in [(1, 0), (2, 1), (3, 2)] {
        let (reply, span) = timed(&mut con, |con| decision(con, &format!("{line} COST {cost}")));
        assert_eq!(reply[..3], [0, 3, 0], "COST {cost}: {reply:?}");
        assert!(reply[3] <= WINDOW, "{reply:?}");
        assert_waits(reply, Some(log[blocking] + WINDOW), log[2] + WINDOW, span);
        assert_eq!(scores(&mut con, "s"), log, "a denied request wrote to the log");
    }
    assert!(server.is_up());
}

#[test]
fn slide_cost_is_all_or_nothing() {
    let (mut server, mut con) = start();
    assert_eq!(decision(&mut con, "LIMIT.SLIDE c 60000 5 COST 3"), [1, 5, 2, 0, WINDOW]);
    // One call writes `cost` distinct members at one time.
    let log = scores(&mut con, "c");
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|time| *time == log[0]), "{log:?}");
    assert_eq!(members(&mut con, "c").into_iter().collect::<BTreeSet<_>>().len(), 3);

    // 3 more do not fit: nothing is consumed, not even the 2 that would.
    let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.SLIDE c 60000 5 COST 3"));
    assert_eq!(reply[..3], [0, 5, 2]);
    assert_waits(reply, Some(log[0] + WINDOW), log[2] + WINDOW, span);
    assert_eq!(scores(&mut con, "c"), log);

    assert_eq!(decision(&mut con, "LIMIT.SLIDE c 60000 5 cost 2"), [1, 5, 0, 0, WINDOW]);
    assert_eq!(zcard(&mut con, "c"), 5);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE c 60000 5 COST 1")[..3], [0, 5, 0]);
    assert_eq!(zcard(&mut con, "c"), 5);
    assert!(server.is_up());
}

#[test]
fn slide_cost_zero_checks_without_writing() {
    let (mut server, mut con) = start();
    assert_eq!(decision(&mut con, "LIMIT.SLIDE z 60000 5 COST 0"), [1, 5, 5, 0, 0]);
    assert!(!exists(&mut con, "z"), "COST 0 created the key");

    decision(&mut con, "LIMIT.SLIDE z 60000 5 COST 2");
    let log = scores(&mut con, "z");
    for (expected, fill) in [(3, 0), (0, 3)] {
        decision(&mut con, &format!("LIMIT.SLIDE z 60000 5 COST {fill}"));
        let log = scores(&mut con, "z");
        let before = key_dumps(&mut con);
        let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.SLIDE z 60000 5 COST 0"));
        assert_eq!(reply[..3], [1, 5, expected], "{reply:?}");
        assert_waits(reply, None, log[log.len() - 1] + WINDOW, span);
        assert_eq!(key_dumps(&mut con), before, "COST 0 wrote (members or expiry)");
    }
    assert_eq!(scores(&mut con, "z")[..2], log[..]);
    assert!(server.is_up());
}

#[test]
fn slide_counts_requests_in_the_same_millisecond() {
    let (mut server, mut con) = start();
    // Back to back in one MULTI/EXEC: many of them share a millisecond.
    let lines = vec!["LIMIT.SLIDE m 60000 100"; 20];
    let replies = decisions(&mut con, &lines, true);
    let expected: Vec<Reply> = (0..20).map(|i| [1, 100, 99 - i, 0, WINDOW]).collect();
    assert_eq!(replies, expected);
    let log = scores(&mut con, "m");
    assert_eq!(log.len(), 20);
    let distinct: BTreeSet<i64> = log.iter().copied().collect();
    assert!(distinct.len() < log.len(), "no two requests shared a millisecond: {log:?}");

    // A plain pipeline counts every request too.
    let replies = decisions(&mut con, &lines, false);
    assert!(replies.iter().all(|reply| reply[0] == 1));
    assert_eq!(replies.iter().map(|reply| reply[2]).collect::<Vec<_>>(), (60..80).rev().collect::<Vec<_>>());
    assert_eq!(zcard(&mut con, "m"), 40);
    assert!(server.is_up());
}

#[test]
fn slide_key_expires_one_window_after_the_newest_entry() {
    let (mut server, mut con) = start();
    for _ in 0..2 {
        decision(&mut con, "LIMIT.SLIDE e 60000 2");
        let newest = *scores(&mut con, "e").last().expect("an entry");
        assert_eq!(pexpiretime(&mut con, "e"), newest + WINDOW);
        let pttl: i64 = query(&mut con, "PTTL e");
        let elapsed = server_ms(&mut con) - newest;
        assert!((WINDOW - elapsed - 1..=WINDOW).contains(&pttl), "PTTL {pttl}, {elapsed} ms after the entry");
    }
    // A denied request does not renew the expiry.
    let expiry = pexpiretime(&mut con, "e");
    assert_eq!(decision(&mut con, "LIMIT.SLIDE e 60000 2")[0], 0);
    assert_eq!(pexpiretime(&mut con, "e"), expiry);
    assert!(server.is_up());
}

#[test]
fn slide_prunes_entries_that_left_the_window() {
    let (mut server, mut con) = start();
    // Entries written natively: one at the window's edge (`now - window` at most, so gone),
    // one older, one well inside the window. The key has no expiry.
    let t0 = server_ms(&mut con);
    zadd_at(&mut con, "p", &[t0 - WINDOW - 5000, t0 - WINDOW, t0 - 1000]);
    let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.SLIDE p 60000 3"));
    assert_eq!(reply, [1, 3, 1, 0, WINDOW]);
    let log = scores(&mut con, "p");
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], t0 - 1000);
    assert!((span.from..=span.to).contains(&log[1]));
    assert_eq!(pexpiretime(&mut con, "p"), log[1] + WINDOW);

    // COST 0 prunes too; a log left empty is no key at all.
    zadd_at(&mut con, "q", &[t0 - WINDOW - 1, t0 - WINDOW]);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE q 60000 3 COST 0"), [1, 3, 3, 0, 0]);
    assert!(!exists(&mut con, "q"), "an emptied log stayed as a key");
    assert!(server.is_up());
}

#[test]
fn slide_allows_again_once_the_window_has_passed() {
    let (mut server, mut con) = start();
    let line = "LIMIT.SLIDE w 100 2";
    let replies = decisions(&mut con, &[line; 3], true);
    assert_eq!(replies[..2], [[1, 2, 1, 0, 100], [1, 2, 0, 0, 100]]);
    assert_eq!(replies[2][..3], [0, 2, 0]);
    let log = scores(&mut con, "w");
    assert_eq!(replies[2][3] - replies[2][4], log[0] - log[1]);
    // Without its expiry the log must empty itself by pruning.
    assert_eq!(query::<i64>(&mut con, "PERSIST w"), 1);
    wait_for_server_time(&mut con, log[1] + 100);
    assert_eq!(decision(&mut con, line), [1, 2, 1, 0, 100]);
    let after = scores(&mut con, "w");
    assert_eq!(after.len(), 1);
    assert!(after[0] >= log[1] + 100);
    assert!(server.is_up());
}

#[test]
fn slide_and_the_classic_script_share_the_log() {
    let (mut server, mut con) = start();
    let mut ids = 0..;
    let mut script = |con: &mut Connection, key: &str| {
        let now = server_ms(con);
        classic(con, key, WINDOW, 5, now, &format!("res:{now}:{}", ids.next().unwrap_or_default()))
    };

    // Entries of the script are counted by LIMIT.SLIDE.
    for _ in 0..3 {
        assert!(script(&mut con, "{l}a"));
    }
    let log = scores(&mut con, "{l}a");
    let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.SLIDE {l}a 60000 5 COST 0"));
    assert_eq!(reply[..3], [1, 5, 2]);
    assert_waits(reply, None, log[2] + WINDOW, span);
    // ... and the other way round.
    assert_eq!(decision(&mut con, "LIMIT.SLIDE {l}a 60000 5 COST 2"), [1, 5, 0, 0, WINDOW]);
    assert!(!script(&mut con, "{l}a"));
    assert_eq!(zcard(&mut con, "{l}a"), 5);

    // Interleaved on one key: exactly max requests pass, the first five.
    let mut allowed = Vec::new();
    for call in 0..12 {
        allowed.push(if call % 2 == 0 {
            script(&mut con, "{l}b")
        } else {
            let reply = decision(&mut con, "LIMIT.SLIDE {l}b 60000 5");
            if call < 5 {
                assert_eq!(reply, [1, 5, 4 - call, 0, WINDOW]);
            }
            reply[0] == 1
        });
    }
    assert_eq!(allowed.iter().filter(|a| **a).count(), 5);
    assert!(allowed[..5].iter().all(|a| *a), "{allowed:?}");
    let names = members(&mut con, "{l}b");
    assert_eq!(names.len(), 5);
    assert_eq!(names.iter().filter(|name| name.starts_with("res:")).count(), 3, "{names:?}");
    // A denial waits for the oldest entry, the script's.
    let log = scores(&mut con, "{l}b");
    let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.SLIDE {l}b 60000 5"));
    assert_waits(reply, Some(log[0] + WINDOW), log[4] + WINDOW, span);
    assert!(server.is_up());
}

// ---- LIMIT.MULTI -------------------------------------------------------------------------

#[test]
fn multi_consumes_from_every_window_or_none() {
    let (mut server, mut con) = start();
    decision(&mut con, "LIMIT.SLIDE {m}b 60000 5 COST 4");
    let line = "LIMIT.MULTI 2 {m}a {m}b 60000 3 60000 5";
    // Both allow: both consume; the reply is the tighter window's (b has 0 left).
    assert_eq!(decision(&mut con, line), [1, 5, 0, 0, WINDOW]);
    assert_eq!((zcard(&mut con, "{m}a"), zcard(&mut con, "{m}b")), (1, 5));
    // b refuses: a must not consume either.
    let before = key_dumps(&mut con);
    let log = scores(&mut con, "{m}b");
    let (reply, span) = timed(&mut con, |con| decision(con, line));
    assert_eq!(reply[..3], [0, 5, 0]);
    // b's oldest entry must leave first (the reset is checked in the next tests).
    let retry_at = log[0] + WINDOW;
    assert!((retry_at - span.to..=retry_at - span.from).contains(&reply[3]), "{reply:?}, {span:?}");
    assert_eq!(key_dumps(&mut con), before, "a denied LIMIT.MULTI consumed");
    assert_eq!((zcard(&mut con, "{m}a"), zcard(&mut con, "{m}b")), (1, 5));
    // COST applies to every window; COST 0 only checks.
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {m}a {m}c 60000 3 60000 3 COST 2"), [1, 3, 0, 0, WINDOW]);
    assert_eq!((zcard(&mut con, "{m}a"), zcard(&mut con, "{m}c")), (3, 2));
    let before = key_dumps(&mut con);
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {m}c {m}d 60000 3 60000 3 COST 0")[..3], [1, 3, 1]);
    assert_eq!(key_dumps(&mut con), before, "COST 0 wrote");
    assert!(!exists(&mut con, "{m}d"));
    assert!(server.is_up());
}

#[test]
fn multi_reply_takes_the_tightest_window_and_the_longest_waits() {
    let (mut server, mut con) = start();
    // a: 3 per minute, fresh; b: 10 per two minutes, 7 used. After the call both have 2
    // left: the smaller limit wins; the reset is b's two minutes. Key order does not matter.
    let t0 = server_ms(&mut con);
    zadd_at(&mut con, "{x}b", &[t0 - 7000, t0 - 6000, t0 - 5000, t0 - 4000, t0 - 3000, t0 - 2000, t0 - 1000]);
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {x}a {x}b 60000 3 120000 10"), [1, 3, 2, 0, 120_000]);
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {x}b {x}a 120000 10 60000 3"), [1, 3, 1, 0, 120_000]);

    // Both refuse: c (2 per minute) waits longest to retry, d (3 per two minutes) to reset.
    zadd_at(&mut con, "{x}c", &[t0 - 10_000, t0 - 5000]);
    zadd_at(&mut con, "{x}d", &[t0 - 100_000, t0 - 50_000, t0 - 1000]);
    for line in ["LIMIT.MULTI 2 {x}c {x}d 60000 2 120000 3", "LIMIT.MULTI 2 {x}d {x}c 120000 3 60000 2"] {
        let (reply, span) = timed(&mut con, |con| decision(con, line));
        assert_eq!(reply[..3], [0, 2, 0], "{line}: {reply:?}");
        assert_waits(reply, Some(t0 - 10_000 + WINDOW), t0 - 1000 + 120_000, span);
    }
    assert!(server.is_up());
}

/// A denied LIMIT.MULTI consumes nothing, so the windows that alone would allow must be
/// reported as they are, not as if the request had been recorded in them.
#[test]
fn multi_denied_reply_reports_the_windows_as_left() {
    let (mut server, mut con) = start();
    let t0 = server_ms(&mut con);
    // a: 3 per minute, 2 used a while ago (1 left); b: 5 per minute, full.
    zadd_at(&mut con, "{y}a", &[t0 - 20_000, t0 - 20_000]);
    zadd_at(&mut con, "{y}b", &[t0 - 30_000, t0 - 29_000, t0 - 28_000, t0 - 27_000, t0 - 26_000]);
    let (reply, span) = timed(&mut con, |con| decision(con, "LIMIT.MULTI 2 {y}a {y}b 60000 3 60000 5"));
    assert_eq!(zcard(&mut con, "{y}a"), 2);
    // Fewest remaining: b with 0 (a still has 1); a is full again at t0 - 20000 + window,
    // b at t0 - 26000 + window.
    assert_eq!(reply[..3], [0, 5, 0], "{reply:?}");
    assert_waits(reply, Some(t0 - 30_000 + WINDOW), t0 - 20_000 + WINDOW, span);
    assert!(server.is_up());
}

#[test]
fn multi_keys_share_a_slot_and_are_distinct() {
    let (mut server, mut con) = start();
    some_state(&mut con, "a", 1, "{g}");
    // "a" and "b" hash to different slots: refused also outside cluster mode.
    refused(&mut con, "LIMIT.MULTI 2 a b 60000 5 60000 5", CROSSSLOT);
    refused(&mut con, "LIMIT.MULTI 3 {t}a {t}b c 60000 5 60000 5 60000 5", CROSSSLOT);
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 5"), [1, 5, 4, 0, WINDOW]);
    refused(&mut con, "LIMIT.MULTI 2 {t}a {t}a 60000 5 60000 5", DUPLICATE);
    refused(&mut con, "LIMIT.MULTI 3 {t}a {t}b {t}a 60000 5 60000 5 60000 5", DUPLICATE);
    assert!(server.is_up());
}

#[test]
fn multi_numkeys_and_cost_bounds() {
    let (mut server, mut con) = start();
    some_state(&mut con, "{t}a", 2, "{t}g");
    for numkeys in ["0", "-1", "65", "9223372036854775807"] {
        refused(&mut con, &format!("LIMIT.MULTI {numkeys} {{t}}a 60000 5"), NUMKEYS);
    }
    for numkeys in ["x", "1.5", "", "+1", "01"] {
        refused(&mut con, &format!("LIMIT.MULTI {numkeys} {{t}}a 60000 5"), NOT_INTEGER);
    }
    let arity = "ERR wrong number of arguments for 'limit.multi' command";
    for line in [
        "LIMIT.MULTI 3 {t}a {t}b 60000 5",
        "LIMIT.MULTI 2 {t}a {t}b 60000 5",
        "LIMIT.MULTI 64 {t}a 60000 5",
        "LIMIT.MULTI 1 {t}a 60000 5 COST 1 x",
    ] {
        refused(&mut con, line, arity);
    }
    // COST is bounded by the smallest max. After COST 3, a (2 used of 5) and b (fresh, 3)
    // both have 0 left: the smaller limit is reported.
    for cost in ["4", "-1"] {
        let line = format!("LIMIT.MULTI 2 {{t}}a {{t}}b 60000 5 60000 3 COST {cost}");
        refused(&mut con, &line, "ERR cost must be between 0 and 3");
    }
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 3 COST 3"), [1, 3, 0, 0, WINDOW]);

    // 64 keys is the most.
    let keys: Vec<String> = (0..64).map(|i| format!("{{t}}k{i}")).collect();
    let line = format!("LIMIT.MULTI 64 {} {}", keys.join(" "), vec!["60000 1"; 64].join(" "));
    assert_eq!(decision(&mut con, &line), [1, 1, 0, 0, WINDOW]);
    assert!(keys.iter().all(|key| zcard(&mut con, key) == 1));
    assert_eq!(decision(&mut con, &line)[..3], [0, 1, 0]);
    assert!(server.is_up());
}

#[test]
fn command_getkeys_finds_exactly_the_keys() {
    let (mut server, mut con) = start();
    let cases = [
        ("LIMIT.MULTI 3 {t}a {t}b {t}c 60000 1 60000 2 60000 3 COST 1", vec!["{t}a", "{t}b", "{t}c"]),
        ("LIMIT.MULTI 1 {t}a 60000 1", vec!["{t}a"]),
        ("LIMIT.SLIDE {t}a 60000 1 COST 1", vec!["{t}a"]),
        ("LIMIT.GCRA {t}a 1 1 1000", vec!["{t}a"]),
        ("LIMIT.RESET {t}a {t}b", vec!["{t}a", "{t}b"]),
    ];
    for (line, keys) in cases {
        let got: Vec<String> = query(&mut con, &format!("COMMAND GETKEYS {line}"));
        assert_eq!(got, keys, "{line}");
    }
    // LIMIT.MULTI declares its keys by count only.
    let info = render(&query::<Value>(&mut con, "COMMAND INFO limit.multi"));
    assert!(info.starts_with(r#"[["limit.multi", -5, [write, denyoom, module, movablekeys], 0, 0, 0, "#), "{info}");
    let keynum = r#""find_keys", ["type", "keynum", "spec", ["keynumidx", 0, "firstkey", 1, "keystep", 1]]"#;
    assert!(info.contains(keynum), "{info}");
    assert!(server.is_up());
}

// ---- LIMIT.GCRA --------------------------------------------------------------------------

#[test]
fn gcra_follows_the_cell_rate() {
    let (mut server, mut con) = start();
    // Burst 2, 10 per second: 3 at once, then one every 100 ms. The four calls run back to
    // back in one MULTI/EXEC (well within the 100 ms a unit takes to come back); any drift
    // between them shortens the waits by as much, and is at most the span's length.
    let (replies, span) = timed(&mut con, |con| decisions(con, &["LIMIT.GCRA g 2 10 1000"; 4], true));
    let drift = span.to - span.from;
    assert_eq!(replies[0], [1, 3, 2, 0, 100]);
    for (k, reply) in (1..).zip(&replies[1..3]) {
        assert_eq!(reply[..4], [1, 3, 2 - k, 0], "{replies:?}");
        assert!((100 * (k + 1) - drift..=100 * (k + 1)).contains(&reply[4]), "{replies:?}");
    }
    let denied = replies[3];
    assert_eq!(denied[..3], [0, 3, 0], "{replies:?}");
    assert!((300 - drift..=300).contains(&denied[4]), "{replies:?}");
    assert_eq!(denied[3], denied[4] - 200, "{replies:?}");

    // The state is the theoretical arrival time in microseconds, expiring when full again.
    let tat: i64 = query::<String>(&mut con, "GET g").parse().expect("an integer state");
    assert_eq!(tat % 1000, 0);
    assert!((span.from..=span.to).contains(&(tat / 1000 - 300)), "TAT {tat} outside {span:?}");
    assert_eq!(pexpiretime(&mut con, "g"), tat / 1000);
    let pttl: i64 = query(&mut con, "PTTL g");
    assert!(pttl > 0 && pttl <= denied[4], "PTTL {pttl} after {denied:?}");
    assert!(server.is_up());
}

#[test]
fn gcra_state_rounds_waits_up() {
    let (mut server, mut con) = start();
    // 3 per second: one unit every 333.333 ms. The second call comes right after.
    let line = "LIMIT.GCRA r 0 3 1000";
    let (replies, span) = timed(&mut con, |con| decisions(con, &[line; 2], true));
    assert_eq!(replies[0], [1, 1, 0, 0, 334]);
    // The state is exact: 333,333 and a third microseconds after the call's millisecond.
    let state: String = query(&mut con, "GET r");
    let tat: i64 = state.strip_suffix("+1/3").and_then(|us| us.parse().ok()).expect("us+1/3");
    assert_eq!(tat % 1000, 333);
    assert!((span.from..=span.to).contains(&((tat - 333_333) / 1000)));
    assert_eq!(pexpiretime(&mut con, "r"), tat / 1000 + 1);
    let denied = replies[1];
    assert_eq!(denied[..3], [0, 1, 0]);
    assert_eq!(denied[3], denied[4]);
    assert!(denied[3] > 0 && denied[3] <= 334, "{denied:?}");
    assert!(server.is_up());
}

#[test]
fn gcra_counts_fractional_emission_intervals_exactly() {
    let (mut server, mut con) = start();
    // 600,000 units a second is 1.667 us each: a whole burst takes the full second to come
    // back (it took 600 ms when the interval was rounded down to whole microseconds).
    let line = "LIMIT.GCRA bw 599999 600000 1000 COST 600000";
    let (replies, span) = timed(&mut con, |con| decisions(con, &[line; 2], true));
    assert_eq!(replies[0], [1, 600_000, 0, 0, 1000]);
    let denied = replies[1];
    assert_eq!(denied[..2], [0, 600_000]);
    // 600 units come back per ms: whole ms between the calls, at most the span's.
    let elapsed = span.to - span.from;
    assert!(denied[2] % 600 == 0 && denied[2] <= 600 * elapsed, "{denied:?} in {span:?}");
    assert!(denied[3] >= 1000 - elapsed, "{denied:?} in {span:?}");
    // Above one unit per microsecond the rate is not capped: 1,000,000 units per ms, a burst
    // of one ms's worth comes back within a few ms (it took a second when capped).
    let line = "LIMIT.GCRA gg 999999 1000000000 1 COST 1000000";
    let (first, span) = timed(&mut con, |con| decision(con, line));
    assert_eq!(first, [1, 1_000_000, 0, 0, 1]);
    // The burst is back 1 us after the call: any later millisecond allows it again.
    wait_for_server_time(&mut con, span.to + 1);
    assert_eq!(decision(&mut con, line)[0], 1, "the burst took the capped rate's time to come back");
    assert!(server.is_up());
}

#[test]
fn cost_zero_is_allowed_under_a_lower_limit_than_the_state_was_written_with() {
    let (mut server, mut con) = start();
    assert_eq!(decision(&mut con, "LIMIT.SLIDE z0 60000 5 COST 5")[..3], [1, 5, 0]);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE z0 60000 3 COST 0")[..4], [1, 3, 0, 0]);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE z0 60000 3 COST 1")[..3], [0, 3, 0]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA g0 4 5 60000 COST 5")[..3], [1, 5, 0]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA g0 2 5 60000 COST 0")[..4], [1, 3, 0, 0]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA g0 2 5 60000 COST 1")[..3], [0, 3, 0]);
    assert!(server.is_up());
}

#[test]
fn gcra_cost_zero_checks_without_writing() {
    let (mut server, mut con) = start();
    // Burst 2, one unit a minute: nothing comes back during the test.
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 1 60000 COST 0"), [1, 3, 3, 0, 0]);
    assert!(!exists(&mut con, "f"), "COST 0 created the key");
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 1 60000 COST 2"), [1, 3, 1, 0, 2 * WINDOW]);
    let before = key_dumps(&mut con);
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 1 60000 COST 0")[..4], [1, 3, 1, 0]);
    // COST larger than what is left is denied whole.
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 1 60000 COST 2")[..3], [0, 3, 1]);
    assert_eq!(key_dumps(&mut con), before, "COST 0 or a denial wrote");
    assert!(server.is_up());
}

#[test]
fn gcra_is_full_again_after_its_reset() {
    let (mut server, mut con) = start();
    let replies = decisions(&mut con, &["LIMIT.GCRA f 2 10 1000 COST 3", "LIMIT.GCRA f 2 10 1000"], true);
    assert_eq!(replies[0], [1, 3, 0, 0, 300]);
    assert_eq!(replies[1][..3], [0, 3, 0]);
    let full_at = pexpiretime(&mut con, "f");
    wait_for_server_time(&mut con, full_at);
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 10 1000 COST 0"), [1, 3, 3, 0, 0]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA f 2 10 1000 COST 3"), [1, 3, 0, 0, 300]);
    assert!(server.is_up());
}

#[test]
fn gcra_parameter_bounds() {
    let (mut server, mut con) = start();
    some_state(&mut con, "s", 1, "g");
    for cost in ["4", "-1", "1000"] {
        refused(&mut con, &format!("LIMIT.GCRA g 2 10 1000 COST {cost}"), "ERR cost must be between 0 and 3");
    }
    // Refill time = period / count * (burst + 1): a year per unit, ten units is the most.
    assert_eq!(decision(&mut con, "LIMIT.GCRA y 9 1 31536000000 COST 0"), [1, 10, 10, 0, 0]);
    for line in
        ["LIMIT.GCRA y 10 1 31536000000", "LIMIT.GCRA y 1000000000 1 31536000000", "LIMIT.GCRA g 1000000000 1 1000000"]
    {
        refused(&mut con, line, REFILL);
    }
    let widest = decision(&mut con, "LIMIT.GCRA z 1000000000 1000000000 1000 COST 0");
    assert_eq!(widest[..3], [1, 1_000_000_001, 1_000_000_001]);
    assert!(server.is_up());
}

#[test]
fn gcra_refuses_keys_that_are_not_its_state() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "SET text hello");
    sh_ok(&mut con, "SET float 1.5");
    sh_ok(&mut con, "SET huge 99999999999999999999");
    sh_ok(&mut con, "HSET h f v");
    sh_ok(&mut con, "RPUSH l x");
    decision(&mut con, "LIMIT.SLIDE z 60000 5");
    for key in ["text", "float", "huge"] {
        refused(&mut con, &format!("LIMIT.GCRA {key} 2 10 1000"), NOT_GCRA);
        refused(&mut con, &format!("LIMIT.GCRA {key} 2 10 1000 COST 0"), NOT_GCRA);
    }
    for key in ["h", "l", "z"] {
        refused(&mut con, &format!("LIMIT.GCRA {key} 2 10 1000"), WRONGTYPE);
    }
    // An integer string is a state (here long past: the limiter is full).
    sh_ok(&mut con, "SET old 5");
    assert_eq!(decision(&mut con, "LIMIT.GCRA old 2 10 1000"), [1, 3, 2, 0, 100]);
    assert!(server.is_up());
}

// ---- LIMIT.RESET -------------------------------------------------------------------------

#[test]
fn reset_counts_the_removed_keys() {
    let (mut server, mut con) = start();
    decision(&mut con, "LIMIT.SLIDE {r}z 60000 5 COST 5");
    decision(&mut con, "LIMIT.GCRA {r}g 2 10 1000 COST 3");
    sh_ok(&mut con, "SET {r}s hello");
    assert_eq!(query::<i64>(&mut con, "LIMIT.RESET {r}z {r}g {r}missing {r}s"), 3);
    for key in ["{r}z", "{r}g", "{r}s"] {
        assert!(!exists(&mut con, key), "{key} survived");
    }
    assert_eq!(query::<i64>(&mut con, "LIMIT.RESET {r}z"), 0);
    // A key given twice is removed once.
    decision(&mut con, "LIMIT.SLIDE {r}z 60000 5");
    assert_eq!(query::<i64>(&mut con, "LIMIT.RESET {r}z {r}z {r}missing {r}z"), 1);
    assert!(!exists(&mut con, "{r}z"));
    // Reset limiters are full again.
    assert_eq!(decision(&mut con, "LIMIT.SLIDE {r}z 60000 5"), [1, 5, 4, 0, WINDOW]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA {r}g 2 10 1000"), [1, 3, 2, 0, 100]);
    assert!(server.is_up());
}

#[test]
fn reset_refuses_other_types_and_slots_removing_nothing() {
    let (mut server, mut con) = start();
    some_state(&mut con, "{r}z", 3, "{r}g");
    sh_ok(&mut con, "RPUSH {r}l x");
    sh_ok(&mut con, "HSET {r}h f v");
    refused(&mut con, "LIMIT.RESET {r}z {r}l", WRONGTYPE);
    refused(&mut con, "LIMIT.RESET {r}l {r}z {r}g", WRONGTYPE);
    refused(&mut con, "LIMIT.RESET {r}h", WRONGTYPE);
    some_state(&mut con, "a", 1, "b");
    refused(&mut con, "LIMIT.RESET a b", CROSSSLOT);
    refused(&mut con, "LIMIT.RESET {r}z {r}g a", CROSSSLOT);
    assert!(server.is_up());
}

// ---- capacity and concurrency ------------------------------------------------------------

#[test]
fn never_used_limiters_have_full_capacity() {
    let (mut server, mut con) = start();
    let cases: &[(&str, Reply)] = &[
        ("LIMIT.SLIDE a 60000 10 COST 0", [1, 10, 10, 0, 0]),
        ("LIMIT.SLIDE a 60000 10", [1, 10, 9, 0, WINDOW]),
        ("LIMIT.SLIDE b 60000 10 COST 10", [1, 10, 0, 0, WINDOW]),
        ("LIMIT.SLIDE c 1 1", [1, 1, 0, 0, 1]),
        ("LIMIT.MULTI 2 {m}a {m}b 60000 3 60000 5 COST 0", [1, 3, 3, 0, 0]),
        ("LIMIT.MULTI 2 {m}a {m}b 60000 3 60000 5", [1, 3, 2, 0, WINDOW]),
        ("LIMIT.GCRA g 4 1 1000 COST 0", [1, 5, 5, 0, 0]),
        ("LIMIT.GCRA g 4 1 1000", [1, 5, 4, 0, 1000]),
        ("LIMIT.GCRA h 0 1 1000", [1, 1, 0, 0, 1000]),
        ("LIMIT.GCRA i 4 1 1000 COST 5", [1, 5, 0, 0, 5000]),
    ];
    for (line, expected) in cases {
        assert_eq!(decision(&mut con, line), *expected, "{line}");
    }
    assert!(server.is_up());
}

/// Runs `line` `calls` times from each of `threads` clients at once; returns every reply.
fn hammer(server: &Server, line: &str, threads: usize, calls: usize) -> Vec<Reply> {
    let barrier = Barrier::new(threads);
    let connections: Vec<Connection> = (0..threads).map(|_| server.connect()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = connections
            .into_iter()
            .map(|mut con| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    (0..calls).map(|_| decision(&mut con, line)).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a client thread")).collect()
    })
}

/// Asserts exactly `limit` of the replies were allowed, each leaving a different remaining
/// count, and every denial reports nothing left.
fn assert_exactly_allowed(replies: &[Reply], limit: i64) {
    let allowed: Vec<&Reply> = replies.iter().filter(|reply| reply[0] == 1).collect();
    assert_eq!(allowed.len() as i64, limit);
    let remaining: BTreeSet<i64> = allowed.iter().map(|reply| reply[2]).collect();
    assert_eq!(remaining, (0..limit).collect());
    assert!(replies.iter().all(|reply| reply[1] == limit));
    assert!(replies.iter().filter(|reply| reply[0] == 0).all(|reply| reply[2] == 0 && reply[3] > 0));
}

#[test]
fn slide_is_exact_under_concurrent_clients() {
    let (mut server, mut con) = start();
    let replies = hammer(&server, "LIMIT.SLIDE hot 60000 500", 8, 200);
    assert_eq!(replies.len(), 1600);
    assert_exactly_allowed(&replies, 500);
    assert_eq!(zcard(&mut con, "hot"), 500);
    assert!(server.is_up());
}

#[test]
fn gcra_is_exact_under_concurrent_clients() {
    let (mut server, _con) = start();
    let replies = hammer(&server, "LIMIT.GCRA hot 99 1 3600000", 8, 200);
    assert_exactly_allowed(&replies, 100);
    assert!(server.is_up());
}

// ---- errors ------------------------------------------------------------------------------

#[test]
fn wrong_arity_is_refused() {
    let (mut server, mut con) = start();
    some_state(&mut con, "k", 2, "g");
    let cases: &[(&str, &[&str])] = &[
        ("limit.slide", &["LIMIT.SLIDE", "LIMIT.SLIDE k", "LIMIT.SLIDE k 60000", "LIMIT.SLIDE k 60000 5 COST 1 x"]),
        ("limit.multi", &["LIMIT.MULTI", "LIMIT.MULTI 1 k", "LIMIT.MULTI 1 k 60000", "LIMIT.MULTI 1 k 60 5 COST 1 x"]),
        ("limit.gcra", &["LIMIT.GCRA", "LIMIT.GCRA g", "LIMIT.GCRA g 2 10", "LIMIT.GCRA g 2 10 1000 COST 1 x"]),
        ("limit.reset", &["LIMIT.RESET"]),
    ];
    for (name, lines) in cases {
        for line in *lines {
            refused(&mut con, line, &format!("ERR wrong number of arguments for '{name}' command"));
        }
    }
    assert!(server.is_up());
}

/// One call of a limiting command with `value` in each of its numeric positions (keys
/// with state and fresh keys).
fn numeric_positions(value: &str) -> Vec<String> {
    [
        "LIMIT.SLIDE k {} 5",
        "LIMIT.SLIDE k 60000 {}",
        "LIMIT.SLIDE k 60000 5 COST {}",
        "LIMIT.SLIDE fresh {} 5",
        "LIMIT.MULTI 2 {t}a {t}b {} 5 60000 5",
        "LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 {}",
        "LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 5 COST {}",
        "LIMIT.GCRA g {} 10 1000",
        "LIMIT.GCRA g 2 {} 1000",
        "LIMIT.GCRA g 2 10 {}",
        "LIMIT.GCRA g 2 10 1000 COST {}",
        "LIMIT.GCRA fresh 2 10 {}",
    ]
    .iter()
    .map(|line| line.replace("{}", value))
    .collect()
}

#[test]
fn non_integers_are_refused() {
    let (mut server, mut con) = start();
    some_state(&mut con, "k", 2, "g");
    some_state(&mut con, "{t}a", 2, "{t}g");
    for bad in ["abc", "1.5", "1e3", "+1", "01", "0x10", "9223372036854775808", "-9223372036854775809", "1x"] {
        for line in numeric_positions(bad) {
            refused(&mut con, &line, NOT_INTEGER);
        }
    }
    // An empty argument (not expressible in a space-split line).
    let before = key_dumps(&mut con);
    assert_eq!(run(&mut con, &["LIMIT.SLIDE", "k", "", "5"]), format!("(error) {NOT_INTEGER}"));
    assert_eq!(run(&mut con, &["LIMIT.GCRA", "g", "2", "", "1000"]), format!("(error) {NOT_INTEGER}"));
    assert_eq!(key_dumps(&mut con), before);
    assert!(server.is_up());
}

#[test]
fn out_of_range_numbers_are_refused() {
    let (mut server, mut con) = start();
    some_state(&mut con, "k", 2, "g");
    some_state(&mut con, "{t}a", 2, "{t}g");
    let window = "ERR window_ms must be between 1 and 31536000000";
    let max = "ERR max must be between 1 and 100000";
    let burst = "ERR burst must be between 0 and 1000000000";
    let count = "ERR count must be between 1 and 1000000000";
    let period = "ERR period_ms must be between 1 and 31536000000";
    let cases: &[(&str, &str)] = &[
        ("LIMIT.SLIDE k 0 5", window),
        ("LIMIT.SLIDE k -1 5", window),
        ("LIMIT.SLIDE k 31536000001 5", window),
        ("LIMIT.SLIDE fresh 0 5", window),
        ("LIMIT.SLIDE k 60000 0", max),
        ("LIMIT.SLIDE k 60000 -5", max),
        ("LIMIT.SLIDE k 60000 100001", max),
        ("LIMIT.SLIDE k 60000 5 COST 6", "ERR cost must be between 0 and 5"),
        ("LIMIT.SLIDE k 60000 5 COST -1", "ERR cost must be between 0 and 5"),
        ("LIMIT.MULTI 2 {t}a {t}b 60000 5 0 5", window),
        ("LIMIT.MULTI 2 {t}a {t}b 60000 100001 60000 5", max),
        ("LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 0", max),
        ("LIMIT.GCRA g -1 10 1000", burst),
        ("LIMIT.GCRA g 1000000001 10 1000", burst),
        ("LIMIT.GCRA g 2 0 1000", count),
        ("LIMIT.GCRA g 2 1000000001 1000", count),
        ("LIMIT.GCRA g 2 10 0", period),
        ("LIMIT.GCRA g 2 10 31536000001", period),
        ("LIMIT.GCRA fresh 2 10 0", period),
    ];
    for (line, error) in cases {
        refused(&mut con, line, error);
    }
    // The bounds themselves are accepted.
    assert_eq!(decision(&mut con, "LIMIT.SLIDE edge 31536000000 100000 COST 0"), [1, 100_000, 100_000, 0, 0]);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE edge 1 1 COST 0"), [1, 1, 1, 0, 0]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA edge 0 1000000000 31536000000 COST 0"), [1, 1, 1, 0, 0]);
    assert!(!exists(&mut con, "edge"));
    assert!(server.is_up());
}

#[test]
fn unknown_options_are_syntax_errors() {
    let (mut server, mut con) = start();
    some_state(&mut con, "k", 2, "g");
    for line in [
        "LIMIT.SLIDE k 60000 5 PRICE 1",
        "LIMIT.SLIDE k 60000 5 COST",
        "LIMIT.SLIDE fresh 60000 5 COSTS 1",
        "LIMIT.MULTI 1 k 60000 5 PRICE 1",
        "LIMIT.MULTI 1 k 60000 5 COST",
        "LIMIT.MULTI 1 k 60000 5 60000 5",
        "LIMIT.GCRA g 2 10 1000 PRICE 1",
        "LIMIT.GCRA g 2 10 1000 COST",
    ] {
        refused(&mut con, line, SYNTAX);
    }
    assert!(server.is_up());
}

#[test]
fn wrong_types_are_refused() {
    let (mut server, mut con) = start();
    some_state(&mut con, "{w}z", 2, "{w}g");
    sh_ok(&mut con, "SET {w}s hello");
    sh_ok(&mut con, "HSET {w}h f v");
    sh_ok(&mut con, "RPUSH {w}l x");
    sh_ok(&mut con, "SADD {w}set x");
    for key in ["{w}s", "{w}g", "{w}h", "{w}l", "{w}set"] {
        refused(&mut con, &format!("LIMIT.SLIDE {key} 60000 5"), WRONGTYPE);
        refused(&mut con, &format!("LIMIT.SLIDE {key} 60000 5 COST 0"), WRONGTYPE);
        // The log in the same call is not consumed, whichever comes first.
        refused(&mut con, &format!("LIMIT.MULTI 2 {{w}}z {key} 60000 5 60000 5"), WRONGTYPE);
        refused(&mut con, &format!("LIMIT.MULTI 2 {key} {{w}}z 60000 5 60000 5"), WRONGTYPE);
        refused(&mut con, &format!("LIMIT.MULTI 2 {{w}}fresh {key} 60000 5 60000 5"), WRONGTYPE);
    }
    for key in ["{w}z", "{w}h", "{w}l", "{w}set"] {
        refused(&mut con, &format!("LIMIT.GCRA {key} 2 10 1000"), WRONGTYPE);
    }
    refused(&mut con, "LIMIT.GCRA {w}s 2 10 1000", NOT_GCRA);
    for key in ["{w}h", "{w}l", "{w}set"] {
        refused(&mut con, &format!("LIMIT.RESET {{w}}z {key} {{w}}g"), WRONGTYPE);
    }
    assert!(server.is_up());
}

/// An error changes nothing, also in the logs checked before the failing key: an entry
/// that has left the window stays until a call succeeds.
#[test]
fn multi_wrong_type_prunes_nothing() {
    let (mut server, mut con) = start();
    let t0 = server_ms(&mut con);
    zadd_at(&mut con, "{w}old", &[t0 - 2 * WINDOW, t0 - 1000]);
    sh_ok(&mut con, "HSET {w}h f v");
    refused(&mut con, "LIMIT.MULTI 2 {w}old {w}h 60000 5 60000 5", WRONGTYPE);
    assert!(server.is_up());
}

#[test]
fn hash_tags_are_required_when_configured() {
    let (mut server, mut con) = start();
    some_state(&mut con, "plain", 2, "{t}g");
    sh_ok(&mut con, "CONFIG SET tally.require-hashtag yes");
    let needs =
        |key: &str| format!("ERR key '{key}' needs a hash tag like {{id}} so related keys share a cluster slot");
    refused(&mut con, "LIMIT.SLIDE plain 60000 5", &needs("plain"));
    refused(&mut con, "LIMIT.SLIDE plain 60000 5 COST 0", &needs("plain"));
    refused(&mut con, "LIMIT.MULTI 2 {t}a plain 60000 5 60000 5", &needs("plain"));
    refused(&mut con, "LIMIT.GCRA other 2 10 1000", &needs("other"));
    refused(&mut con, "LIMIT.RESET {t}g plain", &needs("plain"));
    assert_eq!(decision(&mut con, "LIMIT.SLIDE {t}a 60000 5"), [1, 5, 4, 0, WINDOW]);
    assert_eq!(decision(&mut con, "LIMIT.MULTI 2 {t}a {t}b 60000 5 60000 5"), [1, 5, 3, 0, WINDOW]);
    assert_eq!(decision(&mut con, "LIMIT.GCRA {t}c 2 10 1000"), [1, 3, 2, 0, 100]);
    assert_eq!(query::<i64>(&mut con, "LIMIT.RESET {t}a {t}b {t}c {t}g"), 4);
    sh_ok(&mut con, "CONFIG SET tally.require-hashtag no");
    assert_eq!(decision(&mut con, "LIMIT.SLIDE plain 60000 5")[..3], [1, 5, 2]);
    assert!(server.is_up());
}

#[test]
fn limit_max_log_bounds_max() {
    let (mut server, mut con) = start();
    some_state(&mut con, "k", 2, "g");
    for bad in ["0", "10000001"] {
        let reply = sh(&mut con, &format!("CONFIG SET tally.limit-max-log {bad}"));
        assert!(reply.contains("argument must be between 1 and 10000000"), "{bad}: {reply}");
    }
    sh_ok(&mut con, "CONFIG SET tally.limit-max-log 10");
    let max = "ERR max must be between 1 and 10";
    refused(&mut con, "LIMIT.SLIDE k 60000 11", max);
    refused(&mut con, "LIMIT.SLIDE fresh 60000 11 COST 0", max);
    refused(&mut con, "LIMIT.MULTI 1 k 60000 11", max);
    assert_eq!(decision(&mut con, "LIMIT.SLIDE k 60000 10 COST 8"), [1, 10, 0, 0, WINDOW]);
    sh_ok(&mut con, "CONFIG SET tally.limit-max-log 100001");
    assert_eq!(decision(&mut con, "LIMIT.SLIDE k 60000 100001 COST 0")[..3], [1, 100_001, 99_991]);
    assert!(server.is_up());
}
