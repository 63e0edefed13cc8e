//! AUDIT streams with their own settings (issue 14): ONFULL REFUSE never trims what a
//! consumer group has not acknowledged, and CHAIN links every entry with SHA-256 so that
//! AUDIT.VERIFY finds any change. The chain is recomputed here from the byte layout
//! docs/audit.md documents, with the `sha2` crate, not with the module's code.

use crate::common::aof::{aof_options, primary_with_replica};
use crate::common::reply::{config_set, items, ok, server_ms, text};
use crate::common::*;
use redis::{Connection, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

const FULL_NO_GROUP: &str = "(error) FULL audit log 'log:{a}' is full: ONFULL REFUSE keeps every entry until all \
consumer groups acknowledge it, and the stream has no consumer group";

fn full_of(group: &str) -> String {
    format!(
        "(error) FULL audit log 'log:{{a}}' is full: consumer group '{group}' has not acknowledged the oldest entry"
    )
}

fn append(con: &mut Connection, key: &str, rest: &str) -> String {
    let mut args = vec!["AUDIT.APPEND", key];
    args.extend(words(rest));
    text(&ok(con, &args))
}

/// A stream entry: its ID and field/value pairs.
type Entry = (String, Vec<(Vec<u8>, Vec<u8>)>);

/// The entries of a stream, oldest first.
fn entries(con: &mut Connection, key: &str) -> Vec<Entry> {
    let reply = ok(con, &["XRANGE", key, "-", "+"]);
    items(&reply)
        .iter()
        .map(|entry| {
            let parts = items(entry);
            let fields = items(&parts[1]);
            let pairs = fields.chunks(2).map(|pair| (bytes_of(&pair[0]), bytes_of(&pair[1]))).collect();
            (text(&parts[0]), pairs)
        })
        .collect()
}

fn bytes_of(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes.clone(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn ids(con: &mut Connection, key: &str) -> Vec<String> {
    entries(con, key).into_iter().map(|(id, _)| id).collect()
}

/// A link as docs/audit.md defines it: SHA-256 of the previous link's 32 bytes, the ID's
/// ms and seq as u64 big-endian, then each pair as u32be length + field + u32be length +
/// value (the `chain` pair excluded).
fn expected_link(prev: &[u8; 32], id: &str, pairs: &[(Vec<u8>, Vec<u8>)]) -> [u8; 32] {
    let (ms, seq) = id.split_once('-').expect("an ID");
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(ms.parse::<u64>().unwrap().to_be_bytes());
    hasher.update(seq.parse::<u64>().unwrap().to_be_bytes());
    for (field, value) in pairs {
        hasher.update(u32::try_from(field.len()).unwrap().to_be_bytes());
        hasher.update(field);
        hasher.update(u32::try_from(value.len()).unwrap().to_be_bytes());
        hasher.update(value);
    }
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks every stored link from `prev` on, as an auditor would with the documented layout.
fn recompute_chain(con: &mut Connection, key: &str, mut prev: [u8; 32]) -> Option<String> {
    let mut last = None;
    for (id, mut pairs) in entries(con, key) {
        let (field, stored) = pairs.pop().expect("a chain field");
        assert_eq!(field, b"chain", "{id}: the link is the last field");
        let link = expected_link(&prev, &id, &pairs);
        assert_eq!(String::from_utf8(stored).unwrap(), hex(&link), "{id}: stored link");
        prev = link;
        last = Some(hex(&link));
    }
    last
}

/// `[ok, checked, first-bad, last-id, last-hash]` as rendered text.
fn verify(con: &mut Connection, line: &str) -> String {
    sh(con, &format!("AUDIT.VERIFY {line}"))
}

// ---- ONFULL REFUSE -----------------------------------------------------------------------

#[test]
fn refuse_without_a_group_keeps_every_entry_and_writes_nothing() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 3 ONFULL REFUSE"), "OK");
    for n in 1..=3 {
        append(&mut con, "log:{a}", &format!("n {n}"));
    }
    let before = key_dumps(&mut con);
    let offset = crate::common::reply::info_field(&mut con, "replication", "master_repl_offset");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 4"), FULL_NO_GROUP);
    assert_eq!(key_dumps(&mut con), before, "a refused append wrote");
    assert_eq!(
        crate::common::reply::info_field(&mut con, "replication", "master_repl_offset"),
        offset,
        "it replicated"
    );
    // The code word is FULL, so clients can tell it from other errors.
    assert!(info_field_contains(&mut con, "errorstats", "errorstat_FULL:count=1"));
    // TRIM streams (and streams never created) keep trimming.
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{b} MAXLEN 3"), "OK");
    for n in 1..=5 {
        append(&mut con, "log:{b}", &format!("n {n}"));
    }
    assert_eq!(sh(&mut con, "XLEN log:{b}"), "3");
}

fn info_field_contains(con: &mut Connection, section: &str, needle: &str) -> bool {
    let info: String = redis::cmd("INFO").arg(section).query(con).unwrap();
    info.contains(needle)
}

#[test]
fn refuse_waits_for_a_group_to_read_and_acknowledge() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 3 ONFULL REFUSE"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{a} workers START 0"), "OK");
    let first: Vec<String> = (1..=3).map(|n| append(&mut con, "log:{a}", &format!("n {n}"))).collect();
    // Unread: refused.
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 4"), full_of("workers"));
    // Read but pending: still refused.
    sh_ok(&mut con, "XREADGROUP GROUP workers w1 COUNT 2 STREAMS log:{a} >");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 4"), full_of("workers"));
    // The first acknowledged: exactly one more append fits, trimming it.
    assert_eq!(run(&mut con, &["XACK", "log:{a}", "workers", &first[0]]), "1");
    let info = sh(&mut con, "AUDIT.INFO log:{a}");
    assert!(info.ends_with("\"remaining\", 1]"), "{info}");
    let fourth = append(&mut con, "log:{a}", "n 4");
    assert_eq!(ids(&mut con, "log:{a}"), [first[1].clone(), first[2].clone(), fourth]);
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 5"), full_of("workers"));
    // Acknowledging an entry behind a pending one frees nothing: the oldest still waits.
    assert_eq!(run(&mut con, &["XACK", "log:{a}", "workers", &first[2]]), "0");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 5"), full_of("workers"));
    assert_eq!(run(&mut con, &["XACK", "log:{a}", "workers", &first[1]]), "1");
    append(&mut con, "log:{a}", "n 5");
    assert_eq!(sh(&mut con, "XLEN log:{a}"), "3");
}

