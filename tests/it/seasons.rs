//! `SEASON daily|weekly|monthly` on TOURNEY commands, against a real server: the leaderboard
//! of the current season is a key named beside the one the call names (`{lb}:2026-11-26`,
//! `{lb}:2026-W48`, `{lb}:2026-11`; `t:{x}:lb:2026-11-26` for a key with a hash tag), in its
//! slot, expiring one season after its own ends. The expected names and times come from
//! GNU `date -u`, not from tally's code. Also: a tournament's settings apply to its
//! seasons, CREATE is refused while a running season has members, the season key is
//! checked against the caller's ACL, and writes reach replicas and the AOF as native
//! effects with concrete expiry times.

use crate::common::aof::{aof_data_commands, is_named, primary_with_replica};
use crate::common::cluster::client_slot;
use crate::common::*;
use redis::Connection;
use std::process::Command;

const DAY_MS: i64 = 86_400_000;
const SYNTAX: &str = "(error) ERR syntax error";
const MODULE_NOPERM: &str = "(error) NOPERM this user has no permissions to access one of the keys used as arguments";

fn server_ms(con: &mut Connection) -> i64 {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME").query(con).expect("TIME");
    seconds * 1000 + micros / 1000
}

/// `date -u` of a unix time in ms, in `format`.
fn date(ms: i64, format: &str) -> String {
    let output = Command::new("date")
        .args(["-u", "-d", &format!("@{}", ms.div_euclid(1000)), &format!("+{format}")])
        .output()
        .expect("run date");
    assert!(output.status.success(), "date failed: {output:?}");
    String::from_utf8(output.stdout).expect("date prints UTF-8").trim().to_string()
}

/// Unix ms of a date-time text as `date -u -d` reads it.
fn date_ms(text: &str) -> i64 {
    date_text_to_seconds(text) * 1000
}

