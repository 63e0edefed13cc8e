//! Commands whose replies are kept as raw `redis::Value`s, and accessors that take those
//! replies apart, panicking with the reply rendered when it has another shape.

use super::{error_text, render, run};
use redis::{Connection, Value};
use std::collections::BTreeMap;

/// Sends one command; a server error comes back as `Err(text)`, a broken connection fails the test.
pub fn query<A: AsRef<[u8]>>(con: &mut Connection, args: &[A]) -> Result<Value, String> {
    let mut command = redis::cmd(std::str::from_utf8(args[0].as_ref()).expect("utf-8 command name"));
    for arg in &args[1..] {
        command.arg(arg.as_ref());
    }
    match command.query::<Value>(con) {
        Ok(value) => Ok(value),
        Err(error) if error.code().is_some() => Err(error_text(&error)),
        Err(error) => panic!("connection failed on {:?}: {error}", printable(args)),
    }
}

/// `query` that must succeed.
pub fn ok<A: AsRef<[u8]>>(con: &mut Connection, args: &[A]) -> Value {
    query(con, args).unwrap_or_else(|error| panic!("{:?} failed: {error}", printable(args)))
}

/// Arguments for failure messages: lossy text, each cut after 40 bytes.
pub fn printable<A: AsRef<[u8]>>(args: &[A]) -> Vec<String> {
    args.iter()
        .map(|arg| {
            let arg = arg.as_ref();
            let shown = String::from_utf8_lossy(&arg[..arg.len().min(40)]).into_owned();
            if arg.len() > 40 {
                format!("{shown}...({} bytes)", arg.len())
            } else {
                shown
            }
        })
        .collect()
}

/// The bytes of a bulk or simple string reply.
pub fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes.clone(),
        Value::SimpleString(s) => s.as_bytes().to_vec(),
        Value::Okay => b"OK".to_vec(),
        other => panic!("expected a string, got {}", render(other)),
    }
}

/// A bulk or simple string reply as text (bytes that are not UTF-8 shown lossily).
pub fn text(value: &Value) -> String {
    String::from_utf8_lossy(&bytes(value)).into_owned()
}

/// A bulk string reply (not a simple string) that must be UTF-8.
pub fn bulk(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).expect("utf-8 reply"),
        other => panic!("expected a bulk string, got {}", render(other)),
    }
}

/// The elements of an array (or RESP3 set) reply.
pub fn items(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) | Value::Set(items) => items,
        other => panic!("expected an array, got {}", render(other)),
    }
}

/// An integer reply.
pub fn int(value: &Value) -> i64 {
    match value {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {}", render(other)),
    }
}

/// An array of string replies as texts.
pub fn texts(value: &Value) -> Vec<String> {
    items(value).iter().map(text).collect()
}

/// A RESP2 flat `[name, value, name, value, ...]` array (or a RESP3 map) as a map.
pub fn fields(value: &Value) -> BTreeMap<String, Value> {
    match value {
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), v.clone())).collect(),
        _ => items(value).chunks(2).map(|pair| (text(&pair[0]), pair[1].clone())).collect(),
    }
}

/// The value of field `name` of a `fields` map, which must have it.
pub fn field<'a>(map: &'a BTreeMap<String, Value>, name: &str) -> &'a Value {
    map.get(name).unwrap_or_else(|| panic!("no field {name:?} in {:?}", map.keys().collect::<Vec<_>>()))
}

/// The value of the `name:value` line of INFO `section`, which must have it.
pub fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    let info = text(&ok(con, &["INFO", section]));
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("INFO {section} has no {name}:\n{info}"))
        .trim()
        .to_string()
}

/// CONFIG SET of one parameter, which must reply OK.
pub fn config_set(con: &mut Connection, name: &str, value: &str) {
    assert_eq!(run(con, &["CONFIG", "SET", name, value]), "OK", "CONFIG SET {name} {value}");
}

/// The server clock (TIME) in milliseconds, the clock the module reads.
pub fn server_ms(con: &mut Connection) -> i64 {
    let time = texts(&ok(con, &["TIME"]));
    let seconds: i64 = time[0].parse().expect("TIME seconds");
    let micros: i64 = time[1].parse().expect("TIME microseconds");
    seconds * 1000 + micros / 1000
}
