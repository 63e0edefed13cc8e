//! LIMIT.FIXED: windows aligned to the epoch on the server clock and their rollover, COST
//! and peeks, stale counters, exact counts under concurrent clients, WRONGTYPE on foreign
//! keys, replication and the AOF as `SET ... PXAT`, keyspace events.

use crate::common::aof::*;
use crate::common::reply::*;
use crate::common::*;
use std::time::Duration;

const DAY: i64 = 86_400_000;

/// The end of the window of `period` that `now` falls in.
fn window_end(now: i64, period: i64) -> i64 {
    (now / period + 1) * period
}

/// A decision's five integers.
fn decision(con: &mut redis::Connection, line: &str) -> [i64; 5] {
    let reply = ok(con, &words(line));
    let values: Vec<i64> = items(&reply).iter().map(int).collect();
    values.try_into().unwrap_or_else(|values| panic!("{line}: not a decision: {values:?}"))
}

#[test]
fn a_daily_window_ends_at_midnight_utc() {
    let server = Server::start();
    let mut con = server.connect();
    let before = server_ms(&mut con);
    let [allowed, limit, remaining, retry, reset] = decision(&mut con, "LIMIT.FIXED q:{u} 86400000 1000");
    let after = server_ms(&mut con);
    assert_eq!([allowed, limit, remaining, retry], [1, 1000, 999, 0]);
    let end = int(&ok(&mut con, &["PEXPIRETIME", "q:{u}"]));
    assert!([window_end(before, DAY), window_end(after, DAY)].contains(&end), "expires at {end}");
    assert_eq!(end % DAY, 0, "midnight UTC");
    assert!((end - after..=end - before).contains(&reset), "reset {reset}, window end {end}");
    assert_eq!(sh(&mut con, "GET q:{u}"), "\"1\"");
}

#[test]
fn a_short_window_rolls_over_and_counts_afresh() {
    let server = Server::start();
    let mut con = server.connect();
    const PERIOD: i64 = 1000;
    // Start early in a window, so three calls fit in it.
    poll_until(Duration::from_secs(5), || server_ms(&mut con) % PERIOD < 200);
    let start = server_ms(&mut con);
    let end = window_end(start, PERIOD);
    let line = "LIMIT.FIXED q:{u} 1000 2";
    assert_eq!(decision(&mut con, line)[..3], [1, 2, 1]);
    assert_eq!(decision(&mut con, line)[..3], [1, 2, 0]);
    let refused = decision(&mut con, line);
    let now = server_ms(&mut con);
    assert_eq!(refused[..3], [0, 2, 0]);
    assert!((end - now..=end - start).contains(&refused[3]), "retry {} to the window end {end}", refused[3]);
    assert_eq!(refused[3], refused[4], "refused: retry and reset both wait for the window end");
    assert_eq!(int(&ok(&mut con, &["PEXPIRETIME", "q:{u}"])), end);
    // The next window counts from zero.
    poll_until(Duration::from_secs(5), || server_ms(&mut con) >= end);
    assert_eq!(decision(&mut con, line)[..4], [1, 2, 1, 0]);
    assert_eq!(sh(&mut con, "GET q:{u}"), "\"1\"");
    let next_end = int(&ok(&mut con, &["PEXPIRETIME", "q:{u}"]));
    assert!(next_end > end && next_end % PERIOD == 0, "the next window ends at {next_end}");
}

#[test]
fn cost_and_peeks() {
    let server = Server::start();
    let mut con = server.connect();
    let hour = "LIMIT.FIXED q:{u} 3600000 5";
    // A peek at a limiter never used: full, and nothing is written.
    assert_eq!(decision(&mut con, &format!("{hour} COST 0")), [1, 5, 5, 0, 0]);
    assert_eq!(sh(&mut con, "EXISTS q:{u}"), "0");
    assert_eq!(decision(&mut con, &format!("{hour} COST 3"))[..4], [1, 5, 2, 0]);
    assert_eq!(decision(&mut con, &format!("{hour} COST 0"))[..4], [1, 5, 2, 0]);
    // Too costly for what is left: refused, and nothing counted.
    assert_eq!(decision(&mut con, &format!("{hour} COST 3"))[..3], [0, 5, 2]);
    assert_eq!(decision(&mut con, &format!("{hour} COST 2"))[..3], [1, 5, 0]);
    assert_eq!(sh(&mut con, "GET q:{u}"), "\"5\"");
    // A lower max than the count: refused, a peek still passes, with nothing remaining.
    assert_eq!(decision(&mut con, "LIMIT.FIXED q:{u} 3600000 3")[..3], [0, 3, 0]);
    assert_eq!(decision(&mut con, "LIMIT.FIXED q:{u} 3600000 3 COST 0")[..3], [1, 3, 0]);
    assert_eq!(sh(&mut con, &format!("{hour} COST 6")), "(error) ERR cost must be between 0 and 5");
    assert_eq!(sh(&mut con, "GET q:{u}"), "\"5\"");
}

