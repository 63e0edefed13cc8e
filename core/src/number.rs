//! Numbers read and written the way Redis reads and writes them.

use crate::Error;
use std::fmt::Write;

/// Parses a signed 64-bit integer with Redis' `string2ll` rules: an optional `-`, no `+`,
/// no spaces, no leading zeros, no overflow.
pub fn parse_i64(bytes: &[u8]) -> Result<i64, Error> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    // No digits, or a leading zero (but plain "0"): not how Redis writes an integer.
    match digits {
        [b'0'] if !negative => return Ok(0),
        [] | [b'0', ..] => return Err(Error::NotInteger),
        _ => {}
    }
    // Accumulate as a negative number so that i64::MIN parses without overflow.
    let mut value: i64 = 0;
    for &byte in digits {
        let digit = match byte {
            b'0'..=b'9' => i64::from(byte - b'0'),
            _ => return Err(Error::NotInteger),
        };
        // Not `ok_or(Error::..)`: that builds (and drops) an error for every digit.
        let Some(next) = value.checked_mul(10).and_then(|v| v.checked_sub(digit)) else {
            return Err(Error::NotInteger);
        };
        value = next;
    }
    match (negative, value.checked_neg()) {
        (true, _) => Ok(value),
        (false, Some(positive)) => Ok(positive),
        (false, None) => Err(Error::NotInteger),
    }
}

/// Parses an integer and checks it lies in `min..=max`, naming the argument in the error.
pub fn parse_i64_in(bytes: &[u8], what: &'static str, min: i64, max: i64) -> Result<i64, Error> {
    let value = parse_i64(bytes)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange { what, min, max })
    }
}

/// Parses a finite double like Redis parses a score, refusing what a leaderboard cannot
/// hold: `nan`, `inf`, overflow to infinity, spaces and trailing garbage. `-0` becomes `0`
/// so that stored scores never print as "-0".
pub fn parse_finite_f64(bytes: &[u8]) -> Result<f64, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::NotFloat)?;
    // Rust accepts "infinity" and "nan" spellings; a finite check below refuses them all.
    // Reject forms strtod refuses too: empty, and anything with white space.
    if text.is_empty() || text.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(Error::NotFloat);
    }
    let value: f64 = text.parse().map_err(|_| Error::NotFloat)?;
    if value.is_finite() {
        Ok(value + 0.0)
    } else {
        Err(Error::NotFloat)
    }
}

/// An integer in decimal in a stack buffer (no allocation), for arguments the module
/// hands to the server as text.
pub struct IntText {
    buf: [u8; 20],
    start: usize,
}

/// "00", "01", ... "99": two digits per division, as the server's own ll2string writes them.
const DIGIT_PAIRS: &[u8; 200] = b"000102030405060708091011121314151617181920212223242526272829\
    303132333435363738394041424344454647484950515253545556575859\
    606162636465666768697071727374757677787980818283848586878889\
    90919293949596979899";

impl IntText {
    pub fn new(value: i64) -> IntText {
        // At most 19 digits and a sign: the buffer holds them.
        let mut text = IntText::unsigned(value.unsigned_abs());
        if value < 0 {
            text.push(b'-');
        }
        text
    }

    /// An unsigned integer: at most 20 digits (`u64::MAX`), the buffer's size.
    pub fn unsigned(value: u64) -> IntText {
        let mut text = IntText { buf: [0; 20], start: 20 };
        text.start = digits_before(&mut text.buf, text.start, value);
        text
    }

