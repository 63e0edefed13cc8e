//! The exported functions: plain numbers and byte buffers in linear memory (docs/wasm.md).
//!
//! - Buffers are allocated by the host with `tally_alloc` and freed with `tally_free`.
//! - A list of byte strings (keys, argv) is packed as `u32 little-endian length, bytes`
//!   per item, back to back; the caller also passes the item count.
//! - Times and counts cross as f64 holding whole numbers of at most 2^53 in magnitude
//!   (exact in JavaScript numbers); log entries as f64 arrays (little-endian, any
//!   alignment).
//! - A call that produces more than one number writes it into the result buffer
//!   (`tally_result_ptr`, `tally_result_len`), valid until the next call, and returns a
//!   status: 0 done, 1 refused with the module's error text in the result (UTF-8), 2 an
//!   unusable input that a server never sees (a NaN, a fractional time, bad packing), with a
//!   text in the result.
//! - Limiter exports take `flags`: bit 0 `tally.require-hashtag` applies, bit 1
//!   `tally.limit-shadow yes`; a decision's `outcome` is 0 nothing written, 1 written, 2
//!   refused but replied as allowed under shadow mode (nothing written).

use crate::{
    AcquireResult, Failure, FixedResult, GcraResult, Lease, LeaseChange, LeaseSet, LogOutcome, Server, ABI_VERSION,
};
use std::alloc::{self, Layout};
use std::cell::RefCell;
use tally_core::audit::chain::{self, Hash};
use tally_core::audit::StreamId;
use tally_core::config::LIMIT_MAX_LOG;
use tally_core::limit::Decision;
use tally_core::number::{parse_finite_f64, IntText, ScoreText};
use tally_core::season::{season_at, season_key, Period};
use tally_core::slot;
use tally_core::tourney::{self, PageRanks, Ties};

pub const OK: i32 = 0;
pub const REFUSED: i32 = 1;
pub const INVALID: i32 = 2;

/// Largest magnitude a JavaScript number holds exactly as an integer: 2^53 - 1.
const MAX_SAFE: i64 = (1 << 53) - 1;
const ALIGN: usize = 8;

thread_local! {
    static RESULT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn set_result(bytes: Vec<u8>) {
    RESULT.with(|result| *result.borrow_mut() = bytes);
}

fn finish(outcome: Result<Vec<u8>, Failure>) -> i32 {
    match outcome {
        Ok(bytes) => {
            set_result(bytes);
            OK
        }
        Err(Failure::Tally(error)) => {
            set_result(error.to_string().into_bytes());
            REFUSED
        }
        Err(Failure::Invalid(text)) => {
            set_result(text.into_bytes());
            INVALID
        }
    }
}

/// Reads `len` bytes at `ptr` (none when `len` is 0, whatever `ptr` is).
///
/// # Safety
/// `ptr..ptr + len` must be readable and stay unchanged during the call.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the caller guarantees the range.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Splits a packed list into exactly `count` items.
fn unpack(mut packed: &[u8], count: usize) -> Result<Vec<&[u8]>, Failure> {
    let items = unpack_prefix(&mut packed, count)?;
    if !packed.is_empty() {
        return Err(Failure::Invalid(format!("{} bytes follow the last packed item", packed.len())));
    }
    Ok(items)
}

/// Takes `count` packed items off the front of `rest`.
fn unpack_prefix<'a>(rest: &mut &'a [u8], count: usize) -> Result<Vec<&'a [u8]>, Failure> {
    let mut items = Vec::with_capacity(count.min(rest.len() / 4));
    for _ in 0..count {
        let Some((head, tail)) = rest.split_first_chunk::<4>() else {
            return Err(Failure::Invalid(format!("the packed list ends before item {}", items.len())));
        };
        let len = u32::from_le_bytes(*head) as usize;
        let Some((item, tail)) = tail.split_at_checked(len) else {
            return Err(Failure::Invalid(format!("item {} runs past the packed list", items.len())));
        };
        items.push(item);
        *rest = tail;
    }
    Ok(items)
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap_or_default())).collect()
}

/// A whole number given as f64, within ±(2^53 - 1) and `min..=max`.
fn whole(value: f64, what: &str, min: i64, max: i64) -> Result<i64, Failure> {
    let ok = value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_SAFE as f64;
    match ok.then_some(value as i64) {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(Failure::Invalid(format!("{what} must be a whole number between {min} and {max}, got {value}"))),
    }
}

/// The `code`th of `choices`, or `expected` (which names the codes) as the error.
fn choice<T: Copy>(code: u32, choices: &[T], expected: &str) -> Result<T, Failure> {
    let found = usize::try_from(code).ok().and_then(|i| choices.get(i)).copied();
    found.ok_or_else(|| Failure::Invalid(format!("{expected}, got {code}")))
}

fn time(value: f64) -> Result<i64, Failure> {
    whole(value, "now_ms", -MAX_SAFE, MAX_SAFE)
}

/// Appends an integer result as f64, refusing one that a JavaScript number cannot hold.
fn put(out: &mut Vec<u8>, value: i64) -> Result<(), Failure> {
    if value.unsigned_abs() > MAX_SAFE as u64 {
        return Err(Failure::Invalid(format!("a result ({value}) is beyond 2^53 and has no exact f64")));
    }
    out.extend_from_slice(&(value as f64).to_le_bytes());
    Ok(())
}

fn put_decision(out: &mut Vec<u8>, decision: &Decision) -> Result<(), Failure> {
    decision.as_array().iter().try_for_each(|&value| put(out, value))
}

/// A decision's `outcome` code: 0 nothing written, 1 written, 2 shadowed (see the module doc).
fn outcome(written: bool, shadowed: bool) -> i64 {
    if shadowed {
        2
    } else {
        i64::from(written)
    }
}

