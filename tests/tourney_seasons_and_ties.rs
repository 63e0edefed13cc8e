//! Regressions of issue 19 on tournaments: a season's board named directly or with
//! `TOURNEY.REM ... SEASON`, the previous season of a tournament created since, EXPIREAT
//! ending running seasons, `zrem` events of the tie structures, and `-0` as ZSCORE prints it.

mod common;
use common::*;
use redis::Connection;

fn server_ms(con: &mut Connection) -> i64 {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME").query(con).expect("TIME");
    seconds * 1000 + micros / 1000
}

/// The current monthly season's name at the server's clock, retried across a month's end.
fn in_one_month<T>(con: &mut Connection, mut steps: impl FnMut(&mut Connection, &str) -> T) -> T {
    loop {
        let month = |ms: i64| {
            let season = tally_core::season::season_at(tally_core::season::Period::Monthly, ms);
            season.name
        };
        let name = month(server_ms(con));
        let value = steps(con, &name);
        if month(server_ms(con)) == name {
            return value;
        }
    }
}

#[test]
fn rem_keeps_a_season_board_in_step_named_directly_or_with_season() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_month(&mut con, |con, month| {
        sh_ok(con, "FLUSHALL");
        sh_ok(con, "TOURNEY.CREATE d:{1} TIES DENSE");
        for (member, score) in [("a", 10), ("b", 20), ("c", 30), ("d", 30)] {
            sh_ok(con, &format!("TOURNEY.SUBMIT d:{{1}} {member} {score} SEASON monthly"));
        }
        // Named directly, the season's board keeps its distinct scores in step.
        assert_eq!(sh(con, &format!("TOURNEY.REM d:{{1}}:{month} b")), "1");
        assert_eq!(sh(con, "TOURNEY.RANK d:{1} a SEASON monthly"), "2");
        assert_eq!(sh(con, &format!("ZRANGE d:{{1}}:{month}:dense 0 -1")), "[\"10\", \"30\"]");
        // REM takes SEASON too.
        assert_eq!(sh(con, "TOURNEY.REM d:{1} c ghost SEASON monthly"), "1");
        assert_eq!(sh(con, "TOURNEY.TOP d:{1} 5 SEASON monthly"), "[[\"d\", \"30\", 1], [\"a\", \"10\", 2]]");
        assert_eq!(
            sh(con, "TOURNEY.REM d:{1} a SEASON monthly PREVIOUS"),
            "(error) ERR SEASON ... PREVIOUS is for reads: a past season takes no writes"
        );
        // TIEBREAK FIRST too: every later SEASON call still works.
        sh_ok(con, "TOURNEY.CREATE f:{2} TIEBREAK FIRST");
        sh_ok(con, "TOURNEY.INCR f:{2} x 5 SEASON monthly");
        sh_ok(con, "TOURNEY.INCR f:{2} y 5 SEASON monthly");
        assert_eq!(sh(con, &format!("TOURNEY.REM f:{{2}}:{month} x")), "1");
        assert_eq!(sh(con, "TOURNEY.TOP f:{2} 5 SEASON monthly"), "[[\"y\", \"5\", 1]]");
        sh_ok(con, "TOURNEY.INCR f:{2} z 5 SEASON monthly");
        assert_eq!(sh(con, "TOURNEY.TOP f:{2} 5 SEASON monthly"), "[[\"y\", \"5\", 1], [\"z\", \"5\", 2]]");
    });
}

#[test]
fn the_previous_season_reads_plain_when_the_tournament_was_created_since() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_month(&mut con, |con, _| {
        sh_ok(con, "FLUSHALL");
        let now = server_ms(con);
        let current = tally_core::season::season_at(tally_core::season::Period::Monthly, now);
        let previous = tally_core::season::season_at(tally_core::season::Period::Monthly, current.start_ms - 1);
        // Last month's board, written before the tournament existed: plain.
        sh_ok(con, &format!("ZADD o:{{1}}:{} 1 a 1 b", previous.name));
        for options in ["TIEBREAK FIRST", "TIES DENSE"] {
            sh_ok(con, "DEL o:{1}:tourney");
            sh_ok(con, &format!("TOURNEY.CREATE o:{{1}} {options}"));
            for (line, want) in [
                (
                    "TOURNEY.TOP o:{1} 10 SEASON monthly PREVIOUS TIES COMPETITION",
                    "[[\"b\", \"1\", 1], [\"a\", \"1\", 1]]",
                ),
                ("TOURNEY.RANK o:{1} a SEASON monthly PREVIOUS", "2"),
                ("TOURNEY.PERCENTILE o:{1} a SEASON monthly PREVIOUS", "\"100\""),
            ] {
                assert_eq!(sh(con, line), want, "{options}: {line}");
            }
        }
    });
}

#[test]
fn create_expireat_ends_running_seasons_first() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_month(&mut con, |con, month| {
        sh_ok(con, "FLUSHALL");
        sh_ok(con, "TOURNEY.INCR sx:{1} a 1 SEASON monthly");
        let at = server_ms(con) + 60_000;
        sh_ok(con, &format!("TOURNEY.CREATE sx:{{1}} EXPIREAT {at}"));
        assert_eq!(sh(con, &format!("PEXPIRETIME sx:{{1}}:{month}")), at.to_string());
        sh_ok(con, "TOURNEY.INCR sx:{1} b 1 SEASON monthly");
        assert_eq!(sh(con, &format!("PEXPIRETIME sx:{{1}}:{month}")), at.to_string());
    });
}

#[test]
fn tie_structures_signal_zrem_where_they_replicate_it() {
    let server = Server::start();
    let mut con = server.connect();
    sh_ok(&mut con, "TOURNEY.CREATE t:{1} TIEBREAK FIRST TIES DENSE");
    sh_ok(&mut con, "TOURNEY.INCR t:{1} a 5");
    let order = key_events(&server, "t:{1}:order", &["TOURNEY.INCR t:{1} a 1"]);
    assert_eq!(order, ["zrem", "zadd"]);
    let dense = key_events(&server, "t:{1}:dense", &["TOURNEY.INCR t:{1} a 1"]);
    assert_eq!(dense, ["zrem", "zadd"]);
}

#[test]
fn a_negative_zero_score_prints_as_zscore_prints_it() {
    let server = Server::start();
    let mut con = server.connect();
    sh_ok(&mut con, "CONFIG SET zset-max-listpack-entries 0");
    sh_ok(&mut con, "ZADD nz -0 m");
    let zscore = sh(&mut con, "ZSCORE nz m");
    assert_eq!(zscore, "\"-0\"");
    assert_eq!(sh(&mut con, "TOURNEY.RANK nz m WITHSCORE"), format!("[1, {zscore}]"));
    assert_eq!(sh(&mut con, "TOURNEY.TOP nz 1"), format!("[[\"m\", {zscore}, 1]]"));
}
