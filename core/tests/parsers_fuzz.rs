//! Property-based fuzzing of the core parsers and limiter maths, without extra crates: a
//! seeded generator builds many thousands of argument vectors (random bytes, and tokens
//! that are almost valid) and random limiter states, and every parser and decision is
//! checked against properties that must hold for any input:
//!
//! - nothing panics (a panic fails the test, and would be a crashed command in the module
//!   were it not for the FFI guard);
//! - every error's text is a RESP error: ASCII, no NUL, CR or LF, an upper-case code word;
//! - what a parser accepts lies in the documented ranges;
//! - `parse_i64` accepts exactly the canonical decimal spellings of an i64 (Rust's own
//!   formatting), `parse_finite_f64` exactly what Rust parses to a finite double (no white
//!   space), never returning -0;
//! - hash slots are below 16384, a key's slot is its tag's slot (wrapped in braces or not),
//!   and `validate_keys` agrees with a plain reference;
//! - limiter decisions: remaining in 0..=limit, waits never negative, allowed implies no
//!   wait, for any log state and any clock.
//!
//! The seed is printed; `TALLY_FUZZ_SEED=<n>` replays a run, `TALLY_FUZZ_CASES=<n>`
//! changes its length (by default 200,000 in release builds, 60,000 in debug builds).

mod common;

use common::rng::{Random, SplitMix64};
use std::time::Instant;
use tally_core::audit::settings::CapMode;
use tally_core::audit::{self, parse_append, parse_group, parse_info, producers_key};
use tally_core::limit::{self, decide_all, parse_gcra, parse_multi, parse_slide, Decision, LogState, Window};
use tally_core::number::{parse_finite_f64, parse_i64, parse_i64_in};
use tally_core::slot::{crc16, hash_slot, hash_tag, validate_keys, SLOTS};
use tally_core::tourney::{self, Limits};
use tally_core::Error;

const DEFAULT_SEED: u64 = 0x7a11_f022_2024_0005;
/// About 3 s of a release build's time; the debug build runs fewer to stay near 7 s.
const DEFAULT_CASES: u64 = if cfg!(debug_assertions) { 60_000 } else { 200_000 };

/// The fuzz inputs, drawn from a seeded generator.
trait Inputs: Random {
    /// An i64 biased towards the interesting places: small values, powers of ten and
    /// two, the extremes.
    fn int(&mut self) -> i64 {
        match self.below(8) {
            0 => self.next() as i64,
            1 => self.below(21) as i64 - 10,
            2 => *self.pick(&[0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]),
            3 => 10i64.pow(self.below(19) as u32) + self.below(3) as i64 - 1,
            4 => -(10i64.pow(self.below(19) as u32)),
            5 => 1i64 << self.below(63),
            6 => self.below(100_001) as i64,
            _ => limit::MAX_WINDOW_MS + self.below(3) as i64 - 1,
        }
    }

    fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        let len = self.below(max_len + 1) as usize;
        match self.below(3) {
            // Arbitrary bytes, NUL and high bytes included.
            0 => (0..len).map(|_| self.next() as u8).collect(),
            // Printable ASCII with the characters that matter: braces, digits, signs.
            1 => (0..len).map(|_| *self.pick(b"{}{}-+.0123456789eEaZx ")).collect(),
            _ => (0..len).map(|_| (0x20 + self.below(0x5f)) as u8).collect(),
        }
    }

    /// A numeric-looking token: canonical, almost canonical, or not a number at all.
    fn number_token(&mut self) -> Vec<u8> {
        let n = self.int();
        let text = match self.below(16) {
            0..=5 => n.to_string(),
            6 => format!("+{n}"),
            7 => format!("0{n}"),
            8 => format!(" {n}"),
            9 => format!("{n} "),
            10 => format!("{n}.0"),
            11 => format!("{n}e{}", self.below(400)),
            12 => self
                .pick(&[
                    "-0",
                    "0",
                    "00",
                    "-",
                    "+",
                    "",
                    "nan",
                    "NaN",
                    "inf",
                    "-inf",
                    "+inf",
                    "infinity",
                    "1e309",
                    "-1e309",
                    "1e-400",
                    "4.9e-324",
                    "1.7976931348623157e308",
                    "0x10",
                    "1_000",
                    "٣",
                    "9223372036854775808",
                    "-9223372036854775809",
                    "18446744073709551616",
                    "1\0",
                    "\x001",
                ])
                .to_string(),
            13 => format!("{}", f64::from_bits(self.next())),
            14 => format!("{:e}", (self.next() as f64) / (self.next() as f64 + 1.0)),
            _ => "9".repeat(1 + self.below(40) as usize),
        };
        text.into_bytes()
    }

    /// Any argument: option words, numbers, keys, random bytes, long strings.
    fn token(&mut self) -> Vec<u8> {
        match self.below(10) {
            0..=2 => self.number_token(),
            3 => self
                .pick(&[
                    "COST",
                    "cost",
                    "BEST",
                    "LATEST",
                    "latest",
                    "WITHSCORE",
                    "WITHDATA",
                    "DATA",
                    "TIES",
                    "ORDINAL",
                    "COMPETITION",
                    "competition",
                    "OFFSET",
                    "MAXLEN",
                    "maxlen",
                    "IDEMPOTENT",
                    "START",
                    "start",
                    "$",
                    "0",
                    ">",
                    "FOO",
                    "",
                    "COSTS",
                    "TIE",
                    "WITHSCORES",
                ])
                .as_bytes()
                .to_vec(),
            4 => {
                let tag = self.bytes(4);
                let mut key = b"k{".to_vec();
                key.extend_from_slice(&tag);
                key.extend_from_slice(b"}:");
                key.extend_from_slice(&self.bytes(3));
                key
            }
            // Lengths at the limits; the longest ones rarely, to keep the run short.
            5 if self.one_in(40) => vec![b'x'; *self.pick(&[4096usize, 65_536, 65_537])],
            5 => vec![b'x'; *self.pick(&[0usize, 1, 16, 17, 63, 64, 65, 128, 129])],
            _ => self.bytes(12),
        }
    }
}

impl Inputs for SplitMix64 {}

// ---- properties ------------------------------------------------------------------------

/// An error text as the module replies it: ASCII, no NUL or line break, code word first.
fn check_error(error: &Error, args: &[&[u8]]) {
    let text = error.to_string();
    let ok = text.is_ascii()
        && !text.bytes().any(|b| b == 0 || b == b'\r' || b == b'\n')
        && text.split(' ').next().is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase()));
    assert!(ok, "bad error text {text:?} for {:?}", printable(args));
    assert!(!matches!(error, Error::Internal | Error::Server(_)), "{error:?} from a parser for {:?}", printable(args));
}

fn printable(args: &[&[u8]]) -> Vec<String> {
    args.iter()
        .map(|a| if a.len() > 80 { format!("<{} bytes>", a.len()) } else { String::from_utf8_lossy(a).into_owned() })
        .collect()
}

fn check<T>(result: Result<T, Error>, args: &[&[u8]], stats: &mut Stats, valid: impl FnOnce(&T) -> bool) {
    match result {
        Ok(value) => {
            stats.accepted += 1;
            assert!(valid(&value), "accepted outside its documented ranges: {:?}", printable(args));
        }
        Err(error) => {
            stats.refused += 1;
            check_error(&error, args);
        }
    }
}

#[derive(Default)]
struct Stats {
    accepted: u64,
    refused: u64,
}

fn tourney_limits(rng: &mut SplitMix64) -> Limits {
    Limits {
        max_member_bytes: *rng.pick(&[1, 8, 128, 65_536]),
        max_range: *rng.pick(&[1, 2, 5, 1000, 100_000]),
        max_data_bytes: *rng.pick(&[0, 1, 16, 1024, 65_536]),
    }
}

fn audit_limits(rng: &mut SplitMix64) -> audit::Limits {
    audit::Limits {
        max_len: *rng.pick(&[1, 10_000, 100_000_000]),
        max_field_bytes: *rng.pick(&[1, 16, 65_536, 512 * 1024 * 1024]),
    }
}

