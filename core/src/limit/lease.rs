//! LIMIT.ACQUIRE, LIMIT.RELEASE and LIMIT.RENEW: at most `max` leases at once, each
//! ending `lease_ms` after it was taken or renewed, so a worker that dies frees its slot.
//! The server keeps them in a sorted set, token -> the lease's end (ms); a lease whose end
//! is at or before now has ended, and every call removes those first.

use super::{Decision, MAX_WINDOW_MS};
use crate::number::parse_i64_in;
use crate::Error;

/// Longest token a caller may name.
pub const MAX_TOKEN_BYTES: usize = 256;
/// Hex digits of a token the server makes: 128 random bits.
pub const MADE_TOKEN_HEX: usize = 32;
/// Where LIMIT.RELEASE and LIMIT.RENEW take their token.
pub const TOKEN_POSITION: usize = 2;

/// `LIMIT.ACQUIRE key max lease_ms [TOKEN token]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acquire<'a> {
    pub max: i64,
    pub lease_ms: i64,
    pub token: Option<&'a [u8]>,
}

/// The leases of a key once the ended ones are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Leases {
    pub live: u64,
    /// Whether the call's token holds one of them.
    pub holds_token: bool,
    /// When the soonest of them ends (ms).
    pub earliest_end: Option<i64>,
}

/// What ACQUIRE decides: `[acquired, limit, remaining, retry_after_ms]` as a `Decision`
/// (its `reset_after_ms` unused), and the end to store for the token when acquired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireOutcome {
    pub decision: Decision,
    pub lease_end: Option<i64>,
}

fn check_token(token: &[u8]) -> Result<(), Error> {
    if token.is_empty() {
        Err(Error::EmptyToken)
    } else if token.len() > MAX_TOKEN_BYTES {
        Err(Error::TokenTooLong { max: MAX_TOKEN_BYTES })
    } else {
        Ok(())
    }
}

fn parse_lease_ms(text: &[u8]) -> Result<i64, Error> {
    parse_i64_in(text, "lease_ms", 1, MAX_WINDOW_MS)
}

/// `max_slots` is `tally.limit-max-log`: a lease set is bounded like a sliding log.
pub fn parse_acquire<'a>(args: &[&'a [u8]], max_slots: i64) -> Result<Acquire<'a>, Error> {
    let [_, _, max, lease, rest @ ..] = args else {
        return Err(Error::WrongArity("limit.acquire"));
    };
    let max = parse_i64_in(max, "max", 1, max_slots)?;
    let lease_ms = parse_lease_ms(lease)?;
    let token = match rest {
        [] => None,
        [word, token] if word.eq_ignore_ascii_case(b"TOKEN") => {
            check_token(token)?;
            Some(*token)
        }
        [_, _] => return Err(Error::Syntax),
        _ => return Err(Error::WrongArity("limit.acquire")),
    };
    Ok(Acquire { max, lease_ms, token })
}

/// `LIMIT.RELEASE key token`
pub fn parse_release(args: &[&[u8]]) -> Result<(), Error> {
    match args {
        [_, _, token] => check_token(token),
        _ => Err(Error::WrongArity("limit.release")),
    }
}

/// `LIMIT.RENEW key token lease_ms`: the lease's new length.
pub fn parse_renew(args: &[&[u8]]) -> Result<i64, Error> {
    match args {
        [_, _, token, lease] => {
            check_token(token)?;
            parse_lease_ms(lease)
        }
        _ => Err(Error::WrongArity("limit.renew")),
    }
}

/// When a lease taken or renewed at `now_ms` for `lease_ms` ends.
pub fn lease_end(now_ms: i64, lease_ms: i64) -> i64 {
    now_ms.saturating_add(lease_ms)
}

