//! The ACL roles of docs/operations.md, each line exactly as documented, on a live server:
//! a game server (leaderboards and tournaments under `tournament:*`), an audit consumer
//! (consumer groups on `warehouse:*`), an API gateway (limiters under `limiter:*`), an audit
//! producer that uses IDEMPOTENT (the stream and its producers key) and a read-only dashboard. For each role,
//! what it is meant to do works with exact replies, and everything else is refused with
//! NOPERM: other keys with every command of its family, the other tally families, and the
//! native commands that would bypass tally. Every refused call leaves every key's `DUMP`
//! and `PEXPIRETIME` as they were.
//!
//! tally's commands belong to no ACL category (the module does not declare any, and on
//! Redis 7.0 it could not), so the roles grant them one by one; a test pins that down.
//!
//! The server's own NOPERM text differs between Redis 7.0 and Valkey 9.1, so server-issued
//! refusals are checked by their `NOPERM` code; the module's own refusal of the keys that
//! are not in argv (the producers key, a tournament's companion keys) has one text on both.
//!
//! A test checks that docs/operations.md shows exactly these `ACL SETUSER` lines. Each role
//! test prints how many allowed and refused calls it checked.

use crate::common::*;

use redis::Connection;

// ---- the roles (docs/operations.md quotes these lines) ------------------------------------------

const GAME_SERVER: &str = "ACL SETUSER game-server reset on >game-secret ~tournament:* \
     +tourney.incr +tourney.submit +tourney.rank +tourney.top +tourney.around +tourney.percentile +tourney.rem \
     +tourney.create +tourney.info";

const AUDIT_CONSUMER: &str = "ACL SETUSER audit-consumer reset on >consumer-secret ~warehouse:* \
     +audit.group +audit.info +xreadgroup +xack +xautoclaim";

const API_GATEWAY: &str = "ACL SETUSER api-gateway reset on >gateway-secret ~limiter:* \
     +limit.slide +limit.multi +limit.gcra +limit.reset";

const AUDIT_PRODUCER: &str = "ACL SETUSER audit-producer reset on >producer-secret \
     ~warehouse:{inv}:audit ~warehouse:{inv}:audit:producers +audit.append";

/// The same producer without the producers key: plain appends only.
const AUDIT_PRODUCER_WITHOUT_STATE: &str =
    "ACL SETUSER audit-producer-plain reset on >plain-secret ~warehouse:{inv}:audit +audit.append";

const DASHBOARD: &str = "ACL SETUSER dashboard reset on >dashboard-secret %R~tournament:* %R~warehouse:* \
     +tourney.rank +tourney.top +tourney.around +tourney.percentile +tourney.info +audit.info";

/// The category pitfall the docs show: `-@write` leaves tally's writes in.
const ALL_BUT_WRITE: &str = "ACL SETUSER all-but-write reset on >c ~* +@all -@write -@dangerous";

/// Every `ACL SETUSER` line docs/operations.md shows.
const DOCUMENTED: [&str; 7] =
    [GAME_SERVER, AUDIT_CONSUMER, API_GATEWAY, AUDIT_PRODUCER, AUDIT_PRODUCER_WITHOUT_STATE, DASHBOARD, ALL_BUT_WRITE];

/// The module's refusal of a key that is not in argv (the producers key, a tournament's
/// companion keys).
const MODULE_NOPERM: &str = "(error) NOPERM this user has no permissions to access one of the keys used as arguments";

/// Every command tally registers, with a valid argument list around `{k}` (a key).
const ALL_COMMANDS: [(&str, &str); 19] = [
    ("tourney.incr", "TOURNEY.INCR {k} alice 1"),
    ("tourney.submit", "TOURNEY.SUBMIT {k} alice 1"),
    ("tourney.rank", "TOURNEY.RANK {k} alice"),
    ("tourney.top", "TOURNEY.TOP {k} 1"),
    ("tourney.around", "TOURNEY.AROUND {k} alice 1"),
    ("tourney.percentile", "TOURNEY.PERCENTILE {k} alice"),
    ("tourney.rem", "TOURNEY.REM {k} alice"),
    ("tourney.create", "TOURNEY.CREATE {k} TIEBREAK FIRST"),
    ("tourney.info", "TOURNEY.INFO {k}"),
    ("limit.slide", "LIMIT.SLIDE {k} 3600000 5"),
    ("limit.multi", "LIMIT.MULTI 1 {k} 3600000 5"),
    ("limit.gcra", "LIMIT.GCRA {k} 2 1 3600000"),
    ("limit.reset", "LIMIT.RESET {k}"),
    ("audit.append", "AUDIT.APPEND {k} sku 1"),
    ("audit.group", "AUDIT.GROUP {k} g"),
    ("audit.info", "AUDIT.INFO {k}"),
    ("audit.create", "AUDIT.CREATE {k}"),
    ("audit.verify", "AUDIT.VERIFY {k}"),
    ("audit.digest", "AUDIT.DIGEST {k}"),
];

