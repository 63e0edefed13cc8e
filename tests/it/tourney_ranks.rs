//! TOURNEY.RANKS (the friends view): against TOURNEY.RANK of each member, on seeded boards
//! with many ties, under every tie rule and tie-break and in a season; absent, duplicate and
//! too many members; errors; key declaration.

use crate::common::reply::*;
use crate::common::rng::{Random, SplitMix64};
use crate::common::*;
use redis::{Connection, Value};

/// A RANKS reply as (member, score, rank) triples.
fn entries(reply: &Value) -> Vec<(String, String, i64)> {
    items(reply)
        .iter()
        .map(|entry| match items(entry) {
            [member, score, rank] => (text(member), text(score), int(rank)),
            other => panic!("not an entry: {other:?}"),
        })
        .collect()
}

/// What TOURNEY.RANK says of each member, one call each, best first: the reference.
fn one_by_one(con: &mut Connection, key: &str, members: &[String], options: &[&str]) -> Vec<(String, String, i64)> {
    let mut found: Vec<(String, String, i64, i64)> = Vec::new();
    for member in members {
        if found.iter().any(|(seen, ..)| seen == member) {
            continue;
        }
        let mut args = vec!["TOURNEY.RANK", key, member.as_str(), "WITHSCORE"];
        args.extend_from_slice(options);
        let reply = ok(con, &args);
        if reply == Value::Nil {
            continue;
        }
        let [rank, score] = items(&reply) else { panic!("{args:?}: {}", render(&reply)) };
        // The ordinal position orders equal ranks as the leaderboard does.
        let position = int(&ok(con, &["TOURNEY.RANK", key, member.as_str(), "TIES", "ORDINAL"]));
        found.push((member.clone(), text(score), int(rank), position));
    }
    found.sort_by_key(|(.., position)| *position);
    found.into_iter().map(|(member, score, rank, _)| (member, score, rank)).collect()
}

fn ranks(con: &mut Connection, key: &str, members: &[String], options: &[&str]) -> Vec<(String, String, i64)> {
    let count = members.len().to_string();
    let mut args = vec!["TOURNEY.RANKS", key, count.as_str()];
    args.extend(members.iter().map(String::as_str));
    args.extend_from_slice(options);
    entries(&ok(con, &args))
}

#[test]
fn ranks_agree_with_rank_under_every_tie_rule() {
    let server = Server::start();
    let mut con = server.connect();
    let mut rng = SplitMix64(0x7a11_0015);
    for create in ["", "TIEBREAK FIRST TIES DENSE", "TIES DENSE", "TIEBREAK FIRST"] {
        let key = format!("ranks:{{{}}}", create.replace(' ', "-"));
        if !create.is_empty() {
            assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {key} {create}")), "OK");
        }
        // Few distinct scores, so most members tie; some go up in several steps.
        for _ in 0..300 {
            let member = format!("p{}", rng.below(60));
            let delta = [-1, 0, 1, 2, 5][rng.below(5) as usize];
            sh_ok(&mut con, &format!("TOURNEY.INCR {key} {member} {delta}"));
        }
        let dense = create.contains("DENSE");
        for _ in 0..30 {
            let named: Vec<String> = (0..1 + rng.below(12)).map(|_| format!("p{}", rng.below(70))).collect();
            for ties in ["ORDINAL", "COMPETITION", "DENSE"] {
                if ties == "DENSE" && !dense {
                    continue;
                }
                let options = ["TIES", ties];
                assert_eq!(
                    ranks(&mut con, &key, &named, &options),
                    one_by_one(&mut con, &key, &named, &options),
                    "{key} {ties} {named:?}"
                );
            }
            assert_eq!(ranks(&mut con, &key, &named, &[]), one_by_one(&mut con, &key, &named, &[]), "{key} {named:?}");
        }
    }
}