/// Runs every parser on one argument vector.
fn parse_all(args: &[&[u8]], rng: &mut SplitMix64, stats: &mut Stats) {
    let limits = tourney_limits(rng);
    let member_ok = |m: &[u8]| !m.is_empty() && m.len() as i64 <= limits.max_member_bytes;
    let data_ok =
        |data: Option<&[u8]>| data.is_none_or(|d| d.len() as i64 <= limits.max_data_bytes && limits.max_data_bytes > 0);
    check(tourney::parse_incr(args, &limits), args, stats, |i| {
        [4, 6].contains(&args.len()) && member_ok(args[2]) && i.delta.is_finite() && data_ok(i.data)
    });
    check(tourney::parse_submit(args, &limits), args, stats, |s| {
        (4..=7).contains(&args.len()) && member_ok(args[2]) && s.score.is_finite() && data_ok(s.data)
    });
    check(tourney::parse_rank(args, &limits), args, stats, |_| (3..=6).contains(&args.len()) && member_ok(args[2]));
    check(tourney::parse_top(args, &limits), args, stats, |t| {
        (3..=8).contains(&args.len())
            && (1..=limits.max_range as u64).contains(&t.count)
            && i64::try_from(t.offset).is_ok()
    });
    check(tourney::parse_around(args, &limits), args, stats, |a| {
        (4..=7).contains(&args.len()) && member_ok(args[2]) && a.radius <= limits.max_radius() as u64
    });
    check(tourney::parse_percentile(args, &limits), args, stats, |()| args.len() == 3 && member_ok(args[2]));
    check(tourney::parse_rem(args, &limits), args, stats, |()| {
        args.len() >= 3 && args[2..].iter().all(|m| member_ok(m))
    });

    let max_log = *rng.pick(&[1, 3, 100_000, 10_000_000]);
    let window_ok = |w: &Window| (1..=limit::MAX_WINDOW_MS).contains(&w.window_ms) && (1..=max_log).contains(&w.max);
    check(parse_slide(args, max_log), args, stats, |s| {
        (4..=6).contains(&args.len()) && window_ok(&s.window) && (0..=s.window.max).contains(&s.cost)
    });
    check(parse_multi(args, max_log), args, stats, |m| {
        let tightest = m.windows.iter().map(|w| w.max).min().unwrap_or(0);
        (1..=64).contains(&m.numkeys)
            && m.windows.len() == m.numkeys
            && m.windows.iter().all(window_ok)
            && (0..=tightest).contains(&m.cost)
            && [0, 2].contains(&(args.len() - limit::MULTI_FIRST_KEY - 3 * m.numkeys))
    });
    check(parse_gcra(args), args, stats, |g| {
        (5..=7).contains(&args.len())
            && (0..=limit::MAX_GCRA_AMOUNT).contains(&g.burst)
            && (1..=limit::MAX_GCRA_AMOUNT).contains(&g.count)
            && (1..=limit::MAX_WINDOW_MS).contains(&g.period_ms)
            && (0..=g.limit()).contains(&g.cost)
    });

    let alimits = audit_limits(rng);
    check(parse_append(args, &alimits), args, stats, |a| {
        let fields = args.len().saturating_sub(a.fields_start);
        a.fields_start >= 2
            && fields >= 2
            && fields % 2 == 0
            && a.maxlen.is_none_or(|(_, cap)| cap >= 1)
            && args[a.fields_start..]
                .chunks(2)
                .all(|p| !p[0].is_empty() && p.iter().all(|x| x.len() as i64 <= alimits.max_field_bytes))
            && a.idempotent.is_none_or(|i| (1..=audit::MAX_PRODUCER_BYTES).contains(&i.producer.len()) && i.seq >= 0)
    });
    check(parse_group(args), args, stats, |start| {
        (args.len() == 3 && *start == b"$") || (args.len() == 5 && *start == args[4] && !args[2].is_empty())
    });
    check(parse_info(args), args, stats, |()| args.len() == 2);
    check(audit::settings::parse_create(args), args, stats, |s| {
        s.cap.is_none_or(|cap| cap >= 1)
            && s.retention_ms.is_none_or(|r| r >= 0)
            && !(s.chain && s.mode == CapMode::Approx)
    });
    check(audit::settings::parse_verify(args, 1000), args, stats, |v| (1..=1000).contains(&v.count));
    if let Some(key) = args.get(1) {
        check(producers_key(key), args, stats, |name| {
            hash_slot(name) == hash_slot(key) && name.ends_with(audit::PRODUCERS_SUFFIX)
        });
    }
}