fn family_calls(prefix: &str, key: &str) -> Vec<String> {
    ALL_COMMANDS.iter().filter(|(name, _)| name.starts_with(prefix)).map(|(_, line)| line.replace("{k}", key)).collect()
}

// ---- harness ------------------------------------------------------------------------------

/// `ACL SETUSER name ... >password ...`: the user name and password of a role line.
fn credentials(role: &str) -> (String, String) {
    let mut words = role.split_whitespace();
    let user = words.nth(2).expect("user name").to_string();
    let password = role.split_whitespace().find_map(|w| w.strip_prefix('>')).expect("a >password").to_string();
    (user, password)
}

/// A server, an admin connection (the default user), and counts of the checked calls.
struct Bench {
    server: Server,
    admin: Connection,
    allowed: usize,
    refused: usize,
}

impl Bench {
    fn new() -> Bench {
        let server = Server::start();
        let admin = server.connect();
        Bench { server, admin, allowed: 0, refused: 0 }
    }

    fn admin(&mut self, line: &str) -> String {
        sh_ok(&mut self.admin, line)
    }

    /// Creates the user of `role` (the documented line, run as is) and logs in as it.
    fn login(&mut self, role: &str) -> Connection {
        let line: Vec<&str> = role.split_whitespace().collect();
        assert_eq!(run(&mut self.admin, &line), "OK", "{role}");
        let (user, password) = credentials(role);
        let mut con = self.server.connect();
        assert_eq!(run(&mut con, &["AUTH", &user, &password]), "OK");
        con
    }

    /// A call the role may make: its exact reply.
    fn allows(&mut self, con: &mut Connection, line: &str, expected: &str) {
        assert_eq!(sh(con, line), expected, "{line}");
        self.allowed += 1;
    }

    /// A call the role may make whose reply is checked by `check`; returns the reply.
    fn allows_with(&mut self, con: &mut Connection, line: &str, check: impl Fn(&str) -> bool) -> String {
        let reply = sh(con, line);
        assert!(check(&reply), "{line}: {reply}");
        self.allowed += 1;
        reply
    }

    /// Calls refused by the server's ACL check (any NOPERM text), each changing nothing.
    fn server_refuses<S: AsRef<str>>(&mut self, con: &mut Connection, lines: &[S]) {
        for line in lines {
            let line = line.as_ref();
            let before = key_dumps(&mut self.admin);
            let reply = sh(con, line);
            assert!(reply.starts_with("(error) NOPERM "), "{line}: {reply}");
            assert_eq!(key_dumps(&mut self.admin), before, "refused {line} changed the data set");
            self.refused += 1;
        }
    }

    /// Calls refused by the module itself, with its exact text, each changing nothing.
    fn module_refuses(&mut self, con: &mut Connection, lines: &[&str]) {
        for line in lines {
            let before = key_dumps(&mut self.admin);
            assert_eq!(sh(con, line), MODULE_NOPERM, "{line}");
            assert_eq!(key_dumps(&mut self.admin), before, "refused {line} changed the data set");
            self.refused += 1;
        }
    }

    fn report(&self, role: &str) {
        let log = self.server.log();
        assert!(!log.contains("panic"), "server log:\n{log}");
        println!("acl_roles: {role}: {} allowed, {} refused calls checked", self.allowed, self.refused);
    }
}

// ---- the docs show these lines ------------------------------------------------------------------

