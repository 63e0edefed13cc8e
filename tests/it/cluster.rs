//! tally in a Redis Cluster of 3 primaries and 3 replicas with the module on every node:
//! every command on keys spread over all slots through a redirect-following client,
//! `MOVED` replies naming the owner and the slot `CLUSTER KEYSLOT` gives, the hash-tag
//! policy in cluster mode, multi-key commands confined to one slot, tournaments whose
//! companion keys live in their leaderboard's slot on its owner only, and a `kill -9`
//! failover that keeps every write the replica confirmed (`WAIT`), tournament order too.

use crate::common::cluster::{client_slot, wait_role, Cluster, ClusterClient, NodeEntry};
use crate::common::reply::bulk;
use crate::common::rng::{Lcg, Random};
use crate::common::*;

use redis::{Connection, Value};
use std::collections::{BTreeMap, BTreeSet};

// ---- helpers -----------------------------------------------------------------------------

/// `count` distinct hash-tag ids drawn from the seeded sequence.
fn random_tags(seed: u64, count: usize) -> Vec<u64> {
    let mut rng = Lcg(seed);
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    while tags.len() < count {
        let tag = rng.next() % 10_000_000;
        if seen.insert(tag) {
            tags.push(tag);
        }
    }
    tags
}

/// The port serving `slot` in a `CLUSTER NODES` view.
fn owner_in(view: &[NodeEntry], slot: u16) -> u16 {
    view.iter()
        .find(|n| n.is_primary() && !n.is_failed() && n.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
        .unwrap_or_else(|| panic!("no owner for slot {slot}"))
        .port
}

/// One invocation of every tally command, each on a single key; the key families are
/// separate so that the commands do not clash on types.
fn single_key_commands(board: &str, limiter: &str, gcra: &str, stream: &str) -> Vec<String> {
    vec![
        format!("TOURNEY.INCR {board} alice 5"),
        format!("TOURNEY.SUBMIT {board} bob 7 LATEST"),
        format!("TOURNEY.RANK {board} alice WITHSCORE"),
        format!("TOURNEY.TOP {board} 10"),
        format!("TOURNEY.AROUND {board} alice 1"),
        format!("TOURNEY.PERCENTILE {board} alice"),
        format!("TOURNEY.REM {board} bob"),
        format!("LIMIT.SLIDE {limiter} 60000 10"),
        format!("LIMIT.MULTI 1 {limiter} 60000 10"),
        format!("LIMIT.GCRA {gcra} 2 10 1000"),
        format!("LIMIT.RESET {limiter}"),
        format!("AUDIT.APPEND {stream} IDEMPOTENT p 1 f v"),
        format!("AUDIT.GROUP {stream} g START 0"),
        format!("AUDIT.INFO {stream}"),
    ]
}

fn exists(con: &mut Connection, key: &str) -> bool {
    sh(con, &format!("EXISTS {key}")) == "1"
}

// ---- every command, keys over all slots ----------------------------------------------------

#[test]
fn every_command_works_on_keys_spread_over_all_slots() {
    let cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let mut client = cluster.client();
    let mut any = cluster.any();
    let mut owners: BTreeMap<u16, usize> = BTreeMap::new();
    let mut slots = BTreeSet::new();

    let seed = 0x007a_11c1_u64;
    for n in random_tags(seed, 200) {
        let board = format!("t:{{{n}}}:board");
        let slide = format!("t:{{{n}}}:slide");
        let slide2 = format!("t:{{{n}}}:slide2");
        let gcra = format!("t:{{{n}}}:gcra");
        let audit = format!("t:{{{n}}}:audit");
        let producers = format!("{audit}:producers");

        // The server, the module's core and the client agree on every key's slot.
        let slot = cluster.keyslot(board.as_bytes());
        for key in [&board, &slide, &slide2, &gcra, &audit, &producers] {
            let keyslot: u16 = redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query(&mut any).unwrap();
            assert_eq!(keyslot, slot, "{key} (seed {seed:#x})");
            assert_eq!(tally_core::slot::hash_slot(key.as_bytes()), slot, "{key}");
            assert_eq!(client_slot(key.as_bytes()), slot, "{key}");
        }
        slots.insert(slot);
        *owners.entry(owner_in(&view, slot)).or_default() += 1;

        let c = &mut client;
        assert_eq!(c.sh(&format!("TOURNEY.INCR {board} alice 5")), "[\"5\", 1]", "{board}");
        assert_eq!(c.sh(&format!("TOURNEY.SUBMIT {board} bob 7")), "[\"7\", 1, 1]");
        assert_eq!(c.sh(&format!("TOURNEY.SUBMIT {board} bob 3 LATEST")), "[\"3\", 2, 1]");
        assert_eq!(c.sh(&format!("TOURNEY.INCR {board} bob 4")), "[\"7\", 1]");
        assert_eq!(c.sh(&format!("TOURNEY.RANK {board} alice WITHSCORE")), "[2, \"5\"]");
        assert_eq!(c.sh(&format!("TOURNEY.TOP {board} 10")), "[[\"bob\", \"7\", 1], [\"alice\", \"5\", 2]]");
        assert_eq!(c.sh(&format!("TOURNEY.AROUND {board} alice 1")), "[[\"bob\", \"7\", 1], [\"alice\", \"5\", 2]]");
        assert_eq!(c.sh(&format!("TOURNEY.PERCENTILE {board} alice")), "\"50\"");
        assert_eq!(c.sh(&format!("TOURNEY.REM {board} bob")), "1");
        assert_eq!(c.sh(&format!("ZRANGE {board} 0 -1 WITHSCORES")), "[\"alice\", \"5\"]");

        assert_eq!(c.sh(&format!("LIMIT.SLIDE {slide} 60000 10")), "[1, 10, 9, 0, 60000]", "{slide}");
        assert_eq!(c.sh(&format!("LIMIT.MULTI 2 {slide} {slide2} 60000 10 60000 5")), "[1, 5, 4, 0, 60000]");
        assert_eq!(c.sh(&format!("ZCARD {slide}")), "2");
        assert_eq!(c.sh(&format!("LIMIT.GCRA {gcra} 2 10 1000")), "[1, 3, 2, 0, 100]");
        assert_eq!(c.sh(&format!("LIMIT.RESET {slide} {slide2} {gcra}")), "3");
        assert_eq!(c.sh(&format!("EXISTS {slide}")), "0");

        let id = bulk(&c.ok(&words(&format!("AUDIT.APPEND {audit} IDEMPOTENT p 1 event won"))));
        assert_eq!(bulk(&c.ok(&words(&format!("AUDIT.APPEND {audit} IDEMPOTENT p 1 event won")))), id);
        assert_eq!(c.sh(&format!("AUDIT.APPEND {audit} IDEMPOTENT p 0 event won")).split(' ').next(), Some("(error)"));
        assert_eq!(c.sh(&format!("HGET {producers} p")), format!("\"1 {id}\""));
        assert_eq!(c.sh(&format!("AUDIT.GROUP {audit} g START 0")), "OK");
        let info = c.sh(&format!("AUDIT.INFO {audit}"));
        assert!(info.contains("\"length\", 1,") && info.contains(&format!("\"{id}\"")), "{info}");
        assert_eq!(c.sh(&format!("XLEN {audit}")), "1");
    }
    assert!(slots.len() > 190, "the keys should fall in ~200 distinct slots: {}", slots.len());
    assert_eq!(owners.len(), 3, "keys on every primary: {owners:?}");
    assert!(owners.values().all(|&count| count >= 30), "{owners:?}");
    // The client started with an empty slot table: it learnt it from MOVED replies.
    assert!(client.moved >= 100, "only {} MOVED redirections followed", client.moved);
}

// ---- MOVED -------------------------------------------------------------------------------------

#[test]
fn a_node_that_does_not_own_the_key_replies_moved_to_the_owner() {
    let cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let mut connections: BTreeMap<u16, Connection> =
        cluster.ports().into_iter().map(|p| (p, cluster.connect(p))).collect();
    assert_eq!(connections.len(), 6);

    let mut checked = 0;
    let mut keys: Vec<String> = random_tags(42, 20).into_iter().map(|n| format!("m:{{{n}}}")).collect();
    // Keys without a (valid) tag are redirected the same way, before the module sees them.
    keys.extend(["plain", "x{}y", "}{", "a{b}c"].map(str::to_string));
    for base in &keys {
        let (board, limiter, gcra, stream) =
            (format!("{base}:b"), format!("{base}:l"), format!("{base}:g"), format!("{base}:s"));
        // LIMIT.MULTI has a test of its own below.
        let mut commands: Vec<String> = single_key_commands(&board, &limiter, &gcra, &stream)
            .into_iter()
            .filter(|line| !line.starts_with("LIMIT.MULTI"))
            .collect();
        if base.starts_with("m:") {
            commands.push(format!("LIMIT.RESET {limiter} {limiter}2 {gcra}"));
        }
        for line in commands {
            let key = line.split(' ').nth(1).unwrap().to_string();
            let slot = cluster.keyslot(key.as_bytes());
            let owner = owner_in(&view, slot);
            for (&port, con) in &mut connections {
                let reply = sh(con, &line);
                if port == owner {
                    assert!(!reply.starts_with("(error) MOVED"), "{line} on its owner {port}: {reply}");
                } else {
                    // Other primaries and every replica (no READONLY) redirect to the owner.
                    assert_eq!(reply, format!("(error) MOVED {slot} 127.0.0.1:{owner}"), "{line} sent to {port}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1400, "{checked}");

    // A replica in READONLY mode serves the read commands of its primary's slots and still
    // redirects the writes.
    let key = "m:{ro}:b";
    let owner = cluster.owner_of_key(key.as_bytes());
    let replica = cluster.replica_of(owner);
    let mut primary = cluster.connect(owner);
    assert_eq!(sh(&mut primary, &format!("TOURNEY.INCR {key} alice 5")), "[\"5\", 1]");
    assert_eq!(sh(&mut primary, "WAIT 1 5000"), "1");
    let mut reader = cluster.connect(replica);
    assert_eq!(sh(&mut reader, "READONLY"), "OK");
    let slot = cluster.keyslot(key.as_bytes());
    assert_eq!(sh(&mut reader, &format!("TOURNEY.RANK {key} alice WITHSCORE")), "[1, \"5\"]");
    assert_eq!(sh(&mut reader, &format!("TOURNEY.TOP {key} 1")), "[[\"alice\", \"5\", 1]]");
    assert_eq!(sh(&mut reader, &format!("TOURNEY.PERCENTILE {key} alice")), "\"100\"");
    assert_eq!(sh(&mut reader, "AUDIT.INFO m:{ro}:s"), "nil");
    for write in [
        format!("TOURNEY.INCR {key} alice 1"),
        "LIMIT.SLIDE m:{ro}:l 1000 5".to_string(),
        "AUDIT.APPEND m:{ro}:s f v".to_string(),
    ] {
        assert_eq!(sh(&mut reader, &write), format!("(error) MOVED {slot} 127.0.0.1:{owner}"), "{write}");
    }
}

/// LIMIT.MULTI declares its keys with a `keynum` key spec only. Redis 7.0 and Valkey 9.1
/// route a module command by its legacy (first, last, step) triple, which is 0 0 0 for
/// LIMIT.MULTI: without a getkeys callback the server sees no key, serves the call on
/// whichever node receives it and writes limiter keys into slots that node does not own.
#[test]
fn limit_multi_is_redirected_like_every_other_command() {
    let cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let crossslot = "(error) CROSSSLOT Keys in request don't hash to the same slot";
    for n in random_tags(99, 10) {
        let (a, b) = (format!("lm:{{{n}}}:a"), format!("lm:{{{n}}}:b"));
        let slot = cluster.keyslot(a.as_bytes());
        let owner = owner_in(&view, slot);
        for port in cluster.ports() {
            let mut con = cluster.connect(port);
            for line in [format!("LIMIT.MULTI 1 {a} 60000 10"), format!("LIMIT.MULTI 2 {a} {b} 60000 10 60000 5")] {
                let reply = sh(&mut con, &line);
                if port == owner {
                    assert!(reply.starts_with("[1, "), "{line} on its owner: {reply}");
                } else {
                    assert_eq!(reply, format!("(error) MOVED {slot} 127.0.0.1:{owner}"), "{line} sent to {port}");
                }
            }
            // (The owner's replica holds the slot's keys by replication.)
            if port != owner && !cluster.replicas_of(owner).contains(&port) {
                assert_eq!(
                    sh(&mut con, &format!("CLUSTER COUNTKEYSINSLOT {slot}")),
                    "0",
                    "node {port} stored keys of slot {slot}, which it does not own"
                );
            }
            // Keys of two slots: refused by every node, replicas included.
            let other = format!("lm:{{{}}}:x", n + 1);
            assert_ne!(cluster.keyslot(other.as_bytes()), slot);
            assert_eq!(sh(&mut con, &format!("LIMIT.MULTI 2 {a} {other} 60000 10 60000 5")), crossslot, "on {port}");
        }
    }
}

// ---- tally.require-hashtag auto --------------------------------------------------------------

#[test]
fn untagged_keys_are_refused_in_cluster_mode_and_accepted_standalone() {
    let cluster = Cluster::start(3, 1);
    for key in ["plain", "x{}y", "}{", "{}"] {
        let owner = cluster.owner_of_key(key.as_bytes());
        let mut con = cluster.connect(owner);
        assert_eq!(sh(&mut con, "CONFIG GET tally.require-hashtag"), "[\"tally.require-hashtag\", \"auto\"]");
        let expected =
            format!("(error) ERR key '{key}' needs a hash tag like {{id}} so related keys share a cluster slot");
        for line in single_key_commands(key, key, key, key) {
            assert_eq!(sh(&mut con, &line), expected, "{line} on the owner {owner}");
        }
        // Nothing was written, not even the derived producers key.
        assert!(!exists(&mut con, key), "{key}");
        assert_eq!(sh(&mut con, "DBSIZE"), "0");
        // The redirect-following client reaches the same node and the same answer.
        let mut client = cluster.client();
        assert_eq!(client.sh(&format!("TOURNEY.INCR {key} alice 1")), expected);
    }

    // The same commands on tagged keys work.
    let mut client = cluster.client();
    for line in single_key_commands("h:{1}:b", "h:{1}:l", "h:{1}:g", "h:{1}:s") {
        let reply = client.sh(&line);
        assert!(!reply.starts_with("(error)"), "{line}: {reply}");
    }

    // `no` lets untagged keys through in cluster mode (per node).
    let owner = cluster.owner_of_key(b"plain");
    let mut con = cluster.connect(owner);
    assert_eq!(sh(&mut con, "CONFIG SET tally.require-hashtag no"), "OK");
    assert_eq!(sh(&mut con, "TOURNEY.INCR plain alice 1"), "[\"1\", 1]");
    assert_eq!(sh(&mut con, "CONFIG SET tally.require-hashtag auto"), "OK");
    assert_eq!(
        sh(&mut con, "TOURNEY.INCR plain alice 1"),
        "(error) ERR key 'plain' needs a hash tag like {id} so related keys share a cluster slot"
    );

    // Standalone, `auto` accepts untagged keys.
    let server = Server::start();
    let mut con = server.connect();
    for line in single_key_commands("plain:b", "plain:l", "plain:g", "plain:s") {
        let reply = sh(&mut con, &line);
        let untagged_idempotent = line.starts_with("AUDIT.APPEND");
        assert_eq!(reply.starts_with("(error)"), untagged_idempotent, "standalone {line}: {reply}");
    }
}

// ---- multi-key commands and companion keys -------------------------------------------------

#[test]
fn multi_key_commands_stay_in_one_slot_and_companion_keys_share_it() {
    let cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let crossslot = "(error) CROSSSLOT Keys in request don't hash to the same slot";

    // Pairs of keys in different slots: on the same primary, and on different primaries.
    let tags = random_tags(7, 200);
    let first = format!("c:{{{}}}", tags[0]);
    let first_slot = cluster.keyslot(first.as_bytes());
    let first_owner = owner_in(&view, first_slot);
    let same_node = tags[1..]
        .iter()
        .map(|n| format!("c:{{{n}}}"))
        .find(|k| {
            let slot = client_slot(k.as_bytes());
            slot != first_slot && owner_in(&view, slot) == first_owner
        })
        .expect("a key on the same node");
    let other_node = tags[1..]
        .iter()
        .map(|n| format!("c:{{{n}}}"))
        .find(|k| owner_in(&view, client_slot(k.as_bytes())) != first_owner)
        .expect("a key on another node");
    let mut con = cluster.connect(first_owner);
    let mut client = cluster.client();
    // The client learns the first key's slot with a plain command before LIMIT.MULTI.
    assert_eq!(client.sh(&format!("EXISTS {first}")), "0");
    for other in [&same_node, &other_node] {
        for line in [
            format!("LIMIT.MULTI 2 {first} {other} 60000 10 60000 10"),
            format!("LIMIT.MULTI 3 {first} {first}:x {other} 60000 10 60000 10 60000 10"),
            format!("LIMIT.RESET {first} {other}"),
            format!("LIMIT.RESET {first} {first}:x {other}"),
        ] {
            assert_eq!(sh(&mut con, &line), crossslot, "{line}");
            assert_eq!(client.sh(&line), crossslot, "{line} through the client");
        }
    }
    assert_eq!(sh(&mut con, "DBSIZE"), "0", "a refused call wrote something");

    // With a shared hash tag they work.
    let keys: Vec<String> = (0..5).map(|i| format!("{first}:api:{i}")).collect();
    let multi = format!("LIMIT.MULTI 5 {} {}", keys.join(" "), ["60000 3"; 5].join(" "));
    for remaining in [2, 1, 0] {
        assert_eq!(client.sh(&multi), format!("[1, 3, {remaining}, 0, 60000]"));
    }
    assert!(client.sh(&multi).starts_with("[0, 3, 0, "));
    for key in &keys {
        assert_eq!(sh(&mut con, &format!("ZCARD {key}")), "3", "{key}");
    }
    assert_eq!(client.sh(&format!("LIMIT.RESET {} {first}:none", keys.join(" "))), "5");
    assert_eq!(sh(&mut con, "DBSIZE"), "0");

    // AUDIT.APPEND IDEMPOTENT: the producers hash lives in the stream's slot, on its node.
    for stream in ["orders:{o1}:audit", "{o2}", "a{o3}b{c}"] {
        let producers = format!("{stream}:producers");
        let slot = cluster.keyslot(stream.as_bytes());
        assert_eq!(cluster.keyslot(producers.as_bytes()), slot, "{producers}");
        let mut owner = cluster.connect_to_owner(stream.as_bytes());
        let id = bulk(&client.ok(&words(&format!("AUDIT.APPEND {stream} IDEMPOTENT checkout 5 order 17"))));
        assert_eq!(bulk(&client.ok(&words(&format!("AUDIT.APPEND {stream} IDEMPOTENT checkout 5 order 17")))), id);
        assert_eq!(
            client.sh(&format!("AUDIT.APPEND {stream} IDEMPOTENT checkout 4 order 16")),
            "(error) ERR sequence 4 is below the producer's last accepted sequence 5"
        );
        let next = bulk(&client.ok(&words(&format!("AUDIT.APPEND {stream} IDEMPOTENT checkout 6 order 18"))));
        assert_ne!(next, id);
        assert_eq!(sh(&mut owner, &format!("HGET {producers} checkout")), format!("\"6 {next}\""));
        assert_eq!(sh(&mut owner, &format!("XLEN {stream}")), "2");
    }

    // Untagged streams (allowed with `no`) have no producers key, whose name would be another
    // key's (`{audit}:producers` is the stream `{audit}`'s): IDEMPOTENT is refused and nothing
    // is written. Without IDEMPOTENT there is no companion key: the append works.
    for port in cluster.ports() {
        assert_eq!(sh(&mut cluster.connect(port), "CONFIG SET tally.require-hashtag no"), "OK");
    }
    for stream in ["audit", "x{y", "a}b", "x{}y"] {
        let mut owner = cluster.connect_to_owner(stream.as_bytes());
        assert_eq!(
            sh(&mut owner, &format!("AUDIT.APPEND {stream} IDEMPOTENT p 1 f v")),
            format!("(error) ERR audit log '{stream}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it")
        );
        assert!(!exists(&mut owner, stream));
        assert!(sh(&mut owner, &format!("AUDIT.APPEND {stream} f v")).starts_with('"'));
        assert_eq!(sh(&mut owner, &format!("XLEN {stream}")), "1");
    }
}

// ---- tournaments: companion keys in the leaderboard's slot -----------------------------------

/// The keys of a TIEBREAK FIRST tournament on `key` (TIES DENSE adds `:dense`): the
/// leaderboard and its companions, `key` + suffix (a tournament's key has a hash tag).
fn tournament_keys(key: &str, dense: bool) -> Vec<String> {
    let mut keys = vec![key.to_string(), format!("{key}:tourney"), format!("{key}:arrival"), format!("{key}:order")];
    if dense {
        keys.push(format!("{key}:dense"));
    }
    keys
}

/// Plays one TIEBREAK FIRST TIES DENSE tournament on `con` (the owner of `key`): ties at 10
/// and 15, reached in an order that is not the members' byte order.
fn play_first_dense(con: &mut Connection, key: &str) {
    for (line, expected) in [
        (format!("TOURNEY.CREATE {key} TIEBREAK FIRST TIES DENSE"), "OK"),
        (format!("TOURNEY.CREATE {key} ties dense tiebreak first"), "OK"),
        (format!("TOURNEY.INCR {key} alice 10"), "[\"10\", 1]"),
        (format!("TOURNEY.SUBMIT {key} bob 10"), "[\"10\", 1, 1]"),
        (format!("TOURNEY.INCR {key} carol 15"), "[\"15\", 1]"),
        (format!("TOURNEY.SUBMIT {key} dave 10"), "[\"10\", 2, 1]"),
        (format!("TOURNEY.INCR {key} erin 5"), "[\"5\", 3]"),
        // A zero increment keeps alice's arrival; bob reaches 15 after carol.
        (format!("TOURNEY.INCR {key} alice 0"), "[\"10\", 2]"),
        (format!("TOURNEY.SUBMIT {key} bob 15"), "[\"15\", 1, 1]"),
        (
            format!("TOURNEY.TOP {key} 10"),
            "[[\"carol\", \"15\", 1], [\"bob\", \"15\", 1], [\"alice\", \"10\", 2], [\"dave\", \"10\", 2], \
             [\"erin\", \"5\", 3]]",
        ),
        (
            format!("TOURNEY.TOP {key} 10 TIES ORDINAL"),
            "[[\"carol\", \"15\", 1], [\"bob\", \"15\", 2], [\"alice\", \"10\", 3], [\"dave\", \"10\", 4], \
             [\"erin\", \"5\", 5]]",
        ),
        (format!("TOURNEY.RANK {key} dave WITHSCORE"), "[2, \"10\"]"),
        (format!("TOURNEY.RANK {key} dave TIES ORDINAL"), "4"),
        (format!("TOURNEY.RANK {key} alice TIES ORDINAL"), "3"),
        (
            format!("TOURNEY.AROUND {key} alice 1 TIES ORDINAL"),
            "[[\"bob\", \"15\", 2], [\"alice\", \"10\", 3], [\"dave\", \"10\", 4]]",
        ),
        (format!("TOURNEY.PERCENTILE {key} dave"), "\"60\""),
        (
            format!("TOURNEY.INFO {key}"),
            "[\"created\", 1, \"tiebreak\", \"first\", \"ties\", \"dense\", \"expireat\", nil, \"members\", 5, \
             \"top\", \"15\", \"bottom\", \"5\", \"order\", \"desc\"]",
        ),
        // The native order breaks the ties by member bytes: not the tournament's.
        (format!("ZREVRANGE {key} 0 -1"), "[\"carol\", \"bob\", \"dave\", \"alice\", \"erin\"]"),
        (format!("GET {}", tournament_keys(key, true)[1]), "\"tiebreak first ties dense\""),
    ] {
        assert_eq!(without_created(&sh(con, &line)), expected, "{line}");
    }
    assert_eq!(
        sh(con, &format!("TOURNEY.CREATE {key} TIEBREAK MEMBER")),
        format!("(error) ERR tournament '{key}' already exists with other settings")
    );
}

#[test]
fn tournaments_keep_their_companion_keys_on_the_owner_of_the_leaderboard() {
    let cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let needs_tag = |key: &str| {
        format!("(error) ERR key '{key}' needs a hash tag like {{id}} so related keys share a cluster slot")
    };

    // Without a hash tag, tally.require-hashtag auto refuses a tournament in cluster mode,
    // on its owner and through a cluster client, and writes nothing.
    let untagged = "lb9";
    let untagged_owner = cluster.owner_of_key(untagged.as_bytes());
    let mut con = cluster.connect(untagged_owner);
    let mut client = cluster.client();
    for line in [
        format!("TOURNEY.CREATE {untagged} TIEBREAK FIRST TIES DENSE"),
        format!("TOURNEY.CREATE {untagged}"),
        format!("TOURNEY.INFO {untagged}"),
    ] {
        assert_eq!(sh(&mut con, &line), needs_tag(untagged), "{line}");
        assert_eq!(client.sh(&line), needs_tag(untagged), "{line} through the client");
    }
    assert_eq!(sh(&mut con, "DBSIZE"), "0");

    // A tagged tournament, created and played on its owner; the untagged key (its owner set
    // to `no`) as a plain leaderboard, since an untagged key cannot be a tournament; one more
    // tournament through the cluster client, on another primary.
    let tagged = "tournament:{t1}:scores";
    let tagged_owner = cluster.owner_of_key(tagged.as_bytes());
    play_first_dense(&mut cluster.connect(tagged_owner), tagged);
    // (`no` on the replica too, so that it serves the reads below.)
    let untagged_nodes: Vec<u16> = [untagged_owner].into_iter().chain(cluster.replicas_of(untagged_owner)).collect();
    for &port in &untagged_nodes {
        assert_eq!(sh(&mut cluster.connect(port), "CONFIG SET tally.require-hashtag no"), "OK");
    }
    assert_eq!(
        sh(&mut con, &format!("TOURNEY.CREATE {untagged} TIEBREAK FIRST")),
        format!("(error) ERR tournament '{untagged}' needs a hash tag like {{id}} in its name: tally keeps its companion keys beside it")
    );
    assert_eq!(sh(&mut con, &format!("TOURNEY.INCR {untagged} zoe 3")), "[\"3\", 1]");
    let routed = (2..)
        .map(|n| format!("tournament:{{t{n}}}:scores"))
        .find(|key| ![tagged_owner, untagged_owner].contains(&owner_in(&view, client_slot(key.as_bytes()))))
        .expect("a key on a third primary");
    for (line, expected) in [
        (format!("TOURNEY.CREATE {routed} TIEBREAK FIRST"), "OK"),
        (format!("TOURNEY.INCR {routed} zoe 3"), "[\"3\", 1]"),
        (format!("TOURNEY.INCR {routed} amy 3"), "[\"3\", 2]"),
        (format!("TOURNEY.SUBMIT {routed} zed 3"), "[\"3\", 3, 1]"),
        (format!("TOURNEY.TOP {routed} 3"), "[[\"zoe\", \"3\", 1], [\"amy\", \"3\", 2], [\"zed\", \"3\", 3]]"),
        (
            format!("TOURNEY.TOP {routed} 3 TIES COMPETITION"),
            "[[\"zoe\", \"3\", 1], [\"amy\", \"3\", 1], [\"zed\", \"3\", 1]]",
        ),
        (format!("TOURNEY.RANK {routed} amy"), "2"),
        (
            format!("TOURNEY.TOP {routed} 3 TIES DENSE"),
            "(error) ERR TIES DENSE needs a tournament created with TOURNEY.CREATE ... TIES DENSE",
        ),
        (
            format!("TOURNEY.INFO {routed}"),
            "[\"created\", 1, \"tiebreak\", \"first\", \"ties\", \"ordinal\", \"expireat\", nil, \"members\", 3, \
             \"top\", \"3\", \"bottom\", \"3\", \"order\", \"desc\"]",
        ),
    ] {
        assert_eq!(client.sh(&line), expected, "{line}");
    }
    let tournaments = [(tagged, true), (routed.as_str(), false)];

    // CREATE and INFO sent to any other node, primary or replica, are redirected to the
    // owner (the untagged key too: the server redirects before the module sees it), and a
    // new tournament is not created there.
    let mut moved = 0;
    for (key, _) in tournaments.iter().copied().chain([(untagged, false), ("tournament:{new}:scores", true)]) {
        let slot = cluster.keyslot(key.as_bytes());
        let owner = owner_in(&view, slot);
        for port in cluster.ports().into_iter().filter(|&port| port != owner) {
            let mut other = cluster.connect(port);
            for line in [format!("TOURNEY.CREATE {key} TIEBREAK FIRST TIES DENSE"), format!("TOURNEY.INFO {key}")] {
                assert_eq!(
                    sh(&mut other, &line),
                    format!("(error) MOVED {slot} 127.0.0.1:{owner}"),
                    "{line} sent to {port}"
                );
                moved += 1;
            }
        }
    }
    assert_eq!(moved, 4 * 5 * 2);

    // Every companion key is in its leaderboard's slot, on the owner (and its replica) and
    // on no other node.
    let mut expected: BTreeMap<u16, BTreeSet<String>> =
        cluster.ports().into_iter().map(|p| (p, BTreeSet::new())).collect();
    for (key, dense) in tournaments {
        let slot = cluster.keyslot(key.as_bytes());
        let owner = owner_in(&view, slot);
        let mut owner_con = cluster.connect(owner);
        for name in tournament_keys(key, dense) {
            assert_eq!(cluster.keyslot(name.as_bytes()), slot, "{name}");
            assert!(exists(&mut owner_con, &name), "{name} on its owner {owner}");
            for port in [owner].into_iter().chain(cluster.replicas_of(owner)) {
                expected.get_mut(&port).unwrap().insert(name.clone());
            }
        }
        let types: Vec<String> =
            tournament_keys(key, dense).iter().map(|name| sh(&mut owner_con, &format!("TYPE {name}"))).collect();
        let mut want = vec!["zset", "string", "hash", "zset", "zset"];
        want.truncate(types.len());
        assert_eq!(types, want, "{key}");
        assert_eq!(sh(&mut owner_con, "WAIT 1 5000"), "1");
    }
    for &port in &untagged_nodes {
        expected.get_mut(&port).unwrap().insert(untagged.to_string());
    }
    for port in cluster.ports() {
        let keys: BTreeSet<String> = redis::cmd("KEYS").arg("*").query(&mut cluster.connect(port)).unwrap();
        assert_eq!(keys, expected[&port], "the keys of node {port}");
    }

    // A replica in READONLY mode serves the tournament in its order.
    for (key, _) in tournaments {
        let owner = cluster.owner_of_key(key.as_bytes());
        let mut reader = cluster.connect(cluster.replica_of(owner));
        assert_eq!(sh(&mut reader, "READONLY"), "OK");
        for read in [format!("TOURNEY.TOP {key} 10 TIES ORDINAL"), format!("TOURNEY.INFO {key}")] {
            assert_eq!(sh(&mut reader, &read), sh(&mut cluster.connect(owner), &read), "{read} on the replica");
        }
    }

    // Back to `auto`, the untagged leaderboard is refused again: kept, but not served.
    for &port in &untagged_nodes {
        let mut node = cluster.connect(port);
        assert_eq!(sh(&mut node, "CONFIG SET tally.require-hashtag auto"), "OK");
        assert_eq!(sh(&mut node, "READONLY"), "OK");
        for line in [format!("TOURNEY.INFO {untagged}"), format!("TOURNEY.TOP {untagged} 10")] {
            assert_eq!(sh(&mut node, &line), needs_tag(untagged), "{line} on {port}");
        }
    }
    assert!(exists(&mut con, untagged));
}

// ---- failover ----------------------------------------------------------------------------------

#[test]
fn failover_keeps_every_write_the_replica_confirmed() {
    let mut cluster = Cluster::start(3, 1);
    let view = cluster.topology();
    let primary = cluster.primaries()[0];
    let replica = cluster.replica_of(primary);

    // Three tags whose slots the chosen primary serves.
    let tags: Vec<String> = (0..)
        .map(|n| format!("f:{{{n}}}"))
        .filter(|tag| owner_in(&view, client_slot(tag.as_bytes())) == primary)
        .take(3)
        .collect();
    let mut client = cluster.client();
    let wait = |client: &mut ClusterClient, key: &str| {
        // WAIT goes over the connection that carried the write (routed by the same key).
        assert_eq!(client.query_routed(key.as_bytes(), &["WAIT", "1", "2000"]), Ok(Value::Int(1)), "WAIT after {key}");
    };

    const ROUNDS: usize = 25;
    const COST: usize = 3;
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut scores: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut tats: BTreeMap<String, String> = BTreeMap::new();
    for tag in &tags {
        let (audit, slide, board, gcra) =
            (format!("{tag}:audit"), format!("{tag}:slide"), format!("{tag}:board"), format!("{tag}:gcra"));
        for i in 0..ROUNDS {
            let id = bulk(&client.ok(&words(&format!("AUDIT.APPEND {audit} IDEMPOTENT pos {i} round {i}"))));
            wait(&mut client, &audit);
            ids.entry(audit.clone()).or_default().push(id);

            let reply = client.sh(&format!("LIMIT.SLIDE {slide} 3600000 1000 COST {COST}"));
            assert!(reply.starts_with(&format!("[1, 1000, {}, 0, ", 1000 - COST * (i + 1))), "{reply}");
            wait(&mut client, &slide);

            let player = format!("player{}", i % 4);
            let delta = i as i64 + 1;
            let total = scores.entry((board.clone(), player.clone())).or_default();
            *total += delta;
            let reply = client.sh(&format!("TOURNEY.INCR {board} {player} {delta}"));
            assert!(reply.starts_with(&format!("[\"{total}\", ")), "{reply}");
            wait(&mut client, &board);

            let reply = client.sh(&format!("LIMIT.GCRA {gcra} 1000 1 1000"));
            assert!(reply.starts_with("[1, 1001, "), "{reply}");
            wait(&mut client, &gcra);
        }
        tats.insert(gcra.clone(), client.sh(&format!("GET {gcra}")));
    }

    // A TIEBREAK FIRST TIES DENSE tournament on the same primary: p3 reaches 7 after p2,
    // p0 reaches 5 after p1.
    let cup = format!("{}:cup", tags[0]);
    assert_eq!(client.sh(&format!("TOURNEY.CREATE {cup} TIEBREAK FIRST TIES DENSE")), "OK");
    for (player, delta) in [("p3", 5), ("p1", 5), ("p2", 7), ("p0", 5), ("p3", 2)] {
        assert!(client.sh(&format!("TOURNEY.INCR {cup} {player} {delta}")).starts_with('['));
    }
    wait(&mut client, &cup);
    let cup_order = "[[\"p2\", \"7\", 1], [\"p3\", \"7\", 2], [\"p1\", \"5\", 3], [\"p0\", \"5\", 4]]";
    assert_eq!(client.sh(&format!("TOURNEY.TOP {cup} 10 TIES ORDINAL")), cup_order);

    cluster.kill(primary);
    wait_role(replica, "master");
    cluster.wait_stable();
    assert!(cluster.primaries().contains(&replica));
    assert!(!cluster.primaries().contains(&primary));

    // On the new primary, every confirmed write is there (and nothing else).
    let mut con = cluster.connect(replica);
    let mut checked = 0;
    for (audit, expected) in &ids {
        let got: Vec<String> = match redis::cmd("XRANGE").arg(audit).arg("-").arg("+").query::<Value>(&mut con).unwrap()
        {
            Value::Array(entries) => entries
                .iter()
                .map(|entry| match entry {
                    Value::Array(parts) => bulk(&parts[0]),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(&got, expected, "{audit}");
        assert_eq!(
            sh(&mut con, &format!("HGET {audit}:producers pos")),
            format!("\"{} {}\"", ROUNDS - 1, expected.last().unwrap())
        );
        checked += got.len();
    }
    for tag in &tags {
        assert_eq!(sh(&mut con, &format!("ZCARD {tag}:slide")), (ROUNDS * COST).to_string(), "{tag}");
        checked += ROUNDS * COST;
    }
    for ((board, player), total) in &scores {
        assert_eq!(sh(&mut con, &format!("ZSCORE {board} {player}")), format!("\"{total}\""), "{board} {player}");
        checked += 1;
    }
    for (gcra, tat) in &tats {
        assert_eq!(&sh(&mut con, &format!("GET {gcra}")), tat, "{gcra}");
    }
    assert!(checked >= 3 * (ROUNDS + ROUNDS * COST + 4), "{checked}");
    // The promoted replica ranks the tournament in the same arrival order, and goes on
    // numbering arrivals after the old primary's last one.
    assert_eq!(sh(&mut con, &format!("TOURNEY.TOP {cup} 10 TIES ORDINAL")), cup_order);
    assert_eq!(sh(&mut con, &format!("TOURNEY.RANK {cup} p0")), "2");
    assert_eq!(client.sh(&format!("TOURNEY.INCR {cup} p4 7")), "[\"7\", 1]");
    assert_eq!(
        client.sh(&format!("TOURNEY.TOP {cup} 3 TIES ORDINAL")),
        "[[\"p2\", \"7\", 1], [\"p3\", \"7\", 2], [\"p4\", \"7\", 3]]"
    );

    // The commands go on against the new primary (the client follows the new owner), with
    // the limiter, leaderboard and idempotent-producer state intact.
    for tag in &tags {
        let audit = format!("{tag}:audit");
        let last = ids[&audit].last().unwrap().clone();
        assert_eq!(
            bulk(&client.ok(&words(&format!("AUDIT.APPEND {audit} IDEMPOTENT pos {} round again", ROUNDS - 1)))),
            last,
            "the replayed sequence answers the original entry after the failover"
        );
        assert_eq!(
            client.sh(&format!("AUDIT.APPEND {audit} IDEMPOTENT pos 0 round again")),
            format!("(error) ERR sequence 0 is below the producer's last accepted sequence {}", ROUNDS - 1)
        );
        let reply = client.sh(&format!("LIMIT.SLIDE {tag}:slide 3600000 1000 COST 0"));
        assert!(reply.starts_with(&format!("[1, 1000, {}, 0, ", 1000 - ROUNDS * COST)), "{reply}");
        let best: i64 =
            scores.iter().filter(|((b, _), _)| *b == format!("{tag}:board")).map(|(_, s)| *s).max().unwrap();
        let top = client.sh(&format!("TOURNEY.TOP {tag}:board 1"));
        assert!(top.ends_with(&format!(", \"{best}\", 1]]")), "{top}");
        assert_eq!(client.sh(&format!("XLEN {audit}")), ROUNDS.to_string());
    }
}