/// Result of LIMIT.SLIDE and LIMIT.MULTI: the 5 reply integers, `outcome`, then per
/// window: its expiry (ms), its entry count n, and n entry times; all f64.
fn log_result(outcome: &LogOutcome) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(8 * (6 + outcome.logs.iter().map(|log| log.len() + 2).sum::<usize>()));
    put_decision(&mut out, &outcome.decision)?;
    put(&mut out, self::outcome(outcome.written, outcome.shadowed))?;
    for (expire_at, log) in outcome.expire_at_ms.iter().zip(&outcome.logs) {
        put(&mut out, *expire_at)?;
        put(&mut out, log.len() as i64)?;
        for entry in log {
            out.extend_from_slice(&entry.to_le_bytes());
        }
    }
    Ok(out)
}

/// Result of LIMIT.GCRA and LIMIT.FIXED: the 5 reply integers, `outcome`, the expiry (ms, 0
/// when not written), all f64, then the string to store (GCRA's new TAT, FIXED's count) as
/// decimal ASCII, empty when not written.
fn state_result(decision: &Decision, shadowed: bool, write: Option<(&[u8], i64)>) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(64);
    put_decision(&mut out, decision)?;
    put(&mut out, outcome(write.is_some(), shadowed))?;
    put(&mut out, write.map_or(0, |(_, expire_at_ms)| expire_at_ms))?;
    if let Some((text, _)) = write {
        out.extend_from_slice(text);
    }
    Ok(out)
}

fn gcra_result(result: GcraResult) -> Result<Vec<u8>, Failure> {
    let tat = result.new_tat.map(|tat| tat.encode());
    let write = tat.as_deref().map(|text| (text, result.expire_at_ms.unwrap_or(0)));
    state_result(&result.decision, result.shadowed, write)
}

fn fixed_result(result: FixedResult) -> Result<Vec<u8>, Failure> {
    let count = result.count.map(IntText::new);
    let write = count.as_ref().map(|text| (text.as_bytes(), result.expire_at_ms.unwrap_or(0)));
    state_result(&result.decision, result.shadowed, write)
}

/// Appends a lease set: `n` and the key's expiry (0 when `n` is 0), then the `n` ends, all
/// f64, then the `n` tokens packed, in the same order, up to the end of the buffer.
fn put_leases(out: &mut Vec<u8>, set: &LeaseSet<'_>) -> Result<(), Failure> {
    put(out, set.leases.len() as i64)?;
    put(out, set.expire_at_ms.unwrap_or(0))?;
    for lease in &set.leases {
        out.extend_from_slice(&lease.end_ms.to_le_bytes());
    }
    let tokens: Vec<&[u8]> = set.leases.iter().map(|lease| lease.token).collect();
    out.extend_from_slice(&pack(&tokens));
    Ok(())
}

/// Result of LIMIT.ACQUIRE: `acquired`, `limit`, `remaining`, `retry_after_ms`, `outcome`
/// and the replied token's length (-1 for nil), all f64; the token's bytes; the lease set.
fn acquire_result(result: &AcquireResult<'_>) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(64 + 48 * result.set.leases.len());
    let reply = result.decision.as_array();
    for value in reply.get(..4).unwrap_or_default() {
        put(&mut out, *value)?;
    }
    put(&mut out, outcome(result.stored, result.shadowed))?;
    put(&mut out, result.token.map_or(-1, |token| token.len() as i64))?;
    out.extend_from_slice(result.token.unwrap_or_default());
    put_leases(&mut out, &result.set)?;
    Ok(out)
}

/// Result of LIMIT.RELEASE and LIMIT.RENEW: the reply (1|0) as f64, then the lease set.
fn change_result(change: &LeaseChange<'_>) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(24 + 48 * change.set.leases.len());
    put(&mut out, i64::from(change.done))?;
    put_leases(&mut out, &change.set)?;
    Ok(out)
}

/// Result of a season: its expiry (ms) and the length n of its name, as f64, then the
/// name (ASCII, n bytes), then the season's key up to the end of the buffer.
fn season_result(expire_at_ms: i64, name: &str, key: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(16 + name.len() + key.len());
    put(&mut out, expire_at_ms)?;
    put(&mut out, name.len() as i64)?;
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(key);
    Ok(out)
}

// ---- memory ---------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn tally_abi_version() -> u32 {
    ABI_VERSION
}

/// The module's default `tally.limit-max-log`: the wrapper passes it when the caller gives
/// no `maxLog`, so the default lives in tally-core only.
#[no_mangle]
pub extern "C" fn tally_limit_max_log_default() -> f64 {
    LIMIT_MAX_LOG.default as f64
}

/// Allocates `len` bytes aligned to 8 (so f64 arrays can be written in place); 0 when
/// memory is exhausted. A `len` of 0 gives a non-null pointer that must not be written.
#[no_mangle]
pub extern "C" fn tally_alloc(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, ALIGN) {
        Ok(_) if len == 0 => ALIGN as *mut u8,
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc::alloc(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Frees a buffer from `tally_alloc` given its length.
///
/// # Safety
/// `ptr` must come from `tally_alloc(len)` and not be freed yet.
#[no_mangle]
pub unsafe extern "C" fn tally_free(ptr: *mut u8, len: usize) {
    if len == 0 || ptr.is_null() {
        return;
    }
    if let Ok(layout) = Layout::from_size_align(len, ALIGN) {
        // SAFETY: allocated by tally_alloc with this layout.
        unsafe { alloc::dealloc(ptr, layout) }
    }
}

#[no_mangle]
pub extern "C" fn tally_result_ptr() -> *const u8 {
    RESULT.with(|result| result.borrow().as_ptr())
}

#[no_mangle]
pub extern "C" fn tally_result_len() -> usize {
    RESULT.with(|result| result.borrow().len())
}

// ---- keys -----------------------------------------------------------------------------

/// # Safety
/// `key_ptr..key_ptr + key_len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_hash_slot(key_ptr: *const u8, key_len: usize) -> u32 {
    // SAFETY: forwarded from the caller.
    u32::from(slot::hash_slot(unsafe { bytes(key_ptr, key_len) }))
}

/// 1 and the tag's bytes in the result when the key has a hash tag, else 0 (empty result).
///
/// # Safety
/// `key_ptr..key_ptr + key_len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_hash_tag(key_ptr: *const u8, key_len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    let tag = slot::hash_tag(unsafe { bytes(key_ptr, key_len) });
    set_result(tag.unwrap_or_default().to_vec());
    i32::from(tag.is_some())
}

