//! LIMIT.FIXED: a counter per calendar window. Windows are aligned to multiples of
//! `period_ms` since the Unix epoch, so 86400000 counts UTC days and 3600000 hours.

use super::{parse_cost, Decision, MAX_WINDOW_MS};
use crate::number::{parse_i64, parse_i64_in};
use crate::Error;

/// Largest `max` (and so `COST`): a billion units per window.
pub const MAX_UNITS: i64 = 1_000_000_000;
/// The longest counter the server reads: a count below `MAX_UNITS` plus a cost fits in 20.
pub const COUNTER_MAX_BYTES: usize = 20;

/// `LIMIT.FIXED key period_ms max [COST n]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    pub period_ms: i64,
    pub max: i64,
    pub cost: i64,
}

/// A counter as the key holds it: its count and its absolute expiry (ms), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: i64,
    pub expire_at_ms: Option<i64>,
}

/// What a call decides, and the counter to store (`None`: nothing to write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedOutcome {
    pub decision: Decision,
    pub write: Option<Counter>,
}

pub fn parse_fixed(args: &[&[u8]]) -> Result<Fixed, Error> {
    let [_, _, period, max, rest @ ..] = args else {
        return Err(Error::WrongArity("limit.fixed"));
    };
    if rest.len() > 2 {
        return Err(Error::WrongArity("limit.fixed"));
    }
    let period_ms = parse_i64_in(period, "period_ms", 1, MAX_WINDOW_MS)?;
    let max = parse_i64_in(max, "max", 1, MAX_UNITS)?;
    Ok(Fixed { period_ms, max, cost: parse_cost(rest, max)? })
}

/// Reads a stored counter: a decimal count of at least 0, as INCR leaves it.
pub fn parse_counter(bytes: &[u8]) -> Result<i64, Error> {
    parse_i64(bytes).ok().filter(|count| *count >= 0).ok_or(Error::NotACounter)
}

impl Fixed {
    /// The end (exclusive, ms) of the window `now_ms` falls in.
    pub fn window_end(&self, now_ms: i64) -> i64 {
        let period = self.period_ms.max(1);
        now_ms.saturating_sub(now_ms.rem_euclid(period)).saturating_add(period)
    }

    /// Whether a stored counter counts at `now_ms`: a counter counts for the window it
    /// expires with; one left by an earlier window (or written with another period, or
    /// without expiry) does not, and the window starts afresh.
    pub fn counts(&self, now_ms: i64, counter: &Counter) -> bool {
        counter.expire_at_ms == Some(self.window_end(now_ms))
    }