fn date_text_to_seconds(text: &str) -> i64 {
    let output = Command::new("date").args(["-u", "-d", text, "+%s"]).output().expect("run date");
    assert!(output.status.success(), "date -d {text:?} failed: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().parse().expect("seconds")
}

/// The seasons at `ms`: (daily, weekly, monthly) names.
fn season_names(ms: i64) -> [String; 3] {
    [date(ms, "%F"), date(ms, "%G-W%V"), date(ms, "%Y-%m")]
}

/// When each season of `ms` expires: the end of the season after it.
fn season_expiries(ms: i64) -> [i64; 3] {
    let day = ms.div_euclid(DAY_MS);
    let daily = (day + 2) * DAY_MS;
    // ISO weeks start on Monday; 1970-01-01 was a Thursday.
    let monday = day - (day + 3).rem_euclid(7);
    let weekly = (monday + 14) * DAY_MS;
    let monthly = date_ms(&format!("{}-01 +2 months", date(ms, "%Y-%m")));
    [daily, weekly, monthly]
}

/// Runs `steps` with the season names of the server's clock; runs again if a season
/// boundary passed meanwhile (at midnight UTC), so that the names always match the calls.
fn in_one_season<T>(con: &mut Connection, mut steps: impl FnMut(&mut Connection, &[String; 3]) -> T) -> (T, i64) {
    loop {
        let before = server_ms(con);
        let names = season_names(before);
        let value = steps(con, &names);
        if season_names(server_ms(con)) == names {
            return (value, before);
        }
    }
}

fn pexpiretime(con: &mut Connection, key: &str) -> i64 {
    redis::cmd("PEXPIRETIME").arg(key).query(con).expect("PEXPIRETIME")
}

#[test]
fn season_calls_write_and_read_the_current_seasons_board() {
    let server = Server::start();
    let mut con = server.connect();
    let (names, now) = in_one_season(&mut con, |con, names| {
        for (period, name) in ["daily", "weekly", "monthly"].iter().zip(names) {
            let key = format!("{{lb}}:{name}");
            assert_eq!(sh(con, &format!("TOURNEY.INCR {{lb}} alice 10 SEASON {period}")), "[\"10\", 1]");
            assert_eq!(
                sh(con, &format!("TOURNEY.SUBMIT {{lb}} bob 12 SEASON {}", period.to_uppercase())),
                "[\"12\", 1, 1]"
            );
            assert_eq!(sh(con, &format!("TOURNEY.SUBMIT {{lb}} carol 10 LATEST season {period}")), "[\"10\", 2, 1]");
            assert_eq!(sh(con, &format!("ZSCORE {key} bob")), "\"12\"", "{key}");
            // Every read with SEASON answers as the same read of the season's key.
            for (with_season, on_key) in [
                (format!("TOURNEY.RANK {{lb}} carol SEASON {period}"), format!("TOURNEY.RANK {key} carol")),
                (
                    format!("TOURNEY.RANK {{lb}} carol WITHSCORE SEASON {period} TIES COMPETITION"),
                    format!("TOURNEY.RANK {key} carol WITHSCORE TIES COMPETITION"),
                ),
                (format!("TOURNEY.TOP {{lb}} 10 SEASON {period}"), format!("TOURNEY.TOP {key} 10")),
                (
                    format!("TOURNEY.TOP {{lb}} 2 OFFSET 1 SEASON {period} TIES COMPETITION"),
                    format!("TOURNEY.TOP {key} 2 OFFSET 1 TIES COMPETITION"),
                ),
                (format!("TOURNEY.AROUND {{lb}} alice 1 SEASON {period}"), format!("TOURNEY.AROUND {key} alice 1")),
                (format!("TOURNEY.PERCENTILE {{lb}} alice SEASON {period}"), format!("TOURNEY.PERCENTILE {key} alice")),
            ] {
                let expected = sh(con, &on_key);
                assert!(!expected.starts_with("(error)"), "{on_key}: {expected}");
                assert_eq!(sh(con, &with_season), expected, "{with_season}");
            }
        }
        names.clone()
    });
    assert_eq!(
        sh(&mut con, "TOURNEY.INFO {lb} SEASON daily"),
        format!(
            "[\"created\", 0, \"tiebreak\", \"member\", \"ties\", \"ordinal\", \"expireat\", {}, \"members\", 3, \"top\", \"12\", \"bottom\", \"10\", \"order\", \"desc\"]",
            season_expiries(now)[0]
        ),
        "the season's board, and when it expires"
    );
    assert_eq!(
        sh(&mut con, "TOURNEY.TOP {lb} 3 SEASON daily"),
        "[[\"bob\", \"12\", 1], [\"carol\", \"10\", 2], [\"alice\", \"10\", 3]]"
    );
    // The key the call names is untouched; the season keys expire one season after theirs ends.
    assert_eq!(sh(&mut con, "EXISTS {lb}"), "0");
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    keys.sort();
    let mut expected: Vec<String> = names.iter().map(|name| format!("{{lb}}:{name}")).collect();
    expected.sort();
    assert_eq!(keys, expected);
    for (name, expiry) in names.iter().zip(season_expiries(now)) {
        assert_eq!(pexpiretime(&mut con, &format!("{{lb}}:{name}")), expiry, "{name}");
    }
    // A later write keeps the expiry the first one set.
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} alice 1 SEASON daily"), "[\"11\", 2]");
    assert_eq!(pexpiretime(&mut con, &format!("{{lb}}:{}", names[0])), season_expiries(now)[0]);
}

#[test]
fn season_keys_share_the_slot_of_the_named_key() {
    let server = Server::start();
    let mut con = server.connect();
    let (names, _) = in_one_season(&mut con, |con, names| {
        assert_eq!(sh(con, "TOURNEY.INCR t:{x}:lb alice 1 SEASON weekly"), "[\"1\", 1]");
        assert_eq!(sh(con, "TOURNEY.INCR {lb} alice 1 SEASON weekly"), "[\"1\", 1]");
        names.clone()
    });
    let tagged = format!("t:{{x}}:lb:{}", names[1]);
    let wrapped = format!("{{lb}}:{}", names[1]);
    assert_eq!(sh(&mut con, &format!("EXISTS {tagged} {wrapped}")), "2");
    assert_eq!(client_slot(tagged.as_bytes()), client_slot(b"t:{x}:lb"));
    assert_eq!(client_slot(wrapped.as_bytes()), client_slot(b"{lb}"));
    // An untagged key has no seasons (issue 19 #2): `{lb}:<season>` is already the key
    // `{lb}`'s season, so `lb`'s would share it. Refused, and nothing is written.
    for key in ["lb", "a}b"] {
        assert_eq!(
            sh(&mut con, &format!("TOURNEY.INCR {key} alice 1 SEASON daily")),
            format!("(error) ERR seasonal leaderboard '{key}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it")
        );
        assert_eq!(sh(&mut con, &format!("TOURNEY.INCR {key} alice 1")), "[\"1\", 1]");
    }
    assert_eq!(sh(&mut con, "DBSIZE"), "4");
    assert_eq!(
        sh_ok(&mut con, "COMMAND GETKEYS TOURNEY.INCR {lb} alice 1 SEASON daily"),
        "[\"{lb}\"]",
        "the declared key is the one argv names; the season key shares its slot"
    );
}

