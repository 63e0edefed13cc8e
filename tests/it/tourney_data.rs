//! Member data (issue 15): `DATA value` on TOURNEY.INCR and TOURNEY.SUBMIT, `WITHDATA` on
//! TOURNEY.TOP, AROUND and RANKS, kept in the native hash `<board>:data` beside the board
//! (a season's beside the season's board, with its expiry). Checked on a live server:
//! - exact replies with and without DATA/WITHDATA on DESC, ASC, TIEBREAK FIRST (whose TOP
//!   walks the order set), TIES DENSE and season boards; untagged keys read nil data;
//! - a seeded workload against a model of the data, each write also made without DATA on a
//!   twin board: same replies, same board and tie structures;
//! - every refusal (too long, disabled, untagged key, wrong type, bad grammar) leaves every
//!   key's DUMP and expiry as they were;
//! - removal with TOURNEY.REM and with an emptied board; keyspace events as HSET/HDEL fire;
//! - replicas and AOF reloads byte-identical, the AOF holding the exact native effects;
//! - ACL on the data hash; `tally.max-data-bytes`.

use crate::common::aof::{aof_bytes, aof_data_commands, aof_options, contains_ignore_case};
use crate::common::reply::{config_set, field, fields, int, items, ok, printable, server_ms, text};
use crate::common::rng::{Random, SplitMix64};
use crate::common::*;
use redis::{Connection, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tally_core::season::{season_at, Period};

const MODULE_NOPERM: &str = "(error) NOPERM this user has no permissions to access one of the keys used as arguments";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const DISABLED: &str = "ERR member data is disabled (tally.max-data-bytes is 0)";

fn too_long(max: usize) -> String {
    format!("ERR member data is longer than tally.max-data-bytes ({max} bytes)")
}

fn needs_tag(key: &str) -> String {
    format!(
        "ERR leaderboard with member data '{key}' needs a hash tag like {{id}} in its name: tally keeps its \
         companion keys beside it"
    )
}

fn start() -> (Server, Connection) {
    let server = Server::start();
    let con = server.connect();
    (server, con)
}

/// Asserts `args` is refused with exactly `error` and leaves every key (DUMP, expiry) as it was.
fn refused_args<A: AsRef<[u8]>>(con: &mut Connection, args: &[A], error: &str) {
    let before = key_dumps(con);
    assert_eq!(run(con, args), format!("(error) {error}"), "{:?}", printable(args));
    assert_eq!(key_dumps(con), before, "refused {:?} changed the data set", printable(args));
}

fn refused(con: &mut Connection, line: &str, error: &str) {
    refused_args(con, &words(line), error);
}

/// Runs each command line and checks its rendered reply.
fn expect(con: &mut Connection, cases: &[(&str, &str)]) {
    for (line, reply) in cases {
        assert_eq!(sh(con, line), *reply, "{line}");
    }
}

/// The name of the current monthly season of `key` at the server's clock, and when it expires.
fn month_of(con: &mut Connection, key: &str) -> (String, i64) {
    let season = season_at(Period::Monthly, server_ms(con));
    (format!("{key}:{}", season.name), season.expire_at_ms)
}

/// Runs `steps` with the current monthly season of `key`; again (after FLUSHALL) when the
/// month changed meanwhile, so that the name always matches the calls.
fn in_one_month<T>(con: &mut Connection, key: &str, mut steps: impl FnMut(&mut Connection, &str, i64) -> T) -> T {
    loop {
        let (name, expiry) = month_of(con, key);
        let value = steps(con, &name, expiry);
        if month_of(con, key).0 == name {
            return value;
        }
        sh_ok(con, "FLUSHALL");
    }
}

// ==== 1. Writes ====================================================================================

#[test]
fn data_is_written_with_the_score_and_replaced() {
    let (_server, mut con) = start();
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR lb:{d} ann 10 DATA red", r#"["10", 1]"#),
            ("TOURNEY.SUBMIT lb:{d} bob 20 DATA blue", r#"["20", 1, 1]"#),
            // Without DATA the data stays.
            ("TOURNEY.INCR lb:{d} ann 5", r#"["15", 2]"#),
            ("TOURNEY.SUBMIT lb:{d} bob 30", r#"["30", 1, 1]"#),
            ("HGETALL lb:{d}:data", r#"["ann", "red", "bob", "blue"]"#),
            // INCR always writes it, with a 0 delta too.
            ("TOURNEY.INCR lb:{d} ann 0 data green", r#"["15", 2]"#),
            // SUBMIT BEST writes it only with a score it stores: not lower, not equal.
            ("TOURNEY.SUBMIT lb:{d} bob 5 DATA grey", r#"["30", 1, 0]"#),
            ("TOURNEY.SUBMIT lb:{d} bob 30 BEST DATA grey", r#"["30", 1, 0]"#),
            ("HGET lb:{d}:data bob", r#""blue""#),
            ("TOURNEY.SUBMIT lb:{d} bob 31 DATA gold BEST", r#"["31", 1, 1]"#),
            // LATEST always stores, in either order of the options.
            ("TOURNEY.SUBMIT lb:{d} bob 1 LATEST DATA pink", r#"["1", 2, 1]"#),
            ("TOURNEY.SUBMIT lb:{d} bob 2 DATA teal LATEST", r#"["2", 2, 1]"#),
            // Option words are values after DATA.
            ("TOURNEY.INCR lb:{d} cyd 1 DATA SEASON", r#"["1", 3]"#),
            ("TOURNEY.INCR lb:{d} dan 1 DATA DATA", r#"["1", 3]"#),
            ("TOURNEY.SUBMIT lb:{d} eve 1 DATA LATEST", r#"["1", 3, 1]"#),
            ("TOURNEY.SUBMIT lb:{d} fay 1 DATA BEST LATEST", r#"["1", 3, 1]"#),
            ("TOURNEY.SUBMIT lb:{d} fay 0 DATA x", r#"["1", 3, 0]"#),
            // A member named DATA or SEASON.
            ("TOURNEY.INCR lb:{d} DATA 1 DATA SEASON", r#"["1", 7]"#),
            ("TOURNEY.SUBMIT lb:{d} SEASON 0 DATA DATA", r#"["0", 8, 1]"#),
            (
                "HGETALL lb:{d}:data",
                r#"["ann", "green", "bob", "teal", "cyd", "SEASON", "dan", "DATA", "eve", "LATEST", "fay", "BEST", "DATA", "SEASON", "SEASON", "DATA"]"#,
            ),
            ("TYPE lb:{d}:data", "hash"),
            // A plain board: no expiry.
            ("PEXPIRETIME lb:{d}:data", "-1"),
        ],
    );
    // Any bytes: empty, binary, the largest allowed.
    let binary = b"\0\xff\r\n{x}".to_vec();
    let largest = vec![b'z'; 1024];
    for (member, value) in [("gus", Vec::new()), ("hal", binary), ("ida", largest)] {
        let args: [&[u8]; 6] = [b"TOURNEY.INCR", b"lb:{d}", member.as_bytes(), b"1", b"DATA", &value];
        ok(&mut con, &args);
        let stored: Vec<u8> = redis::cmd("HGET").arg("lb:{d}:data").arg(member).query(&mut con).unwrap();
        assert_eq!(stored, value, "{member}");
    }
    // An ASC board keeps the lower score, and its data with it.
    expect(
        &mut con,
        &[
            ("TOURNEY.CREATE lap:{d} ORDER ASC", "OK"),
            ("TOURNEY.SUBMIT lap:{d} ann 61.5 DATA first", r#"["61.5", 1, 1]"#),
            ("TOURNEY.SUBMIT lap:{d} ann 62 DATA slower", r#"["61.5", 1, 0]"#),
            ("TOURNEY.SUBMIT lap:{d} ann 60.25 DATA faster", r#"["60.25", 1, 1]"#),
            ("HGETALL lap:{d}:data", r#"["ann", "faster"]"#),
        ],
    );
}

// ==== 2. Reads =====================================================================================

#[test]
fn withdata_adds_the_data_to_every_entry_of_every_read() {
    let (_server, mut con) = start();
    // A lap-time board: lowest first, earlier arrival first among equal times (TOP walks
    // the order set, whose members are order entries).
    expect(
        &mut con,
        &[
            ("TOURNEY.CREATE race:{r} ORDER ASC TIEBREAK FIRST", "OK"),
            ("TOURNEY.SUBMIT race:{r} ann 61.5 DATA Ferrari", r#"["61.5", 1, 1]"#),
            ("TOURNEY.SUBMIT race:{r} bob 59.5 DATA McLaren", r#"["59.5", 1, 1]"#),
            ("TOURNEY.SUBMIT race:{r} cyd 61.5", r#"["61.5", 3, 1]"#),
            ("TOURNEY.INCR race:{r} dan 70", r#"["70", 4]"#),
        ],
    );
    assert_eq!(run(&mut con, &["TOURNEY.INCR", "race:{r}", "dan", "0", "DATA", ""]), r#"["70", 4]"#);
    let all = r#"[["bob", "59.5", 1, "McLaren"], ["ann", "61.5", 2, "Ferrari"], ["cyd", "61.5", 3, nil], ["dan", "70", 4, ""]]"#;
    expect(
        &mut con,
        &[
            ("TOURNEY.TOP race:{r} 10 WITHDATA", all),
            ("TOURNEY.TOP race:{r} 10 withdata TIES ORDINAL", all),
            (
                "TOURNEY.TOP race:{r} 10",
                r#"[["bob", "59.5", 1], ["ann", "61.5", 2], ["cyd", "61.5", 3], ["dan", "70", 4]]"#,
            ),
            (
                "TOURNEY.TOP race:{r} 2 OFFSET 1 TIES COMPETITION WITHDATA",
                r#"[["ann", "61.5", 2, "Ferrari"], ["cyd", "61.5", 2, nil]]"#,
            ),
            ("TOURNEY.TOP race:{r} 2 WITHDATA OFFSET 3", r#"[["dan", "70", 4, ""]]"#),
            ("TOURNEY.TOP race:{r} 2 WITHDATA OFFSET 4", "[]"),
            (
                "TOURNEY.AROUND race:{r} cyd 1 WITHDATA",
                r#"[["ann", "61.5", 2, "Ferrari"], ["cyd", "61.5", 3, nil], ["dan", "70", 4, ""]]"#,
            ),
            ("TOURNEY.AROUND race:{r} bob 0 TIES COMPETITION WITHDATA", r#"[["bob", "59.5", 1, "McLaren"]]"#),
            ("TOURNEY.AROUND race:{r} zed 1 WITHDATA", "nil"),
            (
                "TOURNEY.RANKS race:{r} 4 dan zed ann ann WITHDATA",
                r#"[["ann", "61.5", 2, "Ferrari"], ["dan", "70", 4, ""]]"#,
            ),
            ("TOURNEY.RANKS race:{r} 2 cyd ann", r#"[["ann", "61.5", 2], ["cyd", "61.5", 3]]"#),
            ("TOURNEY.RANKS race:{r} 1 zed WITHDATA", "[]"),
        ],
    );
    // A DESC board with TIES DENSE, and a member named like the option.
    expect(
        &mut con,
        &[
            ("TOURNEY.CREATE d:{r} TIES DENSE", "OK"),
            ("TOURNEY.INCR d:{r} ann 5 DATA a", r#"["5", 1]"#),
            ("TOURNEY.INCR d:{r} WITHDATA 5 DATA w", r#"["5", 1]"#),
            ("TOURNEY.INCR d:{r} bob 3", r#"["3", 2]"#),
            (
                "TOURNEY.TOP d:{r} 3 WITHDATA",
                r#"[["ann", "5", 1, "a"], ["WITHDATA", "5", 1, "w"], ["bob", "3", 2, nil]]"#,
            ),
            (
                "TOURNEY.TOP d:{r} 3 WITHDATA TIES ORDINAL",
                r#"[["ann", "5", 1, "a"], ["WITHDATA", "5", 2, "w"], ["bob", "3", 3, nil]]"#,
            ),
            ("TOURNEY.RANKS d:{r} 1 WITHDATA WITHDATA", r#"[["WITHDATA", "5", 1, "w"]]"#),
            ("TOURNEY.RANKS d:{r} 1 WITHDATA", r#"[["WITHDATA", "5", 1]]"#),
            (
                "TOURNEY.AROUND d:{r} WITHDATA 1 WITHDATA TIES DENSE",
                r#"[["ann", "5", 1, "a"], ["WITHDATA", "5", 1, "w"], ["bob", "3", 2, nil]]"#,
            ),
        ],
    );
    // Missing boards read as empty; RANK and PERCENTILE take no WITHDATA.
    expect(
        &mut con,
        &[
            ("TOURNEY.TOP none:{r} 3 WITHDATA", "[]"),
            ("TOURNEY.AROUND none:{r} a 3 WITHDATA", "nil"),
            ("TOURNEY.RANKS none:{r} 1 a WITHDATA", "[]"),
        ],
    );
    refused(&mut con, "TOURNEY.RANK d:{r} ann WITHDATA", SYNTAX);
    refused(
        &mut con,
        "TOURNEY.PERCENTILE d:{r} ann WITHDATA",
        "ERR wrong number of arguments for 'tourney.percentile' command",
    );
    refused(&mut con, "TOURNEY.TOP d:{r} 3 DATA x", SYNTAX);
}

#[test]
fn an_untagged_board_reads_nil_data_and_refuses_data_writes() {
    let (_server, mut con) = start();
    // A hash named like its data hash is not its data: an untagged key has no companions.
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR plain ann 2", r#"["2", 1]"#),
            ("HSET plain:data ann x", "1"),
            ("TOURNEY.TOP plain 5 WITHDATA", r#"[["ann", "2", 1, nil]]"#),
            ("TOURNEY.AROUND plain ann 5 WITHDATA", r#"[["ann", "2", 1, nil]]"#),
            ("TOURNEY.RANKS plain 1 ann WITHDATA", r#"[["ann", "2", 1, nil]]"#),
        ],
    );
    refused(&mut con, "TOURNEY.INCR plain ann 1 DATA x", &needs_tag("plain"));
    refused(&mut con, "TOURNEY.SUBMIT plain bob 1 DATA x", &needs_tag("plain"));
    // A season of an untagged key is refused first, for its own reason.
    refused(
        &mut con,
        "TOURNEY.SUBMIT plain bob 1 LATEST DATA x SEASON daily",
        "ERR seasonal leaderboard 'plain' needs a hash tag like {id} in its name: tally keeps its companion keys beside it",
    );
    refused(&mut con, "TOURNEY.INCR {} ann 1 DATA x", &needs_tag("{}"));
    // TOURNEY.REM of an untagged board leaves that hash alone.
    expect(&mut con, &[("TOURNEY.REM plain ann", "1"), ("HGETALL plain:data", r#"["ann", "x"]"#)]);
}

#[test]
fn a_season_keeps_its_data_beside_its_board_with_its_expiry() {
    let (_server, mut con) = start();
    in_one_month(&mut con, "s:{s}", |con, season, expiry| {
        let data = format!("{season}:data");
        expect(
            con,
            &[
                ("TOURNEY.INCR s:{s} ann 5 DATA monthly SEASON monthly", r#"["5", 1]"#),
                // The value SEASON, then the option.
                ("TOURNEY.SUBMIT s:{s} bob 7 DATA SEASON SEASON monthly", r#"["7", 1, 1]"#),
                ("TOURNEY.SUBMIT s:{s} bob 1 SEASON monthly DATA lower", r#"["7", 1, 0]"#),
                ("TOURNEY.INCR s:{s} ann 100 DATA all-time", r#"["100", 1]"#),
                ("TOURNEY.TOP s:{s} 5 WITHDATA", r#"[["ann", "100", 1, "all-time"]]"#),
                (
                    "TOURNEY.TOP s:{s} 5 WITHDATA SEASON monthly",
                    r#"[["bob", "7", 1, "SEASON"], ["ann", "5", 2, "monthly"]]"#,
                ),
                ("TOURNEY.TOP s:{s} 5 SEASON monthly WITHDATA OFFSET 1", r#"[["ann", "5", 2, "monthly"]]"#),
                ("TOURNEY.AROUND s:{s} ann 0 SEASON monthly WITHDATA", r#"[["ann", "5", 2, "monthly"]]"#),
                (
                    "TOURNEY.RANKS s:{s} 2 ann bob WITHDATA SEASON monthly",
                    r#"[["bob", "7", 1, "SEASON"], ["ann", "5", 2, "monthly"]]"#,
                ),
                ("TOURNEY.TOP s:{s} 5 WITHDATA SEASON monthly PREVIOUS", "[]"),
            ],
        );
        let fields = run(con, &["HGETALL", &data]);
        assert_eq!(fields, r#"["ann", "monthly", "bob", "SEASON"]"#);
        assert_eq!(run(con, &["PEXPIRETIME", &data]), expiry.to_string());
        assert_eq!(run(con, &["PEXPIRETIME", season]), expiry.to_string());
        assert_eq!(sh(con, "PEXPIRETIME s:{s}:data"), "-1");
        // REM in the season removes the season's data only.
        assert_eq!(sh(con, "TOURNEY.REM s:{s} ann SEASON monthly"), "1");
        assert_eq!(run(con, &["HGETALL", &data]), r#"["bob", "SEASON"]"#);
        assert_eq!(sh(con, "HGETALL s:{s}:data"), r#"["ann", "all-time"]"#);
        // A past season takes no writes, with or without data.
        refused(
            con,
            "TOURNEY.INCR s:{s} ann 1 DATA x SEASON monthly PREVIOUS",
            "ERR SEASON ... PREVIOUS is for reads: a past season takes no writes",
        );
    });
}

#[test]
fn a_tournament_gives_its_data_hash_its_expiry() {
    let (_server, mut con) = start();
    let at = server_ms(&mut con) + 3_600_000;
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE e:{{e}} TIEBREAK FIRST EXPIREAT {at}")), "OK");
    expect(&mut con, &[("TOURNEY.INCR e:{e} ann 1 DATA x", r#"["1", 1]"#)]);
    assert_eq!(sh(&mut con, "PEXPIRETIME e:{e}:data"), at.to_string());
    assert_eq!(sh(&mut con, "PEXPIRETIME e:{e}"), at.to_string());
    // A season of the tournament ends with it when the tournament ends first.
    in_one_month(&mut con, "e:{e}", |con, season, expiry| {
        sh_ok(con, "TOURNEY.INCR e:{e} ann 1 DATA y SEASON monthly");
        let want = at.min(expiry).to_string();
        assert_eq!(run(con, &["PEXPIRETIME", &format!("{season}:data")]), want);
        assert_eq!(run(con, &["PEXPIRETIME", season]), want);
    });
}

/// Module bug (fixed): TOURNEY.CREATE ... EXPIREAT on a board that already had member data
/// gave the board, its settings and its running seasons' boards the expiry, but not their
/// data hashes, so the data outlived the tournament.
#[test]
fn create_expireat_on_a_board_with_data_expires_the_data_too() {
    let server = Server::start_with(aof_options(&[]));
    let mut con = server.connect();
    in_one_month(&mut con, "x:{x}", |con, season, _| {
        let season_data = format!("{season}:data");
        expect(
            con,
            &[
                ("TOURNEY.INCR x:{x} ann 1 DATA x", r#"["1", 1]"#),
                ("TOURNEY.INCR x:{x} ann 1 DATA s SEASON monthly", r#"["1", 1]"#),
            ],
        );
        let at = server_ms(con) + 1500;
        assert_eq!(sh(con, &format!("TOURNEY.CREATE x:{{x}} EXPIREAT {at}")), "OK");
        for key in ["x:{x}", "x:{x}:data", season, &season_data] {
            assert_eq!(run(con, &["PEXPIRETIME", key]), at.to_string(), "{key}");
        }
        // Replicated as PEXPIREAT.
        let expiries: Vec<Vec<u8>> = aof_data_commands(&server.dir)
            .into_iter()
            .filter(|command| command[0] == b"PEXPIREAT" && command[2] == at.to_string().as_bytes())
            .map(|command| command[1].clone())
            .collect();
        for key in ["x:{x}:data", &season_data] {
            assert!(expiries.contains(&key.as_bytes().to_vec()), "no PEXPIREAT of {key}");
        }
        poll_until(Duration::from_secs(10), || sh(con, "EXISTS x:{x} x:{x}:tourney") == "0");
        poll_until(Duration::from_secs(10), || sh(con, "DBSIZE") == "0");
    });
}

// ==== 3. Removal ===================================================================================

#[test]
fn rem_removes_the_data_and_an_emptied_board_its_hash() {
    let (_server, mut con) = start();
    expect(
        &mut con,
        &[
            ("TOURNEY.CREATE f:{m} TIEBREAK FIRST TIES DENSE", "OK"),
            ("TOURNEY.INCR f:{m} ann 1 DATA a", r#"["1", 1]"#),
            ("TOURNEY.INCR f:{m} bob 1 DATA b", r#"["1", 1]"#),
            ("TOURNEY.INCR f:{m} cyd 1", r#"["1", 1]"#),
            ("TOURNEY.REM f:{m} ann ghost", "1"),
            ("HGETALL f:{m}:data", r#"["bob", "b"]"#),
            // A member without data: the hash stays as it is.
            ("TOURNEY.REM f:{m} cyd", "1"),
            ("HGETALL f:{m}:data", r#"["bob", "b"]"#),
            // The board empties: every companion goes.
            ("TOURNEY.REM f:{m} bob", "1"),
            ("EXISTS f:{m} f:{m}:arrival f:{m}:order f:{m}:dense f:{m}:data", "0"),
            ("EXISTS f:{m}:tourney", "1"),
            // A board deleted natively keeps stale data until the next write, which deletes
            // it, and reads never show it.
            ("TOURNEY.INCR f:{m} ann 1 DATA a", r#"["1", 1]"#),
            ("DEL f:{m}", "1"),
            ("TOURNEY.TOP f:{m} 5 WITHDATA", "[]"),
            ("EXISTS f:{m}:data", "1"),
            ("TOURNEY.INCR f:{m} ann 1", r#"["1", 1]"#),
            ("TOURNEY.TOP f:{m} 5 WITHDATA", r#"[["ann", "1", 1, nil]]"#),
            ("EXISTS f:{m}:data", "0"),
            // ... a first write with data replaces the stale hash with a fresh one ...
            ("DEL f:{m}", "1"),
            ("HSET f:{m}:data old stale", "1"),
            ("TOURNEY.SUBMIT f:{m} bob 3 DATA new", r#"["3", 1, 1]"#),
            ("HGETALL f:{m}:data", r#"["bob", "new"]"#),
            // ... and so does a REM of a board already gone.
            ("DEL f:{m}", "1"),
            ("TOURNEY.REM f:{m} bob", "0"),
            ("EXISTS f:{m}:data f:{m}:arrival", "0"),
        ],
    );
    // A key of another type under the data hash's name is not tally's: REM and the reset of
    // an emptied board leave it alone.
    expect(
        &mut con,
        &[
            ("TOURNEY.INCR o:{m} ann 1", r#"["1", 1]"#),
            ("SET o:{m}:data mine", "OK"),
            ("TOURNEY.REM o:{m} ann", "1"),
            ("TOURNEY.INCR o:{m} ann 1", r#"["1", 1]"#),
            ("GET o:{m}:data", r#""mine""#),
        ],
    );
}

// ==== 4. Refusals ==================================================================================

#[test]
fn refused_calls_write_no_data_and_change_nothing() {
    let (_server, mut con) = start();
    sh_ok(&mut con, "TOURNEY.INCR lb:{e} ann 1 DATA a");
    sh_ok(&mut con, "TOURNEY.CREATE t:{e} TIEBREAK FIRST");
    sh_ok(&mut con, "TOURNEY.INCR t:{e} ann 1 DATA a");
    let long = "z".repeat(1025);
    let cases: Vec<(String, String)> = vec![
        // The grammar.
        ("TOURNEY.INCR lb:{e} ann 1 DATA".into(), SYNTAX.into()),
        ("TOURNEY.SUBMIT lb:{e} ann 9 DATA".into(), SYNTAX.into()),
        ("TOURNEY.SUBMIT lb:{e} ann 9 BEST LATEST".into(), SYNTAX.into()),
        ("TOURNEY.SUBMIT lb:{e} ann 9 LATEST LATEST".into(), SYNTAX.into()),
        (
            "TOURNEY.SUBMIT lb:{e} ann 9 BEST DATA x LATEST".into(),
            "ERR wrong number of arguments for 'tourney.submit' command".into(),
        ),
        ("TOURNEY.SUBMIT lb:{e} ann 9 DATA x DATA".into(), SYNTAX.into()),
        ("TOURNEY.SUBMIT lb:{e} ann 9 DATA x NOPE".into(), SYNTAX.into()),
        (
            "TOURNEY.INCR lb:{e} ann 1 DATA x y".into(),
            "ERR wrong number of arguments for 'tourney.incr' command".into(),
        ),
        ("TOURNEY.INCR lb:{e} ann 1 DATA x SEASON".into(), SYNTAX.into()),
        ("TOURNEY.INCR lb:{e} ann 1 DATA x SEASON yearly".into(), SYNTAX.into()),
        ("TOURNEY.INCR lb:{e} ann 1 DATA x SEASON daily SEASON daily".into(), SYNTAX.into()),
        // The value.
        (format!("TOURNEY.INCR lb:{{e}} ann 1 DATA {long}"), too_long(1024)),
        (format!("TOURNEY.SUBMIT lb:{{e}} ann 0 DATA {long}"), too_long(1024)),
        (format!("TOURNEY.SUBMIT lb:{{e}} ann 9 LATEST DATA {long} SEASON daily"), too_long(1024)),
        // The score or member, with a good value.
        ("TOURNEY.INCR lb:{e} ann nan DATA x".into(), "ERR value is not a valid float".into()),
        ("TOURNEY.INCR lb:{e} ann inf DATA x".into(), "ERR value is not a valid float".into()),
        (
            format!("TOURNEY.INCR lb:{{e}} {} 1 DATA x", "m".repeat(129)),
            "ERR member is longer than tally.max-member-bytes (128 bytes)".into(),
        ),
    ];
    for (line, error) in &cases {
        refused(&mut con, line, error);
    }
    // An increment whose result is not finite is refused after parsing: no data either.
    sh_ok(&mut con, "TOURNEY.INCR lb:{e} big 1.7e308");
    refused(
        &mut con,
        "TOURNEY.INCR lb:{e} big 1.7e308 DATA x",
        "ERR increment would produce a score that is not a finite number",
    );
    // A TIEBREAK FIRST board changed natively refuses the write, data and all.
    sh_ok(&mut con, "ZADD t:{e} 9 intruder");
    refused(
        &mut con,
        "TOURNEY.INCR t:{e} ann 1 DATA b",
        "ERR tournament 't:{e}' was changed outside TOURNEY commands: its companion keys no longer match it",
    );
    assert_eq!(sh(&mut con, "HGETALL lb:{e}:data"), r#"["ann", "a"]"#);

    // Another type under the data hash's name: WRONGTYPE for DATA writes and WITHDATA reads;
    // the calls without data go on.
    sh_ok(&mut con, "TOURNEY.INCR w:{e} ann 1");
    sh_ok(&mut con, "SET w:{e}:data mine");
    for line in [
        "TOURNEY.INCR w:{e} ann 1 DATA x",
        "TOURNEY.INCR w:{e} bob 1 DATA x",
        "TOURNEY.SUBMIT w:{e} ann 5 DATA x",
        "TOURNEY.TOP w:{e} 5 WITHDATA",
        "TOURNEY.TOP w:{e} 5 OFFSET 0 WITHDATA",
        "TOURNEY.AROUND w:{e} ann 1 WITHDATA",
        "TOURNEY.RANKS w:{e} 1 ann WITHDATA",
    ] {
        refused(&mut con, line, WRONGTYPE);
    }
    expect(&mut con, &[("TOURNEY.INCR w:{e} ann 1", r#"["2", 1]"#), ("TOURNEY.TOP w:{e} 5", r#"[["ann", "2", 1]]"#)]);
}

// ==== 5. The config ==================================================================================

#[test]
fn max_data_bytes_bounds_and_disables_data() {
    let (_server, mut con) = start();
    assert_eq!(sh(&mut con, "CONFIG GET tally.max-data-bytes"), r#"["tally.max-data-bytes", "1024"]"#);
    config_set(&mut con, "tally.max-data-bytes", "4");
    assert_eq!(sh(&mut con, "CONFIG GET tally.max-data-bytes"), r#"["tally.max-data-bytes", "4"]"#);
    expect(&mut con, &[("TOURNEY.INCR lb:{c} ann 1 DATA abcd", r#"["1", 1]"#)]);
    refused(&mut con, "TOURNEY.INCR lb:{c} ann 1 DATA abcde", &too_long(4));
    refused(&mut con, "TOURNEY.SUBMIT lb:{c} ann 9 DATA abcde", &too_long(4));

    // 0: every DATA refused, the empty value too; data already kept still reads.
    config_set(&mut con, "tally.max-data-bytes", "0");
    for args in [
        &["TOURNEY.INCR", "lb:{c}", "ann", "1", "DATA", ""][..],
        &["TOURNEY.SUBMIT", "lb:{c}", "bob", "1", "DATA", "x"],
        &["TOURNEY.SUBMIT", "lb:{c}", "bob", "1", "LATEST", "DATA", "x", "SEASON", "daily"],
        &["TOURNEY.INCR", "plain", "ann", "1", "DATA", "x"],
    ] {
        refused_args(&mut con, args, DISABLED);
    }
    expect(
        &mut con,
        &[
            ("TOURNEY.TOP lb:{c} 5 WITHDATA", r#"[["ann", "1", 1, "abcd"]]"#),
            ("TOURNEY.INCR lb:{c} ann 1", r#"["2", 1]"#),
        ],
    );
    // The largest setting takes 64 KiB values.
    config_set(&mut con, "tally.max-data-bytes", "65536");
    let largest = "v".repeat(65_536);
    assert_eq!(run(&mut con, &["TOURNEY.INCR", "lb:{c}", "ann", "0", "DATA", &largest]), r#"["2", 1]"#);
    refused_args(&mut con, &["TOURNEY.INCR", "lb:{c}", "ann", "0", "DATA", &format!("{largest}v")], &too_long(65_536));
    assert_eq!(int(&ok(&mut con, &["HSTRLEN", "lb:{c}:data", "ann"])), 65_536);
    for bad in ["-1", "65537", "x"] {
        assert!(run(&mut con, &["CONFIG", "SET", "tally.max-data-bytes", bad]).starts_with("(error) ERR"), "{bad}");
    }
    assert_eq!(sh(&mut con, "CONFIG GET tally.max-data-bytes"), r#"["tally.max-data-bytes", "65536"]"#);
}

#[test]
fn max_data_bytes_is_a_module_argument_too() {
    let server = Server::start_with_module_args(&["max-data-bytes", "0"]);
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG GET tally.max-data-bytes"), r#"["tally.max-data-bytes", "0"]"#);
    refused(&mut con, "TOURNEY.INCR lb:{c} ann 1 DATA x", DISABLED);
    expect(
        &mut con,
        &[("TOURNEY.INCR lb:{c} ann 1", r#"["1", 1]"#), ("TOURNEY.TOP lb:{c} 1 WITHDATA", r#"[["ann", "1", 1, nil]]"#)],
    );
}

// ==== 6. A workload against a model ==============================================================

/// Member data as the spec says it must be, for one board key (a season's too).
#[derive(Default, Clone)]
struct Board {
    members: BTreeSet<String>,
    /// member -> data; may hold stale data of a board deleted natively.
    data: BTreeMap<String, String>,
}

/// A board written with DATA (`key`) and its twin written the same way without (`twin`),
/// with random calls, under one tournament policy.
struct Workload {
    key: String,
    twin: String,
    /// The current month's season board names, of `key` and `twin`.
    seasons: (String, String),
    ties: Vec<&'static str>,
    model: BTreeMap<String, Board>,
    rng: SplitMix64,
    /// Values longer than a listpack keeps (the hash becomes a hashtable).
    long_values: bool,
}

impl Workload {
    fn create(con: &mut Connection, key: &str, twin: &str, create: &str, seed: u64) -> Workload {
        for name in [key, twin] {
            if !create.is_empty() {
                assert_eq!(sh(con, &format!("TOURNEY.CREATE {name} {create}")), "OK");
            }
        }
        let mut ties = vec!["ORDINAL", "COMPETITION"];
        if create.contains("DENSE") {
            ties.push("DENSE");
        }
        let seasons = (month_of(con, key).0, month_of(con, twin).0);
        let rng = SplitMix64(seed);
        Workload { key: key.into(), twin: twin.into(), seasons, ties, model: BTreeMap::new(), rng, long_values: false }
    }

    fn member(&mut self) -> String {
        format!("m{}", self.rng.below(12))
    }

    fn value(&mut self) -> String {
        let len = if self.long_values { self.rng.below(200) } else { self.rng.below(6) };
        (0..len).map(|_| *self.rng.pick(&['a', 'b', ' ', '{', 'z', '0'])).collect()
    }

    /// The board a call writes or reads: the key, or its season (`SEASON monthly`).
    fn target(&mut self) -> (bool, String) {
        let season = self.rng.one_in(4);
        (season, if season { self.seasons.0.clone() } else { self.key.clone() })
    }

    fn season_args(season: bool) -> Vec<String> {
        if season {
            vec!["SEASON".into(), "monthly".into()]
        } else {
            Vec::new()
        }
    }

    /// One random write (or a native DEL of the board), made on the key with DATA (mostly)
    /// and on the twin without: the replies must be equal.
    fn step(&mut self, con: &mut Connection) {
        let (season, board) = self.target();
        let member = self.member();
        let value = self.value();
        let with_data = !self.rng.one_in(4);
        let score = self.rng.range(-3, 3).to_string();
        let mut data = Vec::new();
        if with_data {
            data = vec!["DATA".to_string(), value.clone()];
        }
        let (call, written): (Vec<String>, bool) = match self.rng.below(10) {
            0..=3 => {
                let mut call = vec!["TOURNEY.INCR".to_string(), board.clone(), member.clone(), score];
                call.extend(data);
                (call, true)
            }
            4..=7 => {
                let mut call = vec!["TOURNEY.SUBMIT".to_string(), board.clone(), member.clone(), score];
                let mode = *self.rng.pick(&["", "BEST", "LATEST"]);
                // DATA before or after the mode.
                if self.rng.one_in(2) {
                    call.extend(data);
                    call.extend((!mode.is_empty()).then(|| mode.to_string()));
                } else {
                    call.extend((!mode.is_empty()).then(|| mode.to_string()));
                    call.extend(data);
                }
                (call, false)
            }
            8 => {
                let mut call = vec!["TOURNEY.REM".to_string(), self.key.clone()];
                for _ in 0..=self.rng.below(3) {
                    call.push(self.member());
                }
                call.extend(Self::season_args(season));
                let reply = self.twin_call(con, &call);
                let model = self.model.entry(board).or_default();
                let removed: BTreeSet<&String> = call[2..].iter().filter(|m| model.members.contains(*m)).collect();
                assert_eq!(reply, removed.len().to_string(), "{call:?}");
                for member in removed.into_iter().cloned().collect::<Vec<_>>() {
                    model.members.remove(&member);
                    model.data.remove(&member);
                }
                if model.members.is_empty() {
                    model.data.clear();
                }
                return;
            }
            _ => {
                // A native DEL: the data stays (stale) until the next write.
                let twin = if season { self.seasons.1.clone() } else { self.twin.clone() };
                sh_ok(con, &format!("DEL {board} {twin}"));
                self.model.entry(board).or_default().members.clear();
                return;
            }
        };
        let mut call = call;
        if season {
            // The season's name is the key's plus the month: name the key and SEASON.
            call[1] = self.key.clone();
            call.extend(Self::season_args(true));
        }
        let reply = self.twin_call(con, &call);
        let stored = written || reply.ends_with(", 1]");
        let model = self.model.entry(board).or_default();
        if model.members.is_empty() {
            model.data.clear();
        }
        model.members.insert(member.clone());
        if stored && with_data {
            model.data.insert(member, value);
        }
    }

    /// Runs `call` (on the key, with its DATA) and the same without DATA on the twin; both
    /// replies must be equal. Returns the reply.
    fn twin_call(&mut self, con: &mut Connection, call: &[String]) -> String {
        let reply = run(con, call);
        assert!(!reply.starts_with("(error)"), "{call:?} -> {reply}");
        let mut plain = call.to_vec();
        plain[1] = self.twin.clone();
        if let Some(at) = plain.iter().position(|word| word == "DATA").filter(|_| call[0] != "TOURNEY.REM") {
            plain.drain(at..at + 2);
        }
        assert_eq!(run(con, &plain), reply, "{call:?} and, without DATA, {plain:?}");
        reply
    }

    /// Every read with WITHDATA equals the same read without it plus the model's data; the
    /// data hashes hold exactly the model's data; the boards and tie structures equal the twin's.
    fn verify(&mut self, con: &mut Connection) {
        for season in [false, true] {
            let board = if season { self.seasons.0.clone() } else { self.key.clone() };
            let model = self.model.get(&board).cloned().unwrap_or_default();
            let shown = if model.members.is_empty() { BTreeMap::new() } else { model.data.clone() };
            let ties = self.rng.pick(&self.ties).to_string();
            let extra = Self::season_args(season);
            // Each read with the index its options start at.
            let mut reads = vec![
                (3, vec!["TOURNEY.TOP".to_string(), self.key.clone(), "20".into()]),
                (3, vec!["TOURNEY.TOP".to_string(), self.key.clone(), "3".into(), "OFFSET".into(), "2".into()]),
                (3, vec!["TOURNEY.TOP".to_string(), self.key.clone(), "20".into(), "TIES".into(), ties.clone()]),
            ];
            let member = self.member();
            reads.push((4, vec!["TOURNEY.AROUND".into(), self.key.clone(), member, "2".into(), "TIES".into(), ties]));
            let mut ranks = vec!["TOURNEY.RANKS".to_string(), self.key.clone(), "5".into()];
            ranks.extend((0..5).map(|_| self.member()));
            reads.push((8, ranks));
            for (options, mut read) in reads {
                read.extend(extra.iter().cloned());
                let plain = ok(con, &read);
                // WITHDATA first or last among the options.
                let at = if self.rng.one_in(2) { options } else { read.len() };
                read.insert(at, "WITHDATA".into());
                let with = ok(con, &read);
                assert_with_data(&plain, &with, &shown, &read);
            }
            let data_key = format!("{board}:data");
            let mut stored = BTreeMap::new();
            if let Value::Array(fields) = ok(con, &["HGETALL", &data_key]) {
                for pair in fields.chunks(2) {
                    stored.insert(text(&pair[0]), text(&pair[1]));
                }
            }
            assert_eq!(stored, model.data, "{data_key}");
        }
        // DATA changes nothing else: the key's board and tie structures equal the twin's.
        let of = |con: &mut Connection, prefix: &str| -> BTreeMap<String, (Vec<u8>, i64)> {
            key_dumps_where(con, |key| key.starts_with(prefix.as_bytes()) && !key.ends_with(b":data"))
                .into_iter()
                .map(|(key, dump)| (String::from_utf8_lossy(&key[prefix.len()..]).into_owned(), dump))
                .collect()
        };
        let (key, twin) = (self.key.clone(), self.twin.clone());
        let mut ours = of(con, &key);
        let mut theirs = of(con, &twin);
        // The settings record when each was created.
        ours.remove(":tourney");
        theirs.remove(":tourney");
        assert_eq!(ours, theirs, "{key} and {twin}");
    }

    fn run(&mut self, con: &mut Connection, steps: usize) {
        for step in 0..steps {
            self.step(con);
            if step % 25 == 24 {
                self.verify(con);
            }
        }
        self.verify(con);
    }
}

/// `with` (a WITHDATA reply) is `plain` with each entry's data from `data` (nil where none).
fn assert_with_data(plain: &Value, with: &Value, data: &BTreeMap<String, String>, read: &[String]) {
    if *plain == Value::Nil {
        assert_eq!(*with, Value::Nil, "{read:?}");
        return;
    }
    let (plain, with) = (items(plain), items(with));
    assert_eq!(plain.len(), with.len(), "{read:?}");
    for (entry, entry_with) in plain.iter().zip(with) {
        let (entry, entry_with) = (items(entry), items(entry_with));
        assert_eq!(entry.len(), 3, "{read:?}");
        assert_eq!(entry_with.len(), 4, "{read:?}");
        assert_eq!(&entry_with[..3], entry, "{read:?}");
        let want = data.get(&text(&entry[0])).map_or(Value::Nil, |value| Value::BulkString(value.clone().into_bytes()));
        assert_eq!(entry_with[3], want, "{read:?}: data of {}", text(&entry[0]));
    }
}

/// The policies of the workloads: every order, tie-break and ties mode that keeps structures.
const POLICIES: [&str; 6] = [
    "",
    "ORDER ASC",
    "TIEBREAK FIRST",
    "TIEBREAK FIRST TIES DENSE ORDER ASC",
    "TIES DENSE",
    "TIES COMPETITION ORDER ASC",
];

fn workloads(con: &mut Connection, seed: u64) -> Vec<Workload> {
    POLICIES
        .iter()
        .enumerate()
        .map(|(index, create)| {
            Workload::create(con, &format!("w:{{{index}}}"), &format!("v:{{{index}}}"), create, seed + index as u64)
        })
        .collect()
}

#[test]
fn random_writes_with_data_match_the_model_and_their_twins() {
    let (_server, mut con) = start();
    in_one_month(&mut con, "w", |con, _, _| {
        for mut work in workloads(con, 0xDA7A) {
            work.run(con, 600);
        }
    });
}

// ==== 7. Replication, AOF, keyspace events ======================================================

#[test]
fn writes_propagate_as_exact_native_commands() {
    let server = Server::start_with(aof_options(&[]));
    let mut con = server.connect();
    let at = server_ms(&mut con) + 3_600_000;
    let (season, expiry) = in_one_month(&mut con, "{p}", |con, season, expiry| {
        for line in [
            "TOURNEY.INCR {p} a 5 DATA x",
            "TOURNEY.SUBMIT {p} a 3 DATA y",
            "TOURNEY.SUBMIT {p} b 3 LATEST DATA SEASON",
            "TOURNEY.INCR {p} b 1",
            "TOURNEY.REM {p} a ghost",
            "TOURNEY.REM {p} b",
            "TOURNEY.INCR {p} c 1 DATA z",
            "DEL {p}",
            "TOURNEY.INCR {p} d 1",
            "TOURNEY.INCR {p} e 2 DATA v SEASON monthly",
            "TOURNEY.REM {p} e SEASON monthly",
        ] {
            sh_ok(con, line);
        }
        (season.to_string(), expiry)
    });
    assert_eq!(sh(&mut con, &format!("TOURNEY.CREATE {{t}} TIEBREAK FIRST EXPIREAT {at}")), "OK");
    sh_ok(&mut con, "TOURNEY.INCR {t} a 1 DATA w");
    let (at, expiry) = (at.to_string(), expiry.to_string());
    let season_data = format!("{season}:data");
    let want: Vec<Vec<&str>> = vec![
        vec!["ZADD", "{p}", "5", "a"],
        vec!["HSET", "{p}:data", "a", "x"],
        // SUBMIT a 3 stores nothing: nothing propagated.
        vec!["ZADD", "{p}", "3", "b"],
        vec!["HSET", "{p}:data", "b", "SEASON"],
        vec!["ZADD", "{p}", "4", "b"],
        vec!["ZREM", "{p}", "a"],
        vec!["HDEL", "{p}:data", "a"],
        // The last member: the data hash goes in one DEL.
        vec!["ZREM", "{p}", "b"],
        vec!["DEL", "{p}:data"],
        vec!["ZADD", "{p}", "1", "c"],
        vec!["HSET", "{p}:data", "c", "z"],
        vec!["DEL", "{p}"],
        // The first write to the deleted board deletes its stale data.
        vec!["DEL", "{p}:data"],
        vec!["ZADD", "{p}", "1", "d"],
        // A season's board and its data, each with the season's expiry.
        vec!["ZADD", &season, "2", "e"],
        vec!["PEXPIREAT", &season, &expiry],
        vec!["HSET", &season_data, "e", "v"],
        vec!["PEXPIREAT", &season_data, &expiry],
        vec!["ZREM", &season, "e"],
        vec!["DEL", &season_data],
        // A tournament's data hash with the tournament's expiry, after its tie structures.
        vec!["SET", "{t}:tourney", "tiebreak first ties ordinal expireat <at>", "PXAT", &at],
        vec!["ZADD", "{t}", "1", "a"],
        vec!["PEXPIREAT", "{t}", &at],
        vec!["HSET", "{t}:arrival", "a", "1"],
        vec!["ZADD", "{t}:order", "1", "<entry>"],
        vec!["PEXPIREAT", "{t}:arrival", &at],
        vec!["PEXPIREAT", "{t}:order", &at],
        vec!["HSET", "{t}:data", "a", "w"],
        vec!["PEXPIREAT", "{t}:data", &at],
    ];
    let got: Vec<Vec<String>> = aof_data_commands(&server.dir)
        .iter()
        .map(|command| {
            let mut shown: Vec<String> = command.iter().map(|arg| String::from_utf8_lossy(arg).into_owned()).collect();
            if shown[0] == "SET" {
                shown[2] = without_created(&shown[2]).replace(&at, "<at>");
            }
            if shown[0] == "ZADD" && shown[1] == "{t}:order" {
                shown[3] = "<entry>".into();
            }
            shown
        })
        .collect();
    let want: Vec<Vec<String>> = want.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect();
    assert_eq!(got, want);
}

/// Every key with its DUMP, but a data hash in the hashtable encoding (its DUMP follows the
/// process's hash seed) with its sorted fields instead.
fn dataset(con: &mut Connection) -> BTreeMap<Vec<u8>, (Vec<u8>, i64)> {
    let mut dumps = key_dumps(con);
    for (key, dump) in dumps.iter_mut() {
        if key.ends_with(b":data") && text(&ok(con, &[&b"OBJECT"[..], b"ENCODING", key])) == "hashtable" {
            let mut fields: Vec<Vec<u8>> = redis::cmd("HGETALL").arg(key).query::<Vec<Vec<u8>>>(con).unwrap();
            let mut pairs: Vec<Vec<u8>> = fields.chunks_mut(2).map(|pair| pair.concat()).collect();
            pairs.sort();
            dump.0 = pairs.join(&b'\n');
        }
    }
    dumps
}

fn assert_aof_is_native(dir: &std::path::Path) {
    assert!(!contains_ignore_case(&aof_bytes(dir), b"tourney."), "a TOURNEY command reached the AOF");
    let names: BTreeSet<String> =
        aof_data_commands(dir).iter().map(|command| String::from_utf8_lossy(&command[0]).to_uppercase()).collect();
    let allowed: BTreeSet<String> =
        ["SET", "ZADD", "ZREM", "HSET", "HDEL", "DEL", "PEXPIREAT"].iter().map(|s| s.to_string()).collect();
    assert_eq!(names, allowed, "the commands in the AOF");
}

#[test]
fn replica_and_aof_reload_hold_the_same_data() {
    let options = aof_options(&["--repl-ping-replica-period", "3600", "--enable-debug-command", "yes"]);
    let primary = Server::start_with(options.clone());
    let replica = primary.start_replica();
    let mut con = primary.connect();
    in_one_month(&mut con, "w", |con, _, _| {
        let mut work = workloads(con, 0x4E91);
        // One data hash outgrows the listpack encoding.
        work[1].long_values = true;
        for step in 0..1500 {
            let count = work.len();
            work[step % count].step(con);
        }
        for board in &mut work {
            board.verify(con);
        }
    });
    // Whatever the workload left: one data hash in each encoding.
    let long = "v".repeat(100);
    ok(&mut con, &["TOURNEY.INCR", "w:{1}", "long", "1", "DATA", &long]);
    sh_ok(&mut con, "TOURNEY.INCR w:{0} short 1 DATA s");
    assert_eq!(sh(&mut con, "OBJECT ENCODING w:{1}:data"), r#""hashtable""#);
    assert_eq!(sh(&mut con, "OBJECT ENCODING w:{0}:data"), r#""listpack""#);
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    let before = dataset(&mut con);
    assert!(before.keys().filter(|key| key.ends_with(b":data")).count() >= 5, "too few data hashes");
    assert_eq!(dataset(&mut replica.connect()), before, "on the replica");
    assert_aof_is_native(&primary.dir);
    assert!(!replica.log().contains("CRITICAL"), "replica log:\n{}", replica.log());

    assert_eq!(sh(&mut con, "DEBUG LOADAOF"), "OK");
    assert_eq!(dataset(&mut con), before, "after DEBUG LOADAOF");
    drop(con);
    let dir = primary.kill();
    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    assert_eq!(dataset(&mut restarted.connect()), before, "after a restart from the AOF");
}

#[test]
fn keyspace_events_follow_hset_and_hdel() {
    let server = Server::start();
    let native = key_events(
        &server,
        "native",
        &["HSET native a 1", "HSET native b 1", "HSET native b 2", "HDEL native a", "HDEL native b"],
    );
    assert_eq!(native, ["hset", "hset", "hset", "hdel", "hdel", "del"], "control: what Redis itself fires");
    let data = key_events(
        &server,
        "k:{e}:data",
        &[
            "TOURNEY.INCR k:{e} a 1 DATA 1",
            "TOURNEY.SUBMIT k:{e} b 1 DATA 1",
            "TOURNEY.SUBMIT k:{e} b 1 DATA 2",
            "TOURNEY.SUBMIT k:{e} b 2 DATA 2",
            "TOURNEY.INCR k:{e} c 1",
            "TOURNEY.REM k:{e} a",
            "TOURNEY.REM k:{e} b",
        ],
    );
    assert_eq!(data, native, "an HDEL that empties the hash must fire `del` too");
    // An emptied board deletes its data in one DEL.
    let emptied = key_events(&server, "k:{f}:data", &["TOURNEY.INCR k:{f} a 1 DATA 1", "TOURNEY.REM k:{f} a"]);
    assert_eq!(emptied, ["hset", "del"]);
    // A hash created with an expiry fires `expire`, as EXPIRE does.
    let at = server_ms(&mut server.connect()) + 3_600_000;
    sh_ok(&mut server.connect(), &format!("TOURNEY.CREATE k:{{g}} EXPIREAT {at}"));
    let expiring =
        key_events(&server, "k:{g}:data", &["TOURNEY.INCR k:{g} a 1 DATA 1", "TOURNEY.INCR k:{g} b 1 DATA 1"]);
    assert_eq!(expiring, ["hset", "expire", "hset"]);
}

// ==== 8. ACL ======================================================================================

#[test]
fn data_writes_and_withdata_reads_need_the_data_hash() {
    let server = Server::start();
    let mut admin = server.connect();
    sh_ok(&mut admin, "TOURNEY.INCR t:{x}:lb ann 5");
    // Write access to the board only.
    assert_eq!(sh(&mut admin, "ACL SETUSER player on nopass ~t:{x}:lb ~plain +@all"), "OK");
    let mut player = login(&server, "player");
    expect(
        &mut player,
        &[
            ("TOURNEY.INCR t:{x}:lb ann 1", r#"["6", 1]"#),
            ("TOURNEY.SUBMIT t:{x}:lb bob 3", r#"["3", 2, 1]"#),
            ("TOURNEY.TOP t:{x}:lb 5", r#"[["ann", "6", 1], ["bob", "3", 2]]"#),
            ("TOURNEY.AROUND t:{x}:lb bob 0", r#"[["bob", "3", 2]]"#),
            ("TOURNEY.RANKS t:{x}:lb 1 bob", r#"[["bob", "3", 2]]"#),
            // No data hash yet: REM needs none.
            ("TOURNEY.REM t:{x}:lb bob", "1"),
            // An untagged key has no data hash to check.
            ("TOURNEY.INCR plain ann 1", r#"["1", 1]"#),
            ("TOURNEY.TOP plain 5 WITHDATA", r#"[["ann", "1", 1, nil]]"#),
        ],
    );
    assert_eq!(sh(&mut admin, "ACL LOG RESET"), "OK");
    let calls = [
        "TOURNEY.INCR t:{x}:lb ann 1 DATA x",
        "TOURNEY.SUBMIT t:{x}:lb ann 1 DATA x",
        "TOURNEY.SUBMIT t:{x}:lb ann 100 LATEST DATA x",
        "TOURNEY.TOP t:{x}:lb 5 WITHDATA",
        "TOURNEY.AROUND t:{x}:lb ann 1 WITHDATA",
        "TOURNEY.RANKS t:{x}:lb 1 ann WITHDATA",
    ];
    for line in calls {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut player, line), MODULE_NOPERM, "{line}");
        assert_eq!(key_dumps(&mut admin), before, "{line}");
    }
    let log = ok(&mut admin, &["ACL", "LOG"]);
    assert_eq!(items(&log).len(), 1, "{}", render(&log));
    let entry = fields(&items(&log)[0]);
    assert_eq!(text(field(&entry, "object")), "t:{x}:lb:data");
    assert_eq!(int(field(&entry, "count")), calls.len() as i64);
    assert_eq!(text(field(&entry, "context")), "module");
    // Once the board has data, a REM or a first write that would delete it needs the hash too.
    sh_ok(&mut admin, "TOURNEY.INCR t:{x}:lb bob 1 DATA b");
    for line in ["TOURNEY.REM t:{x}:lb ann", "TOURNEY.REM t:{x}:lb nobody"] {
        let before = key_dumps(&mut admin);
        assert_eq!(sh(&mut player, line), MODULE_NOPERM, "{line}");
        assert_eq!(key_dumps(&mut admin), before, "{line}");
    }
    sh_ok(&mut admin, "DEL t:{x}:lb");
    refused_as(&mut admin, &mut player, "TOURNEY.INCR t:{x}:lb ann 1");
    expect(&mut player, &[("TOURNEY.TOP t:{x}:lb 5", "[]")]);

    // Read-only on the data hash: WITHDATA reads work, data writes do not.
    sh_ok(&mut admin, "TOURNEY.INCR t:{x}:lb ann 1");
    assert_eq!(sh(&mut admin, "ACL SETUSER viewer on nopass ~t:{x}:lb %R~t:{x}:lb:data +@all"), "OK");
    let mut viewer = login(&server, "viewer");
    expect(
        &mut viewer,
        &[
            ("TOURNEY.TOP t:{x}:lb 5 WITHDATA", r#"[["ann", "1", 1, nil]]"#),
            ("TOURNEY.RANKS t:{x}:lb 1 ann WITHDATA", r#"[["ann", "1", 1, nil]]"#),
            ("TOURNEY.INCR t:{x}:lb ann 1", r#"["2", 1]"#),
        ],
    );
    refused_as(&mut admin, &mut viewer, "TOURNEY.INCR t:{x}:lb ann 1 DATA x");
    sh_ok(&mut admin, "TOURNEY.INCR t:{x}:lb ann 0 DATA a");
    refused_as(&mut admin, &mut viewer, "TOURNEY.REM t:{x}:lb ann");
    expect(&mut viewer, &[("TOURNEY.AROUND t:{x}:lb ann 0 WITHDATA", r#"[["ann", "2", 1, "a"]]"#)]);

    // Full access: everything works.
    assert_eq!(sh(&mut admin, "ACL SETUSER owner on nopass ~t:{x}:lb ~t:{x}:lb:data +@all"), "OK");
    let mut owner = login(&server, "owner");
    expect(
        &mut owner,
        &[
            ("TOURNEY.INCR t:{x}:lb ann 1 DATA b", r#"["3", 1]"#),
            ("TOURNEY.TOP t:{x}:lb 5 WITHDATA", r#"[["ann", "3", 1, "b"]]"#),
            ("TOURNEY.REM t:{x}:lb ann", "1"),
            ("EXISTS t:{x}:lb:data", "0"),
        ],
    );
}

/// `line` run by `user` is refused with the module's NOPERM and changes nothing.
fn refused_as(admin: &mut Connection, user: &mut Connection, line: &str) {
    let before = key_dumps(admin);
    assert_eq!(sh(user, line), MODULE_NOPERM, "{line}");
    assert_eq!(key_dumps(admin), before, "{line}");
}
