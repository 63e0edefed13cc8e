//! tally's core as WebAssembly. This crate adds no logic of its own: it takes a call as the
//! server would receive it (argv bytes, the stored state, the time), runs the very functions
//! of tally-core the module runs, and hands back the reply and the new state.
//!
//! `abi` holds the exported functions (ABI version [`ABI_VERSION`], documented in
//! docs/wasm.md); this file holds the same calls with Rust types, which the ABI wraps and the
//! native unit tests use.

pub mod abi;

use std::cmp::Ordering;
use tally_core::limit::fixed::{self, Counter, COUNTER_MAX_BYTES};
use tally_core::limit::lease::{self, Leases, MAX_TOKEN_BYTES};
use tally_core::limit::{self, Decision, Window};
use tally_core::{slot, Error};

/// Version of the exported ABI: bumped on any change of an export's signature or layout.
pub const ABI_VERSION: u32 = 4;

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

/// What the caller is told of `decision`: under shadow mode (`tally.limit-shadow yes`) a
/// refusal is replied as allowed, and the second value says so (the server counts it as
/// `tally_limit_shadow_denied`); the state stays as the refusal leaves it.
fn judge(decision: Decision, server: Server) -> (Decision, bool) {
    if server.shadow && !decision.allowed {
        (decision.shadowed(), true)
    } else {
        (decision, false)
    }
}

/// What a sliding-log call (LIMIT.SLIDE or LIMIT.MULTI) decides.
#[derive(Debug, Clone, PartialEq)]
pub struct LogOutcome {
    /// The decision as replied (shadowed when `shadowed`).
    pub decision: Decision,
    /// True when the call was refused and replied as allowed under shadow mode.
    pub shadowed: bool,
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

fn decide_logs(server: Server, cost: i64, windows: &[Window], logs: Vec<Vec<f64>>) -> LogOutcome {
    let now_ms = server.now_ms;
    let mut pairs: Vec<(Window, Vec<f64>)> = windows.iter().copied().zip(logs).collect();
    let decision = limit::decide_logs(now_ms, cost, &mut pairs);
    let (shown, shadowed) = judge(decision, server);
    LogOutcome {
        decision: shown,
        shadowed,
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
    /// `tally.limit-max-log` (a sliding log's and a lease set's bound); GCRA and FIXED do
    /// not read it.
    pub max_log: i64,
    /// `tally.limit-shadow yes`: a refused call is replied as allowed.
    pub shadow: bool,
}

/// `LIMIT.SLIDE key window_ms max [COST n]` against `log`. `argv` is the whole command as a
/// client sends it (`argv[0]`, the command name, is not read).
pub fn slide(argv: &[&[u8]], server: Server, log: Vec<f64>) -> Result<LogOutcome, Failure> {
    check_arity(argv, 4, "limit.slide")?;
    let parsed = limit::parse_slide(argv, server.max_log)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    let logs = checked_logs(vec![log])?;
    Ok(decide_logs(server, parsed.cost, &[parsed.window], logs))
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
    Ok(decide_logs(server, parsed.cost, &parsed.windows, logs))
}

/// What a LIMIT.GCRA call decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraResult {
    /// The decision as replied (shadowed when `shadowed`).
    pub decision: Decision,
    pub shadowed: bool,
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
    let (decision, shadowed) = judge(outcome.decision, server);
    Ok(GcraResult {
        decision,
        shadowed,
        new_tat: outcome.new_tat,
        expire_at_ms: outcome.new_tat.map(|tat| tat.expire_at_ms()),
    })
}

/// What a LIMIT.FIXED call decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedResult {
    /// The decision as replied (shadowed when `shadowed`).
    pub decision: Decision,
    pub shadowed: bool,
    /// The count to store, when the call writes; the server then sets the key to expire at
    /// `expire_at_ms`, the end of the current window.
    pub count: Option<i64>,
    pub expire_at_ms: Option<i64>,
}