#[test]
fn bad_season_options_are_refused_and_change_nothing() {
    let server = Server::start();
    let mut con = server.connect();
    sh_ok(&mut con, "TOURNEY.INCR {lb} alice 1 SEASON daily");
    let before = key_dumps(&mut con);
    for line in [
        "TOURNEY.INCR {lb} alice 1 SEASON",
        "TOURNEY.INCR {lb} alice 1 SEASON yearly",
        "TOURNEY.INCR {lb} alice 1 SEASON daily SEASON daily",
        "TOURNEY.SUBMIT {lb} alice 1 SEASON daily BEST SEASON weekly",
        "TOURNEY.RANK {lb} alice SEASON hourly",
        "TOURNEY.TOP {lb} 10 SEASON",
        "TOURNEY.AROUND {lb} alice 1 SEASON 1",
        "TOURNEY.PERCENTILE {lb} alice SEASON",
    ] {
        assert_eq!(sh(&mut con, line), SYNTAX, "{line}");
    }
    // INCR takes `DATA value` now, so one word too many is a syntax error, two an arity one.
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} alice 1 extra SEASON daily"), SYNTAX);
    assert_eq!(
        sh(&mut con, "TOURNEY.INCR {lb} alice 1 DATA x extra SEASON daily"),
        "(error) ERR wrong number of arguments for 'tourney.incr' command"
    );
    assert_eq!(key_dumps(&mut con), before);
    // Before the options, SEASON is a member like any other; REM reads SEASON only after its
    // first member, so here it removes the members SEASON and daily.
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} SEASON 5"), "[\"5\", 1]");
    assert_eq!(sh(&mut con, "TOURNEY.RANK {lb} SEASON"), "1");
    assert_eq!(sh(&mut con, "TOURNEY.REM {lb} SEASON daily"), "1");
    assert_eq!(sh(&mut con, "EXISTS {lb}"), "0");
}

#[test]
fn a_tournament_applies_to_its_seasons() {
    let server = Server::start();
    let mut con = server.connect();
    sh_ok(&mut con, "TOURNEY.CREATE g:{x} TIEBREAK FIRST TIES DENSE");
    let (names, now) = in_one_season(&mut con, |con, names| {
        // zoe reaches 5 first: she ranks above aaron, whose name sorts first.
        assert_eq!(sh(con, "TOURNEY.SUBMIT g:{x} zoe 5 SEASON daily"), "[\"5\", 1, 1]");
        assert_eq!(sh(con, "TOURNEY.SUBMIT g:{x} aaron 5 SEASON daily"), "[\"5\", 1, 1]");
        assert_eq!(sh(con, "TOURNEY.SUBMIT g:{x} max 4 SEASON daily"), "[\"4\", 2, 1]");
        assert_eq!(
            sh(con, "TOURNEY.TOP g:{x} 3 SEASON daily TIES ORDINAL"),
            "[[\"zoe\", \"5\", 1], [\"aaron\", \"5\", 2], [\"max\", \"4\", 3]]"
        );
        assert_eq!(sh(con, "TOURNEY.RANK g:{x} max SEASON daily"), "2");
        names.clone()
    });
    let board = format!("g:{{x}}:{}", names[0]);
    let expiry = season_expiries(now)[0];
    for key in [board.clone(), format!("{board}:arrival"), format!("{board}:order"), format!("{board}:dense")] {
        assert_eq!(pexpiretime(&mut con, &key), expiry, "{key}");
    }
    assert_eq!(pexpiretime(&mut con, "g:{x}:tourney"), -1, "the tournament itself does not expire");

    // A tournament that ends before the season ends its season boards with it.
    let soon = server_ms(&mut con) + 3_600_000;
    sh_ok(&mut con, &format!("TOURNEY.CREATE short:{{y}} TIES DENSE EXPIREAT {soon}"));
    sh_ok(&mut con, "TOURNEY.INCR short:{y} alice 1 SEASON monthly");
    let names = season_names(server_ms(&mut con));
    let board = format!("short:{{y}}:{}", names[2]);
    assert_eq!(pexpiretime(&mut con, &board), soon);
    assert_eq!(pexpiretime(&mut con, &format!("{board}:dense")), soon);
}

