//! AUDIT.APPEND / AUDIT.GROUP / AUDIT.INFO against a real server: exact caps and
//! retention, idempotent producers (also across a restart), consumer groups with the
//! native XREADGROUP / XACK / XAUTOCLAIM loop, INFO fields, errors that change nothing,
//! replication and AOF as concrete XADD / XTRIM / HSET effects, ACL on the derived
//! producers key, and the declared keys and docs.

use crate::common::aof::*;
use crate::common::registration::*;
use crate::common::reply::{self, *};
use crate::common::rng::{Random, XorShift64};
use crate::common::*;

use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

// ---- small helpers -----------------------------------------------------------------------

/// The server clock (TIME) in milliseconds, unsigned like the times in stream IDs.
fn server_ms(con: &mut Connection) -> u64 {
    reply::server_ms(con) as u64
}

/// Polls the server clock until it is past `ms`.
fn wait_for_server_ms_after(con: &mut Connection, ms: u64) {
    poll_until(Duration::from_secs(10), || server_ms(con) > ms);
}

// ---- stream helpers -------------------------------------------------------------------------

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Id {
    ms: u64,
    seq: u64,
}

fn id(text: &str) -> Id {
    let (ms, seq) = text.split_once('-').unwrap_or_else(|| panic!("not a stream ID: {text:?}"));
    Id {
        ms: ms.parse().unwrap_or_else(|_| panic!("not a stream ID: {text:?}")),
        seq: seq.parse().unwrap_or_else(|_| panic!("not a stream ID: {text:?}")),
    }
}

/// AUDIT.APPEND `key` with `rest` (options and fields), which must succeed; the new ID.
fn append(con: &mut Connection, key: &str, rest: &str) -> String {
    let mut args = vec!["AUDIT.APPEND", key];
    args.extend(words(rest));
    let reply = ok(con, &args);
    let id_text = text(&reply);
    id(&id_text);
    id_text
}

fn xlen(con: &mut Connection, key: &str) -> i64 {
    int(&ok(con, &["XLEN", key]))
}

/// `XRANGE key - +` as (ID, flat field list).
fn entries(con: &mut Connection, key: &str) -> Vec<(String, Vec<String>)> {
    items(&ok(con, &["XRANGE", key, "-", "+"]))
        .iter()
        .map(|entry| {
            let pair = items(entry);
            (text(&pair[0]), texts(&pair[1]))
        })
        .collect()
}

fn entry_ids(con: &mut Connection, key: &str) -> Vec<String> {
    entries(con, key).into_iter().map(|(id, _)| id).collect()
}

/// The IDs of a stream-entry array (XREADGROUP, XAUTOCLAIM), with the fields or nil.
fn delivered(value: &Value) -> Vec<(String, Option<Vec<String>>)> {
    items(value)
        .iter()
        .map(|entry| {
            let pair = items(entry);
            let fields = match &pair[1] {
                Value::Nil => None,
                list => Some(texts(list)),
            };
            (text(&pair[0]), fields)
        })
        .collect()
}

/// `XREADGROUP GROUP group consumer [COUNT n] STREAMS key from` for one stream: the
/// entries delivered (empty when the reply is nil).
fn read_group(
    con: &mut Connection,
    key: &str,
    group: &str,
    consumer: &str,
    count: Option<usize>,
    from: &str,
) -> Vec<(String, Option<Vec<String>>)> {
    let count_text = count.map(|n| n.to_string());
    let mut args = vec!["XREADGROUP", "GROUP", group, consumer];
    if let Some(count) = &count_text {
        args.extend(["COUNT", count.as_str()]);
    }
    args.extend(["STREAMS", key, from]);
    match ok(con, &args) {
        Value::Nil => Vec::new(),
        reply => {
            let streams = items(&reply);
            assert_eq!(streams.len(), 1, "{}", render(&reply));
            let stream = items(&streams[0]);
            assert_eq!(text(&stream[0]), key);
            delivered(&stream[1])
        }
    }
}

fn ids_of(list: &[(String, Option<Vec<String>>)]) -> Vec<String> {
    list.iter().map(|(id, _)| id.clone()).collect()
}

/// `XPENDING key group - + 100` as (ID, consumer).
fn pending(con: &mut Connection, key: &str, group: &str) -> Vec<(String, String)> {
    items(&ok(con, &["XPENDING", key, group, "-", "+", "100"]))
        .iter()
        .map(|row| {
            let row = items(row);
            (text(&row[0]), text(&row[1]))
        })
        .collect()
}

fn hgetall(con: &mut Connection, key: &str) -> BTreeMap<String, String> {
    texts(&ok(con, &["HGETALL", key])).chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect()
}

/// Every key with its DUMP payload, and the server's count of changes since the last
/// save: both must stay put when a command changes nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    dumps: BTreeMap<Vec<u8>, Vec<u8>>,
    dirty: String,
}

fn snapshot(con: &mut Connection) -> Snapshot {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS *");
    let dumps = keys.into_iter().map(|key| (key.clone(), bytes(&ok(con, &[&b"DUMP"[..], &key])))).collect();
    Snapshot { dumps, dirty: info_field(con, "persistence", "rdb_changes_since_last_save") }
}

/// Runs `call`, which must fail with exactly `expected`, and checks it changed nothing.
fn assert_refused<A: AsRef<[u8]>>(con: &mut Connection, call: &[A], expected: &str) {
    let before = snapshot(con);
    match query(con, call) {
        Ok(value) => panic!("{:?} was accepted: {}", printable(call), render(&value)),
        Err(error) => assert_eq!(error, expected, "{:?}", printable(call)),
    }
    assert_eq!(snapshot(con), before, "{:?} changed the data set", printable(call));
}

/// `AUDIT.INFO key` rendered, for exact comparisons.
fn audit_info(con: &mut Connection, key: &str) -> String {
    run(con, &["AUDIT.INFO", key])
}

fn assert_healthy(server: &mut Server) {
    assert!(server.is_up(), "the server went down");
    let log = server.log();
    assert!(!log.contains("panicked"), "a command panicked:\n{log}");
    assert!(!log.contains("crashed"), "the server crashed:\n{log}");
}

// ---- 1. AUDIT.APPEND: entries, IDs, caps ------------------------------------------------------

#[test]
fn append_replies_an_id_that_xrange_shows_with_exactly_the_given_fields() {
    let server = Server::start();
    let mut con = server.connect();
    let before = server_ms(&mut con);
    let first = append(&mut con, "{audit}", "action add sku 42 qty 3");
    let after = server_ms(&mut con);
    assert!((before..=after).contains(&id(&first).ms), "{first} is not the server time ({before}..{after})");
    assert_eq!(
        entries(&mut con, "{audit}"),
        [(first.clone(), words("action add sku 42 qty 3").iter().map(std::string::ToString::to_string).collect())]
    );

    // Repeated field names, option words after the first field and binary values are
    // stored as given, in order.
    let second = append(&mut con, "{audit}", "b 2 a 1 b 3 MAXLEN 1 IDEMPOTENT x");
    let value = [&b"AUDIT.APPEND"[..], b"{audit}", b"bin\0field", b"\xff\x00\xfe", b"empty", b""];
    let third = text(&ok(&mut con, &value));
    let range = ok(&mut con, &["XRANGE", "{audit}", "-", "+"]);
    let range = items(&range);
    assert_eq!(range.len(), 3, "MAXLEN after the first field is a field, not an option");
    assert_eq!(text(&items(&range[1])[0]), second);
    assert_eq!(texts(&items(&range[1])[1]), words("b 2 a 1 b 3 MAXLEN 1 IDEMPOTENT x"));
    assert_eq!(text(&items(&range[2])[0]), third);
    let stored: Vec<Vec<u8>> = items(&items(&range[2])[1]).iter().map(bytes).collect();
    assert_eq!(stored, [&b"bin\0field"[..], b"\xff\x00\xfe", b"empty", b""]);
    assert_eq!(sh(&mut con, "EXISTS {audit}:producers"), "0", "no IDEMPOTENT option, no producers key");

    // IDs strictly increase, also within one millisecond.
    let mut previous = id(&third);
    for n in 0..200 {
        let next = id(&append(&mut con, "{audit}", &format!("n {n}")));
        assert!(next > previous, "{next:?} after {previous:?}");
        previous = next;
    }
    assert_eq!(xlen(&mut con, "{audit}"), 203);
    let ids: Vec<Id> = entry_ids(&mut con, "{audit}").iter().map(|i| id(i)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ids.last(), Some(&previous));
}

#[test]
fn maxlen_caps_the_stream_exactly_dropping_the_oldest() {
    let server = Server::start();
    let mut con = server.connect();
    let mut appended = Vec::new();
    for n in 0..20 {
        appended.push(append(&mut con, "{audit}", &format!("MAXLEN 5 n {n}")));
        assert_eq!(xlen(&mut con, "{audit}"), (n + 1).min(5), "after append {n}");
    }
    assert_eq!(entry_ids(&mut con, "{audit}"), appended[15..]);
    assert_eq!(entries(&mut con, "{audit}")[0].1, ["n", "15"]);

    // A smaller MAXLEN shrinks at once, to exactly that many (the newest).
    let newest = append(&mut con, "{audit}", "MAXLEN 2 n 20");
    assert_eq!(entry_ids(&mut con, "{audit}"), [appended[19].clone(), newest.clone()]);
    let only = append(&mut con, "{audit}", "maxlen 1 n 21");
    assert_eq!(entry_ids(&mut con, "{audit}"), [only]);
    // The trimmed entries count as added.
    assert_eq!(int(field(&fields(&ok(&mut con, &["XINFO", "STREAM", "{audit}"])), "entries-added")), 22);
}

#[test]
fn maxlen_above_the_config_cap_is_clamped_to_it() {
    let server = Server::start();
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-max-len", "4");
    let mut appended = Vec::new();
    for n in 0..6 {
        appended.push(append(&mut con, "{audit}", &format!("MAXLEN 1000 n {n}")));
    }
    for n in 6..10 {
        appended.push(append(&mut con, "{audit}", &format!("MAXLEN 9223372036854775807 n {n}")));
    }
    assert_eq!(entry_ids(&mut con, "{audit}"), appended[6..]);
    assert!(
        audit_info(&mut con, "{audit}").starts_with("[\"length\", 4, \"cap\", 4, "),
        "{}",
        audit_info(&mut con, "{audit}")
    );
    // A MAXLEN below the cap still wins.
    append(&mut con, "{audit}", "MAXLEN 3 n 10");
    assert_eq!(xlen(&mut con, "{audit}"), 3);
}

