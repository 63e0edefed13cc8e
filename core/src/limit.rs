//! LIMIT.*: rate-limit decisions. Time is always a parameter (milliseconds of the
//! server clock); nothing here reads a clock or touches storage.

use crate::number::{parse_i64_in, IntText};
use crate::Error;
use smallvec::SmallVec;

pub mod fixed;
pub mod lease;

/// Longest window or period a limiter accepts: one year.
pub const MAX_WINDOW_MS: i64 = 365 * 24 * 3600 * 1000;
/// Longest time a GCRA limiter may take to refill its whole burst: ten years.
pub const MAX_REFILL_US: i128 = 10 * 365 * 24 * 3600 * 1_000_000;
/// Largest GCRA burst and count.
pub const MAX_GCRA_AMOUNT: i64 = 1_000_000_000;

/// What every limiting command replies: `[allowed, limit, remaining, retry_after_ms,
/// reset_after_ms]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    pub allowed: bool,
    pub limit: i64,
    pub remaining: i64,
    /// 0 when allowed, else the milliseconds until the same request would pass.
    pub retry_after_ms: i64,
    /// Milliseconds until the limiter is back to its full capacity.
    pub reset_after_ms: i64,
}

impl Decision {
    pub fn as_array(&self) -> [i64; 5] {
        [i64::from(self.allowed), self.limit, self.remaining, self.retry_after_ms, self.reset_after_ms]
    }

    /// What a refused call is told under shadow mode (`tally.limit-shadow yes`): allowed,
    /// with nothing remaining; the state stays as the refusal leaves it.
    pub fn shadowed(&self) -> Decision {
        Decision { allowed: true, remaining: 0, retry_after_ms: 0, ..*self }
    }

    /// Combines the decisions of several windows checked together: allowed only if every
    /// window allows; limit and remaining of the tightest window (fewest remaining, then
    /// the smallest limit); the largest wait times.
    pub fn combine(decisions: &[Decision]) -> Decision {
        let tightest = decisions.iter().min_by_key(|d| (d.remaining, d.limit)).copied().unwrap_or_default();
        Decision {
            allowed: decisions.iter().all(|d| d.allowed),
            limit: tightest.limit,
            remaining: tightest.remaining,
            retry_after_ms: decisions.iter().map(|d| d.retry_after_ms).max().unwrap_or(0),
            reset_after_ms: decisions.iter().map(|d| d.reset_after_ms).max().unwrap_or(0),
        }
    }
}

// ---- sliding log --------------------------------------------------------------------

/// One window of a sliding-window log: at most `max` units in any `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub window_ms: i64,
    pub max: i64,
}

impl Window {
    /// Entries scored at or below this time have left the window (the classic script
    /// prunes with `ZREMRANGEBYSCORE key 0 now-window`).
    pub fn cutoff(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.window_ms)
    }

    /// 0-based index, from the oldest, of the entry whose leaving lets `cost` units fit,
    /// when `count` entries are in the window and they do not fit now.
    pub fn blocking_index(&self, count: u64, cost: i64) -> Option<u64> {
        let cost = cost.max(0).unsigned_abs();
        let needed = count.saturating_add(cost);
        let max = self.max.max(0).unsigned_abs();
        (needed > max).then(|| needed - max - 1)
    }

    /// Whether `cost` more units fit next to `count` entries. A peek (`COST 0`) always
    /// fits, even when the log holds more than a lower `max` than it was written with.
    pub fn fits(&self, count: u64, cost: i64) -> bool {
        cost <= 0 || i128::from(count) + i128::from(cost) <= i128::from(self.max)
    }

    /// The decision of this window for `cost` units against `log`; when `consume` is
    /// false (another window refused the request) it reports the log as it stays.
    pub fn decide(&self, now_ms: i64, cost: i64, log: &LogState, consume: bool) -> Decision {
        let allowed = self.fits(log.count, cost);
        let consumed = allowed && consume && cost > 0;
        let count = i64::try_from(log.count).unwrap_or(i64::MAX);
        let used = if consumed { count.saturating_add(cost) } else { count };
        // Entries newer than now (a clock that stepped back) still count for the reset.
        let newest = if consumed { Some(log.newest.map_or(now_ms, |newest| newest.max(now_ms))) } else { log.newest };
        let leaves_at = |t: i64| t.saturating_add(self.window_ms).saturating_sub(now_ms).max(0);
        Decision {
            allowed,
            limit: self.max,
            remaining: self.max.saturating_sub(used).max(0),
            retry_after_ms: if allowed { 0 } else { log.blocking.map_or(0, leaves_at) },
            reset_after_ms: if used > 0 { newest.map_or(0, leaves_at) } else { 0 },
        }
    }
}

