//! LIMIT.ACQUIRE, LIMIT.RELEASE and LIMIT.RENEW: slots, renewal by token, leases that end
//! on their own (a worker that never releases), the key's expiry at its last lease, tokens
//! made unique under concurrency, errors and WRONGTYPE, replication and the AOF, and the
//! same decisions as the Lua semaphore the commands replace.

use crate::common::aof::*;
use crate::common::reply::*;
use crate::common::scripts::{SEMAPHORE_ACQUIRE_LUA, SEMAPHORE_RELEASE_LUA};
use crate::common::*;
use redis::{Connection, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// An ACQUIRE reply: its four integers and its token (`None` for nil).
fn acquire(con: &mut Connection, line: &str) -> ([i64; 4], Option<String>) {
    let reply = ok(con, &words(line));
    let [acquired, limit, remaining, retry, token] = items(&reply) else { panic!("{line}: {}", render(&reply)) };
    let token = match token {
        Value::Nil => None,
        other => Some(text(other)),
    };
    ([acquired, limit, remaining, retry].map(int), token)
}

/// Each lease as (token, end ms), soonest first.
fn leases(con: &mut Connection, key: &str) -> Vec<(String, i64)> {
    let reply = ok(con, &["ZRANGE", key, "0", "-1", "WITHSCORES"]);
    items(&reply).chunks(2).map(|pair| (text(&pair[0]), text(&pair[1]).parse().expect("an end in ms"))).collect()
}

/// When `token`'s lease on `key` ends (ms).
fn lease_end(con: &mut Connection, key: &str, token: &str) -> i64 {
    leases(con, key).into_iter().find(|(held_by, _)| held_by == token).unwrap_or_else(|| panic!("{token}'s lease")).1
}

#[test]
fn slots_fill_a_held_token_renews_and_release_frees() {
    let server = Server::start();
    let mut con = server.connect();
    let start = server_ms(&mut con);
    assert_eq!(acquire(&mut con, "LIMIT.ACQUIRE p:{a} 2 30000 TOKEN w1"), ([1, 2, 1, 0], Some("w1".into())));
    assert_eq!(acquire(&mut con, "LIMIT.ACQUIRE p:{a} 2 30000 TOKEN w2"), ([1, 2, 0, 0], Some("w2".into())));
    let (refused, token) = acquire(&mut con, "LIMIT.ACQUIRE p:{a} 2 30000 TOKEN w3");
    let now = server_ms(&mut con);
    assert_eq!((refused[..3].to_vec(), token), (vec![0, 2, 0], None));
    let soonest = leases(&mut con, "p:{a}")[0].1;
    assert!((soonest - now..=soonest - start).contains(&refused[3]), "retry {} until {soonest}", refused[3]);
    // w1 again renews its own lease: no second slot.
    assert_eq!(acquire(&mut con, "LIMIT.ACQUIRE p:{a} 2 30000 TOKEN w1"), ([1, 2, 0, 0], Some("w1".into())));
    let held = leases(&mut con, "p:{a}");
    let end_of = |token: &str| held.iter().find(|(held_by, _)| held_by == token).map(|(_, end)| *end);
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(end_of("w1") >= end_of("w2"), "w1's lease was renewed: {held:?}");
    assert_eq!(
        int(&ok(&mut con, &["PEXPIRETIME", "p:{a}"])),
        end_of("w1").unwrap(),
        "the key ends with its last lease"
    );
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} w2"), "1");
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} w2"), "0");
    assert_eq!(acquire(&mut con, "LIMIT.ACQUIRE p:{a} 2 30000 TOKEN w3"), ([1, 2, 0, 0], Some("w3".into())));
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} w9 30000"), "0");
    assert!(leases(&mut con, "p:{a}").iter().all(|(token, _)| token != "w9"), "a renewal adds no lease");
    // Renewing to a longer lease moves the key's expiry with it.
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} w3 90000"), "1");
    let w3_end = lease_end(&mut con, "p:{a}", "w3");
    assert_eq!(int(&ok(&mut con, &["PEXPIRETIME", "p:{a}"])), w3_end);
    // Releasing every lease deletes the key.
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} w1"), "1");
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} w3"), "1");
    assert_eq!(sh(&mut con, "EXISTS p:{a}"), "0");
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} w3"), "0");
}