#[test]
fn create_waits_for_running_seasons_to_end() {
    let server = Server::start();
    let mut con = server.connect();
    let (names, _) = in_one_season(&mut con, |con, names| {
        sh_ok(con, "TOURNEY.INCR w:{z} alice 1 SEASON weekly");
        names.clone()
    });
    let before = key_dumps(&mut con);
    assert_eq!(
        sh(&mut con, "TOURNEY.CREATE w:{z} TIEBREAK FIRST"),
        format!(
            "(error) ERR leaderboard 'w:{{z}}:{}' already has members: TIEBREAK FIRST and TIES DENSE start from an empty leaderboard",
            names[1]
        )
    );
    assert_eq!(key_dumps(&mut con), before);
    // Settings that keep no tie structure apply to running seasons at once.
    sh_ok(&mut con, "TOURNEY.CREATE w:{z} TIES COMPETITION");
    assert_eq!(sh(&mut con, "TOURNEY.INCR w:{z} bob 1 SEASON weekly"), "[\"1\", 1]");
}

#[test]
fn the_season_key_is_checked_against_the_callers_acl() {
    let server = Server::start();
    let mut admin = server.connect();
    sh_ok(&mut admin, "ACL SETUSER narrow on >pw ~{lb} +tourney.incr +tourney.top");
    sh_ok(&mut admin, "ACL SETUSER wide on >pw ~{lb} ~{lb}:* +tourney.incr +tourney.top");
    let mut narrow = server.connect();
    sh_ok(&mut narrow, "AUTH narrow pw");
    let mut wide = server.connect();
    sh_ok(&mut wide, "AUTH wide pw");
    sh_ok(&mut admin, "ACL LOG RESET");
    assert_eq!(sh(&mut narrow, "TOURNEY.INCR {lb} alice 1 SEASON daily"), MODULE_NOPERM);
    assert_eq!(sh(&mut narrow, "TOURNEY.TOP {lb} 1 SEASON daily"), MODULE_NOPERM);
    assert_eq!(sh(&mut admin, "DBSIZE"), "0");
    let log = sh(&mut admin, "ACL LOG");
    assert!(log.contains("\"narrow\"") && log.contains("{lb}:"), "ACL LOG: {log}");
    assert_eq!(sh(&mut narrow, "TOURNEY.INCR {lb} alice 1"), "[\"1\", 1]", "the named key itself is allowed");
    assert_eq!(sh(&mut wide, "TOURNEY.INCR {lb} alice 2 SEASON daily"), "[\"2\", 1]");
    assert_eq!(sh(&mut wide, "TOURNEY.TOP {lb} 1 SEASON daily"), "[[\"alice\", \"2\", 1]]");
}

#[test]
fn season_writes_reach_replicas_and_the_aof_as_effects() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    sh_ok(&mut con, "TOURNEY.CREATE g:{r} TIEBREAK FIRST");
    let (names, now) = in_one_season(&mut con, |con, names| {
        for member in ["zoe", "aaron", "max"] {
            sh_ok(con, &format!("TOURNEY.INCR g:{{r}} {member} 3 SEASON daily"));
        }
        sh_ok(con, "TOURNEY.INCR g:{r} max 1 SEASON daily");
        names.clone()
    });
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    let mut rcon = replica.connect();
    let board = format!("g:{{r}}:{}", names[0]);
    for key in [board.clone(), format!("{board}:arrival"), format!("{board}:order"), "g:{r}:tourney".to_string()] {
        let dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut con).unwrap();
        let replica_dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut rcon).unwrap();
        assert!(!dump.is_empty() && dump == replica_dump, "DUMP of {key} differs on the replica");
        assert_eq!(pexpiretime(&mut rcon, &key), pexpiretime(&mut con, &key), "{key}");
    }
    assert_eq!(
        sh(&mut rcon, "TOURNEY.TOP g:{r} 3 SEASON daily"),
        "[[\"max\", \"4\", 1], [\"zoe\", \"3\", 2], [\"aaron\", \"3\", 3]]"
    );
    let commands = aof_data_commands(&primary.dir);
    assert!(commands.iter().all(|command| !command[0].to_ascii_uppercase().starts_with(b"TOURNEY")), "{commands:?}");
    let expiry = season_expiries(now)[0].to_string();
    let expired: Vec<&Vec<Vec<u8>>> = commands.iter().filter(|command| is_named(command, "PEXPIREAT")).collect();
    assert_eq!(expired.len(), 3, "the board, its arrival hash and its order set get their expiry once: {expired:?}");
    for command in expired {
        assert_eq!(command[2], expiry.as_bytes(), "a concrete expiry time");
    }
}

