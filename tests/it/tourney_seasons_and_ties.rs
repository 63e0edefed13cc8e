//! Regressions of issue 19 on tournaments: a season's board named directly or with
//! `TOURNEY.REM ... SEASON`, the previous season of a tournament created since, EXPIREAT
//! ending running seasons, `zrem` events of the tie structures, `-0` as ZSCORE prints it, and
//! untagged keys that never share derived keys with their tagged twins.

use crate::common::rng::{Random, SplitMix64};
use crate::common::*;
use redis::Connection;

fn server_ms(con: &mut Connection) -> i64 {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME").query(con).expect("TIME");
    seconds * 1000 + micros / 1000
}

/// The current monthly season's name at the server's clock, retried across a month's end.
pub(crate) fn in_one_month<T>(con: &mut Connection, mut steps: impl FnMut(&mut Connection, &str) -> T) -> T {
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

/// Issue 19 #2: `lb` and `{lb}` are two keys. Only a key with a hash tag has companion keys
/// (settings, tie structures, seasons, idempotent producers), so the untagged one is refused
/// what would need them and stays a plain leaderboard or stream.
#[test]
fn an_untagged_key_never_shares_derived_keys_with_its_tagged_twin() {
    let server = Server::start();
    let mut con = server.connect();
    let companions = |kind: &str, key: &str| {
        format!("(error) ERR {kind} '{key}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it")
    };
    assert_eq!(sh(&mut con, "TOURNEY.CREATE lb TIEBREAK FIRST"), companions("tournament", "lb"));
    assert_eq!(sh(&mut con, "TOURNEY.INCR lb alice 10"), r#"["10", 1]"#);
    assert!(sh(&mut con, "TOURNEY.INFO {lb}").starts_with(r#"["created", 0, "tiebreak", "member""#));
    assert_eq!(sh(&mut con, "TOURNEY.INCR {lb} bob 5"), r#"["5", 1]"#);
    assert_eq!(sh(&mut con, "TOURNEY.RANK lb alice"), "1");
    assert_eq!(sh(&mut con, "TOURNEY.INCR p a 1 SEASON daily"), companions("seasonal leaderboard", "p"));
    assert_eq!(sh(&mut con, "TOURNEY.INCR {p} a 1 SEASON daily"), r#"["1", 1]"#);
    assert_eq!(sh(&mut con, "AUDIT.APPEND s IDEMPOTENT w 1 f v"), companions("audit log", "s"));
    assert_eq!(sh(&mut con, "AUDIT.CREATE s MAXLEN 5"), companions("audit log", "s"));
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    keys.sort();
    let season = keys.iter().find(|key| key.starts_with("{p}:")).cloned().expect("the season board of {p}");
    assert_eq!(keys, ["lb", "{lb}", season.as_str()]);
}

/// The class of #2, as a seeded property: random writes on either key of a pair (`k` and
/// `{k}`, the streams `klog` and `{k}log`), over every command that derives keys, never
/// change a key of the other; the tagged tournament never finds its structures out of step.
#[test]
fn random_writes_on_one_key_of_a_pair_leave_the_other_untouched() {
    let server = Server::start();
    let mut con = server.connect();
    let seed = std::env::var("TALLY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x19_02u64);
    println!("seed {seed}");
    let mut rng = SplitMix64(seed);
    let mut next = |bound: u64| rng.below(bound);
    let owned_by = |key: &[u8], tagged: bool| {
        let text = String::from_utf8_lossy(key);
        if tagged {
            text.starts_with("{k}")
        } else {
            text == "k" || text == "klog"
        }
    };
    for step in 0..400 {
        let tagged = next(2) == 0;
        let key = if tagged { "{k}" } else { "k" };
        let member = format!("m{}", next(6));
        let line = match next(9) {
            0 => format!("TOURNEY.CREATE {key} TIEBREAK FIRST TIES DENSE"),
            1 => format!("TOURNEY.CREATE {key}"),
            2 => format!("TOURNEY.REM {key} {member}"),
            3 => format!("TOURNEY.INCR {key} {member} {} SEASON daily", next(5)),
            4 => format!("TOURNEY.SUBMIT {key} {member} {}", next(50)),
            5 => format!("DEL {key}"),
            6 => format!("AUDIT.APPEND {key}log IDEMPOTENT w {} f v", next(4) + 1),
            7 => format!("AUDIT.CREATE {key}log MAXLEN 3 ONFULL REFUSE"),
            _ => format!("TOURNEY.INCR {key} {member} {}", next(5)),
        };
        let other = key_dumps_where(&mut con, |name| owned_by(name, !tagged));
        let reply = sh(&mut con, &line);
        assert!(!reply.contains("changed outside TOURNEY"), "step {step} (seed {seed}): {line}: {reply}");
        let after = key_dumps_where(&mut con, |name| owned_by(name, !tagged));
        assert_eq!(after, other, "step {step} (seed {seed}): {line} changed the other key's");
    }
}

/// The model-based run over seasons (issue 19): a TIEBREAK FIRST + TIES DENSE tournament
/// with an EXPIREAT, created after last month's board was written, then written through
/// `SEASON monthly` and through the season's key named directly (REM, INCR, SUBMIT). Each
/// step checks the whole board's ranks against a model of arrivals and scores, the season
/// key's expiry (the earlier of the season's and the tournament's), and last month's board
/// read plain with PREVIOUS. Retried when the month turns during the run.
#[test]
fn season_boards_written_both_ways_match_the_model() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_month(&mut con, |con, month| {
        sh_ok(con, "FLUSHALL");
        // Last month's board, written before the tournament existed: PREVIOUS reads it plain.
        let now = server_ms(con);
        let monthly = tally_core::season::Period::Monthly;
        let this_month = tally_core::season::season_at(monthly, now);
        let last_month = tally_core::season::season_at(monthly, this_month.start_ms - 1).name;
        sh_ok(con, &format!("ZADD sm:{{1}}:{last_month} 5 old 7 older 5 eldest"));
        let previous = r#"[["older", "7", 1], ["old", "5", 2], ["eldest", "5", 2]]"#;
        // An EXPIREAT before the season's end ends the season's keys then.
        let expire_at = now + 3_600_000;
        sh_ok(con, &format!("TOURNEY.CREATE sm:{{1}} TIEBREAK FIRST TIES DENSE EXPIREAT {expire_at}"));
        let direct = format!("sm:{{1}}:{month}");
        // member -> (score, arrival), arrival counting each time a member reaches a score.
        let mut model: std::collections::BTreeMap<String, (i64, u64)> = std::collections::BTreeMap::new();
        let mut arrivals = 0u64;
        let mut rng = SplitMix64(0x5EA5_0E00);
        let mut next = |bound: u64| rng.below(bound);
        for step in 0..600 {
            let member = format!("p{}", next(8));
            let target = if next(2) == 0 { "sm:{1} ".to_string() } else { format!("{direct} ") };
            let season = if target.starts_with("sm:{1} ") { " SEASON monthly" } else { "" };
            let line = match next(10) {
                0..=4 => {
                    let delta = next(3) as i64 + 1;
                    let score = model.get(&member).map_or(0, |e| e.0) + delta;
                    arrivals += 1;
                    model.insert(member.clone(), (score, arrivals));
                    format!("TOURNEY.INCR {target}{member} {delta}{season}")
                }
                5..=7 => {
                    let score = next(12) as i64;
                    if model.get(&member).is_none_or(|e| score > e.0) {
                        arrivals += 1;
                        model.insert(member.clone(), (score, arrivals));
                    }
                    format!("TOURNEY.SUBMIT {target}{member} {score}{season}")
                }
                _ => {
                    model.remove(&member);
                    format!("TOURNEY.REM {target}{member}{season}")
                }
            };
            let reply = sh(con, &line);
            assert!(!reply.starts_with("(error)"), "step {step}: {line}: {reply}");
            // The board in the model's order: score down, then arrival.
            let mut order: Vec<(&String, &(i64, u64))> = model.iter().collect();
            order.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.1 .1.cmp(&b.1 .1)));
            let mut distinct: Vec<i64> = order.iter().map(|e| e.1 .0).collect();
            distinct.dedup();
            let entries: Vec<String> = order
                .iter()
                .map(|(m, (score, _))| {
                    let dense = distinct.iter().position(|s| s == score).unwrap_or(0) + 1;
                    format!(r#"["{m}", "{score}", {dense}]"#)
                })
                .collect();
            let expected = if entries.is_empty() { "[]".to_string() } else { format!("[{}]", entries.join(", ")) };
            assert_eq!(sh(con, "TOURNEY.TOP sm:{1} 20 SEASON monthly"), expected, "step {step} after {line}");
            assert_eq!(sh(con, &format!("TOURNEY.TOP {direct} 20")), expected, "step {step}: named directly");
            if !model.is_empty() {
                let expiry = expire_at.min(this_month.expire_at_ms).to_string();
                assert_eq!(sh(con, &format!("PEXPIRETIME {direct}")), expiry, "step {step}: the season's expiry");
            }
            if step % 50 == 0 {
                let read = sh(con, "TOURNEY.TOP sm:{1} 20 SEASON monthly PREVIOUS TIES COMPETITION");
                assert_eq!(read, previous, "step {step}: the previous season, plain");
            }
        }
    });
}

/// A season's key named directly is its tournament's season with that season's expiry, also
/// when a write through the name creates it (found in review of issue 19 #1).
#[test]
fn a_season_board_created_by_its_own_name_expires_with_its_season() {
    let server = Server::start();
    let mut con = server.connect();
    in_one_month(&mut con, |con, month| {
        sh_ok(con, "FLUSHALL");
        sh_ok(con, "TOURNEY.CREATE x:{1} TIEBREAK FIRST");
        sh_ok(con, &format!("TOURNEY.INCR x:{{1}}:{month} a 1"));
        sh_ok(con, "TOURNEY.INCR y:{1} a 1 SEASON monthly");
        let by_season = sh(con, &format!("PEXPIRETIME y:{{1}}:{month}"));
        assert_ne!(by_season, "-1");
        for key in ["", ":arrival", ":order"] {
            assert_eq!(sh(con, &format!("PEXPIRETIME x:{{1}}:{month}{key}")), by_season, "{key}");
        }
        let info = sh(con, &format!("TOURNEY.INFO x:{{1}}:{month}"));
        assert!(info.contains(&format!("\"expireat\", {by_season},")), "{info}");
    });
}