/// Status 0 when the keys pass (`require_hashtag` 0|1), 1 with the module's error text.
///
/// # Safety
/// `keys_ptr..keys_ptr + keys_len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_validate_keys(
    keys_ptr: *const u8,
    keys_len: usize,
    count: usize,
    require_hashtag: u32,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let packed = unsafe { bytes(keys_ptr, keys_len) };
    finish(unpack(packed, count).and_then(|keys| {
        slot::validate_keys(&keys, require_hashtag != 0)?;
        Ok(Vec::new())
    }))
}

// ---- limiters -------------------------------------------------------------------------

/// `flags` bit 0: `tally.require-hashtag` applies; bit 1: `tally.limit-shadow yes`.
const REQUIRE_HASHTAG: u32 = 1;
const SHADOW: u32 = 2;

/// What every limiter export does around its call: unpack argv, check the flags, the clock
/// and, for sliding logs and leases, `max_log` (GCRA and FIXED pass `None`: they do not
/// read the config).
fn limiter<'a, T>(
    packed: &'a [u8],
    argc: usize,
    max_log: Option<f64>,
    flags: u32,
    now_ms: f64,
    call: impl FnOnce(&[&'a [u8]], Server) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let argv = unpack(packed, argc)?;
    let max_log = match max_log {
        Some(value) => whole(value, "max_log", LIMIT_MAX_LOG.min, LIMIT_MAX_LOG.max)?,
        None => LIMIT_MAX_LOG.default,
    };
    if flags & !(REQUIRE_HASHTAG | SHADOW) != 0 {
        return Err(Failure::Invalid(format!("flags must be bit 0 (require hashtag) and bit 1 (shadow), got {flags}")));
    }
    let server = Server {
        now_ms: time(now_ms)?,
        require_hashtag: flags & REQUIRE_HASHTAG != 0,
        max_log,
        shadow: flags & SHADOW != 0,
    };
    call(&argv, server)
}

/// LIMIT.SLIDE: `argv` is the packed command (name first, not read), `log` the key's
/// entry times (f64, any order).
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_slide(
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    max_log: f64,
    flags: u32,
    now_ms: f64,
    log_ptr: *const u8,
    log_count: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (packed, log) = unsafe { (bytes(argv_ptr, argv_len), bytes(log_ptr, log_count.saturating_mul(8))) };
    let outcome =
        limiter(packed, argc, Some(max_log), flags, now_ms, |argv, server| crate::slide(argv, server, f64s(log)));
    finish(outcome.and_then(|outcome| log_result(&outcome)))
}

/// LIMIT.MULTI: `counts` holds one u32 (little-endian) entry count per key, and `logs`
/// the logs' entries back to back, in key order.
///
/// # Safety
/// The three ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_multi(
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    max_log: f64,
    flags: u32,
    now_ms: f64,
    logs_ptr: *const u8,
    counts_ptr: *const u8,
    windows: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (packed, counts) = unsafe { (bytes(argv_ptr, argv_len), bytes(counts_ptr, windows.saturating_mul(4))) };
    let counts: Vec<usize> =
        counts.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default()) as usize).collect();
    let total = counts.iter().fold(0usize, |sum, n| sum.saturating_add(*n));
    // SAFETY: forwarded from the caller (the counts say how long the logs are).
    let entries = f64s(unsafe { bytes(logs_ptr, total.saturating_mul(8)) });
    let mut rest = entries.as_slice();
    let logs = counts
        .iter()
        .map(|n| {
            let (log, tail) = rest.split_at((*n).min(rest.len()));
            rest = tail;
            log.to_vec()
        })
        .collect();
    let outcome = limiter(packed, argc, Some(max_log), flags, now_ms, |argv, server| crate::multi(argv, server, logs));
    finish(outcome.and_then(|outcome| log_result(&outcome)))
}

/// LIMIT.GCRA: `state` is the key's stored string when `has_state` is 1.
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_gcra(
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    flags: u32,
    now_ms: f64,
    state_ptr: *const u8,
    state_len: usize,
    has_state: u32,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (packed, state) = unsafe { (bytes(argv_ptr, argv_len), bytes(state_ptr, state_len)) };
    let stored = (has_state != 0).then_some(state);
    let outcome = limiter(packed, argc, None, flags, now_ms, |argv, server| crate::gcra(argv, server, stored));
    finish(outcome.and_then(gcra_result))
}

/// LIMIT.FIXED: `count` is the key's stored string when `has_count` is 1, and
/// `expire_at_ms` its absolute expiry when `has_expiry` is 1.
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_fixed(
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    flags: u32,
    now_ms: f64,
    count_ptr: *const u8,
    count_len: usize,
    has_count: u32,
    expire_at_ms: f64,
    has_expiry: u32,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (packed, count) = unsafe { (bytes(argv_ptr, argv_len), bytes(count_ptr, count_len)) };
    let stored = (has_count != 0).then_some(count);
    let outcome = limiter(packed, argc, None, flags, now_ms, |argv, server| {
        let expiry =
            if has_expiry != 0 { Some(whole(expire_at_ms, "expire_at_ms", -MAX_SAFE, MAX_SAFE)?) } else { None };
        crate::fixed(argv, server, stored, expiry)
    });
    finish(outcome.and_then(fixed_result))
}