/// The `ACL SETUSER` lines of docs/operations.md (`$ redis-cli ACL SETUSER ...`, continued
/// after a trailing backslash), with the shell's single quotes removed and spaces collapsed.
fn documented_setuser_lines() -> Vec<String> {
    let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md");
    let text = std::fs::read_to_string(&page).expect("read docs/operations.md");
    let mut lines = Vec::new();
    let mut all = text.lines();
    while let Some(line) = all.next() {
        let Some(command) = line.trim_start().strip_prefix("$ redis-cli ACL SETUSER ") else { continue };
        let mut command = format!("ACL SETUSER {command}");
        while command.ends_with('\\') {
            command.pop();
            command.push(' ');
            command.push_str(all.next().expect("a continued line"));
        }
        lines.push(command.replace('\'', "").split_whitespace().collect::<Vec<_>>().join(" "));
    }
    lines
}

#[test]
fn the_documented_roles_are_the_tested_ones() {
    let mut documented = documented_setuser_lines();
    let mut tested: Vec<String> =
        DOCUMENTED.iter().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    documented.sort();
    tested.sort();
    assert_eq!(documented, tested, "docs/operations.md shows other ACL SETUSER lines than this file tests");
}

// ---- categories --------------------------------------------------------------------------------

#[test]
fn command_categories_neither_grant_nor_remove_tally_commands() {
    let mut bench = Bench::new();
    bench.admin("TOURNEY.SUBMIT k alice 5");
    // Every category a tally command could plausibly be in.
    let mut by_category = bench.login(
        "ACL SETUSER by-category reset on >c ~* +@read +@write +@fast +@slow +@sortedset +@stream +@string +@keyspace",
    );
    let calls: Vec<String> = ALL_COMMANDS.iter().map(|(_, line)| line.replace("{k}", "k")).collect();
    bench.server_refuses(&mut by_category, &calls);
    // Control: the native commands of those categories are granted.
    bench.allows(&mut by_category, "ZSCORE k alice", "\"5\"");

    // Taking categories away leaves tally's writes in: `-@write` does not stop TOURNEY.INCR.
    let mut all_but_write = bench.login(ALL_BUT_WRITE);
    bench.server_refuses(&mut all_but_write, &["ZADD k 1 bob"]);
    bench.allows(&mut all_but_write, "TOURNEY.INCR k alice 1", "[\"6\", 1]");
    bench.allows(&mut all_but_write, "LIMIT.SLIDE l 3600000 5", "[1, 5, 4, 0, 3600000]");
    bench.report("categories");
}

// ---- game server -------------------------------------------------------------------------------