    fn push(&mut self, byte: u8) {
        self.start = self.start.saturating_sub(1);
        if let Some(slot) = self.buf.get_mut(self.start) {
            *slot = byte;
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

/// Writes `value`'s decimal digits into `buf` so that they end just before `end`, two
/// digits per division as the server's own ll2string does; returns where they start. A
/// buffer too short keeps the digits that fit.
pub(crate) fn digits_before(buf: &mut [u8], end: usize, value: u64) -> usize {
    let mut start = end;
    let mut rest = value;
    while rest >= 100 {
        start = put_pair(buf, start, (rest % 100) as usize);
        rest /= 100;
    }
    if rest >= 10 {
        put_pair(buf, start, rest as usize)
    } else {
        start = start.saturating_sub(1);
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + rest as u8;
        }
        start
    }
}

/// Writes `pair` (0..=99) as the two digits before `end`.
fn put_pair(buf: &mut [u8], end: usize, pair: usize) -> usize {
    let digits = DIGIT_PAIRS.get(pair * 2..pair * 2 + 2).unwrap_or(b"00");
    let start = end.saturating_sub(2);
    if let Some(slot) = buf.get_mut(start..end) {
        slot.copy_from_slice(digits);
    }
    start
}

/// 2^53: below it every whole f64 is an exact i64.
pub const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A double written in the shortest form that reads back to the same bits, as a short
/// ASCII string in a stack buffer (no allocation): "10", "0.1", "1.5e300".
pub struct ScoreText {
    buf: [u8; 40],
    len: usize,
}

impl ScoreText {
    pub fn new(value: f64) -> ScoreText {
        let mut text = ScoreText { buf: [0; 40], len: 0 };
        // Whole scores (the common case) print as integers, much faster than the float
        // algorithm and with the same digits.
        if value.fract() == 0.0 && value.abs() < MAX_EXACT_INTEGER {
            // -0 keeps its sign, as ZSCORE prints it.
            if value == 0.0 && value.is_sign_negative() {
                let _ = text.write_str("-0");
                return text;
            }
            let digits = IntText::new(value as i64);
            let _ = text.write_str(std::str::from_utf8(digits.as_bytes()).unwrap_or_default());
            return text;
        }
        // Plain decimal when short, scientific otherwise; both are exact round trips and
        // both are accepted by Redis' strtod. Writes never fail: the longest scientific
        // form of an f64 is 24 bytes.
        if write!(text, "{value}").is_err() || text.len > 24 {
            text.len = 0;
            let _ = write!(text, "{value:e}");
        }
        text
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl Write for ScoreText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Ok(0));
        assert_eq!(parse_i64(b"-12"), Ok(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1e3",
            b"abc",
            b"1\0",
        ] {
            assert_eq!(parse_i64(bad), Err(Error::NotInteger), "{bad:?}");
        }
    }

    #[test]
    fn ranges_name_the_argument() {
        assert_eq!(parse_i64_in(b"5", "count", 1, 10), Ok(5));
        assert_eq!(parse_i64_in(b"0", "count", 1, 10), Err(Error::OutOfRange { what: "count", min: 1, max: 10 }));
        assert_eq!(parse_i64_in(b"x", "count", 1, 10), Err(Error::NotInteger));
    }

    #[test]
    fn floats_must_be_finite_and_clean() {
        assert_eq!(parse_finite_f64(b"10"), Ok(10.0));
        assert_eq!(parse_finite_f64(b"-2.5"), Ok(-2.5));
        assert_eq!(parse_finite_f64(b"1e3"), Ok(1000.0));
        assert_eq!(parse_finite_f64(b"+3"), Ok(3.0));
        assert!(parse_finite_f64(b"-0").unwrap().is_sign_positive());
        for bad in [
            &b""[..],
            b"nan",
            b"NaN",
            b"inf",
            b"-inf",
            b"+inf",
            b"infinity",
            b"1e400",
            b" 1",
            b"1 ",
            b"1x",
            b"\xff",
            b"1\0",
        ] {
            assert_eq!(parse_finite_f64(bad), Err(Error::NotFloat), "{bad:?}");
        }
    }

    #[test]
    fn int_text_is_decimal() {
        for value in [0, 7, -7, 9, 10, -10, 99, 100, -100, 101, 999, 1000, 1795667418364, i64::MAX, i64::MIN] {
            assert_eq!(IntText::new(value).as_bytes(), value.to_string().as_bytes());
        }
        // Every digit count, both signs, and every digit pair.
        let mut value: i64 = 1;
        for _ in 0..19 {
            for candidate in [value, value - 1, value + 37, -value, -(value - 1)] {
                assert_eq!(IntText::new(candidate).as_bytes(), candidate.to_string().as_bytes());
            }
            value = value.saturating_mul(10);
        }
        for pair in 0..10_000 {
            assert_eq!(IntText::new(pair).as_bytes(), pair.to_string().as_bytes());
        }
        for value in [0, 9, 10, 99, 100, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            assert_eq!(IntText::unsigned(value).as_bytes(), value.to_string().as_bytes());
        }
    }

    #[test]
    fn score_text_round_trips() {
        assert_eq!(ScoreText::new(10.0).as_str(), "10");
        assert_eq!(ScoreText::new(0.1).as_str(), "0.1");
        assert_eq!(ScoreText::new(-3.25).as_str(), "-3.25");
        assert_eq!(ScoreText::new(1e300).as_str(), "1e300");
        assert_eq!(ScoreText::new(-42.0).as_str(), "-42");
        assert_eq!(ScoreText::new(0.0).as_str(), "0");
        // A -0 stored natively (ZADD) prints as ZSCORE prints it.
        assert_eq!(ScoreText::new(-0.0).as_str(), "-0");
        assert_eq!(ScoreText::new(9007199254740991.0).as_str(), "9007199254740991");
        for value in [
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            0.1 + 0.2,
            1.0 / 3.0,
            123456789.125,
            -1e-7,
            9007199254740993.0,
        ] {
            let text = ScoreText::new(value);
            assert!(text.as_bytes().len() <= 24, "{}", text.as_str());
            assert_eq!(text.as_str().parse::<f64>().unwrap().to_bits(), value.to_bits());
        }
    }
}
