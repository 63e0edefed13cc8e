//! TOURNEY.* against a real server with the module loaded: reply shapes with concrete
//! values, tie handling (checked against native ZREVRANK and against a reference built in
//! the test from ZRANGE WITHSCORES), interop with the native sorted-set commands, missing
//! keys, every documented error (each one leaving the data set untouched) and the configs.
//!
//! Every test starts its own server, so they run in parallel.

use crate::common::reply::{bulk, int, items, ok};
use crate::common::rng::{Lcg, Random};
use crate::common::*;
use redis::{Connection, Value};
use std::ops::Range;

/// The key of the README example; most tests use the short key `lb`.
const KEY: &str = "tournament:{t1}:scores";

const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

// ---- servers and commands ----------------------------------------------------------------

fn start() -> (Server, Connection) {
    connected(Server::start())
}

fn connected(server: Server) -> (Server, Connection) {
    let con = server.connect();
    (server, con)
}

/// The native ZSCORE of a member, rendered ("nil" when absent).
fn zscore(con: &mut Connection, key: &str, member: &str) -> String {
    run(con, &["ZSCORE", key, member])
}

/// The arguments rendered as one line, for failure messages.
fn show<A: AsRef<[u8]>>(args: &[A]) -> String {
    args.iter().map(|arg| String::from_utf8_lossy(arg.as_ref()).into_owned()).collect::<Vec<_>>().join(" ")
}

// ---- refusals ----------------------------------------------------------------------------

/// Every key with its DUMP payload: equal snapshots mean nothing was written.
fn snapshot(con: &mut Connection) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS");
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&key).query(con).expect("DUMP");
            (key, dump)
        })
        .collect()
}

/// Asserts a command is refused with exactly `error` and leaves every key as it was.
fn assert_refused<A: AsRef<[u8]>>(con: &mut Connection, args: &[A], error: &str) {
    let before = snapshot(con);
    assert_eq!(run(con, args), format!("(error) {error}"), "reply to: {}", show(args));
    assert_eq!(snapshot(con), before, "the data set changed after: {}", show(args));
}

/// `assert_refused` for a command line split on spaces.
fn refused(con: &mut Connection, line: &str, error: &str) {
    assert_refused(con, &line.split(' ').collect::<Vec<_>>(), error);
}

/// One call of every TOURNEY command on `key` (member `m`), as command lines.
fn every_command(key: &str) -> Vec<String> {
    [
        "TOURNEY.INCR {} m 1",
        "TOURNEY.SUBMIT {} m 1",
        "TOURNEY.SUBMIT {} m 1 LATEST",
        "TOURNEY.RANK {} m",
        "TOURNEY.RANK {} m WITHSCORE TIES COMPETITION",
        "TOURNEY.TOP {} 1",
        "TOURNEY.TOP {} 1 OFFSET 1 TIES COMPETITION",
        "TOURNEY.AROUND {} m 1",
        "TOURNEY.AROUND {} m 1 TIES COMPETITION",
        "TOURNEY.PERCENTILE {} m",
        "TOURNEY.REM {} m",
    ]
    .iter()
    .map(|line| line.replace("{}", key))
    .collect()
}

// ---- rankings ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ties {
    Ordinal,
    Competition,
}

const BOTH_TIES: [Ties; 2] = [Ties::Ordinal, Ties::Competition];

impl Ties {
    fn word(self) -> &'static str {
        match self {
            Ties::Ordinal => "ORDINAL",
            Ties::Competition => "COMPETITION",
        }
    }
}

/// One `[member, score, rank]` entry of a TOP or AROUND reply.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    member: String,
    score: String,
    rank: i64,
}

fn entries(value: &Value) -> Vec<Entry> {
    items(value)
        .iter()
        .map(|entry| match items(entry) {
            [member, score, rank] => Entry { member: bulk(member), score: bulk(score), rank: int(rank) },
            other => panic!("expected [member, score, rank], got {other:?}"),
        })
        .collect()
}

fn top(con: &mut Connection, key: &str, count: usize, offset: usize, ties: Ties) -> Vec<Entry> {
    let (count, offset) = (count.to_string(), offset.to_string());
    entries(&ok(con, &["TOURNEY.TOP", key, &count, "OFFSET", &offset, "TIES", ties.word()]))
}

fn around(con: &mut Connection, key: &str, member: &str, radius: usize, ties: Ties) -> Vec<Entry> {
    entries(&ok(con, &["TOURNEY.AROUND", key, member, &radius.to_string(), "TIES", ties.word()]))
}

fn rank(con: &mut Connection, key: &str, member: &str, ties: Ties) -> i64 {
    int(&ok(con, &["TOURNEY.RANK", key, member, "TIES", ties.word()]))
}

fn percentile(con: &mut Connection, key: &str, member: &str) -> f64 {
    let reply = bulk(&ok(con, &["TOURNEY.PERCENTILE", key, member]));
    reply.parse().unwrap_or_else(|_| panic!("PERCENTILE replied {reply:?}"))
}

/// Asserts every entry of a TOP / AROUND page carries the rank TOURNEY.RANK gives it.
fn assert_ranks_agree(con: &mut Connection, key: &str, page: &[Entry], ties: Ties) {
    for entry in page {
        assert_eq!(rank(con, key, &entry.member, ties), entry.rank, "{entry:?} with TIES {}", ties.word());
    }
}

/// The reference leaderboard: the set as native ZRANGE WITHSCORES lists it, reversed so
/// that the best entry comes first; ranks and windows are computed here, independently.
struct Board {
    /// (member, score as Redis formats it, score), best first.
    entries: Vec<(String, String, f64)>,
}