impl Acquire<'_> {
    /// Whether the call gets a lease: a token that already holds one renews it rather than
    /// taking a second slot. Only a refusal needs `Leases::earliest_end`.
    pub fn acquires(&self, live: u64, holds_token: bool) -> bool {
        holds_token || i64::try_from(live).unwrap_or(i64::MAX) < self.max
    }

    pub fn decide(&self, now_ms: i64, leases: &Leases) -> AcquireOutcome {
        let live = i64::try_from(leases.live).unwrap_or(i64::MAX);
        let takes_slot = !leases.holds_token;
        let acquired = self.acquires(leases.live, leases.holds_token);
        let held = if acquired && takes_slot { live.saturating_add(1) } else { live };
        let retry_after_ms =
            if acquired { 0 } else { leases.earliest_end.map_or(0, |end| end.saturating_sub(now_ms).max(0)) };
        AcquireOutcome {
            decision: Decision {
                allowed: acquired,
                limit: self.max,
                remaining: self.max.saturating_sub(held).max(0),
                retry_after_ms,
                reset_after_ms: 0,
            },
            lease_end: acquired.then(|| lease_end(now_ms, self.lease_ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn parses_the_three_commands() {
        assert_eq!(
            parse_acquire(&args("limit.acquire k 5 30000"), 100),
            Ok(Acquire { max: 5, lease_ms: 30_000, token: None })
        );
        assert_eq!(
            parse_acquire(&args("limit.acquire k 5 30000 token w1"), 100).map(|a| a.token),
            Ok(Some(&b"w1"[..]))
        );
        assert_eq!(parse_acquire(&args("limit.acquire k 5 30000 tokens w1"), 100), Err(Error::Syntax));
        assert_eq!(parse_acquire(&args("limit.acquire k 5 30000 token"), 100), Err(Error::WrongArity("limit.acquire")));
        assert_eq!(parse_acquire(&args("limit.acquire k 5"), 100), Err(Error::WrongArity("limit.acquire")));
        assert_eq!(
            parse_acquire(&args("limit.acquire k 101 1"), 100),
            Err(Error::OutOfRange { what: "max", min: 1, max: 100 })
        );
        assert!(parse_acquire(&args("limit.acquire k 5 0"), 100).is_err());
        assert_eq!(parse_acquire(&[b"x", b"k", b"1", b"1", b"TOKEN", b""], 100), Err(Error::EmptyToken));
        let long = vec![b'a'; MAX_TOKEN_BYTES + 1];
        assert_eq!(parse_release(&[b"x", b"k", &long]), Err(Error::TokenTooLong { max: MAX_TOKEN_BYTES }));
        assert_eq!(parse_release(&args("limit.release k w1")), Ok(()));
        assert_eq!(parse_release(&args("limit.release k")), Err(Error::WrongArity("limit.release")));
        assert_eq!(parse_renew(&args("limit.renew k w1 500")), Ok(500));
        assert_eq!(parse_renew(&args("limit.renew k w1")), Err(Error::WrongArity("limit.renew")));
        assert!(parse_renew(&args("limit.renew k w1 -5")).is_err());
    }

    #[test]
    fn slots_fill_up_and_a_held_token_renews() {
        let acquire = Acquire { max: 2, lease_ms: 1000, token: None };
        let empty = acquire.decide(100, &Leases::default());
        assert_eq!(empty.decision.as_array(), [1, 2, 1, 0, 0]);
        assert_eq!(empty.lease_end, Some(1100));
        let last = acquire.decide(100, &Leases { live: 1, holds_token: false, earliest_end: Some(600) });
        assert_eq!(last.decision.as_array(), [1, 2, 0, 0, 0]);
        let full = acquire.decide(100, &Leases { live: 2, holds_token: false, earliest_end: Some(600) });
        assert_eq!(full.decision.as_array(), [0, 2, 0, 500, 0]);
        assert_eq!(full.lease_end, None);
        let renewed = acquire.decide(100, &Leases { live: 2, holds_token: true, earliest_end: Some(600) });
        assert_eq!(renewed.decision.as_array(), [1, 2, 0, 0, 0]);
        assert_eq!(renewed.lease_end, Some(1100));
        // A max lowered below the leases held refuses, and reports nothing remaining.
        let lowered =
            Acquire { max: 1, ..acquire }.decide(100, &Leases { live: 2, holds_token: false, earliest_end: Some(600) });
        assert_eq!(lowered.decision.as_array(), [0, 1, 0, 500, 0]);
        assert_eq!(lease_end(i64::MAX - 1, 10), i64::MAX);
    }
}