#[test]
fn without_maxlen_the_config_cap_applies() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG GET tally.audit-max-len"), "[\"tally.audit-max-len\", \"10000\"]");
    config_set(&mut con, "tally.audit-max-len", "3");
    let appended: Vec<String> = (0..10).map(|n| append(&mut con, "{audit}", &format!("n {n}"))).collect();
    assert_eq!(entry_ids(&mut con, "{audit}"), appended[7..]);

    // Raised: the stream grows up to the new cap; lowered: the next append trims to it.
    config_set(&mut con, "tally.audit-max-len", "5");
    for n in 10..20 {
        append(&mut con, "{audit}", &format!("n {n}"));
    }
    assert_eq!(xlen(&mut con, "{audit}"), 5);
    config_set(&mut con, "tally.audit-max-len", "2");
    assert_eq!(xlen(&mut con, "{audit}"), 5, "a config change alone trims nothing");
    let last = append(&mut con, "{audit}", "n 20");
    assert_eq!(entries(&mut con, "{audit}").into_iter().map(|(_, f)| f[1].clone()).collect::<Vec<_>>(), ["19", "20"]);
    assert_eq!(entry_ids(&mut con, "{audit}")[1], last);
}

#[test]
fn a_hundred_thousand_appends_with_cap_1000_leave_exactly_1000() {
    let server = Server::start();
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-max-len", "1000");
    let mut last_id = String::new();
    for batch in 0..100 {
        let mut pipe = redis::pipe();
        for n in batch * 1000..(batch + 1) * 1000 {
            pipe.cmd("AUDIT.APPEND").arg("{audit}").arg("n").arg(n);
        }
        let replies: Vec<Value> = pipe.query(&mut con).expect("a batch of appends");
        assert_eq!(replies.len(), 1000);
        last_id = text(&replies[999]);
        assert_eq!(xlen(&mut con, "{audit}"), 1000.min((i64::from(batch) + 1) * 1000));
    }
    assert_eq!(xlen(&mut con, "{audit}"), 1000);
    let all = entries(&mut con, "{audit}");
    assert_eq!(all.first().map(|(_, f)| f.clone()), Some(vec!["n".to_string(), "99000".to_string()]));
    assert_eq!(
        all.last().map(|(i, f)| (i.clone(), f.clone())),
        Some((last_id, vec!["n".to_string(), "99999".to_string()]))
    );
    let info = fields(&ok(&mut con, &["AUDIT.INFO", "{audit}"]));
    assert_eq!(int(field(&info, "entries-added")), 100_000);
    assert_eq!(int(field(&info, "length")), 1000);
}

// ---- 2. retention ------------------------------------------------------------------------------

#[test]
fn retention_trims_entries_older_than_the_window() {
    let server = Server::start();
    let mut con = server.connect();
    // A long window keeps everything.
    config_set(&mut con, "tally.audit-retention-ms", "3600000");
    append(&mut con, "{audit}", "n 1");
    append(&mut con, "{audit}", "n 2");
    assert_eq!(xlen(&mut con, "{audit}"), 2);

    config_set(&mut con, "tally.audit-retention-ms", "50");
    let old = entry_ids(&mut con, "{audit}");
    wait_for_server_ms_after(&mut con, id(&old[1]).ms + 50);
    let new = append(&mut con, "{audit}", "n 3");
    assert_eq!(entry_ids(&mut con, "{audit}"), std::slice::from_ref(&new), "the entries older than 50 ms are gone");
    assert_eq!(xlen(&mut con, "{audit}"), 1);
    let info = fields(&ok(&mut con, &["AUDIT.INFO", "{audit}"]));
    assert_eq!(int(field(&info, "retention-ms")), 50);
    assert_eq!(text(field(&info, "first-entry-id")), new);
    assert_eq!(int(field(&info, "entries-added")), 3);
}

#[test]
fn retention_keeps_entries_inside_the_window() {
    let server = Server::start();
    let mut con = server.connect();
    // Entries with chosen IDs: two minutes old, and one second old.
    let now = server_ms(&mut con);
    let stale = format!("{}-0", now - 120_000);
    let recent = format!("{}-0", now - 1_000);
    assert_eq!(run(&mut con, &["XADD", "{audit}", &stale, "age", "old"]), format!("\"{stale}\""));
    assert_eq!(run(&mut con, &["XADD", "{audit}", &recent, "age", "recent"]), format!("\"{recent}\""));
    config_set(&mut con, "tally.audit-retention-ms", "60000");
    let new = append(&mut con, "{audit}", "age new");
    assert_eq!(entry_ids(&mut con, "{audit}"), [recent.clone(), new]);
    // Off again: nothing is aged out any more.
    config_set(&mut con, "tally.audit-retention-ms", "0");
    assert_eq!(run(&mut con, &["XADD", "{audit2}", &stale, "age", "old"]), format!("\"{stale}\""));
    append(&mut con, "{audit2}", "age new");
    assert_eq!(xlen(&mut con, "{audit2}"), 2);
}

// ---- 3. IDEMPOTENT -------------------------------------------------------------------------------

#[test]
fn idempotent_retry_replies_the_original_id_and_appends_nothing() {
    let server = Server::start();
    let mut con = server.connect();
    append(&mut con, "{audit}", "warmup 1");
    let first = append(&mut con, "{audit}", "IDEMPOTENT pos-7 1 action sale amount 10");
    assert_eq!(xlen(&mut con, "{audit}"), 2);
    let before = snapshot(&mut con);
    for retry in [
        "IDEMPOTENT pos-7 1 action sale amount 10",
        "IDEMPOTENT pos-7 1 other payload",
        "MAXLEN 1 IDEMPOTENT pos-7 1 a b",
    ] {
        assert_eq!(append(&mut con, "{audit}", retry), first, "{retry}");
        assert_eq!(snapshot(&mut con), before, "a retry changed the data: {retry}");
    }
    assert_eq!(xlen(&mut con, "{audit}"), 2, "the MAXLEN 1 retry must not trim either");
    // Options in either order.
    let second = append(&mut con, "{audit}", "IDEMPOTENT pos-7 2 MAXLEN 100 action sale amount 11");
    assert_eq!(append(&mut con, "{audit}", "MAXLEN 100 IDEMPOTENT pos-7 2 action sale amount 11"), second);
    assert_eq!(xlen(&mut con, "{audit}"), 3);
}

#[test]
fn idempotent_higher_sequences_append_and_lower_ones_are_refused() {
    let server = Server::start();
    let mut con = server.connect();
    let at_five = append(&mut con, "{audit}", "IDEMPOTENT p1 5 n 5");
    let at_six = append(&mut con, "{audit}", "IDEMPOTENT p1 6 n 6");
    // Gaps are fine: any higher sequence appends.
    let at_ten = append(&mut con, "{audit}", "IDEMPOTENT p1 10 n 10");
    assert!(id(&at_five) < id(&at_six) && id(&at_six) < id(&at_ten));
    assert_eq!(xlen(&mut con, "{audit}"), 3);
    for seq in ["9", "6", "0"] {
        assert_refused(
            &mut con,
            &["AUDIT.APPEND", "{audit}", "IDEMPOTENT", "p1", seq, "n", seq],
            &format!("ERR sequence {seq} is below the producer's last accepted sequence 10"),
        );
    }
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT p1 10 n 10"), at_ten);
    let top = append(&mut con, "{audit}", "IDEMPOTENT p1 9223372036854775807 n max");
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT p1 9223372036854775807 n max"), top);
    assert_eq!(xlen(&mut con, "{audit}"), 4);
    assert_eq!(hgetall(&mut con, "{audit}:producers")["p1"], format!("9223372036854775807 {top}"));
}

#[test]
fn idempotent_producers_are_independent() {
    let server = Server::start();
    let mut con = server.connect();
    let a5 = append(&mut con, "{audit}", "IDEMPOTENT a 5 from a");
    // Another producer may start lower, and reuse the same sequence numbers.
    let b1 = append(&mut con, "{audit}", "IDEMPOTENT b 1 from b");
    let b5 = append(&mut con, "{audit}", "IDEMPOTENT b 5 from b");
    assert_ne!(b5, a5);
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT a 5 from a"), a5);
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT b 5 from b"), b5);
    assert_eq!(
        run(&mut con, &words("AUDIT.APPEND {audit} IDEMPOTENT b 1 from b")),
        "(error) ERR sequence 1 is below the producer's last accepted sequence 5"
    );
    // Producer names are case-sensitive and binary.
    let upper = append(&mut con, "{audit}", "IDEMPOTENT A 1 from A");
    let binary = text(&ok(&mut con, &[&b"AUDIT.APPEND"[..], b"{audit}", b"IDEMPOTENT", b"\x00\xff", b"1", b"f", b"v"]));
    assert_eq!(xlen(&mut con, "{audit}"), 5);
    let state = ok(&mut con, &["HGETALL", "{audit}:producers"]);
    let state: BTreeMap<Vec<u8>, String> = items(&state).chunks(2).map(|p| (bytes(&p[0]), text(&p[1]))).collect();
    let expected: BTreeMap<Vec<u8>, String> = [
        (b"a".to_vec(), format!("5 {a5}")),
        (b"b".to_vec(), format!("5 {b5}")),
        (b"A".to_vec(), format!("1 {upper}")),
        (b"\x00\xff".to_vec(), format!("1 {binary}")),
    ]
    .into_iter()
    .collect();
    assert_eq!(state, expected);
    // The same producer on another stream is another producer.
    let other = append(&mut con, "{audit2}", "IDEMPOTENT a 5 from a");
    assert_eq!(xlen(&mut con, "{audit2}"), 1);
    assert_eq!(hgetall(&mut con, "{audit2}:producers")["a"], format!("5 {other}"));
    assert_eq!(hgetall(&mut con, "{audit}:producers")["a"], format!("5 {a5}"));
    assert!(id(&b1) < id(&b5));
}

