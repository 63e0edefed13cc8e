//! The calls the wasm build answers, made natively from tally-core in the order the server
//! makes them: its arity check, the command's parser, the hash-tag and slot checks, then
//! the decision on the given state. Shared by vectors.rs and differential.rs.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use tally_core::limit::{self, lease, Decision, Window};
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

/// A key's leases: each token and its lease's end (ms), as its sorted set holds them.
pub type Leases = Vec<(Vec<u8>, f64)>;

/// The leases that have not ended at `now_ms` (every lease call removes the others first),
/// in the server's order: by end, then token.
fn live_leases(now_ms: i64, leases: &Leases) -> Leases {
    let mut live: Leases = leases.iter().filter(|(_, end)| *end > now_ms as f64).cloned().collect();
    order_leases(&mut live);
    live
}

fn order_leases(leases: &mut Leases) {
    leases.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
}

/// LIMIT.ACQUIRE given the key's leases, which become the leases after the call: the
/// decision and the token replied. A made token is random, so an acquiring call must name one.
pub fn acquire(
    argv: &[&[u8]],
    max_log: i64,
    require: bool,
    now_ms: i64,
    leases: &mut Leases,
) -> Result<(Decision, Option<Vec<u8>>), Error> {
    arity(argv, 4, "limit.acquire")?;
    let parsed = lease::parse_acquire(argv, max_log)?;
    slot::validate_keys(&argv[1..2], require)?;
    let mut live = live_leases(now_ms, leases);
    let held = parsed.token.and_then(|token| live.iter().position(|(t, _)| t == token));
    let state = lease::Leases {
        live: live.len() as u64,
        holds_token: held.is_some(),
        earliest_end: live.first().map(|(_, end)| *end as i64),
    };
    let outcome = parsed.decide(now_ms, &state);
    let token = outcome.lease_end.map(|end| {
        let token = parsed.token.expect("an acquiring call names its TOKEN (a made one is random)");
        match held {
            Some(i) => live[i].1 = end as f64,
            None => live.push((token.to_vec(), end as f64)),
        }
        order_leases(&mut live);
        token.to_vec()
    });
    *leases = live;
    Ok((outcome.decision, token))
}

/// LIMIT.RELEASE given the key's leases, which become the leases after the call.
pub fn release(argv: &[&[u8]], require: bool, now_ms: i64, leases: &mut Leases) -> Result<bool, Error> {
    arity(argv, 3, "limit.release")?;
    lease::parse_release(argv)?;
    slot::validate_keys(&argv[1..2], require)?;
    let mut live = live_leases(now_ms, leases);
    let before = live.len();
    live.retain(|(token, _)| token.as_slice() != argv[2]);
    let released = live.len() < before;
    *leases = live;
    Ok(released)
}

/// LIMIT.RENEW given the key's leases, which become the leases after the call.
pub fn renew(argv: &[&[u8]], require: bool, now_ms: i64, leases: &mut Leases) -> Result<bool, Error> {
    arity(argv, 4, "limit.renew")?;
    let lease_ms = lease::parse_renew(argv)?;
    slot::validate_keys(&argv[1..2], require)?;
    let mut live = live_leases(now_ms, leases);
    let held = live.iter_mut().find(|(token, _)| token.as_slice() == argv[2]);
    let renewed = held.is_some();
    if let Some((_, end)) = held {
        *end = lease::lease_end(now_ms, lease_ms) as f64;
    }
    order_leases(&mut live);
    *leases = live;
    Ok(renewed)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}