/// What a sliding log holds after pruning: its entry count, its newest entry's time, and
/// the time of the entry at `Window::blocking_index` (only needed when the request does
/// not fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogState {
    pub count: u64,
    pub newest: Option<i64>,
    pub blocking: Option<i64>,
}

/// Decides `cost` units against several windows at once: allowed only if every window
/// allows, and then every window consumes; otherwise none does.
pub fn decide_all(now_ms: i64, cost: i64, windows: &[(Window, LogState)]) -> Decision {
    let consume = windows.iter().all(|(window, log)| window.fits(log.count, cost));
    // On the stack for the few windows a call has (LIMIT.SLIDE's one).
    let decisions: SmallVec<[Decision; 4]> =
        windows.iter().map(|(window, log)| window.decide(now_ms, cost, log, consume)).collect();
    Decision::combine(&decisions)
}

/// `LIMIT.SLIDE key window_ms max [COST n]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slide {
    pub window: Window,
    pub cost: i64,
}

/// `LIMIT.MULTI numkeys key [key ...] window_ms max [window_ms max ...] [COST n]`: the
/// windows, one per key, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multi {
    pub numkeys: usize,
    pub windows: Vec<Window>,
    pub cost: i64,
}

fn parse_window(window: &[u8], max: &[u8], max_log: i64) -> Result<Window, Error> {
    Ok(Window {
        window_ms: parse_i64_in(window, "window_ms", 1, MAX_WINDOW_MS)?,
        max: parse_i64_in(max, "max", 1, max_log)?,
    })
}

/// Parses an optional trailing `COST n` (n in `0..=max`, default 1).
fn parse_cost(rest: &[&[u8]], max: i64) -> Result<i64, Error> {
    match rest {
        [] => Ok(1),
        [word, value] if word.eq_ignore_ascii_case(b"COST") => parse_i64_in(value, "cost", 0, max),
        _ => Err(Error::Syntax),
    }
}

pub fn parse_slide(args: &[&[u8]], max_log: i64) -> Result<Slide, Error> {
    match args {
        [_, _, window, max, rest @ ..] if rest.len() <= 2 => {
            let window = parse_window(window, max, max_log)?;
            Ok(Slide { window, cost: parse_cost(rest, window.max)? })
        }
        _ => Err(Error::WrongArity("limit.slide")),
    }
}

/// Position of the first key of LIMIT.MULTI.
pub const MULTI_FIRST_KEY: usize = 2;

/// LIMIT.MULTI counts each window once: the same key twice would be charged twice.
/// Checked after the keys' slot, as the server reports CROSSSLOT first.
pub fn check_distinct_keys(keys: &[&[u8]]) -> Result<(), Error> {
    if keys.iter().enumerate().any(|(i, key)| keys.iter().skip(i + 1).any(|other| other == key)) {
        return Err(Error::DuplicateKey);
    }
    Ok(())
}