#[test]
fn game_server_runs_tourney_on_tournament_keys_only() {
    let mut bench = Bench::new();
    for key in ["tournament:{t1}:scores", "other:{t1}:scores", "scores"] {
        for (member, score) in [("alice", "10"), ("bob", "15"), ("carol", "10")] {
            bench.admin(&format!("TOURNEY.SUBMIT {key} {member} {score}"));
        }
    }
    bench.admin("LIMIT.SLIDE tournament:{t1}:limit 3600000 5");
    bench.admin("AUDIT.APPEND tournament:{t1}:audit sku 1");
    let mut game = bench.login(GAME_SERVER);

    let key = "tournament:{t1}:scores";
    for (line, expected) in [
        (format!("TOURNEY.INCR {key} alice 5"), "[\"15\", 2]"),
        (format!("TOURNEY.SUBMIT {key} dave 7"), "[\"7\", 4, 1]"),
        (format!("TOURNEY.RANK {key} carol WITHSCORE"), "[3, \"10\"]"),
        (format!("TOURNEY.TOP {key} 2 TIES COMPETITION"), "[[\"bob\", \"15\", 1], [\"alice\", \"15\", 1]]"),
        (format!("TOURNEY.AROUND {key} carol 0"), "[[\"carol\", \"10\", 3]]"),
        (format!("TOURNEY.PERCENTILE {key} dave"), "\"25\""),
        (format!("TOURNEY.REM {key} dave"), "1"),
        // A new leaderboard under the pattern.
        ("TOURNEY.INCR tournament:{t2}:scores zed 1".to_string(), "[\"1\", 1]"),
    ] {
        bench.allows(&mut game, &line, expected);
    }

    // A tournament the game server creates and plays: its companion keys
    // (`tournament:{t3}:scores:tourney`, `:arrival`, `:order`, `:dense`) are under the
    // pattern too, and the module checks them against the user.
    let cup = "tournament:{t3}:scores";
    for (line, expected) in [
        (format!("TOURNEY.CREATE {cup} TIEBREAK FIRST TIES DENSE"), "OK"),
        (format!("TOURNEY.INCR {cup} alice 10"), "[\"10\", 1]"),
        (format!("TOURNEY.SUBMIT {cup} bob 15"), "[\"15\", 1, 1]"),
        (format!("TOURNEY.INCR {cup} carol 10"), "[\"10\", 2]"),
        (format!("TOURNEY.INCR {cup} dave 12"), "[\"12\", 2]"),
        (
            format!("TOURNEY.TOP {cup} 4 TIES ORDINAL"),
            "[[\"bob\", \"15\", 1], [\"dave\", \"12\", 2], [\"alice\", \"10\", 3], [\"carol\", \"10\", 4]]",
        ),
        (format!("TOURNEY.RANK {cup} carol WITHSCORE"), "[3, \"10\"]"),
        (
            format!("TOURNEY.AROUND {cup} alice 1 TIES ORDINAL"),
            "[[\"dave\", \"12\", 2], [\"alice\", \"10\", 3], [\"carol\", \"10\", 4]]",
        ),
        (format!("TOURNEY.PERCENTILE {cup} carol"), "\"50\""),
        (format!("TOURNEY.REM {cup} dave"), "1"),
        (
            format!("TOURNEY.INFO {cup}"),
            "[\"created\", 1, \"tiebreak\", \"first\", \"ties\", \"dense\", \"expireat\", nil, \"members\", 3, \
             \"top\", \"15\", \"bottom\", \"10\", \"order\", \"desc\"]",
        ),
        (format!("TOURNEY.CREATE {cup} TIEBREAK FIRST TIES DENSE"), "OK"),
        (
            "TOURNEY.CREATE tournament:{t1}:scores TIEBREAK FIRST".to_string(),
            "(error) ERR leaderboard 'tournament:{t1}:scores' already has members: TIEBREAK FIRST and TIES DENSE \
             start from an empty leaderboard",
        ),
    ] {
        bench.allows(&mut game, &line, expected);
    }
    for suffix in ["", ":tourney", ":arrival", ":order", ":dense"] {
        assert_eq!(sh(&mut bench.admin, &format!("EXISTS {cup}{suffix}")), "1", "{cup}{suffix}");
    }

    // A key without a hash tag matches the pattern but cannot be a tournament (its companion
    // keys would be the key `{tournament:weekly}`'s too): CREATE is refused before any ACL
    // check, for anyone. As a plain leaderboard it works.
    for line in ["TOURNEY.CREATE tournament:weekly", "TOURNEY.INCR tournament:weekly alice 1 SEASON weekly"] {
        assert!(sh(&mut game, line).contains("needs a hash tag like {id} in its name"), "{line}");
    }
    bench.allows(&mut game, "TOURNEY.INCR tournament:weekly alice 1", "[\"1\", 1]");

    // Every TOURNEY command on keys outside the pattern: existing, missing, untagged.
    for key in ["other:{t1}:scores", "other:{t1}:new", "scores", "tournament", "Tournament:{t1}:scores"] {
        bench.server_refuses(&mut game, &family_calls("tourney.", key));
    }
    // The other tally families, even on keys under the pattern.
    let mut others = family_calls("limit.", "tournament:{t1}:limit");
    others.extend(family_calls("audit.", "tournament:{t1}:audit"));
    bench.server_refuses(&mut game, &others);
    // Native commands that would bypass tally's checks (also on the tie structures), and
    // administration.
    bench.server_refuses(
        &mut game,
        &[
            "SET tournament:{t3}:scores:tourney garbage",
            "HSET tournament:{t3}:scores:arrival alice 1",
            "ZADD tournament:{t3}:scores:order 100 alice",
            "DEL tournament:{t3}:scores:dense",
            "ZADD tournament:{t1}:scores 100 alice",
            "ZINCRBY tournament:{t1}:scores 100 alice",
            "ZREM tournament:{t1}:scores alice",
            "DEL tournament:{t1}:scores",
            "ZRANGE tournament:{t1}:scores 0 -1",
            "KEYS *",
            "CONFIG SET tally.max-range 5",
            "ACL SETUSER game-server +@all",
            "FLUSHALL",
        ],
    );
    bench.report("game server");
}

// ---- audit consumer ----------------------------------------------------------------------------