#[test]
fn producers_key_is_named_after_the_hash_tag() {
    let server = Server::start();
    let mut con = server.connect();
    // With a hash tag: `<key>:producers`, same tag.
    let tagged = append(&mut con, "warehouse:{inv}:audit", "IDEMPOTENT scanner-1 3 sku 42");
    assert_eq!(sh(&mut con, "TYPE warehouse:{inv}:audit:producers"), "hash");
    assert_eq!(
        hgetall(&mut con, "warehouse:{inv}:audit:producers"),
        [("scanner-1".to_string(), format!("3 {tagged}"))].into_iter().collect()
    );
    // Without one, no producers key (issue 19 #2): `{audit}:producers` is the stream `{audit}`'s,
    // so the untagged stream `audit` would share it. IDEMPOTENT is refused; plain appends work.
    for key in ["audit", "a}b"] {
        assert_refused(
            &mut con,
            &words(&format!("AUDIT.APPEND {key} IDEMPOTENT p 1 f v")),
            &format!("ERR audit log '{key}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it"),
        );
        append(&mut con, key, "f v");
    }
    let mut keys = texts(&ok(&mut con, &["KEYS", "*"]));
    keys.sort();
    assert_eq!(keys, ["audit", "a}b", "warehouse:{inv}:audit", "warehouse:{inv}:audit:producers"]);
}

#[test]
fn max_producers_bounds_new_producers_only() {
    let server = Server::start();
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-max-producers", "2");
    let p1 = append(&mut con, "{audit}", "IDEMPOTENT p1 1 n 1");
    append(&mut con, "{audit}", "IDEMPOTENT p2 1 n 2");
    let refused = "ERR the stream already tracks tally.audit-max-producers (2) idempotent producers";
    assert_refused(&mut con, &words("AUDIT.APPEND {audit} IDEMPOTENT p3 1 n 3"), refused);
    assert_refused(&mut con, &words("AUDIT.APPEND {audit} MAXLEN 1 IDEMPOTENT p3 0 n 3"), refused);
    // Known producers keep working: retries, new sequences, stale ones refused as before.
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT p1 1 n 1"), p1);
    append(&mut con, "{audit}", "IDEMPOTENT p1 2 n 4");
    assert_refused(
        &mut con,
        &words("AUDIT.APPEND {audit} IDEMPOTENT p1 1 n 1"),
        "ERR sequence 1 is below the producer's last accepted sequence 2",
    );
    // Plain appends are not bounded; other streams have their own bound.
    append(&mut con, "{audit}", "n 5");
    append(&mut con, "{other}", "IDEMPOTENT p3 1 n 1");
    assert_eq!(xlen(&mut con, "{audit}"), 4);
    assert_eq!(sh(&mut con, "HLEN {audit}:producers"), "2");
    config_set(&mut con, "tally.audit-max-producers", "3");
    append(&mut con, "{audit}", "IDEMPOTENT p3 1 n 3");
    assert_eq!(sh(&mut con, "HLEN {audit}:producers"), "3");
}

#[test]
fn idempotent_state_survives_a_restart() {
    let options = aof_options(&[]);
    let server = Server::start_with(options.clone());
    let mut con = server.connect();
    let first = append(&mut con, "{audit}", "IDEMPOTENT pos-1 41 action sale");
    let second = append(&mut con, "{audit}", "IDEMPOTENT pos-1 42 action refund");
    drop(con);
    let dir = server.kill();

    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    let mut con = restarted.connect();
    assert_eq!(append(&mut con, "{audit}", "IDEMPOTENT pos-1 42 action refund"), second, "a retry after the restart");
    assert_eq!(entry_ids(&mut con, "{audit}"), [first, second.clone()]);
    assert_eq!(
        run(&mut con, &words("AUDIT.APPEND {audit} IDEMPOTENT pos-1 41 action sale")),
        "(error) ERR sequence 41 is below the producer's last accepted sequence 42"
    );
    let third = append(&mut con, "{audit}", "IDEMPOTENT pos-1 43 action sale");
    assert!(id(&third) > id(&second));
    assert_eq!(xlen(&mut con, "{audit}"), 3);
}

// ---- 4. AUDIT.GROUP ------------------------------------------------------------------------------

/// `XINFO GROUPS key` as (name, last-delivered-id).
fn groups(con: &mut Connection, key: &str) -> Vec<(String, String)> {
    items(&ok(con, &["XINFO", "GROUPS", key]))
        .iter()
        .map(fields)
        .map(|g| (text(field(&g, "name")), text(field(&g, "last-delivered-id"))))
        .collect()
}

#[test]
fn group_creates_the_stream_and_the_group_and_is_ok_on_repeat() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "EXISTS jobs"), "0");
    assert_eq!(sh(&mut con, "AUDIT.GROUP jobs workers"), "OK");
    assert_eq!(sh(&mut con, "TYPE jobs"), "stream");
    assert_eq!(xlen(&mut con, "jobs"), 0);
    assert_eq!(groups(&mut con, "jobs"), [("workers".to_string(), "0-0".to_string())]);

    // Repeats (with any start) are OK and leave the group as it was.
    let first = append(&mut con, "jobs", "job 1");
    assert_eq!(sh(&mut con, "AUDIT.GROUP jobs late"), "OK");
    let before = snapshot(&mut con);
    for line in [
        "AUDIT.GROUP jobs workers",
        "AUDIT.GROUP jobs workers START $",
        "AUDIT.GROUP jobs late START 0",
        "audit.group jobs late start 0-1",
    ] {
        assert_eq!(sh(&mut con, line), "OK", "{line}");
        assert_eq!(snapshot(&mut con), before, "{line} changed the data set");
    }
    assert_eq!(groups(&mut con, "jobs"), [("late".to_string(), first), ("workers".to_string(), "0-0".to_string())]);
}

#[test]
fn group_start_0_delivers_existing_entries_and_the_default_only_new_ones() {
    let server = Server::start();
    let mut con = server.connect();
    let old: Vec<String> = (1..=3).map(|n| append(&mut con, "{audit}", &format!("n {n}"))).collect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} from-start START 0"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} from-now"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} from-now-explicit START $"), "OK");
    assert_eq!(run(&mut con, &["AUDIT.GROUP", "{audit}", "after-first", "START", &old[0]]), "OK");

    let all = read_group(&mut con, "{audit}", "from-start", "c", None, ">");
    assert_eq!(ids_of(&all), old);
    assert_eq!(all[2].1, Some(vec!["n".to_string(), "3".to_string()]));
    assert_eq!(ids_of(&read_group(&mut con, "{audit}", "after-first", "c", None, ">")), old[1..]);
    for group in ["from-now", "from-now-explicit"] {
        assert!(read_group(&mut con, "{audit}", group, "c", None, ">").is_empty(), "{group}");
    }
    let new = append(&mut con, "{audit}", "n 4");
    for group in ["from-start", "from-now", "from-now-explicit", "after-first"] {
        assert_eq!(
            ids_of(&read_group(&mut con, "{audit}", group, "c", None, ">")),
            std::slice::from_ref(&new),
            "{group}"
        );
    }
}

#[test]
fn group_errors_change_nothing() {
    let mut server = Server::start();
    let mut con = server.connect();
    append(&mut con, "{audit}", "n 1");
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g"), "OK");
    assert_eq!(sh(&mut con, "SET text x"), "OK");
    let invalid_id = "ERR Invalid stream ID specified as stream command argument";
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for (line, expected) in [
        ("AUDIT.GROUP {audit} g2 START abc", invalid_id),
        ("AUDIT.GROUP new g START abc", invalid_id),
        ("AUDIT.GROUP new g START 1-x", invalid_id),
        ("AUDIT.GROUP new g START >", invalid_id),
        ("AUDIT.GROUP text g", wrongtype),
        ("AUDIT.GROUP text g START 0", wrongtype),
        ("AUDIT.GROUP {audit} g2 FROM 0", "ERR syntax error"),
        ("AUDIT.GROUP new g2 MKSTREAM 0", "ERR syntax error"),
        ("AUDIT.GROUP {audit} g2 START", "ERR wrong number of arguments for 'audit.group' command"),
        ("AUDIT.GROUP {audit} g2 START 0 extra", "ERR wrong number of arguments for 'audit.group' command"),
        ("AUDIT.GROUP {audit}", "ERR wrong number of arguments for 'audit.group' command"),
    ] {
        assert_refused(&mut con, &words(line), expected);
    }
    assert_refused(&mut con, &["AUDIT.GROUP", "{audit}", ""], "ERR group name must not be empty");
    assert_refused(&mut con, &["AUDIT.GROUP", "new", "", "START", "0"], "ERR group name must not be empty");
    assert_eq!(sh(&mut con, "EXISTS new"), "0");
    assert_eq!(groups(&mut con, "{audit}").len(), 1);
    assert_healthy(&mut server);
}

// ---- 5. the native consumer loop on an AUDIT stream -----------------------------------------------

#[test]
fn consumers_read_ack_and_take_over_with_native_commands() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g"), "OK");
    let appended: Vec<String> = (1..=5).map(|n| append(&mut con, "{audit}", &format!("n {n}"))).collect();

    let got = read_group(&mut con, "{audit}", "g", "c1", Some(3), ">");
    assert_eq!(ids_of(&got), appended[..3]);
    assert_eq!(got[0].1, Some(vec!["n".to_string(), "1".to_string()]));
    assert_eq!(run(&mut con, &["XACK", "{audit}", "g", &appended[0]]), "1");
    assert_eq!(run(&mut con, &["XACK", "{audit}", "g", &appended[0]]), "0");
    let c1 = |ids: &[String]| ids.iter().map(|i| (i.clone(), "c1".to_string())).collect::<Vec<_>>();
    assert_eq!(pending(&mut con, "{audit}", "g"), c1(&appended[1..3]));

    // c1 dies: c2 takes its pending entries over, then reads on.
    let claimed = ok(&mut con, &["XAUTOCLAIM", "{audit}", "g", "c2", "0", "0-0"]);
    let claimed = items(&claimed);
    assert_eq!(claimed.len(), 3, "Redis 7 XAUTOCLAIM: cursor, entries, deleted IDs");
    assert_eq!(text(&claimed[0]), "0-0");
    let taken = delivered(&claimed[1]);
    assert_eq!(ids_of(&taken), appended[1..3]);
    assert_eq!(taken[1].1, Some(vec!["n".to_string(), "3".to_string()]));
    assert!(items(&claimed[2]).is_empty());
    let c2: Vec<(String, String)> = appended[1..3].iter().map(|i| (i.clone(), "c2".to_string())).collect();
    assert_eq!(pending(&mut con, "{audit}", "g"), c2);
    assert_eq!(ids_of(&read_group(&mut con, "{audit}", "g", "c2", None, ">")), appended[3..]);
    let mut ack = vec!["XACK", "{audit}", "g"];
    ack.extend(appended[1..].iter().map(String::as_str));
    assert_eq!(run(&mut con, &ack), "4");
    assert!(pending(&mut con, "{audit}", "g").is_empty());
    assert!(read_group(&mut con, "{audit}", "g", "c1", None, ">").is_empty());
    // Appends after the loop started are delivered too.
    let late = append(&mut con, "{audit}", "n 6");
    assert_eq!(ids_of(&read_group(&mut con, "{audit}", "g", "c1", None, ">")), [late]);
}