#[test]
fn refuse_names_the_group_that_holds_the_stream_back() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 2 ONFULL REFUSE"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{a} fast START 0"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{a} slow START 0"), "OK");
    append(&mut con, "log:{a}", "n 1");
    append(&mut con, "log:{a}", "n 2");
    // `fast` reads and acknowledges everything (NOACK: nothing pending); `slow` lags.
    sh_ok(&mut con, "XREADGROUP GROUP fast w NOACK STREAMS log:{a} >");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 3"), full_of("slow"));
    sh_ok(&mut con, "XREADGROUP GROUP slow w COUNT 1 NOACK STREAMS log:{a} >");
    append(&mut con, "log:{a}", "n 3");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 4"), full_of("slow"));
    assert_eq!(sh(&mut con, "XLEN log:{a}"), "2");
}

#[test]
fn refuse_finds_the_acknowledged_oldest_across_stream_nodes() {
    // 250 entries fill three stream nodes (100 entries each), and exact trims leave deleted
    // entries at the head of the oldest: the check walks back from what the group has
    // acknowledged, across them.
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 250 ONFULL REFUSE"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{a} workers START 0"), "OK");
    let first: Vec<String> = (0..250).map(|n| append(&mut con, "log:{a}", &format!("n {n}"))).collect();
    sh_ok(&mut con, "XREADGROUP GROUP workers w COUNT 150 NOACK STREAMS log:{a} >");
    for n in 250..400 {
        append(&mut con, "log:{a}", &format!("n {n}"));
    }
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{a} n 400"), full_of("workers"));
    assert_eq!(ids(&mut con, "log:{a}").first(), first.get(150));
    assert_eq!(sh(&mut con, "XLEN log:{a}"), "250");
}