#[test]
fn audit_consumer_runs_groups_on_warehouse_streams_but_cannot_append() {
    let mut bench = Bench::new();
    let stream = "warehouse:{inv}:audit";
    let first = bench.admin(&format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 1 sku 1"));
    let second = bench.admin(&format!("AUDIT.APPEND {stream} sku 2"));
    bench.admin("AUDIT.APPEND other:{inv}:audit sku 1");
    bench.admin("AUDIT.GROUP other:{inv}:audit pickers START 0");
    let (first, second) = (first.trim_matches('"').to_string(), second.trim_matches('"').to_string());
    let mut consumer = bench.login(AUDIT_CONSUMER);

    bench.allows(&mut consumer, &format!("AUDIT.GROUP {stream} pickers START 0"), "OK");
    bench.allows(&mut consumer, &format!("AUDIT.GROUP {stream} pickers"), "OK");
    bench.allows(
        &mut consumer,
        &format!("XREADGROUP GROUP pickers c1 COUNT 10 STREAMS {stream} >"),
        &format!("[[\"{stream}\", [[\"{first}\", [\"sku\", \"1\"]], [\"{second}\", [\"sku\", \"2\"]]]]]"),
    );
    bench.allows(&mut consumer, &format!("XACK {stream} pickers {first}"), "1");
    bench.allows_with(&mut consumer, &format!("XAUTOCLAIM {stream} pickers c2 0 0-0"), |reply| {
        reply.starts_with(&format!("[\"0-0\", [[\"{second}\", "))
    });
    bench.allows_with(&mut consumer, &format!("AUDIT.INFO {stream}"), |reply| {
        reply.starts_with("[\"length\", 2, ")
            && reply.contains("\"groups\", [[\"name\", \"pickers\", \"consumers\", 2, \"pending\", 1, \"lag\", 0]]")
    });
    bench.allows(&mut consumer, "AUDIT.INFO warehouse:{inv}:missing", "nil");
    // A group on a new stream under the pattern (AUDIT.GROUP creates it).
    bench.allows(&mut consumer, "AUDIT.GROUP warehouse:{eu}:audit pickers", "OK");

    // Appending, trimming, deleting, or managing groups natively: refused.
    bench.server_refuses(
        &mut consumer,
        &[
            format!("AUDIT.APPEND {stream} sku 3"),
            format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 2 sku 3"),
            format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 1 sku 1"),
            "AUDIT.APPEND warehouse:{inv}:new sku 3".to_string(),
            format!("XADD {stream} * sku 3"),
            format!("XTRIM {stream} MAXLEN 0"),
            format!("XDEL {stream} {first}"),
            format!("XGROUP DESTROY {stream} pickers"),
            format!("XGROUP SETID {stream} pickers 0"),
            format!("DEL {stream}"),
            format!("HSET {stream}:producers scanner-1 x"),
        ],
    );
    // Its commands on streams outside the pattern.
    bench.server_refuses(
        &mut consumer,
        &[
            "AUDIT.GROUP other:{inv}:audit pickers",
            "AUDIT.GROUP other:{inv}:new pickers",
            "AUDIT.INFO other:{inv}:audit",
            "XREADGROUP GROUP pickers c1 COUNT 10 STREAMS other:{inv}:audit >",
            "XACK other:{inv}:audit pickers 0-1",
            "XAUTOCLAIM other:{inv}:audit pickers c2 0 0-0",
        ],
    );
    // The other tally families.
    let mut others = family_calls("tourney.", "warehouse:{inv}:scores");
    others.extend(family_calls("limit.", "warehouse:{inv}:limit"));
    bench.server_refuses(&mut consumer, &others);
    bench.report("audit consumer");
}

// ---- API gateway -------------------------------------------------------------------------------

#[test]
fn api_gateway_runs_limiters_on_limiter_keys_only() {
    let mut bench = Bench::new();
    bench.admin("LIMIT.SLIDE other:{u1}:api 3600000 5");
    bench.admin("LIMIT.GCRA other:{u1}:gcra 2 1 3600000");
    let mut gateway = bench.login(API_GATEWAY);

    for (line, expected) in [
        ("LIMIT.SLIDE limiter:{u1}:api 3600000 5", "[1, 5, 4, 0, 3600000]"),
        ("LIMIT.MULTI 2 limiter:{u1}:second limiter:{u1}:hour 3600000 5 3600000 100", "[1, 5, 4, 0, 3600000]"),
        ("LIMIT.GCRA limiter:{u1}:gcra 2 1 3600000", "[1, 3, 2, 0, 3600000]"),
        ("LIMIT.RESET limiter:{u1}:api limiter:{u1}:missing", "1"),
    ] {
        bench.allows(&mut gateway, line, expected);
    }
    // Checks without consuming (reset_after counts down from the entry MULTI added).
    bench.allows(&mut gateway, "LIMIT.SLIDE limiter:{u1}:unused 3600000 5 COST 0", "[1, 5, 5, 0, 0]");
    let check = "LIMIT.SLIDE limiter:{u1}:second 3600000 5 COST 0";
    bench.allows_with(&mut gateway, check, |reply| reply.starts_with("[1, 5, 4, 0, "));

    // Every LIMIT command outside the pattern, existing and missing keys.
    for key in ["other:{u1}:api", "other:{u1}:gcra", "other:{u1}:new", "limiter"] {
        bench.server_refuses(&mut gateway, &family_calls("limit.", key));
    }
    // One key of several outside the pattern: the whole call is refused, nothing consumed
    // or reset on the allowed keys either.
    bench.server_refuses(
        &mut gateway,
        &[
            "LIMIT.MULTI 2 limiter:{u1}:second other:{u1}:api 3600000 5 3600000 5",
            "LIMIT.MULTI 2 other:{u1}:api limiter:{u1}:second 3600000 5 3600000 5",
            "LIMIT.MULTI 2 limiter:{u1}:second other:{u1}:new 3600000 5 3600000 5 COST 0",
            "LIMIT.RESET limiter:{u1}:second other:{u1}:api",
            "LIMIT.RESET other:{u1}:api limiter:{u1}:hour",
        ],
    );
    // Native access to its own keys, and the other families.
    bench.server_refuses(
        &mut gateway,
        &[
            "ZADD limiter:{u1}:second 0 forged",
            "ZREMRANGEBYSCORE limiter:{u1}:second -inf +inf",
            "ZCARD limiter:{u1}:second",
            "SET limiter:{u1}:gcra 0",
            "GET limiter:{u1}:gcra",
            "DEL limiter:{u1}:second",
            "PERSIST limiter:{u1}:second",
        ],
    );
    let mut others = family_calls("tourney.", "limiter:{u1}:scores");
    others.extend(family_calls("audit.", "limiter:{u1}:audit"));
    bench.server_refuses(&mut gateway, &others);
    // The limiters carry on from their state (the refused calls consumed nothing).
    bench.allows(
        &mut gateway,
        "LIMIT.MULTI 2 limiter:{u1}:second limiter:{u1}:hour 3600000 5 3600000 100",
        "[1, 5, 3, 0, 3600000]",
    );
    bench.report("API gateway");
}

// ---- audit producer (IDEMPOTENT) ---------------------------------------------------------------------

#[test]
fn idempotent_producer_needs_the_producers_key_too() {
    let mut bench = Bench::new();
    let stream = "warehouse:{inv}:audit";
    let mut producer = bench.login(AUDIT_PRODUCER);
    let mut plain = bench.login(AUDIT_PRODUCER_WITHOUT_STATE);

    // Without the producers key: IDEMPOTENT is refused by the module (the key is not in
    // argv, so the server cannot check it), plain appends work.
    bench.module_refuses(&mut plain, &["AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT scanner-1 1 sku 1"]);
    assert_eq!(key_dumps(&mut bench.admin).len(), 0, "nothing created");
    let plain_id = bench.allows_with(&mut plain, &format!("AUDIT.APPEND {stream} sku 0"), |r| r.starts_with('"'));

    // With it: the first append, a retry (the same ID, nothing appended), the next sequence.
    let first = bench.allows_with(&mut producer, &format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 1 sku 1"), |r| {
        r.starts_with('"') && r != plain_id
    });
    bench.allows(&mut producer, &format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 1 sku 1"), &first);
    let second =
        bench.allows_with(&mut producer, &format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 2 sku 2"), |r| {
            r.starts_with('"') && r != first
        });
    bench.allows(
        &mut producer,
        &format!("AUDIT.APPEND {stream} IDEMPOTENT scanner-1 1 sku 1"),
        "(error) ERR sequence 1 is below the producer's last accepted sequence 2",
    );
    bench.allows_with(&mut producer, &format!("AUDIT.APPEND {stream} MAXLEN 100 sku 3"), |r| r.starts_with('"'));
    assert_eq!(sh(&mut bench.admin, &format!("XLEN {stream}")), "4");
    assert_eq!(
        sh(&mut bench.admin, &format!("HGETALL {stream}:producers")),
        format!("[\"scanner-1\", \"2 {}\"]", second.trim_matches('"'))
    );

    // Once the state exists, the plain producer still cannot use it: not for a retry, not
    // for a new sequence, not as a new producer.
    bench.module_refuses(
        &mut plain,
        &[
            "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT scanner-1 2 sku 2",
            "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT scanner-1 3 sku 3",
            "AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT scanner-2 1 sku 1",
            "AUDIT.APPEND warehouse:{inv}:audit MAXLEN 1 IDEMPOTENT scanner-2 1 sku 1",
        ],
    );
    // Both: other streams, other commands, native access to the state.
    for con in [&mut producer, &mut plain] {
        bench.server_refuses(
            con,
            &[
                "AUDIT.APPEND warehouse:{eu}:audit sku 1",
                "AUDIT.APPEND warehouse:{eu}:audit IDEMPOTENT scanner-1 1 sku 1",
                "AUDIT.GROUP warehouse:{inv}:audit g",
                "AUDIT.INFO warehouse:{inv}:audit",
                "XADD warehouse:{inv}:audit * sku 9",
                "HSET warehouse:{inv}:audit:producers scanner-1 9",
                "HGETALL warehouse:{inv}:audit:producers",
                "DEL warehouse:{inv}:audit:producers",
            ],
        );
        bench.server_refuses(con, &family_calls("tourney.", "warehouse:{inv}:audit"));
        bench.server_refuses(con, &family_calls("limit.", "warehouse:{inv}:audit"));
    }
    bench.report("audit producer");
}