#[test]
fn a_shorter_lease_leaves_the_key_ending_with_the_last_lease() {
    let server = Server::start();
    let mut con = server.connect();
    let expiry = |con: &mut Connection| int(&ok(con, &["PEXPIRETIME", "p:{a}"]));
    sh_ok(&mut con, "LIMIT.ACQUIRE p:{a} 2 90000 TOKEN long");
    let long_end = lease_end(&mut con, "p:{a}", "long");
    // Taken, renewed at max (both slots held) and renewed by LIMIT.RENEW, each shorter.
    sh_ok(&mut con, "LIMIT.ACQUIRE p:{a} 2 1000 TOKEN short");
    assert_eq!(expiry(&mut con), long_end);
    sh_ok(&mut con, "LIMIT.ACQUIRE p:{a} 2 2000 TOKEN short");
    assert_eq!(expiry(&mut con), long_end);
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} short 3000"), "1");
    assert_eq!(expiry(&mut con), long_end);
    // A renewal past the last lease moves the expiry to it.
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} short 120000"), "1");
    assert_eq!(expiry(&mut con), lease_end(&mut con, "p:{a}", "short"));
    // Renewing or releasing on a key that does not exist leaves it absent.
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{b} w1 1000"), "0");
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{b} w1"), "0");
    assert_eq!(sh(&mut con, "EXISTS p:{b}"), "0");
}

#[test]
fn acquire_and_release_decide_as_the_lua_semaphore_does() {
    let server = Server::start();
    let mut con = server.connect();
    // A fixed pseudo-random sequence of acquires and releases over 6 tokens and 3 slots, on
    // the module's key and on the script's; the leases outlast the test.
    let holders = |con: &mut Connection, key: &str| -> BTreeSet<String> {
        leases(con, key).into_iter().map(|(token, _)| token).collect()
    };
    let mut state: u32 = 12345;
    for step in 0..400 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let token = format!("w{}", (state >> 16) % 6);
        let what = if (state >> 8).is_multiple_of(3) { "release" } else { "acquire" };
        let (module, script) = if what == "acquire" {
            let (reply, _) = acquire(&mut con, &format!("LIMIT.ACQUIRE p:{{m}} 3 60000 TOKEN {token}"));
            let now = server_ms(&mut con).to_string();
            let args = ["EVAL", SEMAPHORE_ACQUIRE_LUA, "1", "p:{s}", "3", "60000", &token, &now];
            (reply[0], int(&ok(&mut con, &args)))
        } else {
            let released = int(&ok(&mut con, &["LIMIT.RELEASE", "p:{m}", &token]));
            (released, int(&ok(&mut con, &["EVAL", SEMAPHORE_RELEASE_LUA, "1", "p:{s}", &token])))
        };
        assert_eq!(module, script, "step {step}: {what} {token}");
        assert_eq!(holders(&mut con, "p:{m}"), holders(&mut con, "p:{s}"), "step {step}: {what} {token}");
    }
}