/// A key's leases: `count` tokens packed at `tokens`, and their ends (f64) at `ends`.
///
/// # Safety
/// Both ranges must be readable for the lifetime `'a`.
unsafe fn leases<'a>(
    tokens_ptr: *const u8,
    tokens_len: usize,
    ends_ptr: *const u8,
    count: usize,
) -> Result<Vec<Lease<'a>>, Failure> {
    // SAFETY: forwarded from the caller.
    let (packed, ends) = unsafe { (bytes(tokens_ptr, tokens_len), bytes(ends_ptr, count.saturating_mul(8))) };
    let tokens = unpack(packed, count)?;
    Ok(tokens.into_iter().zip(f64s(ends)).map(|(token, end_ms)| Lease { token, end_ms }).collect())
}

/// LIMIT.ACQUIRE: the key's leases as `count` packed tokens and their ends (f64); `made`
/// the token to reply and store when argv names none (made by the host: status 2 when it
/// is empty, over 256 bytes or held by a live lease; unused otherwise, `made_len` 0 for
/// none).
///
/// # Safety
/// The three ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_acquire(
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    max_log: f64,
    flags: u32,
    now_ms: f64,
    tokens_ptr: *const u8,
    tokens_len: usize,
    ends_ptr: *const u8,
    count: usize,
    made_ptr: *const u8,
    made_len: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (packed, made) = unsafe { (bytes(argv_ptr, argv_len), bytes(made_ptr, made_len)) };
    let made = (made_len != 0).then_some(made);
    let outcome = limiter(packed, argc, Some(max_log), flags, now_ms, |argv, server| {
        // SAFETY: forwarded from the caller.
        let leases = unsafe { leases(tokens_ptr, tokens_len, ends_ptr, count) }?;
        crate::acquire(argv, server, leases, made)
    });
    finish(outcome.and_then(|result| acquire_result(&result)))
}

/// LIMIT.RELEASE (`renew` 0) or LIMIT.RENEW (`renew` 1) on the key's leases, given as for
/// `tally_acquire`.
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_lease_change(
    renew: u32,
    argv_ptr: *const u8,
    argv_len: usize,
    argc: usize,
    flags: u32,
    now_ms: f64,
    tokens_ptr: *const u8,
    tokens_len: usize,
    ends_ptr: *const u8,
    count: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let packed = unsafe { bytes(argv_ptr, argv_len) };
    let outcome = limiter(packed, argc, None, flags, now_ms, |argv, server| {
        let commands = [crate::release, crate::renew];
        let command = choice(renew, &commands, "renew must be 0 (LIMIT.RELEASE) or 1 (LIMIT.RENEW)")?;
        // SAFETY: forwarded from the caller.
        let leases = unsafe { leases(tokens_ptr, tokens_len, ends_ptr, count) }?;
        command(argv, server, leases)
    });
    finish(outcome.and_then(|change| change_result(&change)))
}

// ---- seasons --------------------------------------------------------------------------

/// The season of `period` (0 daily, 1 weekly, 2 monthly) that holds `now_ms` and its
/// leaderboard's key beside `key`, as `TOURNEY.* key ... SEASON period` names them on a
/// server whose clock reads `now_ms` (UTC). The result holds the season layout; status 1
/// with the module's hash-tag error for a key without a hash tag (only a tagged key has
/// seasons); 2 for another period or a `now_ms` that is not a whole number in
/// 0..=2^53-1 (a server's clock is never before 1970).
///
/// # Safety
/// `key_ptr..key_ptr + key_len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_season(period: u32, now_ms: f64, key_ptr: *const u8, key_len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    let key = unsafe { bytes(key_ptr, key_len) };
    finish((|| {
        let periods = [Period::Daily, Period::Weekly, Period::Monthly];
        let period = choice(period, &periods, "period must be 0 (daily), 1 (weekly) or 2 (monthly)")?;
        let season = season_at(period, whole(now_ms, "now_ms", 0, MAX_SAFE)?);
        let name = season_key(key, &season)?;
        season_result(season.expire_at_ms, &season.name, &name)
    })())
}

// ---- rank maths -----------------------------------------------------------------------

fn count(value: f64) -> Option<u64> {
    whole(value, "", 0, MAX_SAFE).ok().map(i64::unsigned_abs)
}

/// TOURNEY.PERCENTILE's number: 100 * at_or_below / len (0 for an empty board); NaN when
/// an input is not a whole number in 0..=2^53-1.
#[no_mangle]
pub extern "C" fn tally_percentile(at_or_below: f64, len: f64) -> f64 {
    match (count(at_or_below), count(len)) {
        (Some(at_or_below), Some(len)) => tourney::percentile(at_or_below, len),
        _ => f64::NAN,
    }
}

/// TOURNEY.AROUND's 0-based reverse-rank window: 1 with `[start, stop]` (f64) in the result,
/// 0 when `rank` is outside `0..len`, -1 when an input is not a whole number in 0..=2^53-1.
#[no_mangle]
pub extern "C" fn tally_around_window(rank: f64, radius: f64, len: f64) -> i32 {
    let (Some(rank), Some(radius), Some(len)) = (count(rank), count(radius), count(len)) else {
        set_result(Vec::new());
        return -1;
    };
    match tourney::around_window(rank, radius, len) {
        Some((start, stop)) => {
            set_result([start as f64, stop as f64].iter().flat_map(|v| v.to_le_bytes()).collect());
            1
        }
        None => {
            set_result(Vec::new());
            0
        }
    }
}