#[test]
fn pending_entries_trimmed_by_the_cap_stay_pending_until_xautoclaim() {
    let server = Server::start();
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-max-len", "5");
    let mut appended: Vec<String> = (1..=5).map(|n| append(&mut con, "{audit}", &format!("n {n}"))).collect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g START 0"), "OK");
    assert_eq!(ids_of(&read_group(&mut con, "{audit}", "g", "c1", Some(3), ">")), appended[..3]);
    // Four more appends: the cap trims the first four, three of them pending.
    appended.extend((6..=9).map(|n| append(&mut con, "{audit}", &format!("n {n}"))));
    assert_eq!(entry_ids(&mut con, "{audit}"), appended[4..]);

    let c1: Vec<(String, String)> = appended[..3].iter().map(|i| (i.clone(), "c1".to_string())).collect();
    assert_eq!(pending(&mut con, "{audit}", "g"), c1, "trimming leaves the PEL alone");
    assert_eq!(int(field(&fields(&ok(&mut con, &["AUDIT.INFO", "{audit}"])), "length")), 5);
    // The consumer's history shows the trimmed entries with nil fields.
    let history = read_group(&mut con, "{audit}", "g", "c1", None, "0");
    assert_eq!(history, appended[..3].iter().map(|i| (i.clone(), None)).collect::<Vec<_>>());

    // XAUTOCLAIM reports them as deleted and drops them from the PEL.
    let claimed = ok(&mut con, &["XAUTOCLAIM", "{audit}", "g", "c2", "0", "0-0"]);
    let claimed = items(&claimed);
    assert_eq!(text(&claimed[0]), "0-0");
    assert!(items(&claimed[1]).is_empty(), "no live entry to claim: {}", render(&claimed[1]));
    assert_eq!(texts(&claimed[2]), appended[..3]);
    assert!(pending(&mut con, "{audit}", "g").is_empty());
    let info = fields(&items(&fields(&ok(&mut con, &["AUDIT.INFO", "{audit}"]))["groups"])[0]);
    assert_eq!(int(field(&info, "pending")), 0);
    // The entry that was never delivered and survived is delivered next.
    assert_eq!(ids_of(&read_group(&mut con, "{audit}", "g", "c2", None, ">")), appended[4..]);
}

// ---- 6. AUDIT.INFO ------------------------------------------------------------------------------------

#[test]
fn info_is_nil_for_a_missing_key_and_wrongtype_for_other_types() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.INFO missing"), "nil");
    assert_eq!(sh(&mut con, "EXISTS missing"), "0");
    assert_eq!(sh(&mut con, "SET text x"), "OK");
    assert_eq!(sh(&mut con, "HSET hash f v"), "1");
    for key in ["text", "hash"] {
        assert_refused(
            &mut con,
            &["AUDIT.INFO", key],
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        );
    }
    assert_refused(&mut con, &["AUDIT.INFO", "a", "b"], "ERR wrong number of arguments for 'audit.info' command");
    assert_refused(&mut con, &["AUDIT.INFO"], "ERR wrong number of arguments for 'audit.info' command");
}

#[test]
fn info_reports_every_field_of_a_stream_with_two_groups() {
    let server = Server::start();
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-max-len", "100");
    config_set(&mut con, "tally.audit-retention-ms", "3600000");
    let mut ids: Vec<String> = (1..=4).map(|n| append(&mut con, "{audit}", &format!("n {n}"))).collect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g1 START 0"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g2"), "OK");
    ids.push(append(&mut con, "{audit}", "n 5"));
    // (consumers, pending, lag) of each group; the lag as rendered (`nil` when unknown).
    let expect = |ids: &[String], length: usize, added: usize, g1: (i64, i64, &str), g2: (i64, i64, &str)| {
        format!(
            "[\"length\", {length}, \"cap\", 100, \"retention-ms\", 3600000, \"first-entry-id\", \"{}\", \
             \"last-entry-id\", \"{}\", \"entries-added\", {added}, \"groups\", [\
             [\"name\", \"g1\", \"consumers\", {}, \"pending\", {}, \"lag\", {}], \
             [\"name\", \"g2\", \"consumers\", {}, \"pending\", {}, \"lag\", {}]]{UNCREATED}]",
            ids[ids.len() - length],
            ids[ids.len() - 1],
            g1.0,
            g1.1,
            g1.2,
            g2.0,
            g2.1,
            g2.2
        )
    };
    // Nothing read yet: g1 (from 0) lags all five. g2 was created at $ when the stream
    // held four entries; Redis 7.0 keeps no entries-read counter for a group created in
    // the middle of the stream, so XINFO (and AUDIT.INFO) report its lag as unknown.
    assert_eq!(audit_info(&mut con, "{audit}"), expect(&ids, 5, 5, (0, 0, "5"), (0, 0, "nil")));

    assert_eq!(read_group(&mut con, "{audit}", "g1", "c1", Some(3), ">").len(), 3);
    assert_eq!(run(&mut con, &["XACK", "{audit}", "g1", &ids[0]]), "1");
    assert_eq!(read_group(&mut con, "{audit}", "g2", "c1", None, ">").len(), 1);
    // Redis 7.0 creates no consumer for a read that delivers nothing (Redis 8 and Valkey
    // do); make sure c2 exists either way.
    assert!(read_group(&mut con, "{audit}", "g2", "c2", None, ">").is_empty());
    let consumers = sh(&mut con, "XINFO CONSUMERS {audit} g2");
    let created = if consumers.contains("c2") { "0" } else { "1" };
    assert_eq!(sh(&mut con, "XGROUP CREATECONSUMER {audit} g2 c2"), created);
    assert_eq!(run(&mut con, &["XACK", "{audit}", "g2", &ids[4]]), "1");
    // g1: c1 holds 2 unacked of 3 read, 2 unread; g2: two consumers, all read and acked.
    assert_eq!(audit_info(&mut con, "{audit}"), expect(&ids, 5, 5, (1, 2, "2"), (2, 0, "0")));

    // Each value agrees with XINFO.
    let info = fields(&ok(&mut con, &["AUDIT.INFO", "{audit}"]));
    let stream = fields(&ok(&mut con, &["XINFO", "STREAM", "{audit}"]));
    assert_eq!(field(&info, "length"), field(&stream, "length"));
    assert_eq!(field(&info, "entries-added"), field(&stream, "entries-added"));
    assert_eq!(text(field(&info, "last-entry-id")), text(field(&stream, "last-generated-id")));
    let native: Vec<BTreeMap<String, Value>> =
        items(&ok(&mut con, &["XINFO", "GROUPS", "{audit}"])).iter().map(fields).collect();
    let ours: Vec<BTreeMap<String, Value>> = items(field(&info, "groups")).iter().map(fields).collect();
    for (native, ours) in native.iter().zip(&ours) {
        for name in ["name", "consumers", "pending", "lag"] {
            assert_eq!(field(ours, name), field(native, name), "{name}");
        }
    }

    // After trimming: the length and first ID follow, entries-added keeps counting.
    // A lag that counts trimmed entries is the server's call (Redis 7.0 and Valkey: 3, the
    // entries g1 has not read; Redis 8.2: 2, bounded by the length); AUDIT.INFO shows XINFO's.
    ids.push(append(&mut con, "{audit}", "MAXLEN 2 n 6"));
    let groups = ok(&mut con, &["XINFO", "GROUPS", "{audit}"]);
    let g1_lag = items(&groups).first().map(|g1| render(field(&fields(g1), "lag"))).unwrap_or_default();
    assert!(["2", "3"].contains(&g1_lag.as_str()), "g1 lag {g1_lag}");
    assert_eq!(audit_info(&mut con, "{audit}"), expect(&ids, 2, 6, (1, 2, &g1_lag), (2, 0, "1")));
    // The cap and retention shown are the current configs.
    config_set(&mut con, "tally.audit-max-len", "7");
    config_set(&mut con, "tally.audit-retention-ms", "0");
    assert!(audit_info(&mut con, "{audit}").starts_with("[\"length\", 2, \"cap\", 7, \"retention-ms\", 0, "));
}

/// The end of AUDIT.INFO for a stream AUDIT.CREATE never gave settings: the configs' exact
/// cap, trimming, no chain, and no count of appends left (that is for ONFULL REFUSE).
const UNCREATED: &str = ", \"mode\", \"=\", \"onfull\", \"trim\", \"chain\", 0, \"remaining\", nil";

