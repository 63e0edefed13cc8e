//! `tally.limit-shadow yes`: every limiter answers its refusals as allowed, writes and
//! propagates nothing more than the refusal would, and INFO counts them apart.

use crate::common::aof::*;
use crate::common::reply::*;
use crate::common::*;

/// Each limiter, filled up to its limit by `fill`, then asked once more by `refused`.
const LIMITERS: [(&[&str], &str); 5] = [
    (&["LIMIT.SLIDE s:{u}:slide 3600000 1"], "LIMIT.SLIDE s:{u}:slide 3600000 1"),
    (&["LIMIT.MULTI 2 s:{u}:a s:{u}:b 3600000 1 3600000 5"], "LIMIT.MULTI 2 s:{u}:a s:{u}:b 3600000 1 3600000 5"),
    (&["LIMIT.GCRA s:{u}:gcra 0 1 3600000"], "LIMIT.GCRA s:{u}:gcra 0 1 3600000"),
    (&["LIMIT.FIXED s:{u}:fixed 3600000 2 COST 2"], "LIMIT.FIXED s:{u}:fixed 3600000 2"),
    (&["LIMIT.ACQUIRE s:{u}:lease 1 3600000 TOKEN w1"], "LIMIT.ACQUIRE s:{u}:lease 1 3600000 TOKEN w2"),
];

fn counter(con: &mut redis::Connection, name: &str) -> i64 {
    info_field(con, "tally", name).parse().expect("an INFO counter")
}

#[test]
fn refusals_are_answered_as_allowed_and_change_nothing() {
    let primary = Server::start_with(aof_options(&["--repl-ping-replica-period", "3600"]));
    let mut con = primary.connect();
    for (fill, _) in LIMITERS {
        for line in fill {
            assert!(sh_ok(&mut con, line).starts_with("[1, "), "{line}");
        }
    }
    config_set(&mut con, "tally.limit-shadow", "yes");
    assert_eq!(info_field(&mut con, "tally", "tally_limit_shadow"), "yes");
    let before = key_dumps(&mut con);
    let mark = propagation_mark(&mut con, &primary.dir);
    let (allowed, denied) = (counter(&mut con, "tally_limit_allowed"), counter(&mut con, "tally_limit_denied"));
    for (_, refused) in LIMITERS {
        let reply = items(&ok(&mut con, &words(refused))).to_vec();
        let numbers: Vec<i64> = reply.iter().take(4).map(int).collect();
        assert_eq!([numbers[0], numbers[2], numbers[3]], [1, 0, 0], "{refused}: allowed, nothing remaining, no wait");
        if refused.starts_with("LIMIT.ACQUIRE") {
            assert_eq!(text(&reply[4]), "w2", "the token is replied, though it holds nothing");
        }
    }
    assert_eq!(key_dumps(&mut con), before, "a shadowed refusal writes nothing");
    assert_eq!(propagation_mark(&mut con, &primary.dir), mark, "and propagates nothing");
    assert_eq!(counter(&mut con, "tally_limit_shadow_denied"), 5);
    assert_eq!(counter(&mut con, "tally_limit_allowed"), allowed, "not counted as allowed");
    assert_eq!(counter(&mut con, "tally_limit_denied"), denied, "nor as denied");
    // The shadowed lease was never held.
    assert_eq!(sh(&mut con, "LIMIT.RENEW s:{u}:lease w2 1000"), "0");
    // Enforced again: the same calls are refused, from the same state.
    config_set(&mut con, "tally.limit-shadow", "no");
    for (_, refused) in LIMITERS {
        assert!(sh(&mut con, refused).starts_with("[0, "), "{refused} enforced");
    }
    assert_eq!(counter(&mut con, "tally_limit_denied"), denied + 5);
    assert_eq!(counter(&mut con, "tally_limit_shadow_denied"), 5);
}

#[test]
fn shadow_mode_can_be_set_at_load() {
    let server = Server::start_with_module_args(&["limit-shadow", "yes"]);
    let mut con = server.connect();
    assert_eq!(sh(&mut con, "CONFIG GET tally.limit-shadow"), "[\"tally.limit-shadow\", \"yes\"]");
    sh_ok(&mut con, "LIMIT.FIXED s:{u} 3600000 1");
    assert!(sh(&mut con, "LIMIT.FIXED s:{u} 3600000 1").starts_with("[1, 1, 0, 0, "));
    assert_eq!(sh(&mut con, "GET s:{u}"), "\"1\"");
}