/// The ranks of a page of entries (scores best first, f64): `ties` 0 ORDINAL, 1 COMPETITION,
/// 2 DENSE; `first_position` the page's first ordinal rank, `first_rank` its COMPETITION or
/// DENSE rank. The ranks land in the result as f64.
///
/// # Safety
/// `scores_ptr..scores_ptr + 8 * count` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_page_ranks(
    ties: u32,
    first_position: f64,
    first_rank: f64,
    scores_ptr: *const u8,
    count: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let scores = f64s(unsafe { bytes(scores_ptr, count.saturating_mul(8)) });
    finish((|| {
        let modes = [Ties::Ordinal, Ties::Competition, Ties::Dense];
        let ties = choice(ties, &modes, "ties must be 0 (ORDINAL), 1 (COMPETITION) or 2 (DENSE)")?;
        let first_position = whole(first_position, "first_position", 1, MAX_SAFE)?.unsigned_abs();
        let first_rank = whole(first_rank, "first_rank", 1, MAX_SAFE)?.unsigned_abs();
        let mut ranks = PageRanks::new(ties, first_position, first_rank);
        let mut out = Vec::with_capacity(scores.len() * 8);
        for score in scores {
            put(&mut out, i64::try_from(ranks.next(score)).unwrap_or(i64::MAX))?;
        }
        Ok(out)
    })())
}

/// A score as the module writes it (replicated ZADDs, range bounds): the shortest text that
/// reads back to the same double. The text lands in the result; always status 0.
#[no_mangle]
pub extern "C" fn tally_format_score(value: f64) -> i32 {
    set_result(ScoreText::new(value).as_bytes().to_vec());
    OK
}

/// Parses a score as TOURNEY.INCR/SUBMIT do: status 0 with the f64 in the result, or 1 with
/// `ERR value is not a valid float`.
///
/// # Safety
/// `ptr..ptr + len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_parse_score(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    let text = unsafe { bytes(ptr, len) };
    finish(parse_finite_f64(text).map(|v| v.to_le_bytes().to_vec()).map_err(Failure::from))
}

// ---- audit chain ----------------------------------------------------------------------

/// Packs byte strings as the host packs them (`u32 little-endian length, bytes` each).
fn pack(items: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.iter().map(|item| 4 + item.len()).sum());
    for item in items {
        out.extend_from_slice(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(item);
    }
    out
}

fn stream_id(text: &[u8]) -> Result<StreamId, Failure> {
    StreamId::parse(text).ok_or(Failure::Tally(tally_core::Error::BadStreamId))
}

fn chain_hash(text: &[u8]) -> Result<Hash, Failure> {
    chain::from_hex(text).ok_or(Failure::Tally(tally_core::Error::BadChainHash))
}

/// An entry's field/value pairs, borrowed.
type Pairs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Field/value items as pairs; an odd count is a packing error.
fn pairs<'a>(items: &[&'a [u8]]) -> Result<Pairs<'a>, Failure> {
    if !items.len().is_multiple_of(2) {
        return Err(Failure::Invalid("fields come in field/value pairs".to_string()));
    }
    Ok(items.chunks_exact(2).filter_map(|pair| Some((*pair.first()?, *pair.get(1)?))).collect())
}

/// The `chain` link AUDIT.APPEND stores for an entry: `prev` the previous link in hex (empty
/// for a stream's first entry), `id` the entry's ID, `fields` packed field/value items
/// (`count` of them, the `chain` pair excluded). The link lands in the result as hex.
///
/// # Safety
/// The three ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_chain_link(
    prev_ptr: *const u8,
    prev_len: usize,
    id_ptr: *const u8,
    id_len: usize,
    fields_ptr: *const u8,
    fields_len: usize,
    count: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (prev, id, packed) =
        unsafe { (bytes(prev_ptr, prev_len), bytes(id_ptr, id_len), bytes(fields_ptr, fields_len)) };
    finish((|| {
        let prev = if prev.is_empty() { chain::GENESIS } else { chain_hash(prev)? };
        let items = unpack(packed, count)?;
        Ok(chain::to_hex(&chain::link(&prev, stream_id(id)?, pairs(&items)?)).to_vec())
    })())
}