#[test]
fn info_on_an_empty_stream_and_an_unknown_lag() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP jobs g"), "OK");
    assert_eq!(
        audit_info(&mut con, "jobs"),
        format!(
            "[\"length\", 0, \"cap\", 10000, \"retention-ms\", 0, \"first-entry-id\", nil, \"last-entry-id\", nil, \
             \"entries-added\", 0, \"groups\", [[\"name\", \"g\", \"consumers\", 0, \"pending\", 0, \"lag\", 0]]{UNCREATED}]"
        )
    );
    // A stream without groups.
    let only = append(&mut con, "plain", "n 1");
    assert_eq!(
        audit_info(&mut con, "plain"),
        format!(
            "[\"length\", 1, \"cap\", 10000, \"retention-ms\", 0, \"first-entry-id\", \"{only}\", \"last-entry-id\", \
             \"{only}\", \"entries-added\", 1, \"groups\", []{UNCREATED}]"
        )
    );
    // XDEL in the middle of the unread range makes XINFO's lag unknown: nil.
    let ids: Vec<String> = (1..=4).map(|n| append(&mut con, "jobs", &format!("n {n}"))).collect();
    assert_eq!(sh(&mut con, "AUDIT.GROUP jobs h START 0"), "OK");
    assert_eq!(read_group(&mut con, "jobs", "h", "c", Some(1), ">").len(), 1);
    assert_eq!(run(&mut con, &["XDEL", "jobs", &ids[2]]), "1");
    let groups = fields(&ok(&mut con, &["AUDIT.INFO", "jobs"]))["groups"].clone();
    let lags: Vec<Value> = items(&groups).iter().map(|g| field(&fields(g), "lag").clone()).collect();
    assert_eq!(lags, [Value::Nil, Value::Nil], "{}", render(&groups));
}

#[test]
fn info_is_a_map_in_resp3() {
    let server = Server::start();
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", server.port)).expect("client");
    let mut con = client.get_connection().expect("a RESP3 connection");
    let only = append(&mut con, "{audit}", "n 1");
    assert_eq!(sh(&mut con, "AUDIT.GROUP {audit} g START 0"), "OK");
    let reply = ok(&mut con, &["AUDIT.INFO", "{audit}"]);
    let Value::Map(pairs) = &reply else { panic!("not a map: {reply:?}") };
    let names: Vec<String> = pairs.iter().map(|(k, _)| text(k)).collect();
    assert_eq!(
        names,
        [
            "length",
            "cap",
            "retention-ms",
            "first-entry-id",
            "last-entry-id",
            "entries-added",
            "groups",
            "mode",
            "onfull",
            "chain",
            "remaining"
        ]
    );
    let info = fields(&reply);
    assert_eq!(text(field(&info, "first-entry-id")), only);
    let group = &items(field(&info, "groups"))[0];
    assert!(matches!(group, Value::Map(_)), "a group is a map in RESP3: {group:?}");
    let group = fields(group);
    assert_eq!((text(field(&group, "name")), int(field(&group, "lag"))), ("g".to_string(), 1));
    assert_eq!(ok(&mut con, &["AUDIT.INFO", "missing"]), Value::Nil);
}

// ---- 7. errors change nothing -------------------------------------------------------------------------

#[test]
fn append_errors_change_nothing_and_the_server_stays_up() {
    let mut server = Server::start();
    let mut con = server.connect();
    append(&mut con, "{audit}", "n 1");
    append(&mut con, "{audit}", "IDEMPOTENT p1 5 n 2");
    assert_eq!(sh(&mut con, "SET text x"), "OK");
    assert_eq!(sh(&mut con, "SET {badstate}:producers x"), "OK");
    append(&mut con, "{badstate}", "n 1");

    let arity = "ERR wrong number of arguments for 'audit.append' command";
    let maxlen_range = "ERR MAXLEN must be between 1 and 9223372036854775807";
    let not_integer = "ERR value is not an integer or out of range";
    let seq_range = "ERR sequence must be between 0 and 9223372036854775807";
    let producer_id = "ERR producer id must be 1 to 64 bytes";
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let stale = |seq: i64| format!("ERR sequence {seq} is below the producer's last accepted sequence 5");
    let cases: Vec<(&str, String)> = vec![
        ("AUDIT.APPEND {audit}", arity.into()),
        ("AUDIT.APPEND {audit} a", arity.into()),
        ("AUDIT.APPEND {audit} a b c", arity.into()),
        ("AUDIT.APPEND {audit} a b c d e", arity.into()),
        ("AUDIT.APPEND {audit} MAXLEN 5", arity.into()),
        ("AUDIT.APPEND {audit} MAXLEN 5 a", arity.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 6", arity.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 6 a b c", arity.into()),
        ("AUDIT.APPEND new MAXLEN 5 IDEMPOTENT p 1", arity.into()),
        ("AUDIT.APPEND {audit} MAXLEN 0 a b", maxlen_range.into()),
        ("AUDIT.APPEND {audit} MAXLEN -1 a b", maxlen_range.into()),
        ("AUDIT.APPEND {audit} MAXLEN -9223372036854775808 a b", maxlen_range.into()),
        ("AUDIT.APPEND {audit} MAXLEN x a b", not_integer.into()),
        ("AUDIT.APPEND {audit} MAXLEN 1.5 a b", not_integer.into()),
        ("AUDIT.APPEND {audit} MAXLEN 9223372036854775808 a b", not_integer.into()),
        ("AUDIT.APPEND new MAXLEN a b", not_integer.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 -1 a b", seq_range.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 x a b", not_integer.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 9223372036854775808 a b", not_integer.into()),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 4 a b", stale(4)),
        ("AUDIT.APPEND {audit} IDEMPOTENT p1 0 a b", stale(0)),
        ("AUDIT.APPEND {audit} MAXLEN 1 IDEMPOTENT p1 4 a b", stale(4)),
        ("AUDIT.APPEND text a b", wrongtype.into()),
        ("AUDIT.APPEND text IDEMPOTENT p 1 a b", wrongtype.into()),
        ("AUDIT.APPEND {badstate} IDEMPOTENT p 1 a b", wrongtype.into()),
        ("AUDIT.APPEND {badstate} MAXLEN 1 IDEMPOTENT p 1 a b", wrongtype.into()),
    ];
    for (line, expected) in &cases {
        assert_refused(&mut con, &byte_words(line), expected);
    }

    let field_too_long =
        |max: usize| format!("ERR field or value is longer than tally.audit-max-field-bytes ({max} bytes)");
    let big = vec![b'v'; 65537];
    let byte_cases: Vec<(Vec<&[u8]>, String)> = vec![
        (vec![b"{audit}", b"", b"v"], "ERR field names must not be empty".into()),
        (vec![b"{audit}", b"a", b"b", b"", b"v"], "ERR field names must not be empty".into()),
        (vec![b"new", b"IDEMPOTENT", b"p", b"1", b"", b"v"], "ERR field names must not be empty".into()),
        (vec![b"{audit}", b"IDEMPOTENT", b"", b"1", b"a", b"b"], producer_id.into()),
        (vec![b"{audit}", b"IDEMPOTENT", &[b'p'; 65], b"1", b"a", b"b"], producer_id.into()),
        (vec![b"{audit}", b"a", &big], field_too_long(65536)),
        (vec![b"{audit}", &big, b"v"], field_too_long(65536)),
        (vec![b"new", b"a", b"b", b"c", &big], field_too_long(65536)),
    ];
    for (args, expected) in &byte_cases {
        let mut call: Vec<&[u8]> = vec![b"AUDIT.APPEND"];
        call.extend(args);
        assert_refused(&mut con, &call, expected);
    }

    // Bounds are inclusive.
    config_set(&mut con, "tally.audit-max-field-bytes", "8");
    assert_refused(&mut con, &words("AUDIT.APPEND {audit} a 123456789"), &field_too_long(8));
    assert_refused(&mut con, &words("AUDIT.APPEND {audit} 123456789 a"), &field_too_long(8));
    append(&mut con, "{audit}", "12345678 12345678");
    let producer = "p".repeat(64);
    append(&mut con, "{audit}", &format!("IDEMPOTENT {producer} 0 a b"));
    assert_eq!(sh(&mut con, "EXISTS new"), "0");
    assert_eq!(xlen(&mut con, "{audit}"), 4);
    assert_healthy(&mut server);
}

#[test]
fn a_stream_with_no_id_left_gets_a_plain_error_not_an_internal_one() {
    let mut server = Server::start();
    let mut con = server.connect();
    let last = "18446744073709551615-18446744073709551615";
    assert_eq!(run(&mut con, &["XADD", "full", last, "a", "b"]), format!("\"{last}\""));
    let native = run(&mut con, &["XADD", "full", "*", "a", "b"]);
    assert_eq!(native, "(error) ERR The stream has exhausted the last possible ID, unable to add more items");
    for line in ["AUDIT.APPEND full a b", "AUDIT.APPEND full IDEMPOTENT p 1 a b"] {
        let before = snapshot(&mut con);
        let reply = sh(&mut con, line);
        assert!(reply.starts_with("(error) "), "{line}: {reply}");
        assert_eq!(snapshot(&mut con), before, "{line} changed the data set");
        assert!(!reply.contains("internal error"), "{line}: user input answered as an internal error: {reply}");
    }
    assert_healthy(&mut server);
}

#[test]
fn keyspace_events_match_xadd_with_an_exact_maxlen() {
    let server = Server::start();
    let native = key_events(&server, "native", &["XADD native MAXLEN = 1 * a b", "XADD native MAXLEN = 1 * a b"]);
    assert_eq!(native, ["xadd", "xadd", "xtrim"], "control: what Redis itself fires");
    // The replica applies the propagated XADD ... MAXLEN = 1 and fires exactly these; the
    // primary should fire the same for the append that trims.
    let audit = key_events(
        &server,
        "{audit}",
        &[
            "AUDIT.APPEND {audit} MAXLEN 1 IDEMPOTENT p 1 a b",
            "AUDIT.APPEND {audit} MAXLEN 1 a b",
            "AUDIT.APPEND {audit} IDEMPOTENT p 1 a b",
        ],
    );
    assert_eq!(audit, native, "a cap trim must fire `xtrim` as XADD MAXLEN does (and a retry nothing)");
}

// ---- 8. replication and AOF ------------------------------------------------------------------------------

const WAREHOUSE: &str = "warehouse:{inv}:audit";
const PLAIN: &str = "{audit}";
const AGED: &str = "aged:{r}:audit";
const JOBS: &str = "jobs:{j}:audit";
const BINARY: &[u8] = b"bin:{b}:\0audit";
/// `tally.audit-max-len` on the primary during the workload (the replica keeps 10000).
const WORKLOAD_CAP: i64 = 50;

/// The producers key the module derives (Redis hash-tag rule: the first `{`, then the
/// first `}` after it, with at least one byte between).
fn producers_key_of(key: &[u8]) -> Vec<u8> {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .is_some_and(|open| key[open + 1..].iter().position(|&b| b == b'}').is_some_and(|close| close > 0));
    if tagged {
        [key, b":producers"].concat()
    } else {
        [&b"{"[..], key, b"}:producers"].concat()
    }
}

