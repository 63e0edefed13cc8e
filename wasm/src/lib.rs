//! tally's core as WebAssembly. This crate adds no logic of its own: it takes a call as the
//! server would receive it (argv bytes, the stored state, the time), runs the very functions
//! of tally-core the module runs, and hands back the reply and the new state.
//!
//! `abi` holds the exported functions (ABI version [`ABI_VERSION`], documented in
//! docs/wasm.md); this file holds the same calls with Rust types, which the ABI wraps and the
//! native unit tests use.

pub mod abi;

use tally_core::limit::{self, Decision, Window};
use tally_core::{slot, Error};

/// Version of the exported ABI: bumped on any change of an export's signature or layout.
pub const ABI_VERSION: u32 = 3;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server refuses the same call with this error (its text is the reply).
    Tally(Error),
    /// An input the server never receives from a client (a time, a log entry, the packing
    /// of the buffers) is not usable; the text says which.
    Invalid(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Tally(error)
    }
}

fn invalid<T>(text: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Invalid(text.into()))
}

/// The server checks a command's argument count (its arity) before the module sees it,
/// with the same text as the module's own check.
fn check_arity(argv: &[&[u8]], min: usize, name: &'static str) -> Result<(), Error> {
    if argv.len() < min {
        Err(Error::WrongArity(name))
    } else {
        Ok(())
    }
}

/// What a sliding-log call (LIMIT.SLIDE or LIMIT.MULTI) decides.
#[derive(Debug, Clone, PartialEq)]
pub struct LogOutcome {
    pub decision: Decision,
    /// True when the logs gained `cost` entries at `now_ms` (allowed with a cost above 0):
    /// then the server also sets each key to expire at `expire_at_ms`.
    pub written: bool,
    /// Per window: `now_ms + window_ms`, the expiry the server sets when it writes.
    pub expire_at_ms: Vec<i64>,
    /// Per window: the log after the call (pruned, plus the new entries), oldest first.
    pub logs: Vec<Vec<f64>>,
}

fn checked_logs(logs: Vec<Vec<f64>>) -> Result<Vec<Vec<f64>>, Failure> {
    if logs.iter().flatten().any(|t| t.is_nan()) {
        return invalid("a log entry is NaN (a sorted-set score never is)");
    }
    Ok(logs)
}

fn decide_logs(now_ms: i64, cost: i64, windows: &[Window], logs: Vec<Vec<f64>>) -> LogOutcome {
    let mut pairs: Vec<(Window, Vec<f64>)> = windows.iter().copied().zip(logs).collect();
    let decision = limit::decide_logs(now_ms, cost, &mut pairs);
    LogOutcome {
        decision,
        written: decision.allowed && cost > 0,
        expire_at_ms: windows.iter().map(|w| now_ms.saturating_add(w.window_ms)).collect(),
        logs: pairs.into_iter().map(|(_, log)| log).collect(),
    }
}

/// What a limiter call sees of the server besides its argv and its keys' state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// The server's clock.
    pub now_ms: i64,
    /// `tally.require-hashtag` as it applies (`yes`, or `auto` on a cluster node).
    pub require_hashtag: bool,
    /// `tally.limit-max-log`; GCRA does not read it.
    pub max_log: i64,
}

/// `LIMIT.SLIDE key window_ms max [COST n]` against `log`. `argv` is the whole command as a
/// client sends it (`argv[0]`, the command name, is not read).
pub fn slide(argv: &[&[u8]], server: Server, log: Vec<f64>) -> Result<LogOutcome, Failure> {
    check_arity(argv, 4, "limit.slide")?;
    let parsed = limit::parse_slide(argv, server.max_log)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    let logs = checked_logs(vec![log])?;
    Ok(decide_logs(server.now_ms, parsed.cost, &[parsed.window], logs))
}

/// `LIMIT.MULTI numkeys key [key ...] window_ms max [window_ms max ...] [COST n]` against
/// one log per key, in key order.
pub fn multi(argv: &[&[u8]], server: Server, logs: Vec<Vec<f64>>) -> Result<LogOutcome, Failure> {
    check_arity(argv, 5, "limit.multi")?;
    let parsed = limit::parse_multi(argv, server.max_log)?;
    let first = limit::MULTI_FIRST_KEY;
    let keys = argv.get(first..first + parsed.numkeys).unwrap_or_default();
    slot::validate_keys(keys, server.require_hashtag)?;
    limit::check_distinct_keys(keys)?;
    if logs.len() != parsed.numkeys {
        return invalid(format!("{} logs given for {} keys", logs.len(), parsed.numkeys));
    }
    let logs = checked_logs(logs)?;
    Ok(decide_logs(server.now_ms, parsed.cost, &parsed.windows, logs))
}

/// What a LIMIT.GCRA call decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraResult {
    pub decision: Decision,
    /// The theoretical arrival time to store (µs), when the call writes one; the server
    /// then sets the key to expire at `expire_at_ms`.
    pub new_tat: Option<limit::GcraState>,
    pub expire_at_ms: Option<i64>,
}

