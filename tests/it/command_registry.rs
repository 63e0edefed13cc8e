//! Every command tally registers is documented for COMMAND DOCS and redis-cli hints, and
//! declares its keys.
use crate::common::*;
use redis::Value;

const COMMANDS: [&str; 24] = [
    "audit.append",
    "audit.create",
    "audit.digest",
    "audit.group",
    "audit.info",
    "audit.verify",
    "limit.acquire",
    "limit.fixed",
    "limit.gcra",
    "limit.multi",
    "limit.release",
    "limit.renew",
    "limit.reset",
    "limit.slide",
    "tourney.around",
    "tourney.create",
    "tourney.incr",
    "tourney.info",
    "tourney.percentile",
    "tourney.rank",
    "tourney.ranks",
    "tourney.rem",
    "tourney.submit",
    "tourney.top",
];

fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => render(other),
    }
}

/// The value under `name` in a flat name/value reply (RESP2 maps).
fn lookup<'a>(pairs: &'a [Value], name: &str) -> Option<&'a Value> {
    pairs.chunks_exact(2).find(|pair| text(&pair[0]) == name).map(|pair| &pair[1])
}

#[test]
fn the_module_registers_exactly_the_documented_commands() {
    let server = Server::start();
    let mut con = server.connect();
    let mut listed: Vec<String> =
        redis::cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("MODULE").arg("tally").query(&mut con).unwrap();
    listed.sort();
    assert_eq!(listed, COMMANDS);
}

#[test]
fn every_command_has_complete_docs_and_declared_keys() {
    let server = Server::start();
    let mut con = server.connect();
    for name in COMMANDS {
        let docs: Value = redis::cmd("COMMAND").arg("DOCS").arg(name).query(&mut con).unwrap();
        let Value::Array(outer) = &docs else { panic!("{name}: {docs:?}") };
        let Some(Value::Array(fields)) = outer.get(1) else { panic!("{name}: no docs: {docs:?}") };
        for field in ["summary", "since", "complexity"] {
            let value = lookup(fields, field).map(text).unwrap_or_default();
            assert!(value.len() > 3, "{name}: {field} is {value:?}");
        }
        assert_eq!(lookup(fields, "group").map(text).as_deref(), Some("module"), "{name}");
        assert_eq!(lookup(fields, "module").map(text).as_deref(), Some("tally"), "{name}");
        let Some(Value::Array(arguments)) = lookup(fields, "arguments") else { panic!("{name}: no arguments") };
        assert!(!arguments.is_empty(), "{name}");
        for argument in arguments {
            let Value::Array(argument) = argument else { panic!("{name}: {argument:?}") };
            assert!(lookup(argument, "name").is_some_and(|n| !text(n).is_empty()), "{name}: {argument:?}");
            assert!(lookup(argument, "type").is_some(), "{name}: {argument:?}");
        }
        // Keys: COMMAND INFO lists at least one key spec for every command.
        let info: Value = redis::cmd("COMMAND").arg("INFO").arg(name).query(&mut con).unwrap();
        let Value::Array(entries) = &info else { panic!("{name}: {info:?}") };
        let Some(Value::Array(entry)) = entries.first() else { panic!("{name}: {info:?}") };
        let Some(Value::Array(key_specs)) = entry.get(8) else { panic!("{name}: {info:?}") };
        assert!(!key_specs.is_empty(), "{name} declares no key");
    }
}
