//! The only place that talks to the Redis module API: a context with reply, call,
//! replicate and notify helpers, and RAII wrappers for keys and call replies. Every raw
//! function pointer is checked, never unwrapped: a missing API becomes an error reply.

use redis_module::raw;
use std::ffi::{c_char, c_int, CStr, CString};
use std::marker::PhantomData;
use std::ptr;
use tally_core::number::ScoreText;
use tally_core::Error;

pub type RawString = *mut raw::RedisModuleString;

/// Calls an optional module API function, or evaluates `$missing` when the server lacks it.
macro_rules! api {
    ($name:ident($($arg:expr),* $(,)?), $missing:expr) => {
        // SAFETY: the server fills in these pointers once, at load time, before any
        // command runs; every caller passes pointers that live through the current call.
        match unsafe { raw::$name } {
            Some(function) => unsafe { function($($arg),*) },
            None => $missing,
        }
    };
}

/// The context of one command call.
pub struct Ctx {
    raw: *mut raw::RedisModuleCtx,
}

impl Ctx {
    pub fn new(raw: *mut raw::RedisModuleCtx) -> Ctx {
        Ctx { raw }
    }

    // ---- replies -------------------------------------------------------------------

    /// The one mapping from tally's error enum to a RESP error reply.
    pub fn reply_error(&self, error: &Error) {
        let text = CString::new(error.to_string())
            .unwrap_or_else(|_| CString::from(c"ERR internal error in tally"));
        api!(RedisModule_ReplyWithError(self.raw, text.as_ptr()), 0);
    }

    pub fn reply_array(&self, len: usize) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithArray(self.raw, len as _), 0);
    }

    pub fn reply_integer(&self, value: u64) {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithLongLong(self.raw, value), 0);
    }

    /// A score, formatted by the server exactly as ZSCORE formats it (a bulk string in
    /// RESP2, a double in RESP3).
    pub fn reply_double(&self, value: f64) {
        api!(RedisModule_ReplyWithDouble(self.raw, value), 0);
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

    // ---- keys ----------------------------------------------------------------------

    /// Opens a sorted-set key. A missing key opens as empty; a key of another type is
    /// WRONGTYPE.
    pub fn open_zset(&self, name: RawString, write: bool) -> Result<ZsetKey<'_>, Error> {
        let mode = if write {
            raw::REDISMODULE_READ | raw::REDISMODULE_WRITE
        } else {
            raw::REDISMODULE_READ
        };
        let key = api!(RedisModule_OpenKey(self.raw, name, mode as c_int), ptr::null_mut());
        let zset = ZsetKey { ctx: self, key: key.cast() };
        match zset.key_type() {
            raw::REDISMODULE_KEYTYPE_EMPTY | raw::REDISMODULE_KEYTYPE_ZSET => Ok(zset),
            _ => Err(Error::WrongType),
        }
    }

    // ---- calls into the server -----------------------------------------------------

    fn checked(&self, reply: *mut raw::RedisModuleCallReply) -> Result<CallReply<'_>, Error> {
        if reply.is_null() {
            return Err(Error::Internal);
        }
        let reply = CallReply { top: ReplyRef { reply, _owner: PhantomData } };
        if reply.kind() == raw::REDISMODULE_REPLY_ERROR as c_int {
            return Err(Error::Server(String::from_utf8_lossy(reply.bytes()).into_owned()));
        }
        Ok(reply)
    }

    /// 0-based position of `member` from the highest score, as ZREVRANK; `None` when absent.
    pub fn zrevrank(&self, key: RawString, member: RawString) -> Result<Option<u64>, Error> {
        let reply = api!(
            RedisModule_Call(self.raw, c"ZREVRANK".as_ptr(), c"ss".as_ptr(), key, member),
            ptr::null_mut()
        );
        let reply = self.checked(reply)?;
        if reply.kind() == raw::REDISMODULE_REPLY_INTEGER as c_int {
            Ok(u64::try_from(reply.integer()).ok())
        } else {
            Ok(None)
        }
    }

    /// Members whose score is strictly above `score` (ZCOUNT key (score +inf).
    pub fn count_above(&self, key: RawString, score: f64) -> Result<u64, Error> {
        let mut min = [0u8; 41];
        let text = ScoreText::new(score);
        let bound = exclusive_bound(&mut min, text.as_bytes());
        self.zcount(key, bound, b"+inf")
    }

    /// Members whose score is at or below `score` (ZCOUNT key -inf score).
    pub fn count_at_or_below(&self, key: RawString, score: f64) -> Result<u64, Error> {
        self.zcount(key, b"-inf", ScoreText::new(score).as_bytes())
    }

    fn zcount(&self, key: RawString, min: &[u8], max: &[u8]) -> Result<u64, Error> {
        let reply = api!(
            RedisModule_Call(
                self.raw,
                c"ZCOUNT".as_ptr(),
                c"sbb".as_ptr(),
                key,
                min.as_ptr().cast::<c_char>(),
                min.len(),
                max.as_ptr().cast::<c_char>(),
                max.len(),
            ),
            ptr::null_mut()
        );
        Ok(u64::try_from(self.checked(reply)?.integer()).unwrap_or(0))
    }

    /// Entries at 0-based reverse ranks `start..=stop`, best first, as RESP3
    /// `[[member, score], ...]` (ZRANGE key start stop REV WITHSCORES).
    pub fn zrange_rev(&self, key: RawString, start: u64, stop: u64) -> Result<CallReply<'_>, Error> {
        let start = i64::try_from(start).unwrap_or(i64::MAX);
        let stop = i64::try_from(stop).unwrap_or(i64::MAX);
        let reply = api!(
            RedisModule_Call(
                self.raw,
                c"ZRANGE".as_ptr(),
                c"3sllcc".as_ptr(),
                key,
                start,
                stop,
                c"REV".as_ptr(),
                c"WITHSCORES".as_ptr(),
            ),
            ptr::null_mut()
        );
        self.checked(reply)
    }

    // ---- effects -------------------------------------------------------------------

    /// Replicates `ZADD key score member` with the exact stored score.
    pub fn replicate_zadd(&self, key: RawString, score: f64, member: RawString) {
        let text = ScoreText::new(score);
        let bytes = text.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"ZADD".as_ptr(),
                c"sbs".as_ptr(),
                key,
                bytes.as_ptr().cast::<c_char>(),
                bytes.len(),
                member,
            ),
            0
        );
    }

    /// Replicates `ZREM key member...` for the members actually removed.
    pub fn replicate_zrem(&self, key: RawString, members: &[RawString]) {
        api!(
            RedisModule_Replicate(
                self.raw,
                c"ZREM".as_ptr(),
                c"sv".as_ptr(),
                key,
                members.as_ptr(),
                members.len(),
            ),
            0
        );
    }

    /// Marks `key` as changed (WATCH, client-side caching). The module turns off the
    /// implicit signal on closing a key opened for writing, so that writes that change
    /// nothing leave other clients' transactions alone, as the native commands do.
    pub fn signal_modified(&self, key: RawString) {
        api!(RedisModule_SignalModifiedKey(self.raw, key), 0);
    }

    /// Fires the sorted-set keyspace notification the native command would have fired.
    pub fn notify_zset(&self, event: &CStr, key: RawString) {
        self.notify(raw::REDISMODULE_NOTIFY_ZSET, event, key);
    }

    /// Fires the generic `del` notification of a key that a write emptied.
    pub fn notify_deleted(&self, key: RawString) {
        self.notify(raw::REDISMODULE_NOTIFY_GENERIC, c"del", key);
    }

    fn notify(&self, class: c_int, event: &CStr, key: RawString) {
        api!(RedisModule_NotifyKeyspaceEvent(self.raw, class, event.as_ptr(), key), 0);
    }

    fn free_string(&self, value: RawString) {
        api!(RedisModule_FreeString(self.raw, value), ());
    }
}