/// One write the primary must have propagated.
#[derive(Debug, Clone, PartialEq)]
enum Effect {
    /// `XADD key MAXLEN = cap id field value ...`
    Xadd(Vec<Vec<u8>>),
    /// `XTRIM key MINID = <ms>-0`: the floor depends on the primary's clock, so only
    /// its bounds are known: above the trimmed entry, below the new one.
    Xtrim { key: Vec<u8>, above_ms: u64, below_ms: u64 },
    /// `HSET producers-key producer "<seq> <id>"`
    Hset(Vec<Vec<u8>>),
    /// `XGROUP CREATE key group start MKSTREAM`
    Xgroup { key: Vec<u8>, group: Vec<u8> },
}

/// Drives the workload and keeps a model of what it must propagate.
struct Writer<'a> {
    con: &'a mut Connection,
    cap: i64,
    /// (stream key, producer) -> (last seq, entry id)
    producers: BTreeMap<(Vec<u8>, Vec<u8>), (i64, String)>,
    effects: Vec<Effect>,
    appends: usize,
    duplicates: usize,
    stale: usize,
}

impl Writer<'_> {
    /// The command line of one AUDIT.APPEND.
    fn command(key: &[u8], maxlen: Option<i64>, idempotent: Option<(&[u8], i64)>, data: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut call = vec![b"AUDIT.APPEND".to_vec(), key.to_vec()];
        if let Some(n) = maxlen {
            call.extend([b"MAXLEN".to_vec(), n.to_string().into_bytes()]);
        }
        if let Some((producer, seq)) = idempotent {
            call.extend([b"IDEMPOTENT".to_vec(), producer.to_vec(), seq.to_string().into_bytes()]);
        }
        call.extend(data.iter().map(|d| d.to_vec()));
        call
    }

    /// Records what `call` (an AUDIT.APPEND) must have done, given its reply.
    /// `trims_above`: the ms of the newest entry retention must trim with this append.
    fn record(&mut self, call: &[Vec<u8>], reply: Result<Value, String>, trims_above: Option<u64>) {
        let key = call[1].clone();
        let mut rest = &call[2..];
        let mut cap = self.cap;
        let mut idempotent = None;
        loop {
            match rest {
                [word, n, tail @ ..] if word.eq_ignore_ascii_case(b"MAXLEN") => {
                    cap = cap.min(std::str::from_utf8(n).unwrap().parse().unwrap());
                    rest = tail;
                }
                [word, producer, seq, tail @ ..] if word.eq_ignore_ascii_case(b"IDEMPOTENT") => {
                    idempotent = Some((producer.clone(), std::str::from_utf8(seq).unwrap().parse::<i64>().unwrap()));
                    rest = tail;
                }
                _ => break,
            }
        }
        if let Some((producer, seq)) = &idempotent {
            if let Some((last, original)) = self.producers.get(&(key.clone(), producer.clone())) {
                if seq == last {
                    assert_eq!(reply.map(|r| text(&r)), Ok(original.clone()), "a retry replies the original ID");
                    self.duplicates += 1;
                    return;
                }
                if seq < last {
                    assert_eq!(
                        reply.map(|r| render(&r)),
                        Err(format!("ERR sequence {seq} is below the producer's last accepted sequence {last}"))
                    );
                    self.stale += 1;
                    return;
                }
            }
        }
        let new_id = text(&reply.unwrap_or_else(|error| panic!("{:?} failed: {error}", printable(call))));
        let mut xadd =
            vec![b"XADD".to_vec(), key.clone(), b"MAXLEN".to_vec(), b"=".to_vec(), cap.to_string().into_bytes()];
        xadd.push(new_id.clone().into_bytes());
        xadd.extend(rest.iter().cloned());
        self.effects.push(Effect::Xadd(xadd));
        if let Some(above_ms) = trims_above {
            self.effects.push(Effect::Xtrim { key: key.clone(), above_ms, below_ms: id(&new_id).ms });
        }
        if let Some((producer, seq)) = idempotent {
            let state = format!("{seq} {new_id}");
            self.effects.push(Effect::Hset(vec![
                b"HSET".to_vec(),
                producers_key_of(&key),
                producer.clone(),
                state.into_bytes(),
            ]));
            self.producers.insert((key, producer), (seq, new_id));
        }
        self.appends += 1;
    }

    fn append(&mut self, key: &[u8], maxlen: Option<i64>, idempotent: Option<(&[u8], i64)>, data: &[&[u8]]) {
        let call = Self::command(key, maxlen, idempotent, data);
        let reply = query(self.con, &call);
        self.record(&call, reply, None);
    }

    fn group(&mut self, key: &[u8], group: &[u8], start: Option<&[u8]>, creates: bool) {
        let mut call: Vec<&[u8]> = vec![b"AUDIT.GROUP", key, group];
        if let Some(start) = start {
            call.extend([&b"START"[..], start]);
        }
        assert_eq!(ok(self.con, &call), Value::Okay);
        if creates {
            self.effects.push(Effect::Xgroup { key: key.to_vec(), group: group.to_vec() });
        }
    }
}

/// Appends with and without MAXLEN (above and below the cap), IDEMPOTENT with retries
/// and stale sequences, a retention trim, groups, writes in MULTI/EXEC and a script, and a
/// seeded random mix. Returns the writer, whose model holds the effects in order.
fn workload(con: &mut Connection) -> Writer<'_> {
    config_set(con, "tally.audit-max-len", &WORKLOAD_CAP.to_string());
    let mut w = Writer {
        con,
        cap: WORKLOAD_CAP,
        producers: BTreeMap::new(),
        effects: Vec::new(),
        appends: 0,
        duplicates: 0,
        stale: 0,
    };

    // Retention: only the aged stream is written while it is on, so exactly one append
    // trims (XADD, XTRIM, HSET).
    config_set(w.con, "tally.audit-retention-ms", "50");
    let call = Writer::command(AGED.as_bytes(), None, None, &[b"n", b"1"]);
    let reply = query(w.con, &call);
    let first_aged = id(&text(reply.as_ref().expect("the first aged append")));
    w.record(&call, reply, None);
    wait_for_server_ms_after(w.con, first_aged.ms + 50);
    let call = Writer::command(AGED.as_bytes(), None, Some((b"ager", 1)), &[b"n", b"2"]);
    let reply = query(w.con, &call);
    w.record(&call, reply, Some(first_aged.ms));
    config_set(w.con, "tally.audit-retention-ms", "0");
    assert_eq!(xlen(w.con, AGED), 1);

    // Fixed cases.
    for n in 0..60 {
        let value = n.to_string();
        w.append(WAREHOUSE.as_bytes(), None, None, &[b"sku", b"42", b"n", value.as_bytes()]);
    }
    w.append(WAREHOUSE.as_bytes(), Some(1000), None, &[b"over", b"cap"]);
    w.append(WAREHOUSE.as_bytes(), Some(20), Some((b"scanner", 1)), &[b"n", b"scan-1"]);
    w.append(WAREHOUSE.as_bytes(), Some(20), Some((b"scanner", 1)), &[b"n", b"scan-1"]);
    w.append(WAREHOUSE.as_bytes(), None, Some((b"scanner", 0)), &[b"n", b"scan-0"]);
    w.append(WAREHOUSE.as_bytes(), None, Some((b"scanner", 3)), &[b"n", b"scan-3"]);
    w.append(PLAIN.as_bytes(), None, Some((b"pos", 7)), &[b"action", b"sale"]);
    w.append(PLAIN.as_bytes(), None, Some((b"pos", 7)), &[b"action", b"sale"]);
    w.append(BINARY, Some(3), Some((b"\x00\xff", 1)), &[b"bin\0field", b"\xff\xfe\x00", b"empty", b""]);
    w.group(JOBS.as_bytes(), b"workers", None, true);
    w.group(JOBS.as_bytes(), b"workers", Some(b"0"), false);
    w.group(WAREHOUSE.as_bytes(), b"readers", Some(b"0"), true);
    w.group(WAREHOUSE.as_bytes(), b"tail", None, true);
    w.group(WAREHOUSE.as_bytes(), b"readers", None, false);
    assert!(query(w.con, &["AUDIT.GROUP", JOBS, "bad", "START", "x"]).is_err());
    w.append(JOBS.as_bytes(), None, None, &[b"job", b"1"]);

    // A transaction: each queued append is recorded from its slot in the EXEC reply.
    let queued = [
        Writer::command(WAREHOUSE.as_bytes(), Some(10), Some((b"scanner", 4)), &[b"n", b"multi-1"]),
        Writer::command(PLAIN.as_bytes(), None, Some((b"pos", 7)), &[b"action", b"sale"]),
        Writer::command(PLAIN.as_bytes(), None, None, &[b"n", b"multi-2"]),
    ];
    assert_eq!(sh(w.con, "MULTI"), "OK");
    for call in &queued {
        assert_eq!(render(&ok(w.con, call)), "QUEUED");
    }
    let replies = ok(w.con, &["EXEC"]);
    for (call, reply) in queued.iter().zip(items(&replies)) {
        let reply = match reply {
            Value::ServerError(error) => Err(format!("{} {}", error.code(), error.details().unwrap_or_default())),
            other => Ok(other.clone()),
        };
        w.record(call, reply, None);
    }

    // A script calling the module.
    let script = "return redis.call('AUDIT.APPEND', KEYS[1], 'IDEMPOTENT', ARGV[1], ARGV[2], 'via', 'script')";
    for seq in ["8", "8"] {
        let reply = query(w.con, &["EVAL", script, "1", PLAIN, "pos", seq]);
        let call = Writer::command(PLAIN.as_bytes(), None, Some((b"pos", seq.parse().unwrap())), &[b"via", b"script"]);
        w.record(&call, reply, None);
    }

    // A seeded random mix.
    let mut rng = XorShift64(0xa0d1_7e57_2024_0007);
    let keys: [&[u8]; 3] = [WAREHOUSE.as_bytes(), PLAIN.as_bytes(), BINARY];
    let producers: [&[u8]; 4] = [b"p0", b"p1", b"p2", b"\xffp3"];
    for round in 0..300 {
        let key = *rng.pick(&keys);
        let maxlen = match rng.below(4) {
            0 => Some(1 + rng.below(80) as i64),
            _ => None,
        };
        let idempotent = match rng.below(3) {
            0 => None,
            _ => {
                let producer = *rng.pick(&producers);
                let last = w.producers.get(&(key.to_vec(), producer.to_vec())).map_or(0, |(seq, _)| *seq);
                let seq = match rng.below(5) {
                    0 => last,                                    // a retry (or a first 0)
                    1 => (last - 1 - rng.below(3) as i64).max(0), // stale unless new
                    _ => last + 1 + rng.below(3) as i64,
                };
                Some((producer, seq))
            }
        };
        let value = round.to_string();
        w.append(key, maxlen, idempotent, &[b"round", value.as_bytes(), b"k", key]);
    }
    assert!(
        w.duplicates >= 20 && w.stale >= 10 && w.appends >= 250,
        "too little variety: {} {} {}",
        w.appends,
        w.duplicates,
        w.stale
    );
    config_set(w.con, "tally.audit-max-len", "10000");
    w
}

