//! The calls the wasm build answers, made natively from tally-core in the order the server
//! makes them: its arity check, the command's parser, the hash-tag and slot checks, then
//! the decision on the given state. Shared by vectors.rs and differential.rs.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use tally_core::limit::{self, Decision, Window};
use tally_core::{slot, Error};

pub const MAX_LOG_DEFAULT: i64 = tally_core::config::LIMIT_MAX_LOG.default;

fn arity(argv: &[&[u8]], min: usize, name: &'static str) -> Result<(), Error> {
    if argv.len() < min {
        Err(Error::WrongArity(name))
    } else {
        Ok(())
    }
}

/// A sliding-log call's outcome: the decision and, per key in call order, the key, its log
/// after the call and its new expiry when the call wrote.
pub struct LogCall {
    pub decision: Decision,
    pub keys: Vec<(Vec<u8>, Vec<f64>, Option<i64>)>,
}

fn run_logs(now_ms: i64, cost: i64, keys: &[&[u8]], windows: &[Window], logs: &BTreeMap<Vec<u8>, Vec<f64>>) -> LogCall {
    let mut pairs: Vec<(Window, Vec<f64>)> =
        keys.iter().zip(windows).map(|(key, w)| (*w, logs.get(*key).cloned().unwrap_or_default())).collect();
    let decision = limit::decide_logs(now_ms, cost, &mut pairs);
    let written = decision.allowed && cost > 0;
    LogCall {
        decision,
        keys: keys
            .iter()
            .zip(pairs)
            .map(|(key, (w, log))| (key.to_vec(), log, written.then(|| now_ms.saturating_add(w.window_ms))))
            .collect(),
    }
}

/// LIMIT.SLIDE; `argv` includes the command name.
pub fn slide(
    argv: &[&[u8]],
    max_log: i64,
    require: bool,
    now_ms: i64,
    logs: &BTreeMap<Vec<u8>, Vec<f64>>,
) -> Result<LogCall, Error> {
    arity(argv, 4, "limit.slide")?;
    let parsed = limit::parse_slide(argv, max_log)?;
    let keys = &argv[1..2];
    slot::validate_keys(keys, require)?;
    Ok(run_logs(now_ms, parsed.cost, keys, &[parsed.window], logs))
}

/// LIMIT.MULTI; `argv` includes the command name.
pub fn multi(
    argv: &[&[u8]],
    max_log: i64,
    require: bool,
    now_ms: i64,
    logs: &BTreeMap<Vec<u8>, Vec<f64>>,
) -> Result<LogCall, Error> {
    arity(argv, 5, "limit.multi")?;
    let parsed = limit::parse_multi(argv, max_log)?;
    let keys = &argv[limit::MULTI_FIRST_KEY..limit::MULTI_FIRST_KEY + parsed.numkeys];
    slot::validate_keys(keys, require)?;
    for (i, key) in keys.iter().enumerate() {
        if keys[i + 1..].contains(key) {
            return Err(Error::DuplicateKey);
        }
    }
    Ok(run_logs(now_ms, parsed.cost, keys, &parsed.windows, logs))
}

/// LIMIT.GCRA given the key's stored string: the decision, the new TAT and its expiry.
pub fn gcra(
    argv: &[&[u8]],
    require: bool,
    now_ms: i64,
    stored: Option<&[u8]>,
) -> Result<(Decision, Option<String>, Option<i64>), Error> {
    arity(argv, 5, "limit.gcra")?;
    let parsed = limit::parse_gcra(argv)?;
    slot::validate_keys(&argv[1..2], require)?;
    let tat = match stored {
        None => None,
        Some(bytes) if bytes.len() > limit::GCRA_STATE_MAX_BYTES => return Err(Error::NotALimiter),
        Some(bytes) => Some(limit::parse_gcra_state(bytes)?),
    };
    let outcome = parsed.decide(now_ms, tat);
    let text = outcome.new_tat.map(|tat| String::from_utf8_lossy(&tat.encode()).into_owned());
    Ok((outcome.decision, text, outcome.new_tat.map(|tat| tat.expire_at_ms())))
}

/// LIMIT.FIXED given the key's stored string and its expiry: the decision and, when the
/// call writes, the new count and the key's new expiry (its window's end).
pub fn fixed(
    argv: &[&[u8]],
    require: bool,
    now_ms: i64,
    stored: Option<(&[u8], Option<i64>)>,
) -> Result<(Decision, Option<(String, i64)>), Error> {
    arity(argv, 4, "limit.fixed")?;
    let parsed = limit::fixed::parse_fixed(argv)?;
    slot::validate_keys(&argv[1..2], require)?;
    let counter = match stored {
        None => None,
        Some((bytes, _)) if bytes.len() > limit::fixed::COUNTER_MAX_BYTES => return Err(Error::NotACounter),
        Some((bytes, expire_at_ms)) => {
            Some(limit::fixed::Counter { count: limit::fixed::parse_counter(bytes)?, expire_at_ms })
        }
    };
    let outcome = parsed.decide(now_ms, counter);
    let write = outcome.write.map(|c| (c.count.to_string(), c.expire_at_ms.expect("a written count expires")));
    Ok((outcome.decision, write))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}