/// `LIMIT.GCRA key burst count period_ms [COST n]` given the key's stored string (`None`
/// when the key does not exist).
pub fn gcra(argv: &[&[u8]], server: Server, stored: Option<&[u8]>) -> Result<GcraResult, Failure> {
    check_arity(argv, 5, "limit.gcra")?;
    let parsed = limit::parse_gcra(argv)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    // The server reads at most GCRA_STATE_MAX_BYTES of the string; longer ones are not limiter state.
    let tat = match stored {
        None => None,
        Some(bytes) if bytes.len() > limit::GCRA_STATE_MAX_BYTES => return Err(Error::NotALimiter.into()),
        Some(bytes) => Some(limit::parse_gcra_state(bytes)?),
    };
    let outcome = parsed.decide(server.now_ms, tat);
    Ok(GcraResult {
        decision: outcome.decision,
        new_tat: outcome.new_tat,
        expire_at_ms: outcome.new_tat.map(|tat| tat.expire_at_ms()),
    })
}

/// Hash tag of a key (`None` when the whole key is hashed).
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    slot::hash_tag(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_core::config::LIMIT_MAX_LOG;

    fn argv(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn at(now_ms: i64, max_log: i64, require_hashtag: bool) -> Server {
        Server { now_ms, require_hashtag, max_log }
    }

    fn text(failure: Failure) -> String {
        match failure {
            Failure::Tally(error) => error.to_string(),
            Failure::Invalid(text) => format!("invalid: {text}"),
        }
    }

    #[test]
    fn slide_decides_and_returns_the_new_log() {
        let out =
            slide(&argv("limit.slide k 1000 3"), at(5000, LIMIT_MAX_LOG.default, false), vec![4500.0, 3000.0, 4000.0])
                .unwrap();
        assert_eq!(out.decision.as_array(), [1, 3, 1, 0, 1000]);
        assert!(out.written);
        assert_eq!(out.expire_at_ms, [6000]);
        assert_eq!(out.logs, [vec![4500.0, 5000.0]]);
    }

    #[test]
    fn errors_are_the_servers() {
        let err = |line: &str| text(slide(&argv(line), at(0, 100, true), vec![]).unwrap_err());
        assert_eq!(err("limit.slide {k} 0 1"), "ERR window_ms must be between 1 and 31536000000");
        assert_eq!(err("limit.slide {k} 10 101"), "ERR max must be between 1 and 100");
        assert_eq!(err("limit.slide {k} 10"), "ERR wrong number of arguments for 'limit.slide' command");
        assert_eq!(
            err("limit.slide k 10 1"),
            "ERR key 'k' needs a hash tag like {id} so related keys share a cluster slot"
        );
        // The server's arity check comes before the module parses numkeys.
        let multi_err = |line: &str| text(multi(&argv(line), at(0, 100, false), vec![vec![]]).unwrap_err());
        assert_eq!(multi_err("limit.multi x k 10"), "ERR wrong number of arguments for 'limit.multi' command");
        assert_eq!(multi_err("limit.multi x k 10 1"), "ERR value is not an integer or out of range");
        assert_eq!(
            text(
                multi(&argv("limit.multi 2 a{x} a{x} 10 1 10 1"), at(0, 100, false), vec![vec![], vec![]]).unwrap_err()
            ),
            "ERR the same key is given more than once"
        );
        assert_eq!(
            text(multi(&argv("limit.multi 2 a b 10 1 10 1"), at(0, 100, false), vec![vec![], vec![]]).unwrap_err()),
            "CROSSSLOT Keys in request don't hash to the same slot"
        );
        assert_eq!(
            text(multi(&argv("limit.multi 1 a 10 1"), at(0, 100, false), vec![]).unwrap_err()),
            "invalid: 0 logs given for 1 keys"
        );
        assert!(text(slide(&argv("limit.slide k 10 1"), at(0, 100, false), vec![f64::NAN]).unwrap_err())
            .starts_with("invalid: "));
    }

    #[test]
    fn gcra_reads_the_stored_string_as_the_server_does() {
        let call =
            |stored: Option<&[u8]>| gcra(&argv("limit.gcra k 2 10 1000"), at(0, LIMIT_MAX_LOG.default, false), stored);
        let first = call(None).unwrap();
        assert_eq!(first.decision.as_array(), [1, 3, 2, 0, 100]);
        assert_eq!(
            (first.new_tat.map(|t| t.encode().to_vec()), first.expire_at_ms),
            (Some(b"100000".to_vec()), Some(100))
        );
        assert_eq!(call(Some(b"100000")).unwrap().decision.as_array(), [1, 3, 1, 0, 200]);
        for bad in [&b"1.5"[..], b"", b" 1", &[b'1'; 33]] {
            assert_eq!(
                text(call(Some(bad)).unwrap_err()),
                "WRONGTYPE key holds a string that is not GCRA limiter state"
            );
        }
        let check = gcra(&argv("limit.gcra k 2 10 1000 COST 0"), at(0, LIMIT_MAX_LOG.default, false), None).unwrap();
        assert_eq!((check.new_tat, check.expire_at_ms), (None, None));
    }
}