#[test]
fn retention_under_refuse_trims_only_acknowledged_entries() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 100 RETENTION 50 ONFULL REFUSE"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{a} g START 0"), "OK");
    let old: Vec<String> = (1..=3).map(|n| append(&mut con, "log:{a}", &format!("n {n}"))).collect();
    let newest_ms: u64 = old[2].split('-').next().unwrap().parse().unwrap();
    poll_until(Duration::from_secs(10), || server_ms(&mut con) > i64::try_from(newest_ms).unwrap() + 60);
    // All three are past retention, none acknowledged: none goes, and nothing is refused.
    append(&mut con, "log:{a}", "n 4");
    assert_eq!(sh(&mut con, "XLEN log:{a}"), "4");
    // Two read and acknowledged: they go with the next append, the third waits.
    sh_ok(&mut con, "XREADGROUP GROUP g w COUNT 2 NOACK STREAMS log:{a} >");
    append(&mut con, "log:{a}", "n 5");
    assert_eq!(ids(&mut con, "log:{a}")[0], old[2]);
}

// ---- CHAIN -------------------------------------------------------------------------------

#[test]
fn every_link_matches_the_documented_layout() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} CHAIN"), "OK");
    append(&mut con, "log:{c}", "action add sku 42");
    append(&mut con, "log:{c}", "action remove sku 42 by alice");
    run(&mut con, &["AUDIT.APPEND", "log:{c}", "note", "", "bin", "\u{0}\u{ff}x"]);
    append(&mut con, "log:{c}", "k v");
    let last = recompute_chain(&mut con, "log:{c}", [0; 32]).expect("a chain");
    let digest = items(&ok(&mut con, &["AUDIT.DIGEST", "log:{c}"])).to_vec();
    let newest = ids(&mut con, "log:{c}").pop().unwrap();
    assert_eq!((text(&digest[0]), text(&digest[1]), &digest[2]), (newest.clone(), last.clone(), &Value::Int(4)));
    assert_eq!(verify(&mut con, "log:{c}"), format!("[1, 4, nil, \"{newest}\", \"{last}\"]"));
    // A caller's field named chain is refused, changing nothing.
    assert_eq!(
        sh(&mut con, "AUDIT.APPEND log:{c} chain x"),
        "(error) ERR the field name 'chain' is reserved on a chained audit log"
    );
    assert_eq!(sh(&mut con, "XLEN log:{c}"), "4");
}

#[test]
fn trimmed_heads_leave_an_anchor_that_verify_starts_from() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} MAXLEN 3 CHAIN"), "OK");
    let mut links = Vec::new();
    let mut prev = [0u8; 32];
    for n in 1..=5 {
        let id = append(&mut con, "log:{c}", &format!("n {n}"));
        let pairs = vec![(b"n".to_vec(), n.to_string().into_bytes())];
        prev = expected_link(&prev, &id, &pairs);
        links.push((id, hex(&prev)));
    }
    // Entries 1 and 2 went; the anchor is entry 2 and its link.
    assert_eq!(sh(&mut con, "GET log:{c}:anchor"), format!("\"{} {}\"", links[1].0, links[1].1));
    assert_eq!(verify(&mut con, "log:{c}"), format!("[1, 3, nil, \"{}\", \"{}\"]", links[4].0, links[4].1));
    // A head cut outside tally breaks the first link left.
    assert_eq!(sh(&mut con, "XTRIM log:{c} MAXLEN = 2"), "1");
    assert_eq!(
        verify(&mut con, "log:{c}"),
        format!("[0, 1, \"{}\", \"{}\", \"{}\"]", links[3].0, links[1].0, links[1].1)
    );
}

/// Rebuilds a stream with the same IDs from `entries`, as someone editing it would.
fn rewrite(con: &mut Connection, key: &str, entries: &[Entry]) {
    sh_ok(con, &format!("DEL {key}"));
    for (id, pairs) in entries {
        let mut args: Vec<Vec<u8>> = vec![b"XADD".to_vec(), key.as_bytes().to_vec(), id.as_bytes().to_vec()];
        for (field, value) in pairs {
            args.extend([field.clone(), value.clone()]);
        }
        assert!(!run(con, &args).starts_with("(error)"));
    }
}