// ---- dashboard (read-only) ---------------------------------------------------------------------

#[test]
fn dashboard_reads_leaderboards_and_audit_info_and_writes_nothing() {
    let mut bench = Bench::new();
    for (member, score) in [("alice", "10"), ("bob", "15"), ("carol", "10")] {
        bench.admin(&format!("TOURNEY.SUBMIT tournament:{{t1}}:scores {member} {score}"));
    }
    bench.admin("AUDIT.APPEND warehouse:{inv}:audit sku 1");
    // A tournament: its companion keys are under the pattern.
    bench.admin("TOURNEY.CREATE tournament:{t2}:scores TIEBREAK FIRST TIES DENSE");
    for (member, score) in [("alice", "10"), ("bob", "15"), ("carol", "10")] {
        bench.admin(&format!("TOURNEY.INCR tournament:{{t2}}:scores {member} {score}"));
    }
    let mut dashboard = bench.login(DASHBOARD);
    for (line, expected) in [
        ("TOURNEY.RANK tournament:{t1}:scores alice", "3"),
        (
            "TOURNEY.TOP tournament:{t1}:scores 3 TIES COMPETITION",
            "[[\"bob\", \"15\", 1], [\"carol\", \"10\", 2], [\"alice\", \"10\", 2]]",
        ),
        (
            "TOURNEY.AROUND tournament:{t1}:scores bob 1",
            "[[\"bob\", \"15\", 1], [\"carol\", \"10\", 2], [\"alice\", \"10\", 3]]",
        ),
        ("TOURNEY.PERCENTILE tournament:{t1}:scores bob", "\"100\""),
        ("TOURNEY.RANK tournament:{t1}:missing alice", "nil"),
        ("AUDIT.INFO warehouse:{inv}:missing", "nil"),
        (
            "TOURNEY.INFO tournament:{t1}:scores",
            "[\"created\", 0, \"tiebreak\", \"member\", \"ties\", \"ordinal\", \"expireat\", nil, \"members\", 3, \
             \"top\", \"15\", \"bottom\", \"10\", \"order\", \"desc\"]",
        ),
        // The tournament, in arrival order among equal scores, with dense ranks.
        (
            "TOURNEY.TOP tournament:{t2}:scores 3",
            "[[\"bob\", \"15\", 1], [\"alice\", \"10\", 2], [\"carol\", \"10\", 2]]",
        ),
        ("TOURNEY.RANK tournament:{t2}:scores carol TIES ORDINAL", "3"),
        ("TOURNEY.AROUND tournament:{t2}:scores alice 0 TIES ORDINAL", "[[\"alice\", \"10\", 2]]"),
        (
            "TOURNEY.INFO tournament:{t2}:scores",
            "[\"created\", 1, \"tiebreak\", \"first\", \"ties\", \"dense\", \"expireat\", nil, \"members\", 3, \
             \"top\", \"15\", \"bottom\", \"10\", \"order\", \"desc\"]",
        ),
    ] {
        bench.allows(&mut dashboard, line, expected);
    }
    // Tied members count as at or below (the digits of 2/3 vary by server).
    bench.allows_with(&mut dashboard, "TOURNEY.PERCENTILE tournament:{t2}:scores alice", |r| {
        r.starts_with("\"66.66666666666")
    });
    bench.allows_with(&mut dashboard, "AUDIT.INFO warehouse:{inv}:audit", |r| r.starts_with("[\"length\", 1, "));

    let mut writes = family_calls("tourney.", "tournament:{t1}:scores");
    writes.retain(|line| ["INCR", "SUBMIT", "REM", "CREATE"].iter().any(|w| line.starts_with(&format!("TOURNEY.{w}"))));
    writes.push("TOURNEY.INCR tournament:{t2}:scores alice 1".to_string());
    writes.push("TOURNEY.CREATE tournament:{t9}:scores".to_string());
    writes.push("AUDIT.APPEND warehouse:{inv}:audit sku 2".to_string());
    writes.push("AUDIT.GROUP warehouse:{inv}:audit g".to_string());
    writes.extend(family_calls("limit.", "tournament:{t1}:limit"));
    writes.extend(family_calls("tourney.r", "other:{t1}:scores"));
    bench.server_refuses(&mut dashboard, &writes);

    // The read-only key permission is a second lock: granting the write commands by mistake
    // still leaves them refused.
    let careless_role = format!("{DASHBOARD} +tourney.incr +tourney.rem +tourney.create +audit.append +limit.slide")
        .replace("SETUSER dashboard ", "SETUSER careless-dashboard ");
    let mut careless = bench.login(&careless_role);
    bench.server_refuses(
        &mut careless,
        &[
            "TOURNEY.INCR tournament:{t1}:scores alice 1",
            "TOURNEY.REM tournament:{t1}:scores alice",
            "TOURNEY.CREATE tournament:{t9}:scores",
            "TOURNEY.CREATE tournament:{t2}:scores TIEBREAK FIRST TIES DENSE",
            "TOURNEY.INCR tournament:{t2}:scores alice 1",
            "AUDIT.APPEND warehouse:{inv}:audit sku 2",
            "LIMIT.SLIDE tournament:{t1}:limit 3600000 5",
        ],
    );
    bench.allows(&mut careless, "TOURNEY.RANK tournament:{t1}:scores bob", "1");
    bench.report("dashboard");
}