#[test]
fn a_worker_that_never_releases_frees_its_slot_after_lease_ms() {
    let server = Server::start();
    let mut con = server.connect();
    let (taken, _) = acquire(&mut con, "LIMIT.ACQUIRE p:{a} 1 300 TOKEN crashed");
    assert_eq!(taken, [1, 1, 0, 0]);
    let end = leases(&mut con, "p:{a}")[0].1;
    let (refused, _) = acquire(&mut con, "LIMIT.ACQUIRE p:{a} 1 300 TOKEN next");
    assert_eq!(refused[0], 0);
    assert!((1..=300).contains(&refused[3]), "retry {}", refused[3]);
    // Once the lease ends, the next worker gets the slot and the crashed one cannot renew.
    poll_until(Duration::from_secs(5), || acquire(&mut con, "LIMIT.ACQUIRE p:{a} 1 300 TOKEN next").0[0] == 1);
    assert!(server_ms(&mut con) >= end, "taken before the lease ended");
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} crashed 300"), "0");
    assert_eq!(sh(&mut con, "LIMIT.RELEASE p:{a} crashed"), "0");
    assert_eq!(leases(&mut con, "p:{a}").len(), 1);
    // With its last lease ended, the key expires on its own.
    poll_until(Duration::from_secs(5), || sh(&mut con, "EXISTS p:{a}") == "0");
}

#[test]
fn made_tokens_are_unique_under_concurrent_clients() {
    let server = Server::start();
    const CLIENTS: usize = 8;
    const CALLS: usize = 100;
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let mut con = server.connect();
                scope.spawn(move || {
                    (0..CALLS)
                        .map(|_| acquire(&mut con, "LIMIT.ACQUIRE p:{a} 100000 60000").1.expect("a token"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a client thread")).collect()
    });
    let distinct: BTreeSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), CLIENTS * CALLS, "every token is new");
    assert!(tokens.iter().all(|token| token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())));
    assert_eq!(sh(&mut server.connect(), "ZCARD p:{a}"), (CLIENTS * CALLS).to_string());
}