#[test]
fn verify_finds_deleted_edited_reordered_and_truncated_entries() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} CHAIN"), "OK");
    for n in 1..=6 {
        append(&mut con, "log:{c}", &format!("action pay amount {n}0"));
    }
    let original = entries(&mut con, "log:{c}");
    let id = |n: usize| original[n].0.clone();
    let first_bad = |con: &mut Connection| {
        let reply = verify(con, "log:{c}");
        assert!(reply.starts_with("[0, "), "{reply}");
        reply.split(", ").nth(2).unwrap().trim_matches('"').to_string()
    };

    // XDEL in the middle: the entry after it no longer links.
    assert_eq!(run(&mut con, &["XDEL", "log:{c}", &id(2)]), "1");
    assert_eq!(first_bad(&mut con), id(3));

    // An edited value under the same ID.
    let mut edited = original.clone();
    edited[4].1[1].1 = b"990".to_vec();
    rewrite(&mut con, "log:{c}", &edited);
    assert_eq!(first_bad(&mut con), id(4));

    // Two pairs swapped.
    let mut reordered = original.clone();
    reordered[1].1.swap(0, 1);
    rewrite(&mut con, "log:{c}", &reordered);
    assert_eq!(first_bad(&mut con), id(1));

    // The head cut off: the oldest left does not link to the genesis.
    rewrite(&mut con, "log:{c}", &original[2..]);
    assert_eq!(first_bad(&mut con), id(2));

    // Untouched, it holds.
    rewrite(&mut con, "log:{c}", &original);
    assert!(verify(&mut con, "log:{c}").starts_with("[1, 6, nil, "));
}

#[test]
fn verify_pages_with_from_and_count_and_digest_anchors_a_later_check() {
    let server = Server::start();
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} CHAIN"), "OK");
    for n in 1..=25 {
        append(&mut con, "log:{c}", &format!("n {n}"));
    }
    let all = ids(&mut con, "log:{c}");
    // Pages of 10: each ends where the next starts.
    let mut from = String::new();
    let mut checked = 0;
    for page in 0..3 {
        let mut args = vec!["AUDIT.VERIFY", "log:{c}", "COUNT", "10"];
        if !from.is_empty() {
            args.extend(words(&from));
        }
        let reply = items(&ok(&mut con, &args)).to_vec();
        assert_eq!(reply[0], Value::Int(1), "page {page}");
        let Value::Int(n) = reply[1] else { panic!() };
        checked += n;
        assert_eq!(text(&reply[3]), all[usize::try_from(checked).unwrap() - 1]);
        from = format!("FROM {} {}", text(&reply[3]), text(&reply[4]));
    }
    assert_eq!(checked, 25);

    // DIGEST now, more appends later: VERIFY FROM the digest checks exactly the new ones.
    let digest = items(&ok(&mut con, &["AUDIT.DIGEST", "log:{c}"])).to_vec();
    let (last_id, last_hash) = (text(&digest[0]), text(&digest[1]));
    for n in 26..=28 {
        append(&mut con, "log:{c}", &format!("n {n}"));
    }
    assert!(verify(&mut con, &format!("log:{{c}} FROM {last_id} {last_hash}")).starts_with("[1, 3, nil, "));
    // A wrong hash for the FROM entry is caught at that entry.
    let wrong = "0".repeat(64);
    assert_eq!(
        verify(&mut con, &format!("log:{{c}} FROM {last_id} {wrong}")),
        format!("[0, 1, \"{last_id}\", nil, nil]")
    );
    // A FROM entry that is gone is an error.
    assert_eq!(
        verify(&mut con, &format!("log:{{c}} FROM 1-1 {last_hash}")),
        "(error) ERR the FROM entry is no longer in the stream"
    );
}