/// AUDIT.VERIFY over entries the host holds (an XRANGE dump): `from` packs the start's ID
/// and link in hex (`from_count` 2), or nothing (0) for a stream's first entry; `entries`
/// packs, per entry, its ID, then its field/value count as a 4-byte little-endian item,
/// then those items (`chain` last), `count` entries in all. The result packs
/// `[ok, checked, first-bad-id, last-id, last-hash]` as text, nil as an empty item.
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn tally_verify_chain(
    from_ptr: *const u8,
    from_len: usize,
    from_count: usize,
    entries_ptr: *const u8,
    entries_len: usize,
    count: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (from, packed) = unsafe { (bytes(from_ptr, from_len), bytes(entries_ptr, entries_len)) };
    finish((|| {
        let start = match unpack(from, from_count)?.as_slice() {
            [] => None,
            [id, hash] => Some((stream_id(id)?, chain_hash(hash)?)),
            _ => return Err(Failure::Invalid("from is an ID and a link".to_string())),
        };
        let mut entries = Vec::with_capacity(count);
        let mut rest = packed;
        for _ in 0..count {
            let head = unpack_prefix(&mut rest, 2)?;
            let (id, size) = match head.as_slice() {
                [id, size] => (*id, *size),
                _ => return Err(Failure::Invalid("an entry is its ID and its field count".to_string())),
            };
            let size = <[u8; 4]>::try_from(size)
                .map_err(|_| Failure::Invalid("a field count is 4 bytes".to_string()))
                .map(u32::from_le_bytes)?;
            let items = unpack_prefix(&mut rest, size as usize)?;
            entries.push((stream_id(id)?, pairs(&items)?));
        }
        let verified = chain::verify(start, entries);
        let first_bad = verified.first_bad.map(|id| id.to_string()).unwrap_or_default();
        let (last_id, last_hash) = verified
            .last
            .map(|(id, hash)| (id.to_string(), String::from_utf8_lossy(&chain::to_hex(&hash)).into_owned()))
            .unwrap_or_default();
        let ok = if verified.ok { "1" } else { "0" };
        let checked = verified.checked.to_string();
        let items = [ok.as_bytes(), checked.as_bytes(), first_bad.as_bytes(), last_id.as_bytes(), last_hash.as_bytes()];
        Ok(pack(&items))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(items: &[&[u8]]) -> Vec<u8> {
        items
            .iter()
            .flat_map(|item| (item.len() as u32).to_le_bytes().into_iter().chain(item.iter().copied()))
            .collect()
    }

    fn result() -> Vec<u8> {
        let (ptr, len) = (tally_result_ptr(), tally_result_len());
        // SAFETY: the result buffer is valid until the next call.
        unsafe { bytes(ptr, len) }.to_vec()
    }

    fn numbers() -> Vec<f64> {
        f64s(&result())
    }

    fn log_bytes(log: &[f64]) -> Vec<u8> {
        log.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn alloc_and_free_round_trip() {
        let ptr = tally_alloc(24);
        assert!(!ptr.is_null());
        assert_eq!(ptr as usize % 8, 0);
        // SAFETY: 24 bytes were allocated.
        unsafe {
            ptr.write_bytes(7, 24);
            tally_free(ptr, 24);
        }
        assert!(!tally_alloc(0).is_null());
        assert_eq!(tally_abi_version(), ABI_VERSION);
        assert_eq!(tally_limit_max_log_default(), LIMIT_MAX_LOG.default as f64);
    }

    #[test]
    fn unpacking_refuses_bad_lengths() {
        assert_eq!(unpack(&pack(&[b"a", b"", b"bc"]), 3).unwrap(), [&b"a"[..], b"", b"bc"]);
        assert!(unpack(&pack(&[b"a"]), 2).is_err());
        assert!(unpack(&pack(&[b"a", b"b"]), 1).is_err());
        assert!(unpack(&[5, 0, 0, 0, b'x'], 1).is_err());
        assert!(unpack(&[1, 0], 1).is_err());
    }

    #[test]
    fn keys_through_the_abi() {
        // SAFETY: every buffer below outlives its call.
        unsafe {
            assert_eq!(tally_hash_slot(b"foo{hash_tag}".as_ptr(), 13), 2515);
            assert_eq!(tally_hash_slot(std::ptr::null(), 0), 0);
            assert_eq!(tally_hash_tag(b"a{b}c".as_ptr(), 5), 1);
            assert_eq!(result(), b"b");
            assert_eq!(tally_hash_tag(b"a{}c".as_ptr(), 4), 0);
            let keys = pack(&[b"a{x}", b"b{y}"]);
            assert_eq!(tally_validate_keys(keys.as_ptr(), keys.len(), 2, 0), REFUSED);
            assert_eq!(result(), b"CROSSSLOT Keys in request don't hash to the same slot");
            assert_eq!(tally_validate_keys(keys.as_ptr(), keys.len(), 1, 0), INVALID);
            let keys = pack(&[b"a{x}", b"b{x}"]);
            assert_eq!(tally_validate_keys(keys.as_ptr(), keys.len(), 2, 1), OK);
        }
    }

    #[test]
    fn slide_and_multi_layout() {
        let argv = pack(&[b"limit.slide", b"k", b"1000", b"3", b"COST", b"2"]);
        let log = log_bytes(&[100.0, 0.0]);
        // SAFETY: buffers outlive the calls.
        unsafe {
            assert_eq!(tally_slide(argv.as_ptr(), argv.len(), 6, 100_000.0, 0, 1000.0, log.as_ptr(), 2), OK);
            // Entry 0 left; 1 + 2 fit in 3.
            assert_eq!(numbers(), [1.0, 3.0, 0.0, 0.0, 1000.0, 1.0, 2000.0, 3.0, 100.0, 1000.0, 1000.0]);
            assert_eq!(tally_slide(argv.as_ptr(), argv.len(), 6, 100_000.5, 0, 1000.0, log.as_ptr(), 2), INVALID);
            assert_eq!(tally_slide(argv.as_ptr(), argv.len(), 6, 100_000.0, 0, 0.5, log.as_ptr(), 2), INVALID);
            assert!(String::from_utf8(result()).unwrap().starts_with("now_ms must be a whole number"));
            let argv = pack(&[b"limit.multi", b"2", b"a{x}", b"b{x}", b"1000", b"3", b"60000", b"1"]);
            let logs = log_bytes(&[500.0, 10.0]);
            let counts: Vec<u8> = [1u32, 1].iter().flat_map(|c| c.to_le_bytes()).collect();
            assert_eq!(
                tally_multi(argv.as_ptr(), argv.len(), 8, 100_000.0, 0, 900.0, logs.as_ptr(), counts.as_ptr(), 2),
                OK
            );
            // The minute window (max 1) is full: denied, nothing written.
            assert_eq!(numbers(), [0.0, 1.0, 0.0, 59_110.0, 59_110.0, 0.0, 1900.0, 1.0, 500.0, 60_900.0, 1.0, 10.0]);
        }
    }

    #[test]
    fn gcra_layout() {
        let argv = pack(&[b"limit.gcra", b"k", b"2", b"10", b"1000"]);
        // SAFETY: buffers outlive the calls.
        unsafe {
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, 0, 0.0, std::ptr::null(), 0, 0), OK);
            let out = result();
            assert_eq!(f64s(&out[..56]), [1.0, 3.0, 2.0, 0.0, 100.0, 1.0, 100.0]);
            assert_eq!(&out[56..], b"100000");
            let state = b"nope";
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, 0, 0.0, state.as_ptr(), 4, 1), REFUSED);
            assert_eq!(result(), b"WRONGTYPE key holds a string that is not GCRA limiter state");
            // A TAT whose expiry has no exact f64 is refused rather than rounded.
            let state = b"9223372036854775807";
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, 0, 0.0, state.as_ptr(), state.len(), 1), INVALID);
        }
    }

    #[test]
    fn season_layout() {
        // Thursday 2026-11-26 05:00 UTC.
        let now = 20_783.0 * 86_400_000.0 + 5.0 * 3_600_000.0;
        let season = |period: u32, now: f64, key: &[u8]| {
            // SAFETY: the key outlives the call.
            let status = unsafe { tally_season(period, now, key.as_ptr(), key.len()) };
            (status, result())
        };
        let (status, out) = season(0, now, b"{lb}");
        assert_eq!(status, OK);
        assert_eq!(f64s(&out[..16]), [20_785.0 * 86_400_000.0, 10.0]);
        assert_eq!(&out[16..26], b"2026-11-26");
        assert_eq!(&out[26..], b"{lb}:2026-11-26");
        let (status, out) = season(1, now, b"t:{x}:lb");
        assert_eq!((status, &out[16..]), (OK, &b"2026-W48t:{x}:lb:2026-W48"[..]));
        let (status, out) = season(2, now, b"t:{x}:lb");
        assert_eq!((status, &out[16..]), (OK, &b"2026-11t:{x}:lb:2026-11"[..]));
        let (status, out) = season(0, now, b"lb");
        assert_eq!(status, REFUSED);
        assert_eq!(
            out,
            b"ERR seasonal leaderboard 'lb' needs a hash tag like {id} in its name: tally keeps its companion keys beside it"
        );
        let (status, out) = season(3, now, b"lb");
        assert_eq!(status, INVALID);
        assert_eq!(out, b"period must be 0 (daily), 1 (weekly) or 2 (monthly), got 3");
        assert_eq!(season(0, now + 0.5, b"lb").0, INVALID);
        assert_eq!(season(0, -1.0, b"lb").0, INVALID);
        assert_eq!(season(0, f64::NAN, b"lb").0, INVALID);
        // Near 2^53 the season's expiry has no exact f64: refused rather than rounded.
        assert_eq!(season(0, MAX_SAFE as f64 - 3.0 * 86_400_000.0, b"{lb}").0, OK);
        assert_eq!(season(0, MAX_SAFE as f64, b"{lb}").0, INVALID);
    }

    #[test]
    fn rank_maths() {
        assert_eq!(tally_percentile(1.0, 3.0), 100.0 / 3.0);
        assert!(tally_percentile(-1.0, 3.0).is_nan());
        assert!(tally_percentile(1.5, 3.0).is_nan());
        assert_eq!(tally_around_window(0.0, 2.0, 10.0), 1);
        assert_eq!(numbers(), [0.0, 4.0]);
        assert_eq!(tally_around_window(10.0, 2.0, 10.0), 0);
        assert_eq!(tally_around_window(f64::INFINITY, 2.0, 10.0), -1);
        let scores = log_bytes(&[50.0, 50.0, 40.0]);
        // SAFETY: the buffer outlives the call.
        assert_eq!(unsafe { tally_page_ranks(1, 3.0, 2.0, scores.as_ptr(), 3) }, OK);
        assert_eq!(numbers(), [2.0, 2.0, 5.0]);
        // SAFETY: the buffer outlives the call.
        assert_eq!(unsafe { tally_page_ranks(3, 1.0, 1.0, scores.as_ptr(), 3) }, INVALID);
        assert_eq!(result(), b"ties must be 0 (ORDINAL), 1 (COMPETITION) or 2 (DENSE), got 3");
        assert_eq!(tally_format_score(0.1 + 0.2), OK);
        assert_eq!(result(), b"0.30000000000000004");
        // SAFETY: the buffer outlives the call.
        assert_eq!(unsafe { tally_parse_score(b"nan".as_ptr(), 3) }, REFUSED);
        assert_eq!(result(), b"ERR value is not a valid float");
    }

    #[test]
    fn flags_and_outcome_codes() {
        let argv = pack(&[b"limit.gcra", b"k", b"2", b"10", b"1000"]);
        let state = b"300000";
        // SAFETY: buffers outlive the calls.
        unsafe {
            // Refused: outcome 0; under shadow (flags bit 1) replied allowed, outcome 2.
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, 0, 0.0, state.as_ptr(), 6, 1), OK);
            assert_eq!(f64s(&result()), [0.0, 3.0, 0.0, 100.0, 300.0, 0.0, 0.0]);
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, SHADOW, 0.0, state.as_ptr(), 6, 1), OK);
            assert_eq!(f64s(&result()), [1.0, 3.0, 0.0, 0.0, 300.0, 2.0, 0.0]);
            assert_eq!(
                tally_gcra(argv.as_ptr(), argv.len(), 5, REQUIRE_HASHTAG | SHADOW, 0.0, state.as_ptr(), 6, 1),
                REFUSED
            );
            assert_eq!(tally_gcra(argv.as_ptr(), argv.len(), 5, 4, 0.0, state.as_ptr(), 6, 1), INVALID);
            assert!(String::from_utf8(result()).unwrap().starts_with("flags must be"));
        }
    }

    #[test]
    fn fixed_layout() {
        let argv = pack(&[b"limit.fixed", b"k", b"1000", b"2"]);
        let count = b"1";
        // SAFETY: buffers outlive the calls.
        unsafe {
            assert_eq!(tally_fixed(argv.as_ptr(), argv.len(), 4, 0, 10_900.0, count.as_ptr(), 1, 1, 11_000.0, 1), OK);
            let out = result();
            assert_eq!(f64s(&out[..56]), [1.0, 2.0, 0.0, 0.0, 100.0, 1.0, 11_000.0]);
            assert_eq!(&out[56..], b"2");
            // Without the key: a fresh window.
            assert_eq!(tally_fixed(argv.as_ptr(), argv.len(), 4, 0, 10_900.0, std::ptr::null(), 0, 0, 0.0, 0), OK);
            assert_eq!(&result()[56..], b"1");
            let full = b"2";
            assert_eq!(
                tally_fixed(argv.as_ptr(), argv.len(), 4, SHADOW, 10_900.0, full.as_ptr(), 1, 1, 11_000.0, 1),
                OK
            );
            assert_eq!(f64s(&result()), [1.0, 2.0, 0.0, 0.0, 100.0, 2.0, 0.0]);
            let bad = b"two";
            assert_eq!(tally_fixed(argv.as_ptr(), argv.len(), 4, 0, 0.0, bad.as_ptr(), 3, 1, 0.0, 0), REFUSED);
            assert_eq!(result(), b"WRONGTYPE key holds a string that is not a LIMIT.FIXED count");
            assert_eq!(tally_fixed(argv.as_ptr(), argv.len(), 4, 0, 0.0, count.as_ptr(), 1, 1, 0.5, 1), INVALID);
        }
    }

    /// The lease set of a result from `at`: (n, expiry, [(token, end)]), and where it ends.
    fn lease_section(out: &[u8]) -> (f64, f64, Vec<(Vec<u8>, f64)>) {
        let head = f64s(&out[..16]);
        let n = head[0] as usize;
        let ends = f64s(&out[16..16 + 8 * n]);
        let tokens = unpack(&out[16 + 8 * n..], n).unwrap();
        (head[0], head[1], tokens.into_iter().map(<[u8]>::to_vec).zip(ends).collect())
    }

    #[test]
    fn lease_layouts() {
        let tokens = pack(&[b"w2", b"w1", b"old"]);
        let ends = log_bytes(&[1600.0, 1500.0, 900.0]);
        let acquire = |argv: &[u8], argc: usize, flags: u32, made: &[u8]| {
            // SAFETY: buffers outlive the call.
            let status = unsafe {
                tally_acquire(
                    argv.as_ptr(),
                    argv.len(),
                    argc,
                    100.0,
                    flags,
                    1000.0,
                    tokens.as_ptr(),
                    tokens.len(),
                    ends.as_ptr(),
                    3,
                    made.as_ptr(),
                    made.len(),
                )
            };
            (status, result())
        };
        let argv = pack(&[b"limit.acquire", b"k", b"3", b"500"]);
        let (status, out) = acquire(&argv, 4, 0, b"new");
        assert_eq!(status, OK);
        assert_eq!(f64s(&out[..48]), [1.0, 3.0, 0.0, 0.0, 1.0, 3.0]);
        assert_eq!(&out[48..51], b"new");
        assert_eq!(
            lease_section(&out[51..]),
            // By end, then token, as ZRANGE lists them; "old" had ended.
            (3.0, 1600.0, vec![(b"new".to_vec(), 1500.0), (b"w1".to_vec(), 1500.0), (b"w2".to_vec(), 1600.0)])
        );
        let argv = pack(&[b"limit.acquire", b"k", b"2", b"500", b"TOKEN", b"w3"]);
        let (status, out) = acquire(&argv, 6, 0, b"");
        assert_eq!(status, OK);
        assert_eq!(f64s(&out[..48]), [0.0, 2.0, 0.0, 500.0, 0.0, -1.0]);
        assert_eq!(lease_section(&out[48..]), (2.0, 1600.0, vec![(b"w1".to_vec(), 1500.0), (b"w2".to_vec(), 1600.0)]));
        let (status, out) = acquire(&argv, 6, SHADOW, b"");
        assert_eq!(status, OK);
        assert_eq!(f64s(&out[..48]), [1.0, 2.0, 0.0, 0.0, 2.0, 2.0]);
        assert_eq!(&out[48..50], b"w3");
        assert_eq!(acquire(&argv, 6, 8, b"").0, INVALID);

        let change = |renew: u32, argv: &[u8], argc: usize| {
            // SAFETY: buffers outlive the call.
            let status = unsafe {
                tally_lease_change(
                    renew,
                    argv.as_ptr(),
                    argv.len(),
                    argc,
                    0,
                    1000.0,
                    tokens.as_ptr(),
                    tokens.len(),
                    ends.as_ptr(),
                    3,
                )
            };
            (status, result())
        };
        let (status, out) = change(0, &pack(&[b"limit.release", b"k", b"w1"]), 3);
        assert_eq!((status, f64s(&out[..8])), (OK, vec![1.0]));
        assert_eq!(lease_section(&out[8..]), (1.0, 1600.0, vec![(b"w2".to_vec(), 1600.0)]));
        let (status, out) = change(1, &pack(&[b"limit.renew", b"k", b"old", b"100"]), 4);
        assert_eq!((status, f64s(&out[..8])), (OK, vec![0.0]));
        let (status, out) = change(1, &pack(&[b"limit.renew", b"k", b"w1", b"1000"]), 4);
        assert_eq!((status, f64s(&out[..8])), (OK, vec![1.0]));
        assert_eq!(lease_section(&out[8..]), (2.0, 2000.0, vec![(b"w2".to_vec(), 1600.0), (b"w1".to_vec(), 2000.0)]));
        assert_eq!(change(2, &pack(&[b"limit.renew", b"k", b"w1", b"1000"]), 4).0, INVALID);
        let (status, out) = change(0, &pack(&[b"limit.release", b"k"]), 2);
        assert_eq!((status, out), (REFUSED, b"ERR wrong number of arguments for 'limit.release' command".to_vec()));
    }
}