#[test]
fn errors_and_foreign_keys_change_nothing() {
    let server = Server::start();
    let mut con = server.connect();
    for line in ["SET p:{a}:text x", "RPUSH p:{a}:list x", "LIMIT.ACQUIRE p:{a} 1 60000 TOKEN w1"] {
        sh_ok(&mut con, line);
    }
    let before = key_dumps(&mut con);
    let long = "t".repeat(257);
    let wrong_type = "ERR token must not be empty";
    for (args, error) in [
        (
            vec!["LIMIT.ACQUIRE", "p:{a}:text", "1", "1000"],
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        (
            vec!["LIMIT.RELEASE", "p:{a}:list", "w1"],
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        (
            vec!["LIMIT.RENEW", "p:{a}:text", "w1", "1000"],
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        (vec!["LIMIT.ACQUIRE", "p:{a}", "0", "1000"], "ERR max must be between 1 and 100000"),
        (vec!["LIMIT.ACQUIRE", "p:{a}", "1", "0"], "ERR lease_ms must be between 1 and 31536000000"),
        (vec!["LIMIT.ACQUIRE", "p:{a}", "1", "1000", "TOKEN", ""], wrong_type),
        (vec!["LIMIT.ACQUIRE", "p:{a}", "1", "1000", "TOKEN", &long], "ERR token is longer than 256 bytes"),
        (vec!["LIMIT.ACQUIRE", "p:{a}", "1", "1000", "NAME", "w1"], "ERR syntax error"),
        (
            vec!["LIMIT.ACQUIRE", "p:{a}", "1", "1000", "TOKEN"],
            "ERR wrong number of arguments for 'limit.acquire' command",
        ),
        (vec!["LIMIT.RELEASE", "p:{a}", ""], wrong_type),
        (vec!["LIMIT.RENEW", "p:{a}", "w1", "-1"], "ERR lease_ms must be between 1 and 31536000000"),
        (vec!["LIMIT.RENEW", "p:{a}", "w1", "x"], "ERR value is not an integer or out of range"),
    ] {
        assert_eq!(run(&mut con, &args), format!("(error) {error}"), "{args:?}");
    }
    for (line, arity) in
        [("LIMIT.RELEASE p:{a}", "release"), ("LIMIT.RENEW p:{a} w1", "renew"), ("LIMIT.ACQUIRE p:{a} 1", "acquire")]
    {
        assert!(sh(&mut con, line).contains(&format!("wrong number of arguments for 'limit.{arity}'")), "{line}");
    }
    assert_eq!(key_dumps(&mut con), before, "errors change nothing");
    assert!(server.log().lines().all(|line| !line.contains("panicked")));
}

#[test]
fn replicas_and_the_aof_get_the_leases_as_zadd_zrem_and_pexpireat() {
    let (primary, replica) = primary_with_replica();
    let mut con = primary.connect();
    let (_, made) = acquire(&mut con, "LIMIT.ACQUIRE p:{a} 3 60000");
    let made = made.expect("a made token");
    for line in [
        "LIMIT.ACQUIRE p:{a} 3 60000 TOKEN w1",
        "LIMIT.ACQUIRE p:{a} 3 90000 TOKEN w1",
        "LIMIT.RENEW p:{a} w1 120000",
        "LIMIT.ACQUIRE p:{a} 3 200 TOKEN short",
    ] {
        sh_ok(&mut con, line);
    }
    assert_eq!(sh(&mut con, &format!("LIMIT.RELEASE p:{{a}} {made}")), "1");
    // The short lease ends; the next call removes it, by a concrete time.
    let short_end = leases(&mut con, "p:{a}").into_iter().find(|(token, _)| token == "short").expect("short").1;
    poll_until(Duration::from_secs(5), || server_ms(&mut con) > short_end);
    assert_eq!(sh(&mut con, "LIMIT.RENEW p:{a} short 200"), "0");
    // Calls that change nothing propagate nothing.
    let mark = propagation_mark(&mut con, &primary.dir);
    for line in ["LIMIT.RELEASE p:{a} nobody", "LIMIT.RENEW p:{a} nobody 1000", "LIMIT.RELEASE p:{a}:none w1"] {
        assert_eq!(sh(&mut con, line), "0", "{line}");
    }
    assert_eq!(propagation_mark(&mut con, &primary.dir), mark, "nothing propagated");
    assert_eq!(sh(&mut con, "WAIT 1 5000"), "1");
    let on_primary = key_dumps(&mut con);
    assert_eq!(key_dumps(&mut replica.connect()), on_primary, "the replica's leases and expiry");
    let commands = aof_data_commands(&primary.dir);
    let names: Vec<String> = commands.iter().map(|command| printable(command)[0].to_uppercase()).collect();
    assert!(
        names.iter().all(|name| ["ZADD", "ZREM", "PEXPIREAT", "ZREMRANGEBYSCORE"].contains(&name.as_str())),
        "{names:?}"
    );
    let zadds: Vec<Vec<String>> = commands.iter().filter(|c| is_named(c, "ZADD")).map(|c| printable(c)).collect();
    assert_eq!(zadds.len(), 5, "{zadds:?}");
    assert_eq!(zadds[0][3], made, "the made token is replicated as itself");
    assert!(commands.iter().any(|c| is_named(c, "ZREM") && printable(c)[2] == made));
    assert!(commands.iter().any(|c| is_named(c, "ZREMRANGEBYSCORE") && printable(c)[2] == "-inf"));
    drop(replica);
    let mut restarted = Server::start_with(Options { dir: Some(primary.kill()), ..aof_options(&[]) });
    assert_eq!(key_dumps(&mut restarted.connect()), on_primary, "after a restart from the AOF");
    assert!(restarted.is_up());
}

#[test]
fn keyspace_events_follow_the_native_commands() {
    let server = Server::start();
    let events = key_events(
        &server,
        "p:{a}",
        &["LIMIT.ACQUIRE p:{a} 2 60000 TOKEN w1", "LIMIT.RENEW p:{a} w1 90000", "LIMIT.RELEASE p:{a} w1"],
    );
    assert_eq!(events, ["zadd", "expire", "zadd", "expire", "zrem", "del"]);
}