#[test]
fn a_count_of_another_window_or_without_expiry_starts_afresh() {
    let server = Server::start();
    let mut con = server.connect();
    // Written by hand, without expiry: it belongs to no window.
    assert_eq!(sh(&mut con, "SET hand:{u} 5"), "OK");
    assert_eq!(decision(&mut con, "LIMIT.FIXED hand:{u} 3600000 5")[..3], [1, 5, 4]);
    // Counted per day, then asked per minute: the minute's window starts afresh, except in
    // the day's last minute, whose window ends with the day's (the count then counts for
    // both). Checked when the calls fall in one minute that is not the day's last.
    let before = server_ms(&mut con);
    assert_eq!(decision(&mut con, "LIMIT.FIXED q:{u} 86400000 5 COST 5")[..3], [1, 5, 0]);
    let minute = decision(&mut con, "LIMIT.FIXED q:{u} 60000 5");
    let end = window_end(server_ms(&mut con), 60_000);
    if end == window_end(before, 60_000) && end % DAY != 0 {
        assert_eq!(minute[..3], [1, 5, 4], "the daily count does not count for the minute");
    }
}

#[test]
fn concurrent_clients_are_counted_exactly() {
    let server = Server::start();
    const CLIENTS: usize = 8;
    const CALLS: usize = 250;
    // One window for the whole run: a year, aligned to the epoch.
    let line = "LIMIT.FIXED q:{u} 31536000000 1000";
    let allowed: i64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let mut con = server.connect();
                scope.spawn(move || (0..CALLS).map(|_| decision(&mut con, line)[0]).sum::<i64>())
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("a client thread")).sum()
    });
    let mut con = server.connect();
    assert_eq!(allowed, 1000, "exactly max calls allowed of {}", CLIENTS * CALLS);
    assert_eq!(sh(&mut con, "GET q:{u}"), "\"1000\"");
}

#[test]
fn foreign_keys_are_refused_and_left_alone() {
    let server = Server::start();
    let mut con = server.connect();
    for line in
        ["RPUSH q:{u}:list a", "HSET q:{u}:hash f v", "ZADD q:{u}:zset 1 m", "SET q:{u}:text abc", "SET q:{u}:minus -3"]
    {
        sh_ok(&mut con, line);
    }
    let before = key_dumps(&mut con);
    for key in ["q:{u}:list", "q:{u}:hash", "q:{u}:zset"] {
        assert_eq!(
            sh(&mut con, &format!("LIMIT.FIXED {key} 1000 5")),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value"
        );
    }
    for key in ["q:{u}:text", "q:{u}:minus"] {
        assert_eq!(
            sh(&mut con, &format!("LIMIT.FIXED {key} 1000 5 COST 0")),
            "(error) WRONGTYPE key holds a string that is not a LIMIT.FIXED count"
        );
    }
    for (line, error) in [
        ("LIMIT.FIXED q:{u} 0 5", "ERR period_ms must be between 1 and 31536000000"),
        ("LIMIT.FIXED q:{u} 1000 0", "ERR max must be between 1 and 1000000000"),
        ("LIMIT.FIXED q:{u} 1000 5 COST", "ERR syntax error"),
        ("LIMIT.FIXED q:{u} 1000", "ERR wrong number of arguments for 'limit.fixed' command"),
        ("LIMIT.FIXED q:{u} 1000 5 COST 1 EXTRA", "ERR wrong number of arguments for 'limit.fixed' command"),
    ] {
        assert_eq!(sh(&mut con, line), format!("(error) {error}"), "{line}");
    }
    assert_eq!(key_dumps(&mut con), before, "errors change nothing");
    assert!(server.log().lines().all(|line| !line.contains("panicked")));
}

#[test]
fn replicas_and_the_aof_get_set_pxat_and_identical_counters() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    for line in [
        "LIMIT.FIXED q:{u}:day 86400000 3",
        "LIMIT.FIXED q:{u}:day 86400000 3 COST 2",
        "LIMIT.FIXED q:{u}:hour 3600000 9",
    ] {
        assert_eq!(decision(&mut con, line)[0], 1, "{line}");
    }
    // A refusal and a peek propagate nothing.
    let mark = propagation_mark(&mut con, &primary.dir);
    assert_eq!(decision(&mut con, "LIMIT.FIXED q:{u}:day 86400000 3")[0], 0);
    assert_eq!(decision(&mut con, "LIMIT.FIXED q:{u}:day 86400000 3 COST 0")[0], 1);
    assert_eq!(propagation_mark(&mut con, &primary.dir), mark, "nothing propagated");
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    let on_primary = key_dumps(&mut con);
    assert_eq!(key_dumps(&mut replica.connect()), on_primary, "the replica's counters and expiries");
    let commands = aof_data_commands(&primary.dir);
    assert_eq!(commands.len(), 3, "one SET per counted call");
    for (command, count) in commands.iter().zip(["1", "3", "1"]) {
        let shown = printable(command);
        assert_eq!(shown.len(), 5, "{shown:?}");
        assert!(is_named(command, "SET") && shown[2] == count && shown[3].eq_ignore_ascii_case("PXAT"), "{shown:?}");
        let key = command[1].clone();
        assert_eq!(shown[4].parse::<i64>().ok(), on_primary.get(&key).map(|(_, at)| *at), "{shown:?}");
    }
    drop(replica);
    let mut restarted = Server::start_with(Options { dir: Some(primary.kill()), ..aof_options(&[]) });
    assert_eq!(key_dumps(&mut restarted.connect()), on_primary, "after a restart from the AOF");
    assert!(restarted.is_up());
}

#[test]
fn keyspace_events_are_set_and_expire() {
    let server = Server::start();
    let events = key_events(&server, "q:{u}", &["LIMIT.FIXED q:{u} 1000 5", "LIMIT.FIXED q:{u} 1000 5 COST 0"]);
    assert_eq!(events, ["set", "expire"]);
}