pub fn parse_multi(args: &[&[u8]], max_log: i64) -> Result<Multi, Error> {
    let numkeys_arg = args.get(1).ok_or(Error::WrongArity("limit.multi"))?;
    let numkeys = parse_i64_in(numkeys_arg, "numkeys", 1, 64)?.unsigned_abs() as usize;
    let after_keys = MULTI_FIRST_KEY + numkeys;
    let rest = args.get(after_keys..).ok_or(Error::WrongArity("limit.multi"))?;
    let (pairs, cost_args) = rest.split_at(rest.len().min(numkeys * 2));
    if pairs.len() != numkeys * 2 || cost_args.len() > 2 {
        return Err(Error::WrongArity("limit.multi"));
    }
    let windows = pairs
        .chunks_exact(2)
        .map(|pair| match pair {
            [window, max] => parse_window(window, max, max_log),
            _ => Err(Error::Syntax),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tightest = windows.iter().map(|w| w.max).min().unwrap_or(1);
    Ok(Multi { numkeys, windows, cost: parse_cost(cost_args, tightest)? })
}

/// Decides `cost` units against sliding logs that the caller keeps (the wasm build, tests),
/// exactly as the server does against its sorted sets: each log is given as its entries'
/// times (the scores; any order, never NaN, as a sorted set cannot hold one), loses the
/// entries at or below `Window::cutoff`, and is read as the server reads it (newest entry
/// and blocking entry truncated to whole ms). If every window allows and `cost > 0`, each
/// log gains `cost` entries at `now_ms`. The logs come back sorted, oldest first.
pub fn decide_logs(now_ms: i64, cost: i64, logs: &mut [(Window, Vec<f64>)]) -> Decision {
    let states: Vec<(Window, LogState)> = logs
        .iter_mut()
        .map(|(window, log)| {
            log.sort_by(f64::total_cmp);
            let cutoff = window.cutoff(now_ms) as f64;
            log.drain(..log.partition_point(|&score| score <= cutoff));
            let count = log.len() as u64;
            let state = LogState {
                count,
                newest: log.last().map(|&score| score as i64),
                blocking: window
                    .blocking_index(count, cost)
                    .and_then(|n| log.get(usize::try_from(n).ok()?))
                    .map(|&s| s as i64),
            };
            (*window, state)
        })
        .collect();
    let decision = decide_all(now_ms, cost, &states);
    if decision.allowed && cost > 0 {
        let now = now_ms as f64;
        for (_, log) in logs.iter_mut() {
            let at = log.partition_point(|&score| score <= now);
            log.splice(at..at, std::iter::repeat_n(now, cost.unsigned_abs() as usize));
        }
    }
    decision
}

// ---- GCRA ---------------------------------------------------------------------------

/// `LIMIT.GCRA key burst count period_ms [COST n]`: `count` units per `period_ms`, with
/// bursts of up to `burst + 1` units (CL.THROTTLE's parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    pub burst: i64,
    pub count: i64,
    pub period_ms: i64,
    pub cost: i64,
}

/// The outcome of a GCRA request: the decision, and the new theoretical arrival time to
/// store (`None` when nothing is to be written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraOutcome {
    pub decision: Decision,
    pub new_tat: Option<GcraState>,
}

/// A GCRA limiter's state: its theoretical arrival time (TAT), exactly, as
/// `us + rem / per` microseconds with `0 <= rem < per`. Stored as the decimal `us` when
/// whole, else as `us+rem/per`, so emission intervals that are not whole microseconds
/// (`period_ms / count`) never round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraState {
    pub us: i64,
    pub rem: i64,
    pub per: i64,
}

impl GcraState {
    /// The TAT `scaled / per` µs, reduced.
    fn from_scaled(scaled: i128, per: i64) -> GcraState {
        let wide_per = i128::from(per.max(1));
        let rem = scaled.rem_euclid(wide_per);
        let divisor = gcd(rem, wide_per);
        GcraState {
            us: clamp_i64(scaled.div_euclid(wide_per)),
            rem: clamp_i64(rem / divisor),
            per: clamp_i64(wide_per / divisor),
        }
    }

    /// The TAT in units of `1 / per` µs, rounded up when `per` is not a multiple of the
    /// state's own (a limiter read with another `count` than it was written with).
    fn scaled(&self, per: i128) -> i128 {
        i128::from(self.us) * per + div_ceil(i128::from(self.rem) * per, i128::from(self.per.max(1)))
    }

    /// The stored text, built on the stack (every allowed call writes one).
    pub fn encode(&self) -> SmallVec<[u8; 64]> {
        let mut text = SmallVec::new();
        text.extend_from_slice(IntText::new(self.us).as_bytes());
        if self.rem != 0 {
            text.push(b'+');
            text.extend_from_slice(IntText::new(self.rem).as_bytes());
            text.push(b'/');
            text.extend_from_slice(IntText::new(self.per).as_bytes());
        }
        text
    }