#[test]
fn settings_errors_change_nothing() {
    let server = Server::start();
    let mut con = server.connect();
    let before = key_dumps(&mut con);
    for (line, error) in [
        (
            "AUDIT.CREATE plain",
            "ERR audit log 'plain' needs a hash tag like {id} in its name: tally keeps its companion keys beside it",
        ),
        (
            "AUDIT.CREATE log:{a} MAXLEN ~ 10 CHAIN",
            "ERR CHAIN needs an exact MAXLEN: the chain records each entry it trims",
        ),
        ("AUDIT.CREATE log:{a} ONFULL SOMETIMES", "ERR syntax error"),
        ("AUDIT.CREATE log:{a} MAXLEN 0", "ERR MAXLEN must be between 1 and 9223372036854775807"),
        ("AUDIT.VERIFY log:{a}", "ERR the audit log is not chained (AUDIT.CREATE ... CHAIN)"),
        ("AUDIT.DIGEST log:{a}", "ERR the audit log is not chained (AUDIT.CREATE ... CHAIN)"),
    ] {
        assert_eq!(sh(&mut con, line), format!("(error) {error}"), "{line}");
    }
    assert_eq!(key_dumps(&mut con), before);
    // Created once; again the same is OK, other settings an error.
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 5 CHAIN"), "OK");
    assert_eq!(sh(&mut con, "audit.create log:{a} maxlen = 5 chain"), "OK");
    assert_eq!(
        sh(&mut con, "AUDIT.CREATE log:{a} MAXLEN 6 CHAIN"),
        "(error) ERR audit log 'log:{a}' already exists with other settings (AUDIT.INFO shows them)"
    );
    for (line, error) in [
        ("AUDIT.VERIFY log:{a} FROM 1-0 xyz", "ERR a chain hash is 64 hex digits"),
        ("AUDIT.VERIFY log:{a} FROM 1 00", "ERR Invalid stream ID specified as stream command argument"),
        ("AUDIT.VERIFY log:{a} COUNT 0", "ERR COUNT must be between 1 and 100000"),
        (
            "AUDIT.APPEND log:{a} MAXLEN ~ 3 n 1",
            "ERR CHAIN needs an exact MAXLEN: the chain records each entry it trims",
        ),
    ] {
        assert_eq!(sh(&mut con, line), format!("(error) {error}"), "{line}");
    }
    // CHAIN on a stream that has entries.
    append(&mut con, "log:{b}", "n 1");
    assert_eq!(
        sh(&mut con, "AUDIT.CREATE log:{b} CHAIN"),
        "(error) ERR audit log 'log:{b}' already has entries: CHAIN must be set before the first append"
    );
}

#[test]
fn a_chained_append_needs_write_access_to_the_anchor() {
    let server = Server::start();
    let mut admin = server.connect();
    assert_eq!(sh(&mut admin, "AUDIT.CREATE log:{c} CHAIN"), "OK");
    sh_ok(&mut admin, "ACL SETUSER writer on nopass ~log:{c} %R~log:{c}:settings +@all");
    let mut writer = login(&server, "writer");
    assert!(sh(&mut writer, "AUDIT.APPEND log:{c} n 1").starts_with("(error) NOPERM"));
    sh_ok(&mut admin, "ACL SETUSER writer ~log:{c}:anchor");
    assert!(!sh(&mut writer, "AUDIT.APPEND log:{c} n 1").starts_with("(error)"));
}

// ---- one clock, replicas and the AOF -----------------------------------------------------

#[test]
fn an_append_never_trims_its_own_entry_in_a_transaction() {
    let server = Server::start_with(aof_options(&["--enable-debug-command", "yes"]));
    let mut con = server.connect();
    config_set(&mut con, "tally.audit-retention-ms", "1000");
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    assert_eq!(sh(&mut con, "DEBUG SLEEP 1.2"), "QUEUED");
    assert_eq!(sh(&mut con, "AUDIT.APPEND ret{b} IDEMPOTENT svc 7 action pay"), "QUEUED");
    let exec = sh(&mut con, "EXEC");
    assert!(exec.starts_with("[OK, \"") || exec.starts_with("[\"OK\", \""), "{exec}");
    assert_eq!(sh(&mut con, "XLEN ret{b}"), "1");
    // The same on a chained stream, whose IDs tally chooses itself.
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} CHAIN"), "OK");
    assert_eq!(sh(&mut con, "MULTI"), "OK");
    assert_eq!(sh(&mut con, "DEBUG SLEEP 1.2"), "QUEUED");
    assert_eq!(sh(&mut con, "AUDIT.APPEND log:{c} action pay"), "QUEUED");
    sh(&mut con, "EXEC");
    assert_eq!(sh(&mut con, "XLEN log:{c}"), "1");
    // In a script, whose command time is frozen at its start while it waits on the real
    // clock (TIME is not frozen) past the retention window.
    let script = "local start = redis.call('TIME') \
        repeat local now = redis.call('TIME') \
        until (now[1] - start[1]) * 1000000 + (now[2] - start[2]) > 1200000 \
        return redis.call('AUDIT.APPEND', KEYS[1], 'IDEMPOTENT', 'svc', '8', 'action', 'pay')";
    let id = run(&mut con, &["EVAL", script, "1", "lua{b}"]);
    assert!(id.starts_with('"'), "{id}");
    assert_eq!(sh(&mut con, "XLEN lua{b}"), "1");
}