/// Writes `(bound` into `buf` for an exclusive ZCOUNT bound.
fn exclusive_bound<'a>(buf: &'a mut [u8; 41], score: &[u8]) -> &'a [u8] {
    let len = score.len().min(buf.len() - 1);
    buf[0] = b'(';
    if let (Some(target), Some(source)) = (buf.get_mut(1..=len), score.get(..len)) {
        target.copy_from_slice(source);
    }
    buf.get(..=len).unwrap_or_default()
}

/// Module-wide options, set once at load: modified keys are signalled explicitly.
pub fn set_module_options(ctx: *mut raw::RedisModuleCtx) {
    api!(
        RedisModule_SetModuleOptions(ctx, raw::REDISMODULE_OPTION_NO_IMPLICIT_SIGNAL_MODIFIED as c_int),
        ()
    );
}

/// Writes a line to the server log at warning level. Usable without a context (from the
/// panic hook); NUL bytes are dropped so the text always reaches the log.
pub fn log_warning(message: &str) {
    let text = CString::new(message.replace('\0', "")).unwrap_or_default();
    api!(
        RedisModule_Log(ptr::null_mut(), c"warning".as_ptr(), c"%s".as_ptr(), text.as_ptr()),
        ()
    );
}

/// An open sorted-set key (possibly empty), closed on drop.
pub struct ZsetKey<'a> {
    ctx: &'a Ctx,
    key: *mut raw::RedisModuleKey,
}