impl Board {
    fn load(con: &mut Connection, key: &str) -> Board {
        let flat = ok(con, &["ZRANGE", key, "0", "-1", "WITHSCORES"]);
        let mut entries: Vec<(String, String, f64)> = items(&flat)
            .chunks(2)
            .map(|pair| {
                let score = bulk(&pair[1]);
                let value = score.parse().expect("a numeric score");
                (bulk(&pair[0]), score, value)
            })
            .collect();
        entries.reverse();
        // The contract assumes Redis keeps equal scores in member byte order (reversed here).
        for pair in entries.windows(2) {
            let ((a, _, x), (b, _, y)) = (&pair[0], &pair[1]);
            assert!(x > y || (x == y && a.as_bytes() > b.as_bytes()), "unexpected order: {a} {x}, {b} {y}");
        }
        Board { entries }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn members(&self) -> Vec<String> {
        self.entries.iter().map(|(member, _, _)| member.clone()).collect()
    }

    fn rank(&self, index: usize, ties: Ties) -> i64 {
        let score = self.entries[index].2;
        let rank = match ties {
            Ties::Ordinal => index + 1,
            Ties::Competition => 1 + self.entries.iter().filter(|entry| entry.2 > score).count(),
        };
        rank as i64
    }

    fn page(&self, range: Range<usize>, ties: Ties) -> Vec<Entry> {
        let range = range.start.min(self.len())..range.end.min(self.len());
        range
            .map(|index| {
                let (member, score, _) = &self.entries[index];
                Entry { member: member.clone(), score: score.clone(), rank: self.rank(index, ties) }
            })
            .collect()
    }

    /// The AROUND window: 2 * radius + 1 entries centred on `index`, shifted inside the board.
    fn around(&self, index: usize, radius: usize) -> Range<usize> {
        let width = (2 * radius + 1).min(self.len());
        let start = index.saturating_sub(radius).min(self.len() - width);
        start..start + width
    }

    fn percentile(&self, index: usize) -> f64 {
        let score = self.entries[index].2;
        let at_or_below = self.entries.iter().filter(|entry| entry.2 <= score).count();
        100.0 * at_or_below as f64 / self.len() as f64
    }
}

// ---- reply shapes ------------------------------------------------------------------------

#[test]
fn incr_creates_members_and_replies_score_and_rank() {
    let (_server, mut con) = start();
    assert_eq!(run(&mut con, &["TOURNEY.INCR", KEY, "alice", "10"]), r#"["10", 1]"#);
    assert_eq!(zscore(&mut con, KEY, "alice"), r#""10""#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} bob 15")), r#"["15", 1]"#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice 2")), r#"["12", 2]"#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice 10")), r#"["22", 1]"#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice 0.5")), r#"["22.5", 1]"#);
    // Negative deltas, down past zero.
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice -30")), r#"["-7.5", 2]"#);
    assert_eq!(zscore(&mut con, KEY, "alice"), r#""-7.5""#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} carol -2.5")), r#"["-2.5", 2]"#);
    // A zero delta still creates the member; "-0" never shows as a negative zero.
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} dave 0")), r#"["0", 2]"#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} dave -0")), r#"["0", 2]"#);
    assert_eq!(zscore(&mut con, KEY, "dave"), r#""0""#);
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice 7.5")), r#"["0", 3]"#);
    assert_eq!(zscore(&mut con, KEY, "alice"), r#""0""#);
    assert_eq!(sh_ok(&mut con, &format!("ZCARD {KEY}")), "4");
}

#[test]
fn scores_are_formatted_like_zscore() {
    let (_server, mut con) = start();
    let deltas: &[(&str, &[&str])] = &[
        ("a", &["0.1", "0.2"]),
        ("b", &["1.5e300", "1e299"]),
        ("c", &["1e-7", "-3e-9"]),
        ("d", &["0.3333333333333333", "10"]),
        ("e", &["-1.7976931348623157e308"]),
        ("f", &["123456789.125", "-0.001"]),
    ];
    for (member, steps) in deltas {
        for delta in *steps {
            let reply = ok(&mut con, &["TOURNEY.INCR", "lb", member, delta]);
            assert_eq!(format!("\"{}\"", bulk(&items(&reply)[0])), zscore(&mut con, "lb", member), "{member} +{delta}");
        }
    }
    let a: f64 = bulk(&ok(&mut con, &["ZSCORE", "lb", "a"])).parse().unwrap();
    assert_eq!(a, 0.1 + 0.2);
    for (member, _) in deltas {
        let stored = zscore(&mut con, "lb", member);
        let submitted = ok(&mut con, &["TOURNEY.SUBMIT", "lb", member, "-1.7976931348623157e308"]);
        assert_eq!(format!("\"{}\"", bulk(&items(&submitted)[0])), stored, "SUBMIT BEST of {member}");
        assert_eq!(
            format!("\"{}\"", bulk(&items(&ok(&mut con, &["TOURNEY.RANK", "lb", member, "WITHSCORE"]))[1])),
            stored
        );
        for ties in BOTH_TIES {
            let window = around(&mut con, "lb", member, 0, ties);
            assert_eq!(format!("\"{}\"", window[0].score), stored, "AROUND {member}");
        }
    }
    for entry in top(&mut con, "lb", 10, 0, Ties::Ordinal) {
        assert_eq!(format!("\"{}\"", entry.score), zscore(&mut con, "lb", &entry.member), "TOP {}", entry.member);
    }
    // SUBMIT LATEST stores the submitted double exactly.
    let reply = ok(&mut con, &["TOURNEY.SUBMIT", "lb", "g", "2.718281828459045", "LATEST"]);
    assert_eq!(format!("\"{}\"", bulk(&items(&reply)[0])), zscore(&mut con, "lb", "g"));
    assert_eq!(bulk(&ok(&mut con, &["ZSCORE", "lb", "g"])).parse::<f64>().unwrap(), std::f64::consts::E);
}

#[test]
fn submit_best_keeps_the_higher_score() {
    let (_server, mut con) = start();
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 50"), r#"["50", 1, 1]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb bob 70"), r#"["70", 1, 1]"#);
    // Lower: kept, not updated.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 40"), r#"["50", 2, 0]"#);
    assert_eq!(zscore(&mut con, "lb", "alice"), r#""50""#);
    // Equal: not updated.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 50 BEST"), r#"["50", 2, 0]"#);
    // Higher: stored.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 80 BEST"), r#"["80", 1, 1]"#);
    assert_eq!(zscore(&mut con, "lb", "alice"), r#""80""#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 79.5 best"), r#"["80", 1, 0]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 80.25 best"), r#"["80.25", 1, 1]"#);
    // A new member with a negative score.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb carol -3"), r#"["-3", 3, 1]"#);
    assert_eq!(sh_ok(&mut con, "ZRANGE lb 0 -1 WITHSCORES"), r#"["carol", "-3", "bob", "70", "alice", "80.25"]"#);
}

#[test]
fn submit_latest_always_stores() {
    let (_server, mut con) = start();
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 50 LATEST"), r#"["50", 1, 1]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb bob 70 LATEST"), r#"["70", 1, 1]"#);
    // Lower: stored.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 40 LATEST"), r#"["40", 2, 1]"#);
    assert_eq!(zscore(&mut con, "lb", "alice"), r#""40""#);
    // Equal: not updated.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 40 latest"), r#"["40", 2, 0]"#);
    // Higher: stored.
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice 90 LATEST"), r#"["90", 1, 1]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb alice -5.5 LATEST"), r#"["-5.5", 2, 1]"#);
    assert_eq!(zscore(&mut con, "lb", "alice"), r#""-5.5""#);
    assert_eq!(sh_ok(&mut con, "ZRANGE lb 0 -1 WITHSCORES"), r#"["alice", "-5.5", "bob", "70"]"#);
}

#[test]
fn rank_with_and_without_score() {
    let (_server, mut con) = start();
    // Best first, equal scores in reverse member order: a 30, c 20, b 20, d 10.
    sh_ok(&mut con, "ZADD lb 30 a 20 b 20 c 10 d");
    let expected = [
        ("TOURNEY.RANK lb a", "1"),
        ("TOURNEY.RANK lb c", "2"),
        ("TOURNEY.RANK lb b", "3"),
        ("TOURNEY.RANK lb d", "4"),
        ("TOURNEY.RANK lb b WITHSCORE", r#"[3, "20"]"#),
        ("TOURNEY.RANK lb b TIES ORDINAL", "3"),
        ("TOURNEY.RANK lb b TIES COMPETITION", "2"),
        ("TOURNEY.RANK lb c TIES COMPETITION", "2"),
        ("TOURNEY.RANK lb d TIES COMPETITION", "4"),
        ("TOURNEY.RANK lb b WITHSCORE TIES COMPETITION", r#"[2, "20"]"#),
        ("TOURNEY.RANK lb b TIES COMPETITION WITHSCORE", r#"[2, "20"]"#),
        ("TOURNEY.RANK lb b ties ordinal withscore", r#"[3, "20"]"#),
        ("TOURNEY.RANK lb d WITHSCORE", r#"[4, "10"]"#),
        ("TOURNEY.RANK lb nobody", "nil"),
        ("TOURNEY.RANK lb nobody WITHSCORE", "nil"),
        ("TOURNEY.RANK lb nobody TIES COMPETITION", "nil"),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
}

#[test]
fn top_pages_with_count_and_offset() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD lb 50 a 40 b 30 c 20 d 10 e");
    let expected = [
        ("TOURNEY.TOP lb 2", r#"[["a", "50", 1], ["b", "40", 2]]"#),
        ("TOURNEY.TOP lb 1", r#"[["a", "50", 1]]"#),
        ("TOURNEY.TOP lb 10", r#"[["a", "50", 1], ["b", "40", 2], ["c", "30", 3], ["d", "20", 4], ["e", "10", 5]]"#),
        ("TOURNEY.TOP lb 1000", r#"[["a", "50", 1], ["b", "40", 2], ["c", "30", 3], ["d", "20", 4], ["e", "10", 5]]"#),
        ("TOURNEY.TOP lb 2 OFFSET 0", r#"[["a", "50", 1], ["b", "40", 2]]"#),
        ("TOURNEY.TOP lb 2 OFFSET 1", r#"[["b", "40", 2], ["c", "30", 3]]"#),
        ("TOURNEY.TOP lb 10 OFFSET 3", r#"[["d", "20", 4], ["e", "10", 5]]"#),
        ("TOURNEY.TOP lb 1 offset 4", r#"[["e", "10", 5]]"#),
        ("TOURNEY.TOP lb 3 OFFSET 5", "[]"),
        ("TOURNEY.TOP lb 3 OFFSET 6 TIES COMPETITION", "[]"),
        ("TOURNEY.TOP lb 1000 OFFSET 9223372036854775807", "[]"),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
}

#[test]
fn top_tie_modes() {
    let (_server, mut con) = start();
    // Ordinal order: d c b (all 20), a 10, e 5.
    sh_ok(&mut con, "ZADD lb 10 a 20 b 20 c 20 d 5 e");
    let expected = [
        ("TOURNEY.TOP lb 5", r#"[["d", "20", 1], ["c", "20", 2], ["b", "20", 3], ["a", "10", 4], ["e", "5", 5]]"#),
        (
            "TOURNEY.TOP lb 5 TIES ORDINAL",
            r#"[["d", "20", 1], ["c", "20", 2], ["b", "20", 3], ["a", "10", 4], ["e", "5", 5]]"#,
        ),
        (
            "TOURNEY.TOP lb 5 TIES COMPETITION",
            r#"[["d", "20", 1], ["c", "20", 1], ["b", "20", 1], ["a", "10", 4], ["e", "5", 5]]"#,
        ),
        // A page that starts inside a tie group keeps the group's rank.
        ("TOURNEY.TOP lb 2 OFFSET 1 TIES COMPETITION", r#"[["c", "20", 1], ["b", "20", 1]]"#),
        ("TOURNEY.TOP lb 2 TIES COMPETITION OFFSET 2", r#"[["b", "20", 1], ["a", "10", 4]]"#),
        ("TOURNEY.TOP lb 2 OFFSET 3 TIES COMPETITION", r#"[["a", "10", 4], ["e", "5", 5]]"#),
        ("TOURNEY.TOP lb 2 OFFSET 1 TIES ORDINAL", r#"[["c", "20", 2], ["b", "20", 3]]"#),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
}

#[test]
fn around_windows_stay_inside_the_board() {
    let (_server, mut con) = start();
    // a 100 (rank 1) down to j 10 (rank 10).
    sh_ok(&mut con, "ZADD lb 100 a 90 b 80 c 70 d 60 e 50 f 40 g 30 h 20 i 10 j");
    let ranks = |from: i64, to: i64| -> String {
        let page: Vec<String> = (from..=to)
            .map(|rank| {
                let member = (b'a' + (rank - 1) as u8) as char;
                format!(r#"["{member}", "{}", {rank}]"#, 110 - 10 * rank)
            })
            .collect();
        format!("[{}]", page.join(", "))
    };
    let expected = [
        ("TOURNEY.AROUND lb e 2", ranks(3, 7)),
        ("TOURNEY.AROUND lb a 2", ranks(1, 5)),
        ("TOURNEY.AROUND lb b 2", ranks(1, 5)),
        ("TOURNEY.AROUND lb c 2", ranks(1, 5)),
        ("TOURNEY.AROUND lb d 2", ranks(2, 6)),
        ("TOURNEY.AROUND lb h 2", ranks(6, 10)),
        ("TOURNEY.AROUND lb i 2", ranks(6, 10)),
        ("TOURNEY.AROUND lb j 2", ranks(6, 10)),
        ("TOURNEY.AROUND lb e 0", ranks(5, 5)),
        ("TOURNEY.AROUND lb a 0", ranks(1, 1)),
        ("TOURNEY.AROUND lb j 0", ranks(10, 10)),
        ("TOURNEY.AROUND lb j 1", ranks(8, 10)),
        ("TOURNEY.AROUND lb e 4", ranks(1, 9)),
        ("TOURNEY.AROUND lb e 5", ranks(1, 10)),
        ("TOURNEY.AROUND lb e 20", ranks(1, 10)),
        ("TOURNEY.AROUND lb j 499", ranks(1, 10)),
        ("TOURNEY.AROUND lb e 2 TIES COMPETITION", ranks(3, 7)),
        ("TOURNEY.AROUND lb nobody 2", "nil".to_string()),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
    // Every member and radius: min(2 * radius + 1, N) entries, the member inside.
    let board = Board::load(&mut con, "lb");
    for (index, member) in board.members().iter().enumerate() {
        for radius in 0..=6 {
            for ties in BOTH_TIES {
                let window = around(&mut con, "lb", member, radius, ties);
                assert_eq!(window.len(), (2 * radius + 1).min(board.len()), "AROUND {member} {radius}");
                assert!(window.iter().any(|entry| &entry.member == member), "AROUND {member} {radius}");
                assert_eq!(window, board.page(board.around(index, radius), ties), "AROUND {member} {radius}");
            }
        }
    }
}

#[test]
fn around_tie_modes() {
    let (_server, mut con) = start();
    // Ordinal order: d c b (all 20), a 10, e 5.
    sh_ok(&mut con, "ZADD lb 10 a 20 b 20 c 20 d 5 e");
    let expected = [
        ("TOURNEY.AROUND lb b 1", r#"[["c", "20", 2], ["b", "20", 3], ["a", "10", 4]]"#),
        ("TOURNEY.AROUND lb b 1 TIES ORDINAL", r#"[["c", "20", 2], ["b", "20", 3], ["a", "10", 4]]"#),
        ("TOURNEY.AROUND lb b 1 TIES COMPETITION", r#"[["c", "20", 1], ["b", "20", 1], ["a", "10", 4]]"#),
        ("TOURNEY.AROUND lb e 1 TIES COMPETITION", r#"[["b", "20", 1], ["a", "10", 4], ["e", "5", 5]]"#),
        ("TOURNEY.AROUND lb d 1 ties competition", r#"[["d", "20", 1], ["c", "20", 1], ["b", "20", 1]]"#),
        ("TOURNEY.AROUND lb b 0 TIES COMPETITION", r#"[["b", "20", 1]]"#),
        (
            "TOURNEY.AROUND lb a 10 TIES COMPETITION",
            r#"[["d", "20", 1], ["c", "20", 1], ["b", "20", 1], ["a", "10", 4], ["e", "5", 5]]"#,
        ),
        ("TOURNEY.AROUND lb nobody 1 TIES COMPETITION", "nil"),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
}

#[test]
fn percentile_counts_members_at_or_below() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD lb 10 a 20 b 30 c 40 d");
    for (member, reply) in [("a", "25"), ("b", "50"), ("c", "75"), ("d", "100")] {
        assert_eq!(run(&mut con, &["TOURNEY.PERCENTILE", "lb", member]), format!("\"{reply}\""), "{member}");
    }
    // Ties count as at or below.
    sh_ok(&mut con, "ZADD ties 10 a 20 b 20 c 30 d");
    for (member, reply) in [("a", "25"), ("b", "75"), ("c", "75"), ("d", "100")] {
        assert_eq!(run(&mut con, &["TOURNEY.PERCENTILE", "ties", member]), format!("\"{reply}\""), "{member}");
    }
    sh_ok(&mut con, "ZADD all 7 a 7 b 7 c");
    assert_eq!(sh_ok(&mut con, "TOURNEY.PERCENTILE all a"), r#""100""#);
    sh_ok(&mut con, "ZADD one -4 a");
    assert_eq!(sh_ok(&mut con, "TOURNEY.PERCENTILE one a"), r#""100""#);
    sh_ok(&mut con, "ZADD thirds 1 a 2 b 3 c");
    assert_eq!(percentile(&mut con, "thirds", "a"), 100.0 / 3.0);
    assert_eq!(percentile(&mut con, "thirds", "b"), 200.0 / 3.0);
    assert_eq!(sh_ok(&mut con, "TOURNEY.PERCENTILE lb nobody"), "nil");
}

#[test]
fn rem_counts_removed_members_and_deletes_empty_keys() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD lb 1 a 2 b 3 c 4 d");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb a"), "1");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb a"), "0");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb b x y"), "1");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb x y"), "0");
    assert_eq!(sh_ok(&mut con, "ZRANGE lb 0 -1 WITHSCORES"), r#"["c", "3", "d", "4"]"#);
    // A member named twice is removed once, as ZREM counts it.
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb c c"), "1");
    assert_eq!(sh_ok(&mut con, "EXISTS lb"), "1");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb d nobody"), "1");
    assert_eq!(sh_ok(&mut con, "EXISTS lb"), "0");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb d"), "0");
    assert_eq!(sh_ok(&mut con, "EXISTS lb"), "0");
}

// ---- ties and the reference ----------------------------------------------------------------

#[test]
fn ties_follow_zrevrank_and_competition_shares_ranks() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD small 40 w 30 x 30 y 10 z");
    let competition: Vec<i64> = top(&mut con, "small", 4, 0, Ties::Competition).iter().map(|e| e.rank).collect();
    assert_eq!(competition, [1, 2, 2, 4]);
    for (member, expected) in [("w", 1), ("x", 2), ("y", 2), ("z", 4)] {
        assert_eq!(rank(&mut con, "small", member, Ties::Competition), expected, "{member}");
    }

    let scores: &[(&str, f64)] = &[
        ("g", 9.0),
        ("b", 7.0),
        ("c", 7.0),
        ("d", 7.0),
        ("bb", 7.0),
        ("B", 7.0),
        ("a", 5.0),
        ("f", 5.0),
        ("e", 3.0),
        ("zz", 3.0),
        ("A", 3.0),
        ("m", -1.0),
        ("n", -1.0),
    ];
    for (member, score) in scores {
        sh_ok(&mut con, &format!("ZADD lb {score} {member}"));
    }
    for (member, score) in scores {
        let revrank = int(&ok(&mut con, &["ZREVRANK", "lb", member]));
        assert_eq!(rank(&mut con, "lb", member, Ties::Ordinal), revrank + 1, "{member}");
        assert_eq!(int(&ok(&mut con, &["TOURNEY.RANK", "lb", member])), revrank + 1, "{member} (default)");
        let higher = scores.iter().filter(|(_, other)| other > score).count() as i64;
        assert_eq!(rank(&mut con, "lb", member, Ties::Competition), higher + 1, "{member}");
    }
    let competition: Vec<i64> = top(&mut con, "lb", 20, 0, Ties::Competition).iter().map(|e| e.rank).collect();
    assert_eq!(competition, [1, 2, 2, 2, 2, 2, 7, 7, 9, 9, 9, 12, 12]);

    for ties in BOTH_TIES {
        for (count, offset) in [(20, 0), (3, 0), (4, 2), (5, 7), (2, 11)] {
            let page = top(&mut con, "lb", count, offset, ties);
            assert_ranks_agree(&mut con, "lb", &page, ties);
        }
        for (member, _) in scores {
            for radius in [0, 1, 2, 4] {
                let window = around(&mut con, "lb", member, radius, ties);
                assert_ranks_agree(&mut con, "lb", &window, ties);
            }
        }
    }
}

#[test]
fn randomized_boards_match_the_reference() {
    let (_server, mut con) = start();
    let mut rng = Lcg(0x7a11_7e57);
    // Scores from a small set of halves, so that ties are common; writes mix native and
    // TOURNEY commands, and members are hit more than once.
    for _ in 0..420 {
        let member = format!("p{}", rng.below(330));
        let score = (rng.below(13) as f64 * 0.5 - 2.0).to_string();
        let delta = (rng.below(5) as f64 * 0.5 - 1.0).to_string();
        match rng.below(4) {
            0 => ok(&mut con, &["ZADD", "lb", &score, &member]),
            1 => ok(&mut con, &["TOURNEY.SUBMIT", "lb", &member, &score, "LATEST"]),
            2 => ok(&mut con, &["TOURNEY.SUBMIT", "lb", &member, &score]),
            _ => ok(&mut con, &["TOURNEY.INCR", "lb", &member, &delta]),
        };
    }
    for _ in 0..20 {
        ok(&mut con, &["TOURNEY.REM", "lb", &format!("p{}", rng.below(330))]);
    }
    let n = assert_matches_reference(&mut con, "lb", &[0, 1, 3, 40, 149]);
    assert!(n > 200, "the board should be large enough to use a skiplist, it has {n} members");
}

#[test]
fn adjacent_doubles_and_infinities_rank_exactly() {
    let (_server, mut con) = start();
    // Neighbouring doubles must not tie: the bounds of the counts behind COMPETITION and
    // PERCENTILE are exact.
    let next = |x: f64| f64::from_bits(x.to_bits() + 1).to_string();
    let scores = [
        ("a", "0.3".to_string()),
        ("b", (0.1 + 0.2_f64).to_string()),
        ("c", "1e300".to_string()),
        ("d", next(1e300)),
        ("e", "5e-324".to_string()),
        ("f", "0".to_string()),
        ("g", "-2.5".to_string()),
        ("h", next(-2.5)),
        ("i", "0.3".to_string()),
    ];
    for (member, score) in &scores {
        ok(&mut con, &["ZADD", "lb", score, member]);
    }
    assert_matches_reference(&mut con, "lb", &[0, 1, 2, 4]);
    let competition: Vec<i64> = top(&mut con, "lb", 10, 0, Ties::Competition).iter().map(|e| e.rank).collect();
    assert_eq!(competition, [1, 2, 3, 4, 4, 6, 7, 8, 9]);

    // Native ZADD accepts infinite scores; they rank like any other.
    sh_ok(&mut con, "ZADD inf inf a inf b 5 c -inf d -inf e");
    assert_matches_reference(&mut con, "inf", &[0, 1, 2]);
    assert_eq!(
        sh_ok(&mut con, "TOURNEY.TOP inf 5 TIES COMPETITION"),
        r#"[["b", "inf", 1], ["a", "inf", 1], ["c", "5", 3], ["e", "-inf", 4], ["d", "-inf", 4]]"#
    );
    assert_eq!(sh_ok(&mut con, "TOURNEY.PERCENTILE inf d"), r#""40""#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT inf a 7"), r#"["inf", 2, 0]"#);
    refused(&mut con, "TOURNEY.INCR inf a 1", "ERR increment would produce a score that is not a finite number");
    refused(&mut con, "TOURNEY.INCR inf d -1", "ERR increment would produce a score that is not a finite number");
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT inf a 7 LATEST"), r#"["7", 2, 1]"#);
}

/// Checks TOP (whole board and pages), RANK (with and without the score), AROUND (every
/// member, each radius) and PERCENTILE against the reference, in both tie modes.
/// Returns the number of members.
fn assert_matches_reference(con: &mut Connection, key: &str, radii: &[usize]) -> usize {
    let board = Board::load(con, key);
    let n = board.len();
    for ties in BOTH_TIES {
        assert_eq!(top(con, key, 1000, 0, ties), board.page(0..n, ties), "TOP 1000 {ties:?}");
        for count in [1, 2, 50] {
            let page = entries(&ok(con, &["TOURNEY.TOP", key, &count.to_string(), "TIES", ties.word()]));
            assert_eq!(page, board.page(0..count, ties), "TOP {count} {ties:?}");
        }
        let page = (n / 8).max(1);
        for offset in (0..n + 2 * page).step_by(page) {
            assert_eq!(top(con, key, page, offset, ties), board.page(offset..offset + page, ties), "OFFSET {offset}");
        }
        for (index, member) in board.members().iter().enumerate() {
            let expected = board.rank(index, ties);
            assert_eq!(rank(con, key, member, ties), expected, "RANK {member} {ties:?}");
            let with_score = ok(con, &["TOURNEY.RANK", key, member, "WITHSCORE", "TIES", ties.word()]);
            assert_eq!(int(&items(&with_score)[0]), expected, "RANK {member} WITHSCORE {ties:?}");
            assert_eq!(bulk(&items(&with_score)[1]), board.entries[index].1, "RANK {member} WITHSCORE {ties:?}");
            for &radius in radii {
                let window = around(con, key, member, radius, ties);
                assert_eq!(window, board.page(board.around(index, radius), ties), "AROUND {member} {radius} {ties:?}");
            }
        }
    }
    for (index, member) in board.members().iter().enumerate() {
        assert_eq!(percentile(con, key, member), board.percentile(index), "PERCENTILE {member}");
    }
    n
}

// ---- native interop and missing keys -----------------------------------------------------

#[test]
fn native_and_tourney_commands_share_the_key() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "ZADD lb 10 alice 20 bob");
    sh_ok(&mut con, "ZINCRBY lb 15 alice");
    assert_eq!(sh_ok(&mut con, "TOURNEY.RANK lb alice WITHSCORE"), r#"[1, "25"]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP lb 5"), r#"[["alice", "25", 1], ["bob", "20", 2]]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.INCR lb bob 1.5"), r#"["21.5", 2]"#);
    assert_eq!(zscore(&mut con, "lb", "bob"), r#""21.5""#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.SUBMIT lb carol 30"), r#"["30", 1, 1]"#);
    assert_eq!(sh_ok(&mut con, "ZRANGE lb 0 -1 WITHSCORES"), r#"["bob", "21.5", "alice", "25", "carol", "30"]"#);
    assert_eq!(sh_ok(&mut con, "ZREVRANK lb carol"), "0");
    assert_eq!(sh_ok(&mut con, "TYPE lb"), "zset");
    assert_eq!(sh_ok(&mut con, "ZINCRBY lb 10 bob"), r#""31.5""#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.AROUND lb bob 0"), r#"[["bob", "31.5", 1]]"#);
    assert_eq!(percentile(&mut con, "lb", "alice"), 100.0 / 3.0);
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM lb alice"), "1");
    assert_eq!(zscore(&mut con, "lb", "alice"), "nil");
    assert_eq!(sh_ok(&mut con, "ZCARD lb"), "2");
    sh_ok(&mut con, "ZREM lb bob");
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP lb 5"), r#"[["carol", "30", 1]]"#);

    // A set large enough for the skiplist encoding, written natively.
    let members: Vec<String> = (0..300).map(|i| format!("{} m{i:03}", i % 17)).collect();
    let mut zadd = vec!["ZADD", "big"];
    zadd.extend(members.iter().flat_map(|pair| pair.split(' ')));
    ok(&mut con, &zadd);
    for member in ["m000", "m016", "m017", "m150", "m299"] {
        let revrank = int(&ok(&mut con, &["ZREVRANK", "big", member]));
        assert_eq!(rank(&mut con, "big", member, Ties::Ordinal), revrank + 1, "{member}");
    }
    let board = Board::load(&mut con, "big");
    assert_eq!(top(&mut con, "big", 20, 0, Ties::Competition), board.page(0..20, Ties::Competition));
    assert_eq!(sh_ok(&mut con, "TOURNEY.INCR big m000 100"), r#"["100", 1]"#);
    assert_eq!(sh_ok(&mut con, "ZREVRANGE big 0 0 WITHSCORES"), r#"["m000", "100"]"#);
}

#[test]
fn binary_members_round_trip() {
    let (_server, mut con) = start();
    let members: [&[u8]; 4] = [b"a\0b", b"\xff\xfe", b"sp ace", b"\r\n"];
    for (delta, member) in members.iter().enumerate() {
        let delta = (delta + 1).to_string();
        assert_eq!(
            run(&mut con, &[&b"TOURNEY.INCR"[..], b"lb", member, delta.as_bytes()]),
            format!("[\"{delta}\", 1]")
        );
    }
    let member_bytes = |page: &Value| -> Vec<Vec<u8>> {
        items(page)
            .iter()
            .map(|entry| match &items(entry)[0] {
                Value::BulkString(bytes) => bytes.clone(),
                other => panic!("expected a member, got {other:?}"),
            })
            .collect()
    };
    let best_first: Vec<Vec<u8>> = members.iter().rev().map(|member| member.to_vec()).collect();
    // The first page is walked in place, later pages come from ZRANGE: both keep the bytes.
    assert_eq!(member_bytes(&ok(&mut con, &["TOURNEY.TOP", "lb", "10"])), best_first);
    assert_eq!(member_bytes(&ok(&mut con, &["TOURNEY.TOP", "lb", "10", "OFFSET", "1"])), best_first[1..]);
    let window = redis::cmd("TOURNEY.AROUND").arg("lb").arg(members[0]).arg(1).query::<Value>(&mut con).unwrap();
    assert_eq!(member_bytes(&window), best_first[1..]);
    for (index, member) in members.iter().enumerate() {
        let rank: i64 = redis::cmd("TOURNEY.RANK").arg("lb").arg(*member).query(&mut con).unwrap();
        assert_eq!(rank, 4 - index as i64);
    }
    assert_eq!(run(&mut con, &[&b"TOURNEY.REM"[..], b"lb", members[0], members[1]]), "2");
    assert_eq!(sh_ok(&mut con, "ZCARD lb"), "2");
}

#[test]
fn missing_keys_read_as_empty() {
    let (mut server, mut con) = start();
    let expected = [
        ("TOURNEY.RANK none a", "nil"),
        ("TOURNEY.RANK none a WITHSCORE", "nil"),
        ("TOURNEY.RANK none a WITHSCORE TIES COMPETITION", "nil"),
        ("TOURNEY.AROUND none a 3", "nil"),
        ("TOURNEY.AROUND none a 0 TIES COMPETITION", "nil"),
        ("TOURNEY.PERCENTILE none a", "nil"),
        ("TOURNEY.TOP none 10", "[]"),
        ("TOURNEY.TOP none 10 OFFSET 5 TIES COMPETITION", "[]"),
        ("TOURNEY.TOP none 1 TIES ORDINAL", "[]"),
        ("TOURNEY.REM none a b", "0"),
    ];
    for (line, reply) in expected {
        assert_eq!(sh_ok(&mut con, line), reply, "{line}");
    }
    assert_eq!(sh_ok(&mut con, "DBSIZE"), "0");
    // A missing member of an existing key reads the same way.
    sh_ok(&mut con, "ZADD lb 1 a");
    for line in ["TOURNEY.RANK lb b", "TOURNEY.RANK lb b WITHSCORE", "TOURNEY.AROUND lb b 2", "TOURNEY.PERCENTILE lb b"]
    {
        assert_eq!(sh_ok(&mut con, line), "nil", "{line}");
    }
    assert!(server.is_up());
}

// ---- errors ------------------------------------------------------------------------------

#[test]
fn wrong_arity_is_refused() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1 m 2 n");
    let cases: &[(&str, &[&str])] = &[
        ("tourney.incr", &["TOURNEY.INCR", "TOURNEY.INCR k", "TOURNEY.INCR k m", "TOURNEY.INCR k m 1 DATA x y"]),
        ("tourney.submit", &["TOURNEY.SUBMIT k", "TOURNEY.SUBMIT k m", "TOURNEY.SUBMIT k m 1 BEST DATA x LATEST"]),
        ("tourney.rank", &["TOURNEY.RANK", "TOURNEY.RANK k", "TOURNEY.RANK k m WITHSCORE TIES ORDINAL WITHSCORE"]),
        ("tourney.top", &["TOURNEY.TOP", "TOURNEY.TOP k", "TOURNEY.TOP k 1 OFFSET 0 TIES ORDINAL OFFSET 1"]),
        ("tourney.around", &["TOURNEY.AROUND k", "TOURNEY.AROUND k m", "TOURNEY.AROUND k m 1 TIES ORDINAL WITHDATA x"]),
        ("tourney.percentile", &["TOURNEY.PERCENTILE", "TOURNEY.PERCENTILE k", "TOURNEY.PERCENTILE k m n"]),
        ("tourney.rem", &["TOURNEY.REM", "TOURNEY.REM k"]),
    ];
    for (name, lines) in cases {
        for line in *lines {
            refused(&mut con, line, &format!("ERR wrong number of arguments for '{name}' command"));
        }
    }
    assert!(server.is_up());
}

#[test]
fn unknown_options_are_syntax_errors() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1 m 2 n");
    for line in [
        "TOURNEY.SUBMIT k m 5 WORST",
        "TOURNEY.SUBMIT k new 5 WORST",
        "TOURNEY.RANK k m BOGUS",
        "TOURNEY.RANK k m WITHSCORES",
        "TOURNEY.RANK k m TIES",
        "TOURNEY.TOP k 1 OFFSET",
        "TOURNEY.TOP k 1 LIMIT 1",
        "TOURNEY.TOP k 1 TIES",
        "TOURNEY.TOP k 1 OFFSET 1 TIES",
        "TOURNEY.AROUND k m 1 TIES",
        "TOURNEY.AROUND k m 1 FOO BAR",
        "TOURNEY.AROUND k m 1 WITHSCORE",
        "TOURNEY.RANK k m TIES SPARSE",
    ] {
        refused(&mut con, line, SYNTAX);
    }
    // DENSE is a known word, but only tournaments created with it keep dense ranks.
    for line in [
        "TOURNEY.RANK k m TIES DENSE",
        "TOURNEY.RANK k m WITHSCORE TIES DENSE",
        "TOURNEY.TOP k 1 TIES DENSE",
        "TOURNEY.AROUND k m 1 TIES DENSE",
    ] {
        refused(&mut con, line, "ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE");
    }
    assert!(server.is_up());
}

#[test]
fn bad_numbers_are_refused() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1 m 2 n");
    let floats =
        ["nan", "NaN", "-nan", "inf", "-inf", "+inf", "infinity", "1e400", "-1e400", "abc", "", "1x", " 1", "1 ", "0x"];
    for bad in floats {
        for key in ["k", "fresh"] {
            assert_refused(&mut con, &["TOURNEY.INCR", key, "m", bad], NOT_FLOAT);
            assert_refused(&mut con, &["TOURNEY.SUBMIT", key, "m", bad], NOT_FLOAT);
            assert_refused(&mut con, &["TOURNEY.SUBMIT", key, "m", bad, "LATEST"], NOT_FLOAT);
        }
    }
    for bad in ["abc", "1.5", "", "1e3", "+1", "01", " 1", "9223372036854775808", "-9223372036854775809"] {
        assert_refused(&mut con, &["TOURNEY.TOP", "k", bad], NOT_INTEGER);
        assert_refused(&mut con, &["TOURNEY.TOP", "k", "1", "OFFSET", bad], NOT_INTEGER);
        assert_refused(&mut con, &["TOURNEY.AROUND", "k", "m", bad], NOT_INTEGER);
    }
    assert!(server.is_up());
}

#[test]
fn count_radius_and_offset_ranges() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1 m 2 n");
    let count = "ERR count must be between 1 and 1000";
    let radius = "ERR radius must be between 0 and 499";
    let offset = "ERR offset must be between 0 and 9223372036854775807";
    for line in ["TOURNEY.TOP k 0", "TOURNEY.TOP k -1", "TOURNEY.TOP k 1001", "TOURNEY.TOP k 9223372036854775807"] {
        refused(&mut con, line, count);
    }
    refused(&mut con, "TOURNEY.TOP k 1001 OFFSET 1 TIES COMPETITION", count);
    for line in ["TOURNEY.AROUND k m -1", "TOURNEY.AROUND k m 500", "TOURNEY.AROUND k m 500 TIES COMPETITION"] {
        refused(&mut con, line, radius);
    }
    for line in ["TOURNEY.TOP k 1 OFFSET -1", "TOURNEY.TOP k 1 OFFSET -9223372036854775808"] {
        refused(&mut con, line, offset);
    }
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP k 1000"), r#"[["n", "2", 1], ["m", "1", 2]]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.AROUND k m 499"), r#"[["n", "2", 1], ["m", "1", 2]]"#);

    // A lowered tally.max-range bounds count and radius at once; offset is not bounded by it.
    sh_ok(&mut con, "CONFIG SET tally.max-range 10");
    refused(&mut con, "TOURNEY.TOP k 11", "ERR count must be between 1 and 10");
    refused(&mut con, "TOURNEY.AROUND k m 5", "ERR radius must be between 0 and 4");
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP k 10 OFFSET 1"), r#"[["m", "1", 2]]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP k 10 OFFSET 100"), "[]");
    assert_eq!(sh_ok(&mut con, "TOURNEY.AROUND k m 4"), r#"[["n", "2", 1], ["m", "1", 2]]"#);
    sh_ok(&mut con, "CONFIG SET tally.max-range 1");
    refused(&mut con, "TOURNEY.TOP k 2", "ERR count must be between 1 and 1");
    refused(&mut con, "TOURNEY.AROUND k m 1", "ERR radius must be between 0 and 0");
    assert_eq!(sh_ok(&mut con, "TOURNEY.TOP k 1"), r#"[["n", "2", 1]]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.AROUND k m 0"), r#"[["m", "1", 2]]"#);
    assert!(server.is_up());
}

#[test]
fn members_must_be_non_empty_and_short_enough() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1 m 2 abcde");
    let calls = |member: &str| -> Vec<Vec<String>> {
        [
            vec!["TOURNEY.INCR", "k", member, "1"],
            vec!["TOURNEY.INCR", "fresh", member, "1"],
            vec!["TOURNEY.SUBMIT", "k", member, "1", "LATEST"],
            vec!["TOURNEY.RANK", "k", member, "WITHSCORE"],
            vec!["TOURNEY.AROUND", "k", member, "1"],
            vec!["TOURNEY.PERCENTILE", "k", member],
            vec!["TOURNEY.REM", "k", member],
            vec!["TOURNEY.REM", "k", "m", member],
        ]
        .into_iter()
        .map(|call| call.into_iter().map(String::from).collect())
        .collect()
    };
    for call in calls("") {
        assert_refused(&mut con, &call, "ERR member must not be empty");
    }
    let long = "x".repeat(129);
    for call in calls(&long) {
        assert_refused(&mut con, &call, "ERR member is longer than tally.max-member-bytes (128 bytes)");
    }
    let longest = "y".repeat(128);
    assert_eq!(run(&mut con, &["TOURNEY.INCR", "k", &longest, "3"]), r#"["3", 1]"#);
    assert_eq!(run(&mut con, &["TOURNEY.REM", "k", &longest]), "1");

    sh_ok(&mut con, "CONFIG SET tally.max-member-bytes 4");
    for call in calls("abcde") {
        assert_refused(&mut con, &call, "ERR member is longer than tally.max-member-bytes (4 bytes)");
    }
    assert_eq!(sh_ok(&mut con, "TOURNEY.INCR k abcd 5"), r#"["5", 1]"#);
    assert_eq!(sh_ok(&mut con, "TOURNEY.RANK k abcd"), "1");
    assert_eq!(sh_ok(&mut con, "TOURNEY.REM k abcd"), "1");
    assert!(server.is_up());
}

#[test]
fn increments_must_stay_finite() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD k 1.7e308 a -1.7e308 b");
    let error = "ERR increment would produce a score that is not a finite number";
    refused(&mut con, "TOURNEY.INCR k a 1.7e308", error);
    refused(&mut con, "TOURNEY.INCR k b -1.7e308", error);
    refused(&mut con, "TOURNEY.INCR k a 1.7976931348623157e308", error);
    assert_eq!(bulk(&ok(&mut con, &["ZSCORE", "k", "a"])).parse::<f64>().unwrap(), 1.7e308);
    // The largest finite sums are fine.
    let reply = ok(&mut con, &["TOURNEY.INCR", "k", "b", "1.7e308"]);
    assert_eq!(format!("\"{}\"", bulk(&items(&reply)[0])), zscore(&mut con, "k", "b"));
    assert_eq!(zscore(&mut con, "k", "b"), r#""0""#);
    assert!(server.is_up());
}

#[test]
fn wrong_types_are_refused() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "SET s x");
    sh_ok(&mut con, "HSET h f v");
    for key in ["s", "h"] {
        for line in every_command(key) {
            refused(&mut con, &line, WRONGTYPE);
        }
    }
    assert!(server.is_up());
}

// ---- configs -----------------------------------------------------------------------------

fn config_get(con: &mut Connection, name: &str) -> String {
    let reply = ok(con, &["CONFIG", "GET", name]);
    match items(&reply) {
        [got, value] if bulk(got) == name => bulk(value),
        other => panic!("CONFIG GET {name} -> {other:?}"),
    }
}

#[test]
fn config_defaults() {
    let (_server, mut con) = start();
    assert_eq!(config_get(&mut con, "tally.max-member-bytes"), "128");
    assert_eq!(config_get(&mut con, "tally.max-range"), "1000");
    assert_eq!(config_get(&mut con, "tally.max-data-bytes"), "1024");
    assert_eq!(config_get(&mut con, "tally.require-hashtag"), "auto");
    assert_eq!(config_get(&mut con, "tally.limit-max-log"), "100000");
    assert_eq!(config_get(&mut con, "tally.audit-max-len"), "10000");
    assert_eq!(config_get(&mut con, "tally.audit-retention-ms"), "0");
    assert_eq!(config_get(&mut con, "tally.audit-max-field-bytes"), "65536");
    assert_eq!(config_get(&mut con, "tally.audit-max-producers"), "10000");
    assert_eq!(config_get(&mut con, "tally.audit-verify-max"), "100000");
    assert_eq!(config_get(&mut con, "tally.limit-shadow"), "no");
    assert_eq!(items(&ok(&mut con, &["CONFIG", "GET", "tally.*"])).len(), 22);
}

#[test]
fn config_set_accepts_in_range_and_refuses_out_of_range() {
    let (mut server, mut con) = start();
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("tally.max-range", &["1", "100000", "10"], &["0", "100001", "-1", "abc", "1.5"]),
        ("tally.max-member-bytes", &["1", "65536", "4"], &["0", "65537", "-1", "abc"]),
        ("tally.max-data-bytes", &["0", "65536", "16"], &["65537", "-1", "abc"]),
        ("tally.require-hashtag", &["yes", "no", "auto"], &["maybe", "", "1"]),
        ("tally.limit-shadow", &["yes", "no"], &["maybe", "", "2"]),
    ];
    for (name, good, bad) in cases {
        for value in *good {
            assert_eq!(run(&mut con, &["CONFIG", "SET", name, value]), "OK", "{name} {value}");
            assert_eq!(config_get(&mut con, name), *value);
        }
        for value in *bad {
            let reply = run(&mut con, &["CONFIG", "SET", name, value]);
            assert!(reply.starts_with("(error) ERR"), "CONFIG SET {name} {value:?} -> {reply}");
            assert!(reply.contains(name), "CONFIG SET {name} {value:?} -> {reply}");
            assert_eq!(config_get(&mut con, name), *good.last().unwrap(), "{name} changed by {value:?}");
        }
    }
    assert!(server.is_up());
}

#[test]
fn module_args_set_max_range_at_load() {
    let (mut server, mut con) = connected(Server::start_with_module_args(&["max-range", "5"]));
    assert_eq!(config_get(&mut con, "tally.max-range"), "5");
    sh_ok(&mut con, "ZADD k 1 a 2 b 3 c 4 d 5 e 6 f");
    assert_eq!(
        sh_ok(&mut con, "TOURNEY.TOP k 5"),
        r#"[["f", "6", 1], ["e", "5", 2], ["d", "4", 3], ["c", "3", 4], ["b", "2", 5]]"#
    );
    refused(&mut con, "TOURNEY.TOP k 6", "ERR count must be between 1 and 5");
    assert_eq!(
        sh_ok(&mut con, "TOURNEY.AROUND k a 2"),
        r#"[["e", "5", 2], ["d", "4", 3], ["c", "3", 4], ["b", "2", 5], ["a", "1", 6]]"#
    );
    refused(&mut con, "TOURNEY.AROUND k a 3", "ERR radius must be between 0 and 2");
    assert!(server.is_up());
}

#[test]
fn module_args_set_member_limit_and_hashtag_policy_at_load() {
    let args = ["max-member-bytes", "4", "require-hashtag", "yes"];
    let (mut server, mut con) = connected(Server::start_with_module_args(&args));
    assert_eq!(config_get(&mut con, "tally.max-member-bytes"), "4");
    assert_eq!(config_get(&mut con, "tally.require-hashtag"), "yes");
    refused(&mut con, "TOURNEY.INCR {t} abcde 1", "ERR member is longer than tally.max-member-bytes (4 bytes)");
    refused(
        &mut con,
        "TOURNEY.INCR plain abcd 1",
        "ERR key 'plain' needs a hash tag like {id} so related keys share a cluster slot",
    );
    assert_eq!(sh_ok(&mut con, "TOURNEY.INCR {t} abcd 1"), r#"["1", 1]"#);
    assert!(server.is_up());
}

fn needs_tag(key: &str) -> String {
    format!("ERR key '{key}' needs a hash tag like {{id}} so related keys share a cluster slot")
}

#[test]
fn require_hashtag_yes_refuses_untagged_keys() {
    let (mut server, mut con) = start();
    sh_ok(&mut con, "ZADD plain 1 m");
    sh_ok(&mut con, "ZADD foo{} 1 m");
    sh_ok(&mut con, "CONFIG SET tally.require-hashtag yes");
    // `foo{}` has empty braces, and `foo{}{bar}` only looks at its first braces: no tag.
    for key in ["plain", "foo{}", "foo{}{bar}", "}{", "{", "x{y"] {
        for line in every_command(key) {
            refused(&mut con, &line, &needs_tag(key));
        }
    }
    // The key is quoted with non-printable bytes escaped.
    assert_refused(&mut con, &[&b"TOURNEY.RANK"[..], &b"a\xff\x00b"[..], &b"m"[..]], &needs_tag("a\\xff\\x00b"));
    for key in ["{t}", KEY, "foo{{bar}}", "}{t}", "x{y}z{"] {
        for line in every_command(key) {
            let reply = sh(&mut con, &line);
            assert!(!reply.starts_with("(error)"), "{line} -> {reply}");
        }
    }
    assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {KEY} alice 10")), r#"["10", 1]"#);
    assert!(server.is_up());
}

#[test]
fn require_hashtag_no_and_auto_accept_untagged_keys() {
    let (mut server, mut con) = start();
    for mode in ["auto", "no"] {
        sh_ok(&mut con, &format!("CONFIG SET tally.require-hashtag {mode}"));
        for key in ["plain", "foo{}"] {
            for line in every_command(key) {
                let reply = sh(&mut con, &line);
                assert!(!reply.starts_with("(error)"), "{mode}: {line} -> {reply}");
            }
            assert_eq!(sh_ok(&mut con, &format!("TOURNEY.INCR {key} alice 10")), r#"["10", 1]"#, "{mode}");
            assert_eq!(sh_ok(&mut con, &format!("TOURNEY.RANK {key} alice")), "1", "{mode}");
            sh_ok(&mut con, &format!("DEL {key}"));
        }
    }
    assert!(server.is_up());
}