/// The previous season of each period at `ms`: (daily, weekly, monthly) names.
fn previous_season_names(ms: i64) -> [String; 3] {
    let day = ms.div_euclid(DAY_MS);
    let monday = day - (day + 3).rem_euclid(7);
    let first_of_month = date_ms(&format!("{}-01", date(ms, "%Y-%m")));
    [date((day - 1) * DAY_MS, "%F"), date(monday * DAY_MS - 1, "%G-W%V"), date(first_of_month - 1, "%Y-%m")]
}

#[test]
fn reads_take_the_previous_season_and_writes_refuse_it() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_season(&mut con, |con, _| {
        let previous = previous_season_names(server_ms(con));
        for (period, name) in ["daily", "weekly", "monthly"].iter().zip(&previous) {
            // The previous season's final standings, as the board held them when it ended.
            sh_ok(con, &format!("ZADD {{lb}}:{name} 5 a 7 b"));
            assert_eq!(
                sh(con, &format!("TOURNEY.TOP {{lb}} 10 SEASON {period} PREVIOUS")),
                "[[\"b\", \"7\", 1], [\"a\", \"5\", 2]]",
                "{period}"
            );
            assert_eq!(sh(con, &format!("TOURNEY.RANK {{lb}} a WITHSCORE SEASON {period} previous")), "[2, \"5\"]");
            assert_eq!(sh(con, &format!("TOURNEY.AROUND {{lb}} a 0 SEASON {period} PREVIOUS")), "[[\"a\", \"5\", 2]]");
            assert_eq!(sh(con, &format!("TOURNEY.PERCENTILE {{lb}} a SEASON {period} PREVIOUS")), "\"50\"");
            assert_eq!(sh(con, &format!("TOURNEY.TOP {{lb}} 10 SEASON {period}")), "[]", "the current season is empty");
        }
        let before = key_dumps(con);
        for line in
            ["TOURNEY.INCR {lb} a 1 SEASON daily PREVIOUS", "TOURNEY.SUBMIT {lb} a 9 LATEST SEASON weekly PREVIOUS"]
        {
            assert_eq!(
                sh(con, line),
                "(error) ERR SEASON ... PREVIOUS is for reads: a past season takes no writes",
                "{line}"
            );
        }
        assert_eq!(key_dumps(con), before);
        // PREVIOUS right after the period only; alone it is not an option.
        assert_eq!(sh(con, "TOURNEY.TOP {lb} 10 PREVIOUS SEASON daily"), SYNTAX);
    });
}

#[test]
fn the_previous_season_of_a_tournament_keeps_its_tie_order() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_season(&mut con, |con, _| {
        let yesterday = format!("g:{{p}}:{}", previous_season_names(server_ms(con))[0]);
        // Yesterday's board and its tie structures, as TIEBREAK FIRST wrote them: aaron
        // reached 5 before zoe (whose name sorts after his).
        sh_ok(con, &format!("TOURNEY.CREATE {yesterday} TIEBREAK FIRST"));
        sh_ok(con, &format!("TOURNEY.INCR {yesterday} aaron 5"));
        sh_ok(con, &format!("TOURNEY.INCR {yesterday} zoe 5"));
        sh_ok(con, &format!("DEL {yesterday}:tourney"));
        // The tournament, as if created before yesterday's season began.
        sh_ok(con, "TOURNEY.CREATE g:{p} TIEBREAK FIRST");
        assert_eq!(run(con, &["SET", "g:{p}:tourney", "tiebreak first ties ordinal created 0"]), "OK");
        assert_eq!(
            sh(con, "TOURNEY.TOP g:{p} 2 SEASON daily PREVIOUS"),
            "[[\"aaron\", \"5\", 1], [\"zoe\", \"5\", 2]]",
            "read with the tournament's settings"
        );
        assert_eq!(
            sh(con, &format!("TOURNEY.TOP {yesterday} 2")),
            "[[\"aaron\", \"5\", 1], [\"zoe\", \"5\", 2]]",
            "named directly, a season's board is read as its tournament's"
        );
    });
}
