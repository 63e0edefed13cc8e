//! What a command declares to the server: the COMMAND INFO and COMMAND DOCS checks every
//! command family shares.

use super::render;
use super::reply::{field, fields, int, items, ok, text, texts};
use redis::{Connection, Value};
use std::collections::BTreeMap;

/// The texts of a list, sorted.
fn sorted_texts(value: &Value) -> Vec<String> {
    let mut list = texts(value);
    list.sort();
    list
}

/// The strings of a list, sorted.
fn sorted(list: &[&str]) -> Vec<String> {
    let mut list: Vec<String> = list.iter().map(std::string::ToString::to_string).collect();
    list.sort();
    list
}

/// Checks COMMAND INFO of `name` (arity, flags, first/last/step `triple`, one key spec with
/// `key_flags` that begins at index 1); returns that key spec's `find_keys` and the context.
pub fn assert_command_info(
    con: &mut Connection,
    name: &str,
    arity: i64,
    flags: &[&str],
    triple: (i64, i64, i64),
    key_flags: &[&str],
) -> (BTreeMap<String, Value>, String) {
    let reply = ok(con, &["COMMAND", "INFO", name]);
    let info = items(&items(&reply)[0]);
    let context = format!("COMMAND INFO {name}: {}", render(&reply));
    assert_eq!(text(&info[0]), name, "{context}");
    assert_eq!(int(&info[1]), arity, "{context}");
    assert_eq!(sorted_texts(&info[2]), sorted(flags), "{context}");
    assert_eq!((int(&info[3]), int(&info[4]), int(&info[5])), triple, "{context}");

    let key_specs = items(&info[8]);
    assert_eq!(key_specs.len(), 1, "{context}");
    let key_spec = fields(&key_specs[0]);
    assert_eq!(sorted_texts(field(&key_spec, "flags")), sorted(key_flags), "{context}");
    let begin = fields(field(&key_spec, "begin_search"));
    assert_eq!(text(field(&begin, "type")), "index", "{context}");
    assert_eq!(int(field(&fields(field(&begin, "spec")), "index")), 1, "{context}");
    (fields(field(&key_spec, "find_keys")), context)
}

/// Checks that `find_keys` is a range with lastkey 0, keystep 1 and limit 0 (one key).
pub fn assert_one_key_range(find: &BTreeMap<String, Value>, context: &str) {
    assert_eq!(text(field(find, "type")), "range", "{context}");
    let range = fields(field(find, "spec"));
    let range: Vec<i64> = ["lastkey", "keystep", "limit"].iter().map(|name| int(field(&range, name))).collect();
    assert_eq!(range, [0, 1, 0], "{context}");
}

/// Checks COMMAND DOCS of `name` (summary, since, complexity, group, module and the argument
/// names `doc_args`); returns the arguments and the context.
pub fn assert_command_docs(
    con: &mut Connection,
    name: &str,
    doc_args: &[&str],
) -> (Vec<BTreeMap<String, Value>>, String) {
    let reply = ok(con, &["COMMAND", "DOCS", name]);
    let context = format!("COMMAND DOCS {name}: {}", render(&reply));
    let doc = fields(field(&fields(&reply), name));
    for name in ["summary", "since", "complexity"] {
        assert!(!text(field(&doc, name)).trim().is_empty(), "{name} is empty; {context}");
    }
    assert_eq!(text(field(&doc, "group")), "module", "{context}");
    assert_eq!(text(field(&doc, "module")), "tally", "{context}");
    let args: Vec<BTreeMap<String, Value>> = items(field(&doc, "arguments")).iter().map(fields).collect();
    let names: Vec<String> = args.iter().map(|arg| text(field(arg, "name"))).collect();
    assert_eq!(names, doc_args, "{context}");
    (args, context)
}

/// One command of a family whose commands take a single key at index 1 (TOURNEY, AUDIT).
pub struct Spec {
    pub name: &'static str,
    pub arity: i64,
    pub flags: &'static [&'static str],
    pub key_flags: &'static [&'static str],
    /// A valid call after the name, its key first (`mykey`); for a fixed arity it has
    /// exactly arity - 1 arguments.
    pub example: &'static [&'static str],
    /// Argument names in COMMAND DOCS.
    pub doc_args: &'static [&'static str],
}

/// COMMAND INFO of every single-key command: arity, flags, the key spec and the 1/1/1 range.
pub fn assert_single_key_command_infos(con: &mut Connection, specs: &[Spec]) {
    for spec in specs {
        let (find, context) = assert_command_info(con, spec.name, spec.arity, spec.flags, (1, 1, 1), spec.key_flags);
        assert_one_key_range(&find, &context);
    }
}

/// COMMAND DOCS of every single-key command: its texts, argument names, the key argument first.
pub fn assert_single_key_command_docs(con: &mut Connection, specs: &[Spec]) {
    for spec in specs {
        let (args, context) = assert_command_docs(con, spec.name, spec.doc_args);
        assert_eq!(text(field(&args[0], "type")), "key", "{context}");
        assert_eq!(int(field(&args[0], "key_spec_index")), 0, "{context}");
    }
}