    /// The absolute expiry (ms) of the key: when the limiter is full again.
    pub fn expire_at_ms(&self) -> i64 {
        clamp_i64(div_ceil(self.scaled(1000), 1000 * 1000))
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs().max(1)
}

pub fn parse_gcra(args: &[&[u8]]) -> Result<Gcra, Error> {
    let [_, _, burst, count, period, rest @ ..] = args else {
        return Err(Error::WrongArity("limit.gcra"));
    };
    if rest.len() > 2 {
        return Err(Error::WrongArity("limit.gcra"));
    }
    let burst = parse_i64_in(burst, "burst", 0, MAX_GCRA_AMOUNT)?;
    let count = parse_i64_in(count, "count", 1, MAX_GCRA_AMOUNT)?;
    let period_ms = parse_i64_in(period, "period_ms", 1, MAX_WINDOW_MS)?;
    let gcra = Gcra { burst, count, period_ms, cost: 0 };
    if gcra.refill_us() > MAX_REFILL_US {
        return Err(Error::RefillTooLong);
    }
    Ok(Gcra { cost: parse_cost(rest, gcra.limit())?, ..gcra })
}

/// Integer division rounding towards positive infinity, for durations that must never be
/// reported shorter than they are.
fn div_ceil(value: i128, by: i128) -> i128 {
    let quotient = value / by;
    if value % by > 0 {
        quotient + 1
    } else {
        quotient
    }
}

fn clamp_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

impl Gcra {
    pub fn limit(&self) -> i64 {
        self.burst.saturating_add(1)
    }

    // The maths is exact: times are scaled by `count`, so that one unit's emission interval,
    // `period_ms / count` ms, is the whole number `period_ms * 1000` of scaled microseconds.
    // Only the stored TAT is rounded, up, to whole microseconds.

    /// One unit's emission interval, in microseconds scaled by `count`.
    fn emission_scaled(&self) -> i128 {
        i128::from(self.period_ms) * 1000
    }

    /// Time to refill the whole burst (the delay variation tolerance), scaled.
    fn tolerance_scaled(&self) -> i128 {
        self.emission_scaled() * i128::from(self.limit())
    }

    fn scale(&self) -> i128 {
        i128::from(self.count.max(1))
    }

    /// Time to refill the whole burst, in microseconds (rounded up).
    fn refill_us(&self) -> i128 {
        div_ceil(self.tolerance_scaled(), self.scale())
    }

