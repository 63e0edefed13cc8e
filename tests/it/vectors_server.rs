//! The shared test vectors (tests/vectors/*.json) against a live server with the module:
//! hash slots against CLUSTER KEYSLOT, key validation against LIMIT.RESET's checks, rank
//! maths against TOURNEY.PERCENTILE/AROUND/SUBMIT, and the limiter cases marked `server`.
//!
//! The server's clock runs while a case runs, so vector times map onto it: the case's
//! `now_ms` becomes the server time read just before the case (for LIMIT.FIXED, whose windows
//! are aligned to the epoch, a time up to 100 ms earlier at the same place in its window),
//! seeded state keeps its age, and a step may run up to D ms later (D measured, at most 999:
//! the native runner checks that such drift changes no count). Counts (allowed, limit,
//! remaining, log sizes, fixed counts) must be exact; waits may only be shorter by the drift.

use crate::common::reply::*;
use crate::common::*;

use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

// ---- a small JSON reader (the root crate has no JSON library among its dependencies) ----

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// The number's text, kept exact (integers beyond f64 precision stay exact).
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) {
        self.skip_space();
        assert_eq!(self.text.get(self.at), Some(&byte), "JSON: expected '{}' at byte {}", byte as char, self.at);
        self.at += 1;
    }

    fn value(&mut self) -> Json {
        self.skip_space();
        match self.text.get(self.at).copied() {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                self.skip_space();
                if self.text[self.at] == b'}' {
                    self.at += 1;
                    return Json::Obj(fields);
                }
                loop {
                    self.skip_space();
                    let Json::Str(name) = self.value() else { panic!("JSON: object key at byte {}", self.at) };
                    self.expect(b':');
                    fields.push((name, self.value()));
                    self.skip_space();
                    self.at += 1;
                    match self.text[self.at - 1] {
                        b',' => continue,
                        b'}' => return Json::Obj(fields),
                        other => panic!("JSON: '{}' at byte {}", other as char, self.at),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.text[self.at] == b']' {
                    self.at += 1;
                    return Json::Arr(items);
                }
                loop {
                    items.push(self.value());
                    self.skip_space();
                    self.at += 1;
                    match self.text[self.at - 1] {
                        b',' => continue,
                        b']' => return Json::Arr(items),
                        other => panic!("JSON: '{}' at byte {}", other as char, self.at),
                    }
                }
            }
            Some(b'"') => {
                self.at += 1;
                let mut out = String::new();
                loop {
                    let rest = std::str::from_utf8(&self.text[self.at..]).expect("UTF-8 JSON");
                    let ch = rest.chars().next().expect("JSON: unterminated string");
                    self.at += ch.len_utf8();
                    match ch {
                        '"' => return Json::Str(out),
                        '\\' => {
                            let escape = self.text[self.at];
                            self.at += 1;
                            match escape {
                                b'"' | b'\\' | b'/' => out.push(escape as char),
                                b'b' => out.push('\u{8}'),
                                b'f' => out.push('\u{c}'),
                                b'n' => out.push('\n'),
                                b'r' => out.push('\r'),
                                b't' => out.push('\t'),
                                b'u' => {
                                    let mut code = self.hex4();
                                    if (0xd800..0xdc00).contains(&code) {
                                        assert_eq!(&self.text[self.at..self.at + 2], b"\\u", "JSON: lone surrogate");
                                        self.at += 2;
                                        code = 0x10000 + ((code - 0xd800) << 10) + (self.hex4() - 0xdc00);
                                    }
                                    out.push(char::from_u32(code).expect("JSON: bad \\u escape"));
                                }
                                other => panic!("JSON: escape \\{}", other as char),
                            }
                        }
                        ch => out.push(ch),
                    }
                }
            }
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(_) => {
                let start = self.at;
                while self.text.get(self.at).is_some_and(|b| b"+-0123456789.eE".contains(b)) {
                    self.at += 1;
                }
                assert!(self.at > start, "JSON: unexpected byte at {start}");
                Json::Num(String::from_utf8(self.text[start..self.at].to_vec()).unwrap())
            }
            None => panic!("JSON: unexpected end"),
        }
    }

    fn hex4(&mut self) -> u32 {
        let digits = std::str::from_utf8(&self.text[self.at..self.at + 4]).unwrap();
        self.at += 4;
        u32::from_str_radix(digits, 16).expect("JSON: \\u digits")
    }

    fn word(&mut self, word: &str, value: Json) -> Json {
        assert!(self.text[self.at..].starts_with(word.as_bytes()), "JSON: bad literal at byte {}", self.at);
        self.at += word.len();
        value
    }
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut reader = Reader { text: text.as_bytes(), at: 0 };
        let value = reader.value();
        reader.skip_space();
        assert_eq!(reader.at, text.len(), "JSON: trailing text");
        value
    }

    fn get(&self, field: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(name, _)| name == field).map(|(_, v)| v),
            _ => None,
        }
    }

    fn at(&self, field: &str) -> &Json {
        self.get(field).unwrap_or_else(|| panic!("no field `{field}` in {self:?}"))
    }

    fn items(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            other => panic!("not a list: {other:?}"),
        }
    }

    fn fields(&self) -> &[(String, Json)] {
        match self {
            Json::Obj(fields) => fields,
            other => panic!("not an object: {other:?}"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Json::Str(text) => text,
            other => panic!("not a string: {other:?}"),
        }
    }

    fn opt_str(&self) -> Option<&str> {
        match self {
            Json::Null => None,
            other => Some(other.str()),
        }
    }

    fn int(&self) -> i64 {
        match self {
            Json::Num(text) => text.parse().unwrap_or_else(|_| panic!("not an integer: {text}")),
            other => panic!("not a number: {other:?}"),
        }
    }

    fn f64(&self) -> f64 {
        match self {
            Json::Num(text) => text.parse().unwrap_or_else(|_| panic!("not a number: {text}")),
            other => panic!("not a number: {other:?}"),
        }
    }

    fn bool(&self) -> bool {
        match self {
            Json::Bool(value) => *value,
            other => panic!("not a boolean: {other:?}"),
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

#[test]
fn json_reader_reads_what_the_vectors_use() {
    let value = Json::parse(r#" {"a": [1, -2.5e3, "x\"\u00e9\ud83d\ude00", true, null, {}], "b": []} "#);
    let a = value.at("a").items();
    assert_eq!((a[0].int(), a[1].f64(), a[2].str(), a[3].bool()), (1, -2500.0, "x\"é😀", true));
    assert!(a[4].is_null());
    assert_eq!(value.at("b").items().len(), 0);
    assert_eq!(Json::parse("12345678901234567").int(), 12_345_678_901_234_567);
}

fn vectors(name: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    Json::parse(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn key_of(value: &Json) -> Vec<u8> {
    match value {
        Json::Str(text) => text.as_bytes().to_vec(),
        other => unhex(other.at("hex").str()),
    }
}

// ---- slots and keys -----------------------------------------------------------------------

#[test]
fn slots_match_cluster_keyslot() {
    let server = Server::start_with(Options {
        server_args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"].map(String::from).to_vec(),
        ..Options::default()
    });
    let mut con = server.connect();
    let file = vectors("slots.json");
    let slots = file.at("slots").items();
    assert!(slots.len() >= 30);
    for case in slots {
        let key = match case.get("key_hex") {
            Some(hex) => unhex(hex.str()),
            None => case.at("key").str().as_bytes().to_vec(),
        };
        let slot = ok(&mut con, &[&b"CLUSTER"[..], b"KEYSLOT", &key]);
        assert_eq!(int(&slot), case.at("slot").int(), "{case:?}");
    }
}

#[test]
fn key_validation_matches_the_module() {
    let server = Server::start();
    let mut con = server.connect();
    let mut checked = 0;
    for case in vectors("keys.json").at("validate_keys").items() {
        let keys: Vec<Vec<u8>> = case.at("keys").items().iter().map(key_of).collect();
        if keys.is_empty() {
            continue; // no command takes zero keys
        }
        config_set(&mut con, "tally.require-hashtag", if case.at("require_hashtag").bool() { "yes" } else { "no" });
        let mut args = vec![b"LIMIT.RESET".to_vec()];
        args.extend(keys);
        let got = query(&mut con, &args);
        match case.at("error").opt_str() {
            Some(text) => assert_eq!(got, Err(text.to_string()), "{case:?}"),
            None => assert_eq!(got.map(|v| int(&v)), Ok(0), "{case:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 20);
}

// ---- rank maths ---------------------------------------------------------------------------

/// A board of `len` members m1..mlen scoring 1..len (so mN has reverse rank len - N).
fn board(con: &mut Connection, key: &str, len: u64) {
    ok(con, &["DEL", key]);
    if len == 0 {
        return;
    }
    let mut args = vec!["ZADD".to_string(), key.to_string()];
    for i in 1..=len {
        args.extend([i.to_string(), format!("m{i}")]);
    }
    ok(con, &args);
}

#[test]
fn rank_maths_match_tourney_commands() {
    let server = Server::start();
    let mut con = server.connect();
    let file = vectors("rank.json");
    let key = "{p}board";
    let mut checked = 0;
    for case in file.at("percentile").items() {
        let (at_or_below, len) = (case.at("at_or_below").int(), case.at("len").int());
        if !(1..=len).contains(&at_or_below) || len > 1000 {
            continue; // not a board a member can be on
        }
        board(&mut con, key, len as u64);
        let got = bulk(&ok(&mut con, &["TOURNEY.PERCENTILE", key, &format!("m{at_or_below}")]));
        assert_eq!(got.parse::<f64>().unwrap().to_bits(), case.at("value").f64().to_bits(), "{case:?}: {got}");
        checked += 1;
    }
    for case in file.at("around").items() {
        let (rank, radius, len) = (case.at("rank").int(), case.at("radius").int(), case.at("len").int());
        if len > 1000 || radius > 499 {
            continue; // beyond tally.max-range
        }
        board(&mut con, key, len as u64);
        let member = if rank < len { format!("m{}", len - rank) } else { "absent".to_string() };
        let reply = ok(&mut con, &["TOURNEY.AROUND", key, &member, &radius.to_string()]);
        match case.at("window") {
            Json::Null => assert_eq!(reply, Value::Nil, "{case:?}"),
            window => {
                let (start, stop) = (window.items()[0].int(), window.items()[1].int());
                let ranks: Vec<i64> = items(&reply).iter().map(|entry| int(&items(entry)[2])).collect();
                assert_eq!(ranks, (start + 1..=stop + 1).collect::<Vec<_>>(), "{case:?}");
            }
        }
        checked += 1;
    }
    for case in file.at("parse_score").items() {
        let got = query(&mut con, &["TOURNEY.SUBMIT", "{p}scores", "m", case.at("text").str(), "LATEST"]);
        match case.get("error") {
            Some(error) => assert_eq!(got, Err(error.str().to_string()), "{case:?}"),
            None => {
                let score = bulk(&items(&got.unwrap())[0]).parse::<f64>().unwrap();
                assert_eq!(score, case.at("value").f64(), "{case:?}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

// ---- limiters -----------------------------------------------------------------------------

/// The server side of a case: `base` maps vector times to server times.
struct Run<'a> {
    con: &'a mut Connection,
    command: &'a str,
    base: i64,
    started: i64,
}

const MAX_DRIFT: i64 = 999;

impl Run<'_> {
    /// Milliseconds the server clock has moved since the case began (bounded, or the
    /// vectors' drift assumption would not hold).
    fn drift(&mut self) -> i64 {
        let drift = server_ms(self.con) - self.started;
        assert!(
            (0..=MAX_DRIFT).contains(&drift),
            "the case took {drift} ms of server time; the vectors allow {MAX_DRIFT}"
        );
        drift
    }

    fn seed(&mut self, case: &Json) {
        match self.command {
            "slide" | "multi" => {
                let logs: Vec<(String, Vec<f64>)> = if self.command == "slide" {
                    let key = case.at("steps").items()[0].at("args").items()[0].str().to_string();
                    vec![(key, case.at("log").items().iter().map(Json::f64).collect())]
                } else {
                    case.at("logs")
                        .fields()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.items().iter().map(Json::f64).collect()))
                        .collect()
                };
                for (key, log) in logs {
                    for (i, at) in log.iter().enumerate() {
                        ok(
                            self.con,
                            &[
                                "ZADD".to_string(),
                                key.clone(),
                                (at + self.base as f64).to_string(),
                                format!("seed-{i}"),
                            ],
                        );
                    }
                }
            }
            "gcra" => {
                if let Some(stored) = case.at("tat_us").opt_str() {
                    let key = case.at("steps").items()[0].at("args").items()[0].str();
                    let value = match stored.parse::<i64>() {
                        Ok(tat) => (tat + self.base * 1000).to_string(),
                        Err(_) => stored.to_string(),
                    };
                    ok(self.con, &["SET", key, &value]);
                }
            }
            "fixed" => {
                if let Some(count) = case.at("count").opt_str() {
                    let key = case.at("steps").items()[0].at("args").items()[0].str();
                    let mut set = vec!["SET".to_string(), key.to_string(), count.to_string()];
                    if let Some(at) = case.get("expire_at_ms").filter(|at| !at.is_null()) {
                        set.extend(["PXAT".to_string(), (at.int() + self.base).to_string()]);
                    }
                    ok(self.con, &set);
                }
            }
            "acquire" | "release" | "renew" => {
                let key = case.at("steps").items()[0].at("args").items()[0].str();
                let leases = case.at("leases").items();
                for lease in leases {
                    let (token, end) = (lease.items()[0].str(), lease.items()[1].int());
                    ok(self.con, &["ZADD", key, &(end + self.base).to_string(), token]);
                }
                // The module keeps a lease set expiring with its last lease.
                if let Some(last) = leases.last() {
                    ok(self.con, &["PEXPIREAT", key, &(last.items()[1].int() + self.base).to_string()]);
                }
            }
            other => panic!("unknown command {other}"),
        }
    }

    /// A decision's 5 integers, or ACQUIRE's with the token (or nil) last, or RELEASE's and
    /// RENEW's 1 or 0.
    fn check_reply(&self, what: &str, got: &Value, want: &Json, drift: i64) {
        let Json::Arr(want) = want else {
            return assert_eq!(int(got), want.int(), "{what}");
        };
        let got = items(got);
        assert_eq!(got.len(), 5, "{what}");
        let counts: Vec<i64> = got[..3].iter().map(int).collect();
        let want_counts: Vec<i64> = want[..3].iter().map(Json::int).collect();
        assert_eq!(counts, want_counts, "{what}: allowed, limit, remaining; got {got:?}, want {want:?}");
        for (got, want) in got[3..].iter().zip(&want[3..]) {
            match want {
                Json::Num(_) => {
                    let (got, want) = (int(got), want.int());
                    assert!(
                        (want - drift - 1..=want).contains(&got),
                        "{what}: got {got}, want {want} less up to {drift} ms"
                    );
                }
                Json::Null => assert_eq!(*got, Value::Nil, "{what}: token"),
                token => assert_eq!(bulk(got), token.str(), "{what}: token"),
            }
        }
    }

    fn check_log(&mut self, what: &str, key: &str, want: &[f64], drift: i64) {
        let scores: Vec<f64> = redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query::<Vec<(String, f64)>>(self.con)
            .unwrap()
            .into_iter()
            .map(|(_, score)| score)
            .collect();
        assert_eq!(scores.len(), want.len(), "{what}: log of {key}: {scores:?}");
        for (got, want) in scores.iter().zip(want) {
            let late = got - (want + self.base as f64);
            assert!((0.0..=drift as f64).contains(&late), "{what}: log of {key}: {got} for {want} (+{})", self.base);
        }
    }

    fn check_expiry(&mut self, what: &str, key: &str, want: i64, drift: i64) {
        let at = int(&ok(self.con, &["PEXPIRETIME", key]));
        let want = want + self.base;
        assert!((want..=want + drift).contains(&at), "{what}: {key} expires at {at}, want {want}..+{drift}");
    }

    fn check_state(&mut self, what: &str, step: &Json, state: &BTreeMap<String, Json>, drift: i64) {
        for (key, want) in state {
            match self.command {
                "gcra" => {
                    let stored: Option<String> = redis::cmd("GET").arg(key).query(self.con).unwrap();
                    match (want.opt_str(), stored) {
                        (None, stored) => assert_eq!(stored, None, "{what}: {key}"),
                        (Some(want), Some(stored)) => match want.parse::<i64>() {
                            Ok(tat) => {
                                let late = stored.parse::<i64>().unwrap() - (tat + self.base * 1000);
                                assert!((0..=drift * 1000).contains(&late), "{what}: TAT {stored} for {tat}");
                            }
                            Err(_) => assert_eq!(stored, want, "{what}"),
                        },
                        (Some(want), None) => panic!("{what}: {key} missing, want {want}"),
                    }
                }
                "fixed" => {
                    let stored: Option<String> = redis::cmd("GET").arg(key).query(self.con).unwrap();
                    assert_eq!(stored.as_deref(), want.opt_str(), "{what}: count of {key}");
                }
                "acquire" | "release" | "renew" => {
                    // The tokens in order; their ends as a log; the key expiring with the last.
                    let leases: Vec<(String, f64)> =
                        redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").query(self.con).unwrap();
                    let tokens: Vec<&str> = leases.iter().map(|(token, _)| token.as_str()).collect();
                    let want_tokens: Vec<&str> = want.items().iter().map(|lease| lease.items()[0].str()).collect();
                    assert_eq!(tokens, want_tokens, "{what}: leases of {key}: {leases:?}");
                    let ends: Vec<f64> = want.items().iter().map(|lease| lease.items()[1].f64()).collect();
                    self.check_log(what, key, &ends, drift);
                    if let Some(last) = ends.last() {
                        self.check_expiry(what, key, *last as i64, drift);
                    }
                }
                _ => {
                    let log: Vec<f64> = want.items().iter().map(Json::f64).collect();
                    self.check_log(what, key, &log, drift);
                }
            }
        }
        match step.get("expire_at_ms") {
            None => {}
            Some(Json::Obj(fields)) => {
                for (key, at) in fields {
                    self.check_expiry(what, key, at.int(), drift);
                }
            }
            Some(at) => {
                let key = step.at("args").items()[0].str().to_string();
                self.check_expiry(what, &key, at.int(), drift);
            }
        }
    }
}

/// A case's initial state by key (logs, the GCRA string, the fixed count or the leases).
fn initial_state(command: &str, case: &Json) -> BTreeMap<String, Json> {
    let first_key = case.at("steps").items()[0].at("args").items()[0].str().to_string();
    match command {
        "slide" => BTreeMap::from([(first_key, case.at("log").clone())]),
        "multi" => case.at("logs").fields().iter().cloned().collect(),
        "gcra" => BTreeMap::from([(first_key, case.at("tat_us").clone())]),
        "fixed" => BTreeMap::from([(first_key, case.at("count").clone())]),
        "acquire" | "release" | "renew" => BTreeMap::from([(first_key, case.at("leases").clone())]),
        other => panic!("unknown command {other}"),
    }
}

/// The state a case expects after a step, by key (logs, the GCRA string, the fixed count or
/// the leases).
fn update_state(command: &str, state: &mut BTreeMap<String, Json>, step: &Json) {
    if step.get("error").is_some() {
        return;
    }
    let key = step.at("args").items()[0].str().to_string();
    match command {
        "slide" => {
            state.insert(key, step.at("log").clone());
        }
        "multi" => {
            for value in state.values_mut() {
                *value = Json::Arr(Vec::new());
            }
            for (key, log) in step.at("logs").fields() {
                state.insert(key.clone(), log.clone());
            }
        }
        "gcra" => {
            state.insert(key, step.at("tat_us").clone());
        }
        "fixed" => {
            state.insert(key, step.at("count").clone());
        }
        "acquire" | "release" | "renew" => {
            state.insert(key, step.at("leases").clone());
        }
        other => panic!("unknown command {other}"),
    }
}

/// How late past a fixed case's place in its window the server clock may be when it starts.
const ALIGN_SLACK: i64 = 100;

/// The offset from vector times to server times for a case starting at `now`: the server
/// clock's, except that LIMIT.FIXED's windows are aligned to the epoch, so a fixed case moves
/// by whole periods (of its first step that replies): waits, under one period, until the
/// server clock is at most ALIGN_SLACK ms past the case's place in its window.
fn server_base(con: &mut Connection, command: &str, case: &Json, now: i64) -> i64 {
    let replying = case.at("steps").items().iter().find(|step| step.get("reply").is_some());
    let period =
        replying.filter(|_| command == "fixed").map(|step| step.at("args").items()[1].str().parse::<i64>().unwrap());
    loop {
        let base = server_ms(con) - now;
        let Some(period) = period else { return base };
        let late = base.rem_euclid(period);
        if late <= ALIGN_SLACK {
            return base - late;
        }
        std::thread::sleep(Duration::from_millis((period - late) as u64));
    }
}

#[test]
fn limiter_cases_match_the_server() {
    let server = Server::start();
    let mut con = server.connect();
    let file = vectors("limit.json");
    let mut ran = 0;
    for case in file.at("cases").items() {
        if !case.at("server").bool() {
            continue;
        }
        let name = case.at("name").str();
        let command = case.at("command").str();
        let steps = case.at("steps").items();
        let now = steps[0].at("now_ms").int();
        assert!(steps.iter().all(|s| s.at("now_ms").int() == now), "{name}: a server case runs at one now_ms");
        ok(&mut con, &["FLUSHALL"]);
        let max_log = case.get("max_log").map_or(100_000, Json::int);
        config_set(&mut con, "tally.limit-max-log", &max_log.to_string());
        let require = case.get("require_hashtag").is_some_and(Json::bool);
        config_set(&mut con, "tally.require-hashtag", if require { "yes" } else { "no" });

        let base = server_base(&mut con, command, case, now);
        let mut run = Run { con: &mut con, command, base, started: base + now };
        run.seed(case);
        let mut state = initial_state(command, case);
        for (i, step) in steps.iter().enumerate() {
            let what = format!("{name}, step {i}");
            let mut argv = vec![format!("LIMIT.{}", command.to_uppercase())];
            argv.extend(step.at("args").items().iter().map(|a| a.str().to_string()));
            let got = query(run.con, &argv);
            let drift = run.drift();
            match (step.get("error"), got) {
                (Some(error), got) => assert_eq!(got, Err(error.str().to_string()), "{what}"),
                (None, Ok(reply)) => run.check_reply(&what, &reply, step.at("reply"), drift),
                (None, Err(error)) => panic!("{what}: {error}"),
            }
            update_state(command, &mut state, step);
            run.check_state(&what, step, &state, drift);
        }
        ran += 1;
    }
    assert!(ran >= 15, "{ran} server cases");
    config_set(&mut con, "tally.require-hashtag", "auto");
    let log = server.log();
    assert!(!log.contains("panicked"), "{log}");
}