#[test]
fn replicas_and_the_aof_keep_the_same_bytes_and_chain() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{c} MAXLEN 4 CHAIN"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{r} MAXLEN 3 ONFULL REFUSE"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.CREATE log:{t} MAXLEN ~ 5"), "OK");
    assert_eq!(sh(&mut con, "AUDIT.GROUP log:{r} g START 0"), "OK");
    for n in 1..=40 {
        if n == 20 {
            // An anchor given an expiry is rewritten as SET would: the expiry goes on both.
            assert_eq!(sh(&mut con, "PEXPIRE log:{c}:anchor 1000000"), "1");
        }
        append(&mut con, "log:{c}", &format!("n {n} who alice"));
        append(&mut con, "log:{t}", &format!("n {n}"));
        let reply = sh(&mut con, &format!("AUDIT.APPEND log:{{r}} n {n}"));
        if reply.starts_with("(error) FULL") {
            sh_ok(&mut con, "XREADGROUP GROUP g w COUNT 2 NOACK STREAMS log:{r} >");
        }
    }
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    // Consumers carry the time each server saw them, so the REFUSE stream is compared by
    // its entries; every other key byte for byte.
    let not_consumed = |key: &[u8]| key != b"log:{r}";
    let on_primary = key_dumps_where(&mut con, not_consumed);
    assert!(on_primary.contains_key(&b"log:{c}:anchor"[..]), "the chain was trimmed");
    let mut rcon = replica.connect();
    assert_eq!(key_dumps_where(&mut rcon, not_consumed), on_primary, "the replica differs");
    for server_con in [&mut con, &mut rcon] {
        assert_eq!(sh(server_con, "PTTL log:{c}:anchor"), "-1");
    }
    assert_eq!(entries(&mut rcon, "log:{r}"), entries(&mut con, "log:{r}"));
    assert!(verify(&mut rcon, "log:{c}").starts_with("[1, 4, nil, "));
    let anchor = anchor_link(&mut rcon);
    assert!(recompute_chain(&mut rcon, "log:{c}", anchor).is_some());
    drop(replica);
    // The primary's AOF, loaded again, gives the same bytes.
    let mut debug = Server::start_with(aof_options(&["--enable-debug-command", "yes"]));
    let mut dcon = debug.connect();
    for line in ["AUDIT.CREATE log:{c} MAXLEN 4 CHAIN", "AUDIT.CREATE log:{r} MAXLEN 3 ONFULL REFUSE"] {
        assert_eq!(sh(&mut dcon, line), "OK");
    }
    assert_eq!(sh(&mut dcon, "AUDIT.GROUP log:{r} g START 0"), "OK");
    for n in 1..=12 {
        append(&mut dcon, "log:{c}", &format!("n {n}"));
        if !sh(&mut dcon, &format!("AUDIT.APPEND log:{{r}} n {n}")).starts_with("(error)") {
            continue;
        }
        sh_ok(&mut dcon, "XREADGROUP GROUP g w COUNT 2 NOACK STREAMS log:{r} >");
    }
    let (before, entries_before) = (key_dumps_where(&mut dcon, not_consumed), entries(&mut dcon, "log:{r}"));
    assert_eq!(sh(&mut dcon, "DEBUG LOADAOF"), "OK");
    assert_eq!(key_dumps_where(&mut dcon, not_consumed), before, "after DEBUG LOADAOF");
    assert_eq!(entries(&mut dcon, "log:{r}"), entries_before);
    assert!(debug.is_up());
}

/// The link of a chained stream's anchor (the newest trimmed entry's).
fn anchor_link(con: &mut Connection) -> [u8; 32] {
    let anchor = sh(con, "GET log:{c}:anchor");
    let hex_link = anchor.trim_matches('"').split(' ').nth(1).expect("an anchor");
    let mut link = [0u8; 32];
    for (i, byte) in link.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_link[2 * i..2 * i + 2], 16).unwrap();
    }
    link
}