impl ZsetKey<'_> {
    fn key_type(&self) -> isize {
        if self.key.is_null() {
            return raw::REDISMODULE_KEYTYPE_EMPTY;
        }
        api!(RedisModule_KeyType(self.key), 0) as isize
    }

    pub fn len(&self) -> u64 {
        if self.key.is_null() {
            return 0;
        }
        api!(RedisModule_ValueLength(self.key), 0) as u64
    }

    pub fn score(&self, member: RawString) -> Option<f64> {
        if self.key.is_null() {
            return None;
        }
        let mut score = 0.0;
        let status = api!(RedisModule_ZsetScore(self.key, member, &mut score), raw::REDISMODULE_ERR as c_int);
        (status == raw::REDISMODULE_OK as c_int).then_some(score)
    }

    /// Sets `member`'s score (adding it if absent).
    pub fn set(&self, score: f64, member: RawString) -> Result<(), Error> {
        let mut flags: c_int = 0;
        let status = api!(
            RedisModule_ZsetAdd(self.key, score, member, &mut flags),
            raw::REDISMODULE_ERR as c_int
        );
        if status == raw::REDISMODULE_OK as c_int {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    /// Removes `member`; true when it was there.
    pub fn remove(&self, member: RawString) -> bool {
        let mut deleted: c_int = 0;
        let status = api!(
            RedisModule_ZsetRem(self.key, member, &mut deleted),
            raw::REDISMODULE_ERR as c_int
        );
        status == raw::REDISMODULE_OK as c_int && deleted != 0
    }

    /// Visits up to `limit` entries from the highest score down (ZREVRANGE order),
    /// walking the set's own order with no command call.
    pub fn visit_from_top(&self, limit: u64, mut visit: impl FnMut(RawString, f64)) {
        if self.key.is_null() || limit == 0 {
            return;
        }
        let found = api!(
            RedisModule_ZsetLastInScoreRange(self.key, f64::NEG_INFINITY, f64::INFINITY, 0, 0),
            raw::REDISMODULE_ERR as c_int
        );
        if found != raw::REDISMODULE_OK as c_int {
            return;
        }
        let mut seen = 0;
        while seen < limit && api!(RedisModule_ZsetRangeEndReached(self.key), 1) == 0 {
            let mut score = 0.0;
            let member = api!(RedisModule_ZsetRangeCurrentElement(self.key, &mut score), ptr::null_mut());
            if member.is_null() {
                break;
            }
            visit(member, score);
            self.ctx.free_string(member);
            seen += 1;
            if api!(RedisModule_ZsetRangePrev(self.key), 0) == 0 {
                break;
            }
        }
        api!(RedisModule_ZsetRangeStop(self.key), ());
    }
}

impl Drop for ZsetKey<'_> {
    fn drop(&mut self) {
        if !self.key.is_null() {
            api!(RedisModule_CloseKey(self.key), ());
        }
    }
}

/// A reply of a call into the server, freed on drop.
pub struct CallReply<'a> {
    top: ReplyRef<'a>,
}

impl<'a> std::ops::Deref for CallReply<'a> {
    type Target = ReplyRef<'a>;
    fn deref(&self) -> &ReplyRef<'a> {
        &self.top
    }
}

impl Drop for CallReply<'_> {
    fn drop(&mut self) {
        api!(RedisModule_FreeCallReply(self.top.reply), ());
    }
}

/// A borrowed view of a call reply or of one of its elements (elements belong to the
/// top-level reply and are freed with it, never on their own).
#[derive(Clone, Copy)]
pub struct ReplyRef<'a> {
    reply: *mut raw::RedisModuleCallReply,
    _owner: PhantomData<&'a ()>,
}

impl<'a> ReplyRef<'a> {
    fn kind(&self) -> c_int {
        api!(RedisModule_CallReplyType(self.reply), raw::REDISMODULE_REPLY_UNKNOWN as c_int)
    }

    fn integer(&self) -> i64 {
        api!(RedisModule_CallReplyInteger(self.reply), 0)
    }

    fn double(&self) -> f64 {
        api!(RedisModule_CallReplyDouble(self.reply), 0.0)
    }

    pub fn len(&self) -> usize {
        api!(RedisModule_CallReplyLength(self.reply), 0)
    }

    fn bytes(&self) -> &'a [u8] {
        let mut len = 0;
        let data = api!(RedisModule_CallReplyStringPtr(self.reply, &mut len), ptr::null());
        if data.is_null() {
            return &[];
        }
        // SAFETY: the server returned `len` bytes owned by the top-level reply, which
        // outlives 'a.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }
    }

    fn element(&self, index: usize) -> Option<ReplyRef<'a>> {
        let element = api!(RedisModule_CallReplyArrayElement(self.reply, index), ptr::null_mut());
        (!element.is_null()).then_some(ReplyRef { reply: element, _owner: PhantomData })
    }

    /// The `(member, score)` pair at `index` of a RESP3 WITHSCORES reply.
    pub fn scored_member(&self, index: usize) -> Option<(&'a [u8], f64)> {
        let pair = self.element(index)?;
        Some((pair.element(0)?.bytes(), pair.element(1)?.double()))
    }
}
