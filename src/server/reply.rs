//! Replies to the caller.

use super::{Ctx, RawString};
use redis_module::raw;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use tally_core::number::{IntText, MAX_EXACT_INTEGER};
use tally_core::Error;

/// Whether the server formats double replies fast (Redis 7.2+ and Valkey; set at load).
static FAST_DOUBLES: AtomicBool = AtomicBool::new(false);

/// The first server version whose double replies skip printf (Redis 7.2; Valkey reports
/// the Redis version it forked from, 7.2.4).
const FAST_DOUBLES_SINCE: i32 = 0x0007_0200;

/// Records at load how the server formats doubles, for `reply_double`.
pub fn detect_double_formatting() {
    let version = api!(RedisModule_GetServerVersion(), 0);
    FAST_DOUBLES.store(version >= FAST_DOUBLES_SINCE, Ordering::Relaxed);
}

impl Ctx {
    /// The one mapping from tally's error enum to a RESP error reply.
    pub fn reply_error(&self, error: &Error) {
        let text = CString::new(error.to_string()).unwrap_or_else(|_| CString::from(c"ERR internal error in tally"));
        api!(RedisModule_ReplyWithError(self.raw, text.as_ptr()), 0);
    }

    pub fn reply_array(&self, len: usize) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithArray(self.raw, len as _), 0);
    }

    /// An integer reply, of any integer type; unsigned values past `i64::MAX` (which no
    /// count reaches) saturate.
    pub fn reply_integer(&self, value: impl TryInto<i64>) {
        let value = value.try_into().unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithLongLong(self.raw, value), 0);
    }

    /// A score, exactly as ZSCORE replies it: a bulk string in RESP2, a double in RESP3.
    /// Whole scores below 2^53 (most leaderboard scores) are written as integer digits,
    /// which is what both Redis' and Valkey's double formatting print for them, at a
    /// fraction of the cost of the server's printf.
    pub fn reply_double(&self, value: f64) {
        // Whole scores as integers, fast; -0 goes to the server, which prints "-0" as ZSCORE.
        // Servers from 7.2 format doubles fast themselves, in one write where a bulk reply
        // takes three, so the shortcut pays on 7.0 only.
        let negative_zero = value == 0.0 && value.is_sign_negative();
        if !FAST_DOUBLES.load(Ordering::Relaxed)
            && value.fract() == 0.0
            && value.abs() < MAX_EXACT_INTEGER
            && !negative_zero
            && !self.is_resp3()
        {
            self.reply_bulk(IntText::new(value as i64).as_bytes());
        } else {
            api!(RedisModule_ReplyWithDouble(self.raw, value), 0);
        }
    }

    fn is_resp3(&self) -> bool {
        if let Some(resp3) = self.resp3.get() {
            return resp3;
        }
        let flags = api!(RedisModule_GetContextFlags(self.raw), 0);
        let resp3 = flags as u32 & raw::REDISMODULE_CTX_FLAGS_RESP3 != 0;
        self.resp3.set(Some(resp3));
        resp3
    }

    pub fn reply_ok(&self) {
        api!(RedisModule_ReplyWithSimpleString(self.raw, c"OK".as_ptr()), 0);
    }

    /// Starts a map of `len` pairs (a flat array of 2 * len in RESP2).
    pub fn reply_map(&self, len: usize) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithMap(self.raw, len as _), 0);
    }

    pub fn reply_null(&self) {
        api!(RedisModule_ReplyWithNull(self.raw), 0);
    }

    pub fn reply_string(&self, value: RawString) {
        api!(RedisModule_ReplyWithString(self.raw, value), 0);
    }

    pub fn reply_bulk(&self, bytes: &[u8]) {
        api!(RedisModule_ReplyWithStringBuffer(self.raw, bytes.as_ptr().cast(), bytes.len()), 0);
    }
}