/// Everything the tests compare about one key.
#[derive(Debug, PartialEq)]
struct KeyState {
    kind: String,
    dump: Vec<u8>,
    /// XRANGE - + for streams, HGETALL for hashes.
    content: Value,
    /// XINFO STREAM and XINFO GROUPS for streams.
    xinfo: Option<(Value, Value)>,
}

fn dataset(con: &mut Connection) -> BTreeMap<Vec<u8>, KeyState> {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("KEYS *");
    keys.into_iter()
        .map(|key| {
            let kind = text(&ok(con, &[&b"TYPE"[..], &key]));
            let dump = bytes(&ok(con, &[&b"DUMP"[..], &key]));
            let (content, xinfo) = match kind.as_str() {
                "stream" => (
                    ok(con, &[&b"XRANGE"[..], &key, b"-", b"+"]),
                    Some((ok(con, &[&b"XINFO"[..], b"STREAM", &key]), ok(con, &[&b"XINFO"[..], b"GROUPS", &key]))),
                ),
                "hash" => (ok(con, &[&b"HGETALL"[..], &key]), None),
                other => panic!("unexpected key type {other}"),
            };
            (key, KeyState { kind, dump, content, xinfo })
        })
        .collect()
}

/// The workload left what it should: capped streams, producer hashes, groups.
fn assert_workload_shape(data: &BTreeMap<Vec<u8>, KeyState>) {
    let mut keys: Vec<Vec<u8>> =
        [WAREHOUSE, PLAIN, AGED, JOBS].iter().map(|k| k.as_bytes().to_vec()).chain([BINARY.to_vec()]).collect();
    let producer_keys: Vec<Vec<u8>> =
        [WAREHOUSE.as_bytes(), PLAIN.as_bytes(), AGED.as_bytes(), BINARY].iter().map(|k| producers_key_of(k)).collect();
    keys.extend(producer_keys);
    keys.sort();
    assert_eq!(
        data.keys().cloned().collect::<Vec<_>>(),
        keys,
        "{:?}",
        data.keys().map(|k| String::from_utf8_lossy(k)).collect::<Vec<_>>()
    );
    for key in [WAREHOUSE.as_bytes(), PLAIN.as_bytes(), BINARY] {
        let length = items(&data[key].content).len() as i64;
        assert!((1..=WORKLOAD_CAP).contains(&length), "{}: {length} entries", String::from_utf8_lossy(key));
    }
    assert_eq!(items(&data[AGED.as_bytes()].content).len(), 1);
    let groups = &data[WAREHOUSE.as_bytes()].xinfo.as_ref().unwrap().1;
    assert_eq!(items(groups).len(), 2);
}

/// The named XINFO STREAM fields of a stream key.
fn stream_counters(state: &KeyState) -> Vec<Value> {
    let info = fields(&state.xinfo.as_ref().expect("a stream").0);
    ["entries-added", "last-generated-id", "max-deleted-entry-id"]
        .iter()
        .map(|name| field(&info, name).clone())
        .collect()
}

// ---- AOF files ---------------------------------------------------------------------------------

/// The AOF holds exactly the modelled effects, in order: XADD with `MAXLEN = <cap>` and
/// the concrete ID, XTRIM MINID = <ms>-0, HSET of the producer state, XGROUP CREATE; never
/// an AUDIT command, never `*` or `~`.
fn assert_aof_holds_effects(dir: &Path, effects: &[Effect]) {
    let raw = aof_bytes(dir);
    assert!(!contains_ignore_case(&raw, b"audit."), "an AUDIT command was propagated verbatim");
    let commands: Vec<Vec<Vec<u8>>> = parse_aof(&raw).into_iter().filter(|c| !is_wrapping(c)).collect();
    let shown = |c: &[Vec<u8>]| printable(c);
    assert_eq!(commands.len(), effects.len(), "AOF: {:?}", commands.iter().map(|c| shown(c)).collect::<Vec<_>>());
    for (command, effect) in commands.iter().zip(effects) {
        match effect {
            Effect::Xadd(expected) | Effect::Hset(expected) => {
                assert_eq!(command, expected, "AOF {:?} vs expected {:?}", shown(command), shown(expected));
            }
            Effect::Xtrim { key, above_ms, below_ms } => {
                assert_eq!(
                    command[..4],
                    [b"XTRIM".to_vec(), key.clone(), b"MINID".to_vec(), b"=".to_vec()],
                    "{:?}",
                    shown(command)
                );
                assert_eq!(command.len(), 5, "{:?}", shown(command));
                let floor = id(std::str::from_utf8(&command[4]).expect("an ID"));
                assert_eq!(floor.seq, 0, "{:?}", shown(command));
                assert!(
                    *above_ms < floor.ms && floor.ms < *below_ms,
                    "{:?}: not in ({above_ms}, {below_ms})",
                    shown(command)
                );
            }
            Effect::Xgroup { key, group } => {
                assert_eq!(
                    command[..4],
                    [b"XGROUP".to_vec(), b"CREATE".to_vec(), key.clone(), group.clone()],
                    "{:?}",
                    shown(command)
                );
            }
        }
        assert!(!command.iter().any(|arg| arg == b"*" || arg == b"~"), "{:?}", shown(command));
    }
    let counted = |name: &[u8]| commands.iter().filter(|c| c[0] == name).count();
    assert_eq!(counted(b"XTRIM"), 1);
    assert!(counted(b"HSET") >= 20 && counted(b"XGROUP") == 3, "{} {}", counted(b"HSET"), counted(b"XGROUP"));
}

#[test]
fn replica_and_aof_hold_the_concrete_effects_of_a_mixed_workload() {
    let primary = Server::start_with(aof_options(&["--repl-ping-replica-period", "3600"]));
    let replica = primary.start_replica();
    let mut con = primary.connect();
    let effects = workload(&mut con).effects;
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");

    let on_primary = dataset(&mut con);
    assert_workload_shape(&on_primary);
    let mut rcon = replica.connect();
    let on_replica = dataset(&mut rcon);
    assert_eq!(on_replica.keys().collect::<Vec<_>>(), on_primary.keys().collect::<Vec<_>>(), "key sets differ");
    for (key, state) in &on_primary {
        let shown = String::from_utf8_lossy(key);
        let replicated = &on_replica[key];
        assert_eq!(replicated.content, state.content, "content of {shown}");
        assert!(replicated.dump == state.dump, "DUMP of {shown} differs");
        if state.kind == "stream" {
            assert_eq!(stream_counters(replicated), stream_counters(state), "XINFO STREAM counters of {shown}");
        }
        assert_eq!(replicated, state, "{shown}");
    }

    assert_aof_holds_effects(&primary.dir, &effects);
    // The replica serves reads and refuses writes; its own cap config played no part.
    assert_eq!(sh(&mut rcon, "CONFIG GET tally.audit-max-len"), "[\"tally.audit-max-len\", \"10000\"]");
    assert_eq!(audit_info(&mut rcon, WAREHOUSE), audit_info(&mut con, WAREHOUSE));
    assert!(sh(&mut rcon, "AUDIT.APPEND {audit} a b").starts_with("(error) READONLY"));
    assert!(sh(&mut rcon, "AUDIT.GROUP {audit} g9").starts_with("(error) READONLY"));
    assert!(!replica.log().contains("CRITICAL"), "replica log:\n{}", replica.log());
}

#[test]
fn aof_reload_and_restart_after_kill_restore_identical_streams() {
    let options = aof_options(&["--enable-debug-command", "yes"]);
    let server = Server::start_with(options.clone());
    let mut con = server.connect();
    let effects = workload(&mut con).effects;
    let before = dataset(&mut con);
    assert_workload_shape(&before);
    assert_aof_holds_effects(&server.dir, &effects);

    assert_eq!(sh(&mut con, "DEBUG LOADAOF"), "OK");
    assert_eq!(dataset(&mut con), before, "after DEBUG LOADAOF");

    drop(con);
    let dir = server.kill();
    let restarted = Server::start_with(Options { dir: Some(dir), ..options });
    let mut con = restarted.connect();
    assert_eq!(dataset(&mut con), before, "after kill -9 and restart");
    // The producers' state came back too: a retry is still a retry.
    let (seq, original) = hgetall(&mut con, "{audit}:producers")["pos"]
        .split_once(' ')
        .map(|(s, i)| (s.to_string(), i.to_string()))
        .unwrap();
    assert_eq!(append(&mut con, PLAIN, &format!("IDEMPOTENT pos {seq} via retry")), original);
}

// ---- 9. ACL ---------------------------------------------------------------------------------------

/// The module's refusal of the producers key (Redis 7.0's wording, on every server).
const NOPERM: &str = "NOPERM this user has no permissions to access one of the keys used as arguments";

/// A refusal by the server's own ACL check: its wording differs between Redis and Valkey.
fn assert_server_noperm(reply: &str, context: &str) {
    assert!(reply.starts_with("(error) NOPERM "), "{context}: {reply}");
}