    /// Decides `cost` units at `now_ms` against the stored counter.
    pub fn decide(&self, now_ms: i64, stored: Option<Counter>) -> FixedOutcome {
        let end = self.window_end(now_ms);
        let count = stored.filter(|counter| self.counts(now_ms, counter)).map_or(0, |counter| counter.count);
        // A peek (COST 0) always passes, even over a lower max than the counter was written with.
        let allowed = self.cost == 0 || i128::from(count) + i128::from(self.cost) <= i128::from(self.max);
        let consumed = allowed && self.cost > 0;
        let used = if consumed { count.saturating_add(self.cost) } else { count };
        let until_end = end.saturating_sub(now_ms);
        FixedOutcome {
            decision: Decision {
                allowed,
                limit: self.max,
                remaining: self.max.saturating_sub(used).max(0),
                retry_after_ms: if allowed { 0 } else { until_end },
                reset_after_ms: if used > 0 { until_end } else { 0 },
            },
            write: consumed.then_some(Counter { count: used, expire_at_ms: Some(end) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    fn fixed(period_ms: i64, max: i64, cost: i64) -> Fixed {
        Fixed { period_ms, max, cost }
    }

    #[test]
    fn parses_bounds_and_cost() {
        assert_eq!(parse_fixed(&args("limit.fixed k 1000 5")), Ok(fixed(1000, 5, 1)));
        assert_eq!(parse_fixed(&args("limit.fixed k 1000 5 cost 0")), Ok(fixed(1000, 5, 0)));
        assert_eq!(
            parse_fixed(&args("limit.fixed k 1000 5 COST 6")),
            Err(Error::OutOfRange { what: "cost", min: 0, max: 5 })
        );
        assert_eq!(parse_fixed(&args("limit.fixed k 1000")), Err(Error::WrongArity("limit.fixed")));
        assert_eq!(parse_fixed(&args("limit.fixed k 1000 5 COST 1 x")), Err(Error::WrongArity("limit.fixed")));
        assert_eq!(parse_fixed(&args("limit.fixed k 1000 5 PRICE 1")), Err(Error::Syntax));
        assert!(parse_fixed(&args("limit.fixed k 0 5")).is_err());
        assert!(parse_fixed(&args("limit.fixed k 1000 0")).is_err());
        assert!(parse_fixed(&args("limit.fixed k 1000 1000000001")).is_err());
        assert_eq!(parse_counter(b"17"), Ok(17));
        for bad in [&b"-1"[..], b"", b"1.5", b"x", b"99999999999999999999"] {
            assert_eq!(parse_counter(bad), Err(Error::NotACounter));
        }
    }

    #[test]
    fn windows_align_to_the_epoch() {
        let daily = fixed(DAY, 3, 1);
        assert_eq!(daily.window_end(0), DAY);
        assert_eq!(daily.window_end(DAY - 1), DAY);
        assert_eq!(daily.window_end(DAY), 2 * DAY);
        assert_eq!(fixed(7, 1, 1).window_end(20), 21);
        assert_eq!(fixed(7, 1, 1).window_end(-1), 0);
        assert_eq!(fixed(DAY, 1, 1).window_end(i64::MAX), i64::MAX);
    }

    #[test]
    fn counts_within_a_window_and_restarts_in_the_next() {
        let limiter = fixed(1000, 2, 1);
        let first = limiter.decide(10_500, None);
        assert_eq!(first.decision.as_array(), [1, 2, 1, 0, 500]);
        assert_eq!(first.write, Some(Counter { count: 1, expire_at_ms: Some(11_000) }));
        let second = limiter.decide(10_900, first.write);
        assert_eq!(second.decision.as_array(), [1, 2, 0, 0, 100]);
        let third = limiter.decide(10_999, second.write);
        assert_eq!(third.decision.as_array(), [0, 2, 0, 1, 1]);
        assert_eq!(third.write, None);
        // The counter of the last window no longer counts.
        let next = limiter.decide(11_000, second.write);
        assert_eq!(next.decision.as_array(), [1, 2, 1, 0, 1000]);
        assert_eq!(next.write, Some(Counter { count: 1, expire_at_ms: Some(12_000) }));
    }

    #[test]
    fn peeks_and_costs() {
        let limiter = fixed(1000, 5, 0);
        assert_eq!(limiter.decide(0, None).write, None);
        assert_eq!(limiter.decide(0, None).decision.as_array(), [1, 5, 5, 0, 0]);
        let stored = Some(Counter { count: 7, expire_at_ms: Some(1000) });
        assert_eq!(limiter.decide(400, stored).decision.as_array(), [1, 5, 0, 0, 600]);
        let costly = fixed(1000, 5, 3);
        let stored = Some(Counter { count: 3, expire_at_ms: Some(1000) });
        assert_eq!(costly.decide(400, stored).decision.as_array(), [0, 5, 2, 600, 600]);
        let stored = Some(Counter { count: 2, expire_at_ms: Some(1000) });
        assert_eq!(costly.decide(400, stored).write, Some(Counter { count: 5, expire_at_ms: Some(1000) }));
    }

    #[test]
    fn a_counter_of_another_window_is_stale() {
        let limiter = fixed(1000, 1, 1);
        for expire_at_ms in [None, Some(2000), Some(999)] {
            let stored = Some(Counter { count: 9, expire_at_ms });
            assert!(limiter.decide(500, stored).decision.allowed, "{expire_at_ms:?}");
        }
    }
}