/// `LIMIT.FIXED key period_ms max [COST n]` given the key's stored string (`None` when the
/// key does not exist) and its absolute expiry (`None`: the key has none).
pub fn fixed(
    argv: &[&[u8]],
    server: Server,
    stored: Option<&[u8]>,
    expire_at_ms: Option<i64>,
) -> Result<FixedResult, Failure> {
    check_arity(argv, 4, "limit.fixed")?;
    let parsed = fixed::parse_fixed(argv)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    // The server reads at most COUNTER_MAX_BYTES of the string; longer ones are not a count.
    let counter = match stored {
        None => None,
        Some(bytes) if bytes.len() > COUNTER_MAX_BYTES => return Err(Error::NotACounter.into()),
        Some(bytes) => Some(Counter { count: fixed::parse_counter(bytes)?, expire_at_ms }),
    };
    let outcome = parsed.decide(server.now_ms, counter);
    let (decision, shadowed) = judge(outcome.decision, server);
    Ok(FixedResult {
        decision,
        shadowed,
        count: outcome.write.map(|counter| counter.count),
        expire_at_ms: outcome.write.and_then(|counter| counter.expire_at_ms),
    })
}

/// One lease of a LIMIT.ACQUIRE key: a member of its sorted set and its score, the end (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lease<'a> {
    pub token: &'a [u8],
    pub end_ms: f64,
}

/// A lease set after a call: the live leases in the server's order (by end, then token,
/// as `ZRANGE key 0 -1 WITHSCORES` lists them), and the key's expiry, the last lease's end
/// (`None` with no lease left: the server deletes the key).
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseSet<'a> {
    pub leases: Vec<Lease<'a>>,
    pub expire_at_ms: Option<i64>,
}

