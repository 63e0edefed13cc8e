//! `INFO tally`: per-family counters and the effective configs.
use crate::common::*;

fn info_fields(con: &mut redis::Connection) -> Vec<(String, String)> {
    let text: String = redis::cmd("INFO").arg("tally").query(con).unwrap();
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.trim_end().to_string()))
        .collect()
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(n, _)| n == name).map_or_else(|| panic!("no {name} in {fields:?}"), |(_, v)| v.clone())
}

#[test]
fn counters_follow_calls_errors_and_outcomes() {
    let server = Server::start();
    let mut con = server.connect();
    let before = info_fields(&mut con);
    assert_eq!(field(&before, "tally_tourney_calls"), "0");
    for line in [
        "TOURNEY.INCR lb{x} alice 1",
        "TOURNEY.INCR lb{x} alice nan",
        "LIMIT.GCRA g{x} 0 1 60000",
        "LIMIT.GCRA g{x} 0 1 60000",
        "LIMIT.SLIDE s{x} 60000 5",
        "AUDIT.APPEND a{x} MAXLEN 1 k v",
        "AUDIT.APPEND a{x} MAXLEN 1 IDEMPOTENT p 1 k v",
        "AUDIT.APPEND a{x} MAXLEN 1 IDEMPOTENT p 1 k v",
        "AUDIT.INFO a{x}",
    ] {
        sh(&mut con, line);
    }
    let after = info_fields(&mut con);
    let expected = [
        ("tally_tourney_calls", "2"),
        ("tally_tourney_errors", "1"),
        ("tally_limit_calls", "3"),
        ("tally_limit_errors", "0"),
        ("tally_limit_allowed", "2"),
        ("tally_limit_denied", "1"),
        ("tally_audit_calls", "4"),
        ("tally_audit_errors", "0"),
        ("tally_audit_entries_trimmed", "1"),
        ("tally_audit_duplicates_dropped", "1"),
    ];
    for (name, value) in expected {
        assert_eq!(field(&after, name), value, "{name}");
    }
}

#[test]
fn configs_are_reported_as_in_effect() {
    let server = Server::start_with_module_args(&["max-range", "50", "require-hashtag", "yes"]);
    let mut con = server.connect();
    sh(&mut con, "CONFIG SET tally.audit-max-len 77");
    let fields = info_fields(&mut con);
    assert_eq!(field(&fields, "tally_max_range"), "50");
    assert_eq!(field(&fields, "tally_require_hashtag"), "yes");
    assert_eq!(field(&fields, "tally_audit_max_len"), "77");
    assert_eq!(field(&fields, "tally_max_member_bytes"), "128");
    // INFO everything includes the module section too.
    let everything: String = redis::cmd("INFO").arg("everything").query(&mut con).unwrap();
    assert!(everything.contains("# tally\r\n"), "{everything}");
}