/// `parse_i64` accepts exactly the strings that are some i64 written by Rust.
fn check_i64(bytes: &[u8]) {
    let canonical = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|v| v.to_string().as_bytes() == bytes);
    match (parse_i64(bytes), canonical) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "{bytes:?}"),
        (Err(Error::NotInteger), None) => {}
        (got, want) => panic!("parse_i64({:?}) = {got:?}, canonical value {want:?}", String::from_utf8_lossy(bytes)),
    }
    if let Ok(value) = parse_i64(bytes) {
        let (lo, hi) = (value.saturating_sub(1), value.saturating_add(1));
        assert_eq!(parse_i64_in(bytes, "n", lo, hi), Ok(value));
        if value < i64::MAX {
            assert_eq!(
                parse_i64_in(bytes, "n", value + 1, i64::MAX),
                Err(Error::OutOfRange { what: "n", min: value + 1, max: i64::MAX })
            );
        }
    }
}

/// `parse_finite_f64` accepts what Rust parses to a finite double, without white space.
fn check_f64(bytes: &[u8]) {
    let want = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.is_empty() && !t.bytes().any(|b| b.is_ascii_whitespace()))
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite());
    match (parse_finite_f64(bytes), want) {
        (Ok(got), Some(want)) => {
            assert!(got.is_finite(), "{bytes:?}");
            assert!(got == want && !(got == 0.0 && got.is_sign_negative()), "{bytes:?}: {got:?} vs {want:?}");
        }
        (Err(Error::NotFloat), None) => {}
        (got, want) => panic!("parse_finite_f64({:?}) = {got:?}, Rust gives {want:?}", String::from_utf8_lossy(bytes)),
    }
}