/// Orders leases by `by` (one sort instantiation for both orders keeps the .wasm small).
fn sort(leases: &mut [Lease<'_>], by: fn(&Lease<'_>, &Lease<'_>) -> Ordering) {
    leases.sort_unstable_by(by);
}

fn by_end(a: &Lease<'_>, b: &Lease<'_>) -> Ordering {
    a.end_ms.total_cmp(&b.end_ms).then_with(|| a.token.cmp(b.token))
}

fn by_token(a: &Lease<'_>, b: &Lease<'_>) -> Ordering {
    a.token.cmp(b.token)
}

fn order(leases: &mut [Lease<'_>]) {
    sort(leases, by_end);
}

/// The leases that have not ended at `now_ms` (as every call removes those first), ordered.
fn live_leases(now_ms: i64, mut leases: Vec<Lease<'_>>) -> Result<Vec<Lease<'_>>, Failure> {
    if leases.iter().any(|lease| lease.end_ms.is_nan()) {
        return invalid("a lease's end is NaN (a sorted-set score never is)");
    }
    sort(&mut leases, by_token);
    if leases.windows(2).any(|pair| pair.first().map(|l| l.token) == pair.get(1).map(|l| l.token)) {
        return invalid("a token is given twice (a sorted set holds each member once)");
    }
    let now = now_ms as f64;
    leases.retain(|lease| lease.end_ms > now);
    order(&mut leases);
    Ok(leases)
}

fn lease_set(leases: Vec<Lease<'_>>) -> LeaseSet<'_> {
    let expire_at_ms = leases.last().map(|lease| lease.end_ms as i64);
    LeaseSet { leases, expire_at_ms }
}

/// What a LIMIT.ACQUIRE call decides.
#[derive(Debug, Clone, PartialEq)]
pub struct AcquireResult<'a> {
    /// `[acquired, limit, remaining, retry_after_ms]` as replied (shadowed when `shadowed`;
    /// `reset_after_ms` is not part of the reply).
    pub decision: Decision,
    pub shadowed: bool,
    /// True when a lease was taken or renewed (stored with the token's new end).
    pub stored: bool,
    /// The token replied: `None` for nil (refused).
    pub token: Option<&'a [u8]>,
    pub set: LeaseSet<'a>,
}

/// `LIMIT.ACQUIRE key max lease_ms [TOKEN token]` against the key's leases (token and end,
/// any order). Without `TOKEN` the server makes a token no live lease holds; here the host
/// makes it and passes it as `made`, which is used only when the call is replied acquired.
pub fn acquire<'a>(
    argv: &[&'a [u8]],
    server: Server,
    leases: Vec<Lease<'a>>,
    made: Option<&'a [u8]>,
) -> Result<AcquireResult<'a>, Failure> {
    check_arity(argv, 4, "limit.acquire")?;
    let parsed = lease::parse_acquire(argv, server.max_log)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    let mut leases = live_leases(server.now_ms, leases)?;
    let held = parsed.token.and_then(|token| leases.iter().position(|lease| lease.token == token));
    let state = Leases {
        live: leases.len() as u64,
        holds_token: held.is_some(),
        earliest_end: leases.first().map(|lease| lease.end_ms as i64),
    };
    let outcome = parsed.decide(server.now_ms, &state);
    let (decision, shadowed) = judge(outcome.decision, server);
    let token = match parsed.token {
        Some(token) => Some(token),
        None if decision.allowed => Some(made_token(made, &leases)?),
        None => None,
    };
    let stored = match (outcome.lease_end, token) {
        (Some(end), Some(token)) => {
            match held.and_then(|i| leases.get_mut(i)) {
                Some(lease) => lease.end_ms = end as f64,
                None => leases.push(Lease { token, end_ms: end as f64 }),
            }
            order(&mut leases);
            true
        }
        _ => false,
    };
    Ok(AcquireResult { decision, shadowed, stored, token: token.filter(|_| decision.allowed), set: lease_set(leases) })
}

/// The host's token for a call without `TOKEN`: usable as a token, and held by no live lease
/// (the server draws again until that holds).
fn made_token<'a>(made: Option<&'a [u8]>, live: &[Lease<'_>]) -> Result<&'a [u8], Failure> {
    match made {
        None => invalid("LIMIT.ACQUIRE without TOKEN needs a made token"),
        Some(token) if token.is_empty() || token.len() > MAX_TOKEN_BYTES => {
            invalid(format!("a made token must be 1 to {MAX_TOKEN_BYTES} bytes"))
        }
        Some(token) if live.iter().any(|lease| lease.token == token) => {
            invalid("the made token is already held by a live lease: make another")
        }
        Some(token) => Ok(token),
    }
}

/// What LIMIT.RELEASE or LIMIT.RENEW replies (1 or 0, as `done`), and the leases after it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseChange<'a> {
    pub done: bool,
    pub set: LeaseSet<'a>,
}

/// `LIMIT.RELEASE key token`: ends the token's live lease.
pub fn release<'a>(argv: &[&'a [u8]], server: Server, leases: Vec<Lease<'a>>) -> Result<LeaseChange<'a>, Failure> {
    check_arity(argv, 3, "limit.release")?;
    lease::parse_release(argv)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    let token = argv.get(lease::TOKEN_POSITION).copied().unwrap_or_default();
    let mut leases = live_leases(server.now_ms, leases)?;
    let before = leases.len();
    leases.retain(|lease| lease.token != token);
    Ok(LeaseChange { done: leases.len() < before, set: lease_set(leases) })
}

/// `LIMIT.RENEW key token lease_ms`: moves the end of the token's live lease to
/// `now_ms + lease_ms`.
pub fn renew<'a>(argv: &[&'a [u8]], server: Server, leases: Vec<Lease<'a>>) -> Result<LeaseChange<'a>, Failure> {
    check_arity(argv, 4, "limit.renew")?;
    let lease_ms = lease::parse_renew(argv)?;
    slot::validate_keys(argv.get(1..2).unwrap_or_default(), server.require_hashtag)?;
    let token = argv.get(lease::TOKEN_POSITION).copied().unwrap_or_default();
    let mut leases = live_leases(server.now_ms, leases)?;
    let held = leases.iter_mut().find(|lease| lease.token == token);
    let done = held.is_some();
    if let Some(lease) = held {
        lease.end_ms = lease::lease_end(server.now_ms, lease_ms) as f64;
        order(&mut leases);
    }
    Ok(LeaseChange { done, set: lease_set(leases) })
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
        Server { now_ms, require_hashtag, max_log, shadow: false }
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

    fn shadowed(server: Server) -> Server {
        Server { shadow: true, ..server }
    }

    #[test]
    fn shadow_replies_a_refusal_as_allowed_and_writes_nothing() {
        let server = at(1000, 100, false);
        let log = || vec![900.0, 950.0];
        let enforced = slide(&argv("limit.slide k 1000 2"), server, log()).unwrap();
        assert_eq!((enforced.decision.as_array(), enforced.shadowed), ([0, 2, 0, 900, 950], false));
        let shadow = slide(&argv("limit.slide k 1000 2"), shadowed(server), log()).unwrap();
        assert_eq!((shadow.decision.as_array(), shadow.shadowed, shadow.written), ([1, 2, 0, 0, 950], true, false));
        assert_eq!(shadow.logs, [log()]);
        let allowed = slide(&argv("limit.slide k 1000 3"), shadowed(server), log()).unwrap();
        assert_eq!((allowed.decision.as_array(), allowed.shadowed, allowed.written), ([1, 3, 0, 0, 1000], false, true));
        let gcra = gcra(&argv("limit.gcra k 2 10 1000"), shadowed(at(0, 100, false)), Some(b"300000")).unwrap();
        assert_eq!(
            (gcra.decision.as_array(), gcra.shadowed, gcra.new_tat, gcra.expire_at_ms),
            ([1, 3, 0, 0, 300], true, None, None)
        );
    }

    #[test]
    fn fixed_counts_in_the_window_and_reads_the_string_as_the_server_does() {
        let call = |now: i64, stored: Option<&[u8]>, expiry: Option<i64>| {
            fixed(&argv("limit.fixed k 1000 2"), at(now, 100, false), stored, expiry)
        };
        // 10500 is in [10000, 11000).
        let first = call(10_500, None, None).unwrap();
        assert_eq!(
            (first.decision.as_array(), first.count, first.expire_at_ms),
            ([1, 2, 1, 0, 500], Some(1), Some(11_000))
        );
        assert_eq!(call(10_900, Some(b"1"), Some(11_000)).unwrap().count, Some(2));
        let full = call(10_999, Some(b"2"), Some(11_000)).unwrap();
        assert_eq!((full.decision.as_array(), full.count, full.expire_at_ms), ([0, 2, 0, 1, 1], None, None));
        // A counter of another window (or without expiry) does not count.
        for expiry in [None, Some(10_000), Some(12_000)] {
            assert_eq!(call(10_999, Some(b"2"), expiry).unwrap().decision.as_array(), [1, 2, 1, 0, 1]);
        }
        let shadow =
            fixed(&argv("limit.fixed k 1000 2"), shadowed(at(10_999, 100, false)), Some(b"2"), Some(11_000)).unwrap();
        assert_eq!((shadow.decision.as_array(), shadow.shadowed, shadow.count), ([1, 2, 0, 0, 1], true, None));
        for bad in [&b"x"[..], b"-1", b"", b"01", &[b'1'; 21]] {
            assert_eq!(
                text(call(0, Some(bad), None).unwrap_err()),
                "WRONGTYPE key holds a string that is not a LIMIT.FIXED count"
            );
        }
        let err = |line: &str| text(fixed(&argv(line), at(0, 100, true), None, None).unwrap_err());
        assert_eq!(err("limit.fixed {k} 1000"), "ERR wrong number of arguments for 'limit.fixed' command");
        assert_eq!(err("limit.fixed {k} 0 1"), "ERR period_ms must be between 1 and 31536000000");
        assert_eq!(err("limit.fixed {k} 10 2 COST 3"), "ERR cost must be between 0 and 2");
        assert_eq!(
            err("limit.fixed k 10 2"),
            "ERR key 'k' needs a hash tag like {id} so related keys share a cluster slot"
        );
    }

    fn leases(pairs: &[(&'static str, f64)]) -> Vec<Lease<'static>> {
        pairs.iter().map(|&(token, end_ms)| Lease { token: token.as_bytes(), end_ms }).collect()
    }

    fn tokens<'a>(set: &LeaseSet<'a>) -> Vec<(&'a [u8], f64)> {
        set.leases.iter().map(|lease| (lease.token, lease.end_ms)).collect()
    }

    #[test]
    fn acquire_drops_ended_leases_takes_a_slot_or_renews() {
        let call = |line: &'static str, now: i64, given: &[(&'static str, f64)], made: Option<&'static [u8]>| {
            acquire(&argv(line), at(now, 100, false), leases(given), made)
        };
        let two = [("w1", 1500.0), ("w2", 1600.0)];
        let full = call("limit.acquire k 2 500 TOKEN w3", 1200, &two, None).unwrap();
        assert_eq!((full.decision.as_array(), full.token, full.stored), ([0, 2, 0, 300, 0], None, false));
        assert_eq!(tokens(&full.set), [(&b"w1"[..], 1500.0), (b"w2", 1600.0)]);
        assert_eq!(full.set.expire_at_ms, Some(1600));
        let renewed = call("limit.acquire k 2 500 TOKEN w1", 1200, &two, None).unwrap();
        assert_eq!(
            (renewed.decision.as_array(), renewed.token, renewed.stored),
            ([1, 2, 0, 0, 0], Some(&b"w1"[..]), true)
        );
        assert_eq!(tokens(&renewed.set), [(&b"w2"[..], 1600.0), (b"w1", 1700.0)]);
        // At 1500 w1 has ended: its slot is free.
        let freed = call("limit.acquire k 2 500 TOKEN w3", 1500, &two, None).unwrap();
        assert_eq!(freed.decision.as_array(), [1, 2, 0, 0, 0]);
        assert_eq!(tokens(&freed.set), [(&b"w2"[..], 1600.0), (b"w3", 2000.0)]);
        // Without TOKEN the made token is used, only when acquired.
        let made = call("limit.acquire k 3 10", 0, &[], Some(b"m")).unwrap();
        assert_eq!((made.token, tokens(&made.set)), (Some(&b"m"[..]), vec![(&b"m"[..], 10.0)]));
        assert_eq!(call("limit.acquire k 2 500", 1200, &two, None).unwrap().token, None);
        assert!(text(call("limit.acquire k 3 10", 0, &[], None).unwrap_err()).starts_with("invalid: "));
        assert!(text(call("limit.acquire k 3 10", 0, &[("m", 50.0)], Some(b"m")).unwrap_err()).starts_with("invalid: "));
        // An ended lease's token may be made again.
        assert_eq!(call("limit.acquire k 3 10", 100, &[("m", 50.0)], Some(b"m")).unwrap().token, Some(&b"m"[..]));
        // Shadow mode: told acquired with the token, nothing stored.
        let argv = argv("limit.acquire k 2 500");
        let shadow = acquire(&argv, shadowed(at(1200, 100, false)), leases(&two), Some(b"z")).unwrap();
        assert_eq!((shadow.decision.as_array(), shadow.shadowed, shadow.stored), ([1, 2, 0, 0, 0], true, false));
        assert_eq!((shadow.token, shadow.set.leases.len()), (Some(&b"z"[..]), 2));
        // Inputs no sorted set holds.
        assert!(text(acquire(&argv, at(0, 100, false), leases(&[("a", f64::NAN)]), Some(b"z")).unwrap_err())
            .starts_with("invalid: "));
        assert!(text(acquire(&argv, at(0, 100, false), leases(&[("a", 1.0), ("a", 2.0)]), Some(b"z")).unwrap_err())
            .contains("given twice"));
        assert_eq!(
            text(acquire(&argv, at(0, 1, false), vec![], Some(b"z")).unwrap_err()),
            "ERR max must be between 1 and 1"
        );
    }

    #[test]
    fn release_and_renew_act_on_live_leases_only() {
        let two = || leases(&[("w1", 1500.0), ("w2", 1600.0)]);
        let released = release(&argv("limit.release k w1"), at(1000, 100, false), two()).unwrap();
        assert_eq!(
            (released.done, tokens(&released.set), released.set.expire_at_ms),
            (true, vec![(&b"w2"[..], 1600.0)], Some(1600))
        );
        assert!(!release(&argv("limit.release k w1"), at(1500, 100, false), two()).unwrap().done);
        let last = release(&argv("limit.release k w2"), at(1500, 100, false), two()).unwrap();
        assert_eq!((last.done, last.set.leases.len(), last.set.expire_at_ms), (true, 0, None));
        let renewed = renew(&argv("limit.renew k w1 1000"), at(1200, 100, false), two()).unwrap();
        assert_eq!((renewed.done, tokens(&renewed.set)), (true, vec![(&b"w2"[..], 1600.0), (b"w1", 2200.0)]));
        assert!(!renew(&argv("limit.renew k w1 1000"), at(1500, 100, false), two()).unwrap().done);
        let err = |line: &str| text(release(&argv(line), at(0, 100, false), vec![]).unwrap_err());
        assert_eq!(err("limit.release k"), "ERR wrong number of arguments for 'limit.release' command");
        assert_eq!(err("limit.release k a b"), "ERR wrong number of arguments for 'limit.release' command");
        assert_eq!(
            text(renew(&argv("limit.renew k w1 0"), at(0, 100, false), vec![]).unwrap_err()),
            "ERR lease_ms must be between 1 and 31536000000"
        );
    }
}