// ---- ACL LOG ---------------------------------------------------------------------------------------

/// The server records every key it refuses in `ACL LOG` (reason `key`, object = the key);
/// the module's refusals of the producers key and of a tournament's companion keys are
/// recorded the same way (RedisModule_ACLAddLogEntry, Redis 7.0+), so that operators who
/// watch ACL LOG see them.
#[test]
fn module_refusals_of_companion_keys_are_in_the_acl_log() {
    let mut bench = Bench::new();
    let mut plain = bench.login(AUDIT_PRODUCER_WITHOUT_STATE);
    assert_eq!(sh(&mut bench.admin, "ACL LOG RESET"), "OK");
    // Control: a refusal by the server is logged with the key.
    bench.server_refuses(&mut plain, &["AUDIT.APPEND warehouse:{eu}:audit sku 1"]);
    let log = sh(&mut bench.admin, "ACL LOG");
    assert!(log.contains("\"reason\", \"key\"") && log.contains("\"warehouse:{eu}:audit\""), "{log}");

    assert_eq!(sh(&mut bench.admin, "ACL LOG RESET"), "OK");
    bench.module_refuses(&mut plain, &["AUDIT.APPEND warehouse:{inv}:audit IDEMPOTENT scanner-1 1 sku 1"]);
    let log = sh(&mut bench.admin, "ACL LOG");
    assert!(
        log.contains("\"reason\", \"key\"") && log.contains("\"warehouse:{inv}:audit:producers\""),
        "the module's refusal is missing from ACL LOG: {log}"
    );
}