fn reference_slot(key: &[u8]) -> u16 {
    // The cluster spec's algorithm, written out separately from the crate's.
    let mut part = key;
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                part = &key[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &byte in part {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc & 0x3fff
}

fn check_slots(keys: &[Vec<u8>], require_tag: bool) {
    for key in keys {
        let slot = hash_slot(key);
        assert!(slot < SLOTS);
        assert_eq!(slot, reference_slot(key), "{key:?}");
        match hash_tag(key) {
            Some(tag) => {
                assert!(!tag.is_empty() && !tag.contains(&b'}'));
                assert_eq!(slot, crc16(tag) & (SLOTS - 1));
                let mut wrapped = b"{".to_vec();
                wrapped.extend_from_slice(tag);
                wrapped.push(b'}');
                assert_eq!(hash_slot(&wrapped), slot, "{key:?}");
                // Text around the tag changes nothing.
                let mut around = b"prefix:".to_vec();
                around.extend_from_slice(&wrapped);
                around.extend_from_slice(b":{other}");
                assert_eq!(hash_slot(&around), slot, "{key:?}");
            }
            None => {
                assert_eq!(slot, crc16(key) & (SLOTS - 1));
                if !key.is_empty() && !key.contains(&b'}') {
                    let mut wrapped = b"{".to_vec();
                    wrapped.extend_from_slice(key);
                    wrapped.push(b'}');
                    assert_eq!(hash_slot(&wrapped), slot, "{key:?}");
                }
            }
        }
    }
    let want = if require_tag && keys.iter().any(|k| hash_tag(k).is_none()) {
        let first = keys.iter().find(|k| hash_tag(k).is_none()).unwrap();
        // Tags are checked key by key: a cross-slot pair before the untagged key wins.
        let position = keys.iter().position(|k| hash_tag(k).is_none()).unwrap();
        let cross_before = keys[..position].iter().any(|k| hash_slot(k) != hash_slot(&keys[0]));
        if cross_before {
            Err(Error::CrossSlot)
        } else {
            Err(Error::NeedsHashTag(first.clone()))
        }
    } else if keys.iter().any(|k| hash_slot(k) != hash_slot(&keys[0])) {
        Err(Error::CrossSlot)
    } else {
        Ok(())
    };
    let got = validate_keys(keys, require_tag);
    assert_eq!(got, want, "{keys:?}");
    if let Err(error) = got {
        check_error(&error, &[]);
    }
}

fn check_decision(d: &Decision, context: &dyn Fn() -> String) {
    let ok = (0..=d.limit).contains(&d.remaining)
        && d.retry_after_ms >= 0
        && d.reset_after_ms >= 0
        && (!d.allowed || d.retry_after_ms == 0);
    assert!(ok, "decision {:?} breaks an invariant: {}", d.as_array(), context());
}

fn random_window(rng: &mut SplitMix64) -> Window {
    let window_ms = match rng.below(3) {
        0 => 1 + rng.below(limit::MAX_WINDOW_MS as u64) as i64,
        1 => *rng.pick(&[1, 2, 1000, 60_000, limit::MAX_WINDOW_MS]),
        _ => 1 + rng.below(10_000) as i64,
    };
    let max = match rng.below(3) {
        0 => 1 + rng.below(10_000_000) as i64,
        1 => *rng.pick(&[1, 2, 3, 100_000, 10_000_000]),
        _ => 1 + rng.below(20) as i64,
    };
    Window { window_ms, max }
}

fn random_log(rng: &mut SplitMix64, window: &Window, now: i64, cost: i64) -> LogState {
    let count = match rng.below(4) {
        0 => rng.below(window.max as u64 + 3),
        1 => rng.next(),
        2 => *rng.pick(&[0, 1, u64::MAX, i64::MAX as u64, i64::MAX as u64 + 1]),
        _ => window.max as u64,
    };
    let time = |rng: &mut SplitMix64| match rng.below(3) {
        0 => Some(rng.int()),
        1 => Some(now.saturating_sub(rng.below(window.window_ms as u64 + 1) as i64)),
        _ => None,
    };
    let newest = if count == 0 { None } else { time(rng) };
    let blocking = window.blocking_index(count, cost).and_then(|_| time(rng));
    LogState { count, newest, blocking }
}

fn random_now(rng: &mut SplitMix64) -> i64 {
    match rng.below(3) {
        0 => rng.int(),
        1 => 1_700_000_000_000 + rng.below(1 << 40) as i64,
        _ => rng.below(1 << 20) as i64,
    }
}

fn check_limiters(rng: &mut SplitMix64) {
    // Sliding windows, alone and together.
    let n = 1 + rng.below(4) as usize;
    let now = random_now(rng);
    let windows: Vec<Window> = (0..n).map(|_| random_window(rng)).collect();
    let tightest = windows.iter().map(|w| w.max).min().unwrap();
    let cost = match rng.below(3) {
        0 => 0,
        1 => 1,
        _ => rng.below(tightest as u64 + 1) as i64,
    };
    let states: Vec<(Window, LogState)> = windows.iter().map(|w| (*w, random_log(rng, w, now, cost))).collect();
    let context = || format!("now {now} cost {cost} windows {states:?}");
    for (window, log) in &states {
        for consume in [true, false] {
            let d = window.decide(now, cost, log, consume);
            check_decision(&d, &context);
            assert_eq!(d.limit, window.max);
            assert_eq!(d.allowed, window.fits(log.count, cost), "{}", context());
        }
    }
    let all = decide_all(now, cost, &states);
    check_decision(&all, &context);
    assert_eq!(all.allowed, states.iter().all(|(w, l)| w.fits(l.count, cost)), "{}", context());
    assert!(windows.iter().any(|w| w.max == all.limit), "{}", context());

    // GCRA with parameters the parser accepts, from any stored state and clock.
    let (b, c, p) = (rng.below(1000) as i64, 1 + rng.below(1000) as i64, 1 + rng.below(100_000) as i64);
    let burst = *rng.pick(&[0, 1, 2, 9, 1000, limit::MAX_GCRA_AMOUNT, b]);
    let count = *rng.pick(&[1, 3, 10, 1000, limit::MAX_GCRA_AMOUNT, c]);
    let period = *rng.pick(&[1, 7, 1000, 60_000, limit::MAX_WINDOW_MS, p]);
    let line = format!("limit.gcra k {burst} {count} {period} COST {}", rng.below(4));
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let Ok(gcra) = parse_gcra(&args) else { return };
    let now = random_now(rng);
    let whole = |us| limit::GcraState { us, rem: 0, per: 1 };
    let stored = match rng.below(5) {
        0 => None,
        1 => Some(whole(rng.int())),
        2 => Some(whole(now.saturating_mul(1000).saturating_add(rng.below(1 << 36) as i64))),
        3 => {
            let per = 2 + rng.below(limit::MAX_GCRA_AMOUNT as u64 - 1) as i64;
            Some(limit::GcraState { us: now.saturating_mul(1000), rem: 1 + rng.below(per as u64 - 1) as i64, per })
        }
        _ => Some(whole(*rng.pick(&[i64::MAX, i64::MIN, 0, -1]))),
    };
    let out = gcra.decide(now, stored);
    check_decision(&out.decision, &|| format!("{line} now {now} stored {stored:?}"));
    assert_eq!(out.decision.limit, gcra.limit());
    assert_eq!(out.new_tat.is_some(), out.decision.allowed && gcra.cost > 0, "{line} now {now} stored {stored:?}");
    if let Some(tat) = out.new_tat {
        // The stored state reads back and expires no earlier than it says it is full.
        let text = tat.encode();
        assert!(text.len() <= limit::GCRA_STATE_MAX_BYTES);
        assert_eq!(limit::parse_gcra_state(&text), Ok(tat));
        let _ = tat.expire_at_ms();
    }
}

// ---- generators of argument vectors ------------------------------------------------------

/// An argument vector shaped like one of the commands, then mutated.
fn near_valid(rng: &mut SplitMix64) -> Vec<Vec<u8>> {
    let key = || b"lb:{t}".to_vec();
    let num =
        |rng: &mut SplitMix64, lo: i64, hi: i64| (lo + rng.below((hi - lo + 1) as u64) as i64).to_string().into_bytes();
    let mut args: Vec<Vec<u8>> = match rng.below(11) {
        0 => vec![b"tourney.incr".to_vec(), key(), b"alice".to_vec(), num(rng, -100, 100)],
        1 => vec![b"tourney.submit".to_vec(), key(), b"bob".to_vec(), num(rng, -100, 100), b"LATEST".to_vec()],
        2 => vec![
            b"tourney.top".to_vec(),
            key(),
            num(rng, 1, 1000),
            b"OFFSET".to_vec(),
            num(rng, 0, 9),
            b"TIES".to_vec(),
            b"COMPETITION".to_vec(),
        ],
        3 => vec![
            b"tourney.around".to_vec(),
            key(),
            b"m".to_vec(),
            num(rng, 0, 499),
            b"TIES".to_vec(),
            b"ORDINAL".to_vec(),
        ],
        4 => vec![
            b"tourney.rank".to_vec(),
            key(),
            b"m".to_vec(),
            b"WITHSCORE".to_vec(),
            b"TIES".to_vec(),
            b"COMPETITION".to_vec(),
        ],
        5 => vec![
            b"limit.slide".to_vec(),
            key(),
            num(rng, 1, 100_000),
            num(rng, 1, 100),
            b"COST".to_vec(),
            num(rng, 0, 3),
        ],
        6 => {
            let n = 1 + rng.below(6) as usize;
            let mut a = vec![b"limit.multi".to_vec(), n.to_string().into_bytes()];
            a.extend((0..n).map(|i| format!("k{i}{{t}}").into_bytes()));
            for _ in 0..n {
                a.push(num(rng, 1, 100_000));
                a.push(num(rng, 1, 100));
            }
            if rng.one_in(2) {
                a.push(b"COST".to_vec());
                a.push(num(rng, 0, 2));
            }
            a
        }
        7 => vec![
            b"limit.gcra".to_vec(),
            key(),
            num(rng, 0, 100),
            num(rng, 1, 100),
            num(rng, 1, 100_000),
            b"COST".to_vec(),
            num(rng, 0, 3),
        ],
        8 => {
            let mut a = vec![b"audit.create".to_vec(), key()];
            if rng.one_in(2) {
                a.extend([b"MAXLEN".to_vec(), if rng.one_in(2) { b"~".to_vec() } else { b"=".to_vec() }]);
                a.push(num(rng, 1, 100));
            }
            for (word, value) in [(&b"RETENTION"[..], num(rng, 0, 100_000)), (b"ONFULL", b"REFUSE".to_vec())] {
                if rng.one_in(2) {
                    a.extend([word.to_vec(), value]);
                }
            }
            if rng.one_in(2) {
                a.push(b"CHAIN".to_vec());
            }
            a
        }
        9 => {
            let mut a = vec![b"audit.verify".to_vec(), key()];
            if rng.one_in(2) {
                a.extend([b"FROM".to_vec(), format!("{}-0", rng.below(100)).into_bytes(), b"ab".repeat(32)]);
            }
            if rng.one_in(2) {
                a.extend([b"COUNT".to_vec(), num(rng, 0, 2000)]);
            }
            a
        }
        _ => {
            let mut a = vec![b"audit.append".to_vec(), key()];
            if rng.one_in(2) {
                a.extend([b"MAXLEN".to_vec(), num(rng, 1, 100)]);
            }
            if rng.one_in(2) {
                a.extend([b"IDEMPOTENT".to_vec(), b"p1".to_vec(), num(rng, 0, 100)]);
            }
            for _ in 0..=rng.below(3) {
                a.extend([b"f".to_vec(), b"v".to_vec()]);
            }
            a
        }
    };
    // Mutations: replace, insert, drop, truncate.
    for _ in 0..rng.below(3) {
        let at = rng.below(args.len() as u64) as usize;
        match rng.below(4) {
            0 => args[at] = rng.token(),
            1 => args.insert(at, rng.token()),
            2 if args.len() > 1 => {
                args.remove(at);
            }
            _ => args.truncate(at.max(1)),
        }
    }
    args
}

fn random_args(rng: &mut SplitMix64) -> Vec<Vec<u8>> {
    let len = if rng.one_in(50) { rng.below(200) as usize } else { rng.below(12) as usize };
    (0..len).map(|_| rng.token()).collect()
}

#[test]
fn parsers_hold_their_properties_on_random_input() {
    let seed = std::env::var("TALLY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    let cases = std::env::var("TALLY_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_CASES);
    println!("parsers fuzz: seed {seed} (replay with TALLY_FUZZ_SEED={seed}), {cases} cases");
    let started = Instant::now();
    let mut rng = SplitMix64(seed);
    let mut stats = Stats::default();
    let (mut numbers, mut keys, mut decisions) = (0u64, 0u64, 0u64);
    for _ in 0..cases {
        let args = if rng.one_in(2) { near_valid(&mut rng) } else { random_args(&mut rng) };
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        parse_all(&refs, &mut rng, &mut stats);

        for _ in 0..4 {
            let token = if rng.one_in(4) { rng.bytes(24) } else { rng.number_token() };
            check_i64(&token);
            check_f64(&token);
            numbers += 1;
        }
        // Every canonical i64 parses back to itself.
        let n = rng.int();
        assert_eq!(parse_i64(n.to_string().as_bytes()), Ok(n));
        // Every finite double, printed the shortest way, parses back to itself.
        let x = f64::from_bits(rng.next());
        if x.is_finite() {
            let text = if rng.one_in(2) { format!("{x}") } else { format!("{x:e}") };
            assert_eq!(parse_finite_f64(text.as_bytes()).map(f64::to_bits), Ok((x + 0.0).to_bits()), "{text}");
        }

        let group: Vec<Vec<u8>> = (0..=rng.below(4)).map(|_| rng.token()).collect();
        check_slots(&group, rng.one_in(2));
        keys += group.len() as u64;

        check_limiters(&mut rng);
        decisions += 1;
    }
    let elapsed = started.elapsed();
    println!(
        "parsers fuzz: {cases} argument vectors through 14 parsers ({} accepted, {} refused), {numbers} number \
         tokens, {keys} keys, {decisions} limiter cases in {:.1} s",
        stats.accepted,
        stats.refused,
        elapsed.as_secs_f64()
    );
    // The generator must reach the accepting paths, not only the errors.
    assert!(stats.accepted > cases / 20, "only {} accepted", stats.accepted);
}