    /// Decides one request at `now_ms` given the stored state.
    pub fn decide(&self, now_ms: i64, stored: Option<GcraState>) -> GcraOutcome {
        let scale = self.scale();
        let now = i128::from(now_ms) * 1000 * scale;
        let emission = self.emission_scaled();
        let tolerance = self.tolerance_scaled();
        let tat = stored.map_or(now, |state| state.scaled(scale)).max(now);
        let new_tat = tat + emission * i128::from(self.cost);
        let allow_at = new_tat - tolerance;
        // A peek (COST 0) always passes, whatever limit the state was written with.
        let allowed = self.cost == 0 || now >= allow_at;
        // Time until the limiter is full again, after this request.
        let busy = if allowed { new_tat - now } else { tat - now };
        let remaining = ((tolerance - busy).div_euclid(emission)).clamp(0, i128::from(self.limit()));
        let ms = 1000 * scale;
        let decision = Decision {
            allowed,
            limit: self.limit(),
            remaining: clamp_i64(remaining),
            retry_after_ms: if allowed { 0 } else { clamp_i64(div_ceil(allow_at - now, ms)) },
            reset_after_ms: clamp_i64(div_ceil(busy, ms)),
        };
        let new_tat = (allowed && self.cost > 0).then(|| GcraState::from_scaled(new_tat, self.count));
        GcraOutcome { decision, new_tat }
    }
}

/// The longest stored GCRA state: `us+rem/per` with a 20-byte `us` and a `per` of at most
/// `MAX_GCRA_AMOUNT` (10 digits); anything longer is not limiter state.
pub const GCRA_STATE_MAX_BYTES: usize = 20 + 1 + 10 + 1 + 10;

/// Parses a stored GCRA state: `us` or `us+rem/per` (see `GcraState`).
pub fn parse_gcra_state(bytes: &[u8]) -> Result<GcraState, Error> {
    use crate::number::parse_i64;
    let whole = |us| GcraState { us, rem: 0, per: 1 };
    let Some(plus) = bytes.iter().rposition(|&b| b == b'+') else {
        return parse_i64(bytes).map(whole).map_err(|_| Error::NotALimiter);
    };
    let (us, fraction) = (bytes.get(..plus).unwrap_or_default(), bytes.get(plus + 1..).unwrap_or_default());
    let slash = fraction.iter().position(|&b| b == b'/').ok_or(Error::NotALimiter)?;
    let number = |part: Option<&[u8]>| part.and_then(|p| parse_i64(p).ok());
    match (number(Some(us)), number(fraction.get(..slash)), number(fraction.get(slash + 1..))) {
        (Some(us), Some(rem), Some(per)) if per > 0 && (1..per).contains(&rem) => Ok(GcraState { us, rem, per }),
        _ => Err(Error::NotALimiter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    const W: Window = Window { window_ms: 1000, max: 3 };

    fn log(count: u64, newest: Option<i64>, blocking: Option<i64>) -> LogState {
        LogState { count, newest, blocking }
    }

    #[test]
    fn slide_allows_up_to_max_then_waits_for_the_oldest() {
        // Three requests at 0, 100, 200 fit.
        assert_eq!(W.decide(0, 1, &log(0, None, None), true).as_array(), [1, 3, 2, 0, 1000]);
        assert_eq!(W.decide(200, 1, &log(2, Some(100), None), true).as_array(), [1, 3, 0, 0, 1000]);
        // The fourth at 300 waits until the entry at 0 leaves at 1000.
        assert_eq!(W.blocking_index(3, 1), Some(0));
        assert_eq!(W.decide(300, 1, &log(3, Some(200), Some(0)), true).as_array(), [0, 3, 0, 700, 900]);
        // COST 2 needs the two oldest gone: the second (at 100) leaves at 1100.
        assert_eq!(W.blocking_index(3, 2), Some(1));
        assert_eq!(W.decide(300, 2, &log(3, Some(200), Some(100)), true).as_array(), [0, 3, 0, 800, 900]);
        // COST 0 only checks.
        assert_eq!(W.decide(300, 0, &log(3, Some(200), None), true).as_array(), [1, 3, 0, 0, 900]);
        assert_eq!(W.decide(300, 0, &log(0, None, None), true).as_array(), [1, 3, 3, 0, 0]);
        assert_eq!(W.blocking_index(2, 1), None);
    }

    #[test]
    fn several_windows_consume_all_or_nothing() {
        let minute = Window { window_ms: 60_000, max: 3 };
        // a has 1 entry (fits COST 2), b has 2 (does not): denied, and a reports its
        // log unchanged, not as if it had consumed.
        let a = (minute, log(1, Some(10), None));
        let b = (minute, log(2, Some(20), Some(10)));
        assert_eq!(decide_all(100, 2, &[a, b]).as_array(), [0, 3, 1, 59_910, 59_920]);
        assert_eq!(decide_all(100, 1, &[a, b]).as_array(), [1, 3, 0, 0, 60_000]);
        assert_eq!(decide_all(100, 1, &[a]), minute.decide(100, 1, &a.1, true));
    }

    #[test]
    fn slide_edges_do_not_overflow() {
        let wide = Window { window_ms: MAX_WINDOW_MS, max: i64::MAX };
        let d = wide.decide(i64::MAX, 1, &log(u64::MAX, Some(i64::MAX), Some(i64::MIN)), true);
        assert!(!d.allowed);
        assert_eq!(wide.cutoff(i64::MIN), i64::MIN);
        assert!(W.blocking_index(u64::MAX, i64::MAX).is_some());
    }

    #[test]
    fn slide_and_multi_parse() {
        assert_eq!(
            parse_slide(&args("limit.slide k 1000 10 COST 3"), 100),
            Ok(Slide { window: Window { window_ms: 1000, max: 10 }, cost: 3 })
        );
        assert_eq!(parse_slide(&args("limit.slide k 1000 10"), 100).map(|s| s.cost), Ok(1));
        assert_eq!(
            parse_slide(&args("limit.slide k 1000 101"), 100),
            Err(Error::OutOfRange { what: "max", min: 1, max: 100 })
        );
        assert_eq!(
            parse_slide(&args("limit.slide k 0 10"), 100),
            Err(Error::OutOfRange { what: "window_ms", min: 1, max: MAX_WINDOW_MS })
        );
        assert_eq!(
            parse_slide(&args("limit.slide k 10 10 COST 11"), 100),
            Err(Error::OutOfRange { what: "cost", min: 0, max: 10 })
        );
        assert_eq!(parse_slide(&args("limit.slide k 10 10 PRICE 1"), 100), Err(Error::Syntax));
        assert_eq!(parse_slide(&args("limit.slide k 10"), 100), Err(Error::WrongArity("limit.slide")));
        let multi = parse_multi(&args("limit.multi 2 a b 1000 10 60000 100 COST 2"), 1000).unwrap();
        assert_eq!(multi.numkeys, 2);
        assert_eq!(multi.windows, vec![Window { window_ms: 1000, max: 10 }, Window { window_ms: 60000, max: 100 }]);
        assert_eq!(multi.cost, 2);
        assert_eq!(parse_multi(&args("limit.multi 2 a b 1000 10"), 1000), Err(Error::WrongArity("limit.multi")));
        assert_eq!(parse_multi(&args("limit.multi 3 a b"), 1000), Err(Error::WrongArity("limit.multi")));
        assert_eq!(
            parse_multi(&args("limit.multi 0 1000 10"), 1000),
            Err(Error::OutOfRange { what: "numkeys", min: 1, max: 64 })
        );
        assert_eq!(
            parse_multi(&args("limit.multi 2 a b 1000 10 60000 100 COST 11"), 1000),
            Err(Error::OutOfRange { what: "cost", min: 0, max: 10 })
        );
    }

    #[test]
    fn caller_kept_logs_prune_and_consume_like_the_server() {
        // Unsorted input; the entry at exactly now - window (0) has left.
        let mut logs = vec![(W, vec![200.0, 0.0, 100.0])];
        assert_eq!(decide_logs(1000, 1, &mut logs).as_array(), [1, 3, 0, 0, 1000]);
        assert_eq!(logs[0].1, [100.0, 200.0, 1000.0]);
        // Full: waits for the entry at 100 (1100 - 1050), nothing added.
        assert_eq!(decide_logs(1050, 1, &mut logs).as_array(), [0, 3, 0, 50, 950]);
        assert_eq!(logs[0].1, [100.0, 200.0, 1000.0]);
        // COST 0 prunes but adds nothing; fractional times are read truncated.
        let mut logs = vec![(W, vec![1.5, 999.75])];
        assert_eq!(decide_logs(1002, 0, &mut logs).as_array(), [1, 3, 2, 0, 997]);
        assert_eq!(logs[0].1, [999.75]);
        // An entry in the future (another clock) stays after the new ones, sorted, and the
        // reset waits for it to leave.
        let mut logs = vec![(W, vec![5000.0])];
        assert_eq!(decide_logs(10, 2, &mut logs).as_array(), [1, 3, 0, 0, 5990]);
        assert_eq!(logs[0].1, [10.0, 10.0, 5000.0]);
    }

    #[test]
    fn caller_kept_logs_consume_all_or_nothing() {
        let minute = Window { window_ms: 60_000, max: 3 };
        let mut logs = vec![(minute, vec![10.0]), (minute, vec![10.0, 20.0])];
        assert_eq!(decide_logs(100, 2, &mut logs).as_array(), [0, 3, 1, 59_910, 59_920]);
        assert_eq!(logs, [(minute, vec![10.0]), (minute, vec![10.0, 20.0])]);
        assert_eq!(decide_logs(100, 1, &mut logs).as_array(), [1, 3, 0, 0, 60_000]);
        assert_eq!(logs, [(minute, vec![10.0, 100.0]), (minute, vec![10.0, 20.0, 100.0])]);
        assert_eq!(decide_logs(100, 1, &mut []).as_array(), [1, 0, 0, 0, 0]);
    }

    #[test]
    fn combine_takes_the_tightest_window() {
        let a = Decision { allowed: true, limit: 10, remaining: 4, retry_after_ms: 0, reset_after_ms: 900 };
        let b = Decision { allowed: false, limit: 100, remaining: 0, retry_after_ms: 5000, reset_after_ms: 60000 };
        assert_eq!(Decision::combine(&[a, b]).as_array(), [0, 100, 0, 5000, 60000]);
        assert_eq!(Decision::combine(&[a]).as_array(), a.as_array());
    }

    #[test]
    fn gcra_follows_the_cell_rate() {
        // 10 per second (one per 100 ms) with bursts of 3 (limit 3).
        let g = Gcra { burst: 2, count: 10, period_ms: 1000, cost: 1 };
        let mut tat = None;
        let mut replies = Vec::new();
        for _ in 0..4 {
            let out = g.decide(0, tat);
            tat = out.new_tat.or(tat);
            replies.push(out.decision.as_array());
        }
        assert_eq!(replies, [[1, 3, 2, 0, 100], [1, 3, 1, 0, 200], [1, 3, 0, 0, 300], [0, 3, 0, 100, 300]]);
        // 100 ms later one unit is back.
        let out = g.decide(100, tat);
        assert_eq!(out.decision.as_array(), [1, 3, 0, 0, 300]);
        // Long after, the limiter is full.
        assert_eq!(g.decide(10_000, out.new_tat).decision.as_array(), [1, 3, 2, 0, 100]);
    }

    #[test]
    fn gcra_cost_zero_and_rounding() {
        let g = Gcra { burst: 0, count: 3, period_ms: 1000, cost: 0 };
        let out = g.decide(0, None);
        assert_eq!(out.decision.as_array(), [1, 1, 1, 0, 0]);
        assert_eq!(out.new_tat, None);
        // One unit per 333.333 ms: waits are rounded up, never down; the state is exact.
        let one = Gcra { cost: 1, ..g };
        let first = one.decide(0, None);
        assert_eq!(first.decision.as_array(), [1, 1, 0, 0, 334]);
        let state = first.new_tat.unwrap();
        assert_eq!((state.encode().as_slice(), state.expire_at_ms()), (&b"333333+1/3"[..], 334));
        assert_eq!(one.decide(1, first.new_tat).decision.as_array(), [0, 1, 0, 333, 333]);
        // Three units take exactly one second.
        let three = Gcra { burst: 2, count: 3, period_ms: 1000, cost: 1 };
        let mut state = None;
        for _ in 0..3 {
            state = three.decide(0, state).new_tat;
        }
        assert_eq!(state.map(|s| s.encode().to_vec()), Some(b"1000000".to_vec()));
    }

    #[test]
    fn gcra_maths_is_exact_for_fractional_intervals() {
        // 600,000 units per second (1.667 us each): a burst of all of them refills in 1000 ms,
        // not 600 ms, and the same burst 610 ms later is refused.
        let g = Gcra { burst: 599_999, count: 600_000, period_ms: 1000, cost: 600_000 };
        let first = g.decide(0, None);
        assert_eq!(first.decision.as_array(), [1, 600_000, 0, 0, 1000]);
        assert_eq!(first.new_tat.map(|s| s.encode().to_vec()), Some(b"1000000".to_vec()));
        let again = g.decide(610, first.new_tat);
        assert_eq!(again.decision.as_array(), [0, 600_000, 366_000, 390, 390]);
        // Sub-microsecond intervals are not capped at one unit per microsecond.
        let g = Gcra { burst: 999_999, count: 1_000_000_000, period_ms: 1, cost: 1_000_000 };
        let first = g.decide(0, None);
        assert_eq!(first.decision.as_array(), [1, 1_000_000, 0, 0, 1]);
        assert_eq!(first.new_tat.map(|s| s.encode().to_vec()), Some(b"1".to_vec()));
        assert!(g.decide(5, first.new_tat).decision.allowed);
        // remaining = floor((tolerance - busy) / emission), exactly.
        let g = Gcra { burst: 9, count: 3, period_ms: 1000, cost: 4 };
        let out = g.decide(0, None);
        assert_eq!(out.decision.as_array(), [1, 10, 6, 0, 1334]);
        assert_eq!(g.decide(0, out.new_tat).decision.remaining, 2);
        // 600,000 single units, one call each, fill exactly the second the burst allows.
        let g = Gcra { burst: 599_999, count: 600_000, period_ms: 1000, cost: 1 };
        let mut state = None;
        for unit in 0..600_000 {
            let out = g.decide(0, state);
            assert!(out.decision.allowed, "unit {unit}");
            state = out.new_tat;
        }
        assert_eq!(state.map(|s| s.encode().to_vec()), Some(b"1000000".to_vec()));
        assert!(!g.decide(0, state).decision.allowed);
    }

    #[test]
    fn a_peek_is_allowed_under_a_lower_limit() {
        // State written with burst 4 (limit 5), read with burst 2 (limit 3).
        let wide = Gcra { burst: 4, count: 5, period_ms: 60_000, cost: 5 };
        let tat = wide.decide(0, None).new_tat;
        let peek = Gcra { burst: 2, cost: 0, ..wide }.decide(0, tat);
        assert_eq!(peek.decision.as_array(), [1, 3, 0, 0, 60_000]);
        assert_eq!(peek.new_tat, None);
        // The same for a sliding log holding more than the new max.
        let narrow = Window { window_ms: 60_000, max: 3 };
        assert_eq!(narrow.decide(10, 0, &log(5, Some(0), None), true).as_array(), [1, 3, 0, 0, 59_990]);
        assert!(!narrow.decide(10, 1, &log(5, Some(0), Some(0)), true).allowed);
    }

    #[test]
    fn gcra_states_read_back() {
        for text in ["0", "-5", "1700000000000000", "333333+1/3", "-1+2/7"] {
            assert_eq!(parse_gcra_state(text.as_bytes()).map(|s| s.encode().to_vec()), Ok(text.as_bytes().to_vec()));
        }
        for bad in ["", "1.5", "abc", "1+", "1+1", "1+0/3", "1+3/3", "1+1/0", "1+-1/3", "+1/3", "01"] {
            assert_eq!(parse_gcra_state(bad.as_bytes()), Err(Error::NotALimiter), "{bad}");
        }
        // A state written with another count is read rounded up (never more units).
        let state = parse_gcra_state(b"0+1/3").unwrap();
        assert_eq!(state.scaled(2), 1);
        assert_eq!(state.scaled(6), 2);
        assert_eq!(state.expire_at_ms(), 1);
    }

    #[test]
    fn gcra_parse_bounds() {
        assert_eq!(
            parse_gcra(&args("limit.gcra k 5 10 1000")),
            Ok(Gcra { burst: 5, count: 10, period_ms: 1000, cost: 1 })
        );
        assert_eq!(
            parse_gcra(&args("limit.gcra k 5 10 1000 COST 7")),
            Err(Error::OutOfRange { what: "cost", min: 0, max: 6 })
        );
        assert_eq!(parse_gcra(&args("limit.gcra k 1000000000 1 31536000000")), Err(Error::RefillTooLong));
        assert!(parse_gcra(&args("limit.gcra k 5 0 1000")).is_err());
        assert_eq!(parse_gcra(&args("limit.gcra k 5 10")), Err(Error::WrongArity("limit.gcra")));
        let extreme = parse_gcra(&args("limit.gcra k 1000000000 1000000000 31536000000")).unwrap();
        let out = extreme.decide(i64::MAX / 1000, Some(GcraState { us: i64::MAX, rem: 0, per: 1 }));
        assert!(out.decision.reset_after_ms >= 0);
    }
}