#[test]
fn absent_duplicate_and_too_many_members() {
    let server = Server::start();
    let mut con = server.connect();
    for (member, score) in [("ann", 30), ("bob", 50), ("cyd", 30), ("dan", 10)] {
        sh_ok(&mut con, &format!("TOURNEY.SUBMIT lb:{{f}} {member} {score}"));
    }
    assert_eq!(
        sh(&mut con, "TOURNEY.RANKS lb:{f} 5 dan zed ann bob ann"),
        "[[\"bob\", \"50\", 1], [\"ann\", \"30\", 3], [\"dan\", \"10\", 4]]"
    );
    assert_eq!(
        sh(&mut con, "TOURNEY.RANKS lb:{f} 3 dan cyd ann TIES COMPETITION"),
        "[[\"cyd\", \"30\", 2], [\"ann\", \"30\", 2], [\"dan\", \"10\", 4]]"
    );
    assert_eq!(sh(&mut con, "TOURNEY.RANKS lb:{f} 2 zed yves"), "[]");
    assert_eq!(sh(&mut con, "TOURNEY.RANKS lb:{none} 1 ann"), "[]");
    // A member may be named like an option word.
    sh_ok(&mut con, "TOURNEY.SUBMIT lb:{f} TIES 5");
    assert_eq!(sh(&mut con, "TOURNEY.RANKS lb:{f} 1 TIES TIES ORDINAL"), "[[\"TIES\", \"5\", 5]]");
    assert_eq!(sh(&mut con, "CONFIG SET tally.max-range 3"), "OK");
    let before = key_dumps(&mut con);
    for (line, error) in [
        ("TOURNEY.RANKS lb:{f} 4 a b c d", "ERR nummembers must be between 1 and 3"),
        ("TOURNEY.RANKS lb:{f} 0 a", "ERR nummembers must be between 1 and 3"),
        ("TOURNEY.RANKS lb:{f} x a", "ERR value is not an integer or out of range"),
        ("TOURNEY.RANKS lb:{f} 2 a", "ERR wrong number of arguments for 'tourney.ranks' command"),
        ("TOURNEY.RANKS lb:{f} 1 a b", "ERR syntax error"),
        (
            "TOURNEY.RANKS lb:{f} 1 a TIES DENSE",
            "ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE",
        ),
        ("TOURNEY.RANKS lb:{f} 1 a SEASON yearly", "ERR syntax error"),
    ] {
        assert_eq!(sh(&mut con, line), format!("(error) {error}"), "{line}");
    }
    sh_ok(&mut con, "SET lb:{s} text");
    assert_eq!(
        sh(&mut con, "TOURNEY.RANKS lb:{s} 1 a"),
        "(error) WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    sh_ok(&mut con, "DEL lb:{s}");
    assert_eq!(key_dumps(&mut con), before, "errors change nothing");
}

#[test]
fn ranks_read_a_season() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "TOURNEY.CREATE lb:{s} TIES COMPETITION"), "OK");
    for (member, score) in [("ann", 3), ("bob", 7), ("cyd", 7)] {
        sh_ok(&mut con, &format!("TOURNEY.SUBMIT lb:{{s}} {member} {score} SEASON daily"));
    }
    sh_ok(&mut con, "TOURNEY.SUBMIT lb:{s} ann 100");
    assert_eq!(
        sh(&mut con, "TOURNEY.RANKS lb:{s} 2 ann bob SEASON daily"),
        "[[\"bob\", \"7\", 1], [\"ann\", \"3\", 3]]"
    );
    assert_eq!(sh(&mut con, "TOURNEY.RANKS lb:{s} 2 ann bob"), "[[\"ann\", \"100\", 1]]");
    assert_eq!(sh(&mut con, "TOURNEY.RANKS lb:{s} 1 ann SEASON daily PREVIOUS"), "[]");
}

#[test]
fn ranks_is_declared_as_a_read_of_its_key() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "COMMAND GETKEYS TOURNEY.RANKS lb:{f} 2 a b TIES ORDINAL"), "[\"lb:{f}\"]");
    let info = sh(&mut con, "COMMAND INFO tourney.ranks");
    assert!(info.contains("readonly") && info.contains("RO") && info.contains("access"), "{info}");
    assert_eq!(sh(&mut con, "ACL SETUSER reader on nopass %R~lb:* +@all"), "OK");
    sh_ok(&mut con, "TOURNEY.SUBMIT lb:{f} ann 1");
    let mut reader = login(&server, "reader");
    assert_eq!(sh(&mut reader, "TOURNEY.RANKS lb:{f} 1 ann"), "[[\"ann\", \"1\", 1]]");
    assert!(sh(&mut reader, "TOURNEY.RANKS other:{f} 1 ann").starts_with("(error) NOPERM"));
}