#[test]
fn idempotent_needs_write_access_to_the_producers_key() {
    let server = Server::start();
    let mut admin = server.connect();
    assert_eq!(sh(&mut admin, "ACL SETUSER stream-only on nopass ~warehouse:{inv}:audit +@all"), "OK");
    assert_eq!(
        sh(
            &mut admin,
            "ACL SETUSER state-read-only on nopass ~warehouse:{inv}:audit %R~warehouse:{inv}:audit:producers +@all"
        ),
        "OK"
    );
    assert_eq!(sh(&mut admin, "ACL SETUSER warehouse on nopass ~warehouse:* +@all"), "OK");

    let mut stream_only = login(&server, "stream-only");
    let plain = append(&mut stream_only, WAREHOUSE, "sku 42");
    assert_eq!(sh(&mut stream_only, "AUDIT.GROUP warehouse:{inv}:audit g"), "OK");
    assert!(sh(&mut stream_only, "AUDIT.INFO warehouse:{inv}:audit").starts_with("[\"length\", 1,"));
    let idempotent = words("AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT p 1 sku 43");
    let before = snapshot(&mut admin);
    assert_eq!(run(&mut stream_only, &idempotent), format!("(error) {NOPERM}"));
    // Also from a script and inside a transaction.
    let script = "return redis.call('AUDIT.APPEND', KEYS[1], 'IDEMPOTENT', 'p', '1', 'sku', '43')";
    let scripted = run(&mut stream_only, &["EVAL", script, "1", WAREHOUSE]);
    assert!(scripted.starts_with(&format!("(error) {NOPERM}")), "{scripted}");
    assert_eq!(sh(&mut stream_only, "MULTI"), "OK");
    assert_eq!(run(&mut stream_only, &idempotent), "QUEUED");
    // (redis-rs turns an EXEC reply holding an error into that error.)
    let exec = sh(&mut stream_only, "EXEC");
    assert!(exec == format!("[(error) {NOPERM}]") || exec == format!("(error) {NOPERM}"), "{exec}");
    let mut state_read_only = login(&server, "state-read-only");
    assert_eq!(run(&mut state_read_only, &idempotent), format!("(error) {NOPERM}"));
    assert_eq!(snapshot(&mut admin), before, "refused IDEMPOTENT appends wrote something");
    assert_eq!(entry_ids(&mut admin, WAREHOUSE), [plain]);
    assert_eq!(sh(&mut admin, "EXISTS warehouse:{inv}:audit:producers"), "0");

    // Control: a user who may write both keys.
    let mut warehouse = login(&server, "warehouse");
    let accepted = append(&mut warehouse, WAREHOUSE, "IDEMPOTENT p 1 sku 43");
    assert_eq!(hgetall(&mut admin, "warehouse:{inv}:audit:producers")["p"], format!("1 {accepted}"));
    // Once the state exists, the stream-only user still cannot use it, not even for a retry.
    assert_eq!(run(&mut stream_only, &idempotent), format!("(error) {NOPERM}"));

    // Untagged keys: `{audit}:producers` is the key to grant.
    assert_eq!(sh(&mut admin, "ACL SETUSER plain on nopass ~{audit} +@all"), "OK");
    assert_eq!(sh(&mut admin, "ACL SETUSER plain-state on nopass ~{audit} ~{audit}:producers +@all"), "OK");
    let mut plain_user = login(&server, "plain");
    assert_eq!(sh(&mut plain_user, "AUDIT.APPEND {audit} IDEMPOTENT p 1 a b"), format!("(error) {NOPERM}"));
    assert_eq!(sh(&mut admin, "EXISTS {audit}"), "0");
    let mut plain_state = login(&server, "plain-state");
    append(&mut plain_state, "{audit}", "IDEMPOTENT p 1 a b");
    assert_eq!(sh(&mut admin, "HLEN {audit}:producers"), "1");
    // No access to the stream key at all: the server refuses before the module runs.
    assert_server_noperm(&sh(&mut plain_user, "AUDIT.APPEND other a b"), "AUDIT.APPEND other a b");
}

#[test]
fn read_only_user_can_run_info_but_not_append_or_group() {
    let server = Server::start();
    let mut admin = server.connect();
    append(&mut admin, "{audit}", "IDEMPOTENT p 1 n 1");
    assert_eq!(sh(&mut admin, "AUDIT.GROUP {audit} g START 0"), "OK");
    assert_eq!(sh(&mut admin, "ACL SETUSER reader on nopass %R~* +@all"), "OK");
    let before = snapshot(&mut admin);
    let mut reader = login(&server, "reader");
    assert_eq!(audit_info(&mut reader, "{audit}"), audit_info(&mut admin, "{audit}"));
    assert_eq!(sh(&mut reader, "AUDIT.INFO missing"), "nil");
    assert_eq!(sh(&mut reader, "XLEN {audit}"), "1");
    for line in [
        "AUDIT.APPEND {audit} n 2",
        "AUDIT.APPEND {audit} IDEMPOTENT p 1 n 1",
        "AUDIT.APPEND new n 1",
        "AUDIT.GROUP {audit} g",
        "AUDIT.GROUP {audit} g2 START 0",
        "AUDIT.GROUP new g",
    ] {
        assert_server_noperm(&sh(&mut reader, line), line);
    }
    assert_eq!(snapshot(&mut admin), before, "refused writes changed something");
}

// ---- 10. key declaration ----------------------------------------------------------------------------

const SPECS: [Spec; 6] = [
    Spec {
        name: "audit.append",
        arity: -4,
        flags: &["denyoom", "module", "write"],
        key_flags: &["RW", "update"],
        example: &["mykey", "MAXLEN", "5", "IDEMPOTENT", "p", "1", "field", "value"],
        doc_args: &["key", "maxlen", "idempotent", "data"],
    },
    Spec {
        name: "audit.group",
        arity: -3,
        flags: &["denyoom", "module", "write"],
        key_flags: &["RW", "insert"],
        example: &["mykey", "g", "START", "0"],
        doc_args: &["key", "group", "start"],
    },
    Spec {
        name: "audit.info",
        arity: 2,
        flags: &["module", "readonly"],
        key_flags: &["RO", "access"],
        example: &["mykey"],
        doc_args: &["key"],
    },
    Spec {
        name: "audit.create",
        arity: -2,
        flags: &["denyoom", "fast", "module", "write"],
        key_flags: &["RO", "access"],
        example: &["my{key}", "MAXLEN", "=", "5", "RETENTION", "1000", "ONFULL", "REFUSE", "CHAIN"],
        doc_args: &["key", "maxlen", "ms", "onfull", "chain"],
    },
    Spec {
        name: "audit.verify",
        arity: -2,
        flags: &["module", "readonly"],
        key_flags: &["RO", "access"],
        example: &["my{key}", "FROM", "1-0", "ab", "COUNT", "10"],
        doc_args: &["key", "from", "count"],
    },
    Spec {
        name: "audit.digest",
        arity: 2,
        flags: &["fast", "module", "readonly"],
        key_flags: &["RO", "access"],
        example: &["my{key}"],
        doc_args: &["key"],
    },
];

#[test]
fn command_info_declares_arity_flags_and_key_specs() {
    let server = Server::start();
    let mut con = server.connect();
    assert_single_key_command_infos(&mut con, &SPECS);
}

#[test]
fn command_getkeys_finds_the_stream_key() {
    let server = Server::start();
    let mut con = server.connect();
    for spec in &SPECS {
        let mut args = vec!["COMMAND", "GETKEYS", spec.name];
        args.extend(spec.example);
        assert_eq!(run(&mut con, &args), format!("[{:?}]", spec.example[0]), "{args:?}");
    }
    assert_eq!(sh(&mut con, "COMMAND GETKEYS audit.append warehouse:{inv}:audit a b"), "[\"warehouse:{inv}:audit\"]");
    assert_eq!(sh(&mut con, "COMMAND GETKEYS audit.group jobs g"), "[\"jobs\"]");
    // Arity is checked by the server, before the module runs.
    assert_eq!(sh(&mut con, "CONFIG RESETSTAT"), "OK");
    for line in ["AUDIT.APPEND k a", "AUDIT.GROUP k", "AUDIT.INFO k x"] {
        let name = words(line)[0].to_lowercase();
        assert_eq!(sh(&mut con, line), format!("(error) ERR wrong number of arguments for '{name}' command"));
        let stats = info_field(&mut con, "commandstats", &format!("cmdstat_{name}"));
        assert!(stats.starts_with("calls=0,") && stats.contains("rejected_calls=1,"), "{name}: {stats}");
    }
}

#[test]
fn command_docs_describe_every_command() {
    let server = Server::start();
    let mut con = server.connect();
    assert_single_key_command_docs(&mut con, &SPECS);

    // The option blocks of AUDIT.APPEND and AUDIT.GROUP.
    let docs = fields(&ok(&mut con, &["COMMAND", "DOCS", "audit.append"]));
    let args: Vec<BTreeMap<String, Value>> =
        items(field(&fields(field(&docs, "audit.append")), "arguments")).iter().map(fields).collect();
    let describe = |arg: &BTreeMap<String, Value>| {
        let mut parts = vec![text(field(arg, "type"))];
        if let Some(token) = arg.get("token") {
            parts.push(format!("token={}", text(token)));
        }
        if let Some(flags) = arg.get("flags") {
            parts.push(format!("flags={}", texts(flags).join("|")));
        }
        if let Some(subargs) = arg.get("arguments") {
            let names: Vec<String> = items(subargs)
                .iter()
                .map(|s| {
                    let s = fields(s);
                    format!("{}:{}", text(field(&s, "name")), text(field(&s, "type")))
                })
                .collect();
            parts.push(format!("[{}]", names.join(" ")));
        }
        parts.join(" ")
    };
    assert_eq!(describe(&args[1]), "block token=MAXLEN flags=optional [operator:oneof threshold:integer]");
    assert_eq!(describe(&args[2]), "block token=IDEMPOTENT flags=optional [producer:string sequence:integer]");
    assert_eq!(describe(&args[3]), "block flags=multiple [field:string value:string]");
    let docs = fields(&ok(&mut con, &["COMMAND", "DOCS", "audit.group"]));
    let args: Vec<BTreeMap<String, Value>> =
        items(field(&fields(field(&docs, "audit.group")), "arguments")).iter().map(fields).collect();
    assert_eq!(describe(&args[1]), "string");
    assert_eq!(describe(&args[2]), "oneof token=START flags=optional [id:string new-entries:pure-token]");
}
