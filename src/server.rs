//! The only place that talks to the Redis module API: a context with reply, call,
//! replicate and notify helpers, and RAII wrappers for keys and call replies. Every raw
//! function pointer is checked, never unwrapped: a missing API becomes an error reply.

use redis_module::raw;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::marker::PhantomData;
use std::ptr;
use tally_core::audit::StreamId;
use tally_core::number::{IntText, ScoreText, MAX_EXACT_INTEGER};
use tally_core::Error;

pub type RawString = *mut raw::RedisModuleString;

/// The errno values RM_StreamAdd reports (Linux numbering).
mod libc_errno {
    pub const EFBIG: i32 = 27;
    pub const ERANGE: i32 = 34;
}

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
    /// Whether the caller speaks RESP3, asked of the server once per call.
    resp3: std::cell::Cell<Option<bool>>,
}

impl Ctx {
    pub fn new(raw: *mut raw::RedisModuleCtx) -> Ctx {
        Ctx { raw, resp3: std::cell::Cell::new(None) }
    }

    /// True when the server only asks where the keys of the call are (getkeys API).
    pub fn is_keys_position_request(&self) -> bool {
        api!(RedisModule_IsKeysPositionRequest(self.raw), 0) != 0
    }

    /// Reports argv position `position` as a key with `REDISMODULE_CMD_KEY_*` flags.
    pub fn key_at(&self, position: usize, flags: u32) {
        let Ok(position) = c_int::try_from(position) else { return };
        // SAFETY: see api!; KeyAtPosWithFlags is 7.0+, KeyAtPos the fallback.
        match unsafe { raw::RedisModule_KeyAtPosWithFlags } {
            Some(key_at) => unsafe { key_at(self.raw, position, flags as c_int) },
            None => api!(RedisModule_KeyAtPos(self.raw, position), ()),
        }
    }

    // ---- replies -------------------------------------------------------------------

    /// The one mapping from tally's error enum to a RESP error reply.
    pub fn reply_error(&self, error: &Error) {
        let text = CString::new(error.to_string()).unwrap_or_else(|_| CString::from(c"ERR internal error in tally"));
        api!(RedisModule_ReplyWithError(self.raw, text.as_ptr()), 0);
    }

    pub fn reply_array(&self, len: usize) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithArray(self.raw, len as _), 0);
    }

    pub fn reply_signed(&self, value: i64) {
        api!(RedisModule_ReplyWithLongLong(self.raw, value), 0);
    }

    pub fn reply_integer(&self, value: u64) {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        api!(RedisModule_ReplyWithLongLong(self.raw, value), 0);
    }

    /// A score, exactly as ZSCORE replies it: a bulk string in RESP2, a double in RESP3.
    /// Whole scores below 2^53 (most leaderboard scores) are written as integer digits,
    /// which is what both Redis' and Valkey's double formatting print for them, at a
    /// fraction of the cost of the server's printf.
    pub fn reply_double(&self, value: f64) {
        if value.fract() == 0.0 && value.abs() < MAX_EXACT_INTEGER && !self.is_resp3() {
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

    // ---- keys ----------------------------------------------------------------------

    /// Opens a key of any type; a missing key opens as empty.
    pub fn open_key(&self, name: RawString, write: bool) -> Key<'_> {
        let mode = if write { raw::REDISMODULE_READ | raw::REDISMODULE_WRITE } else { raw::REDISMODULE_READ };
        let key = api!(RedisModule_OpenKey(self.raw, name, mode as c_int), ptr::null_mut());
        Key { ctx: self, key: key.cast() }
    }

    /// Opens a key for reading without leaving a trace: no LRU touch, and from 7.2 (which
    /// honours these flags; 7.0 ignores them) no keyspace hit or miss in INFO and no
    /// `keymiss` event. For the module's own lookups of keys that may well not exist.
    pub fn open_quietly(&self, name: RawString) -> Key<'_> {
        let mode = raw::REDISMODULE_READ
            | raw::REDISMODULE_OPEN_KEY_NOTOUCH
            | raw::REDISMODULE_OPEN_KEY_NONOTIFY
            | raw::REDISMODULE_OPEN_KEY_NOSTATS;
        let key = api!(RedisModule_OpenKey(self.raw, name, mode as c_int), ptr::null_mut());
        Key { ctx: self, key: key.cast() }
    }

    /// Opens a key that must be empty or of `kind`, else WRONGTYPE.
    pub fn open_kind(&self, name: RawString, kind: KeyKind, write: bool) -> Result<Key<'_>, Error> {
        let key = self.open_key(name, write);
        match key.kind() {
            KeyKind::Empty => Ok(key),
            found if found == kind => Ok(key),
            _ => Err(Error::WrongType),
        }
    }

    /// Opens a sorted-set key: empty or a sorted set, else WRONGTYPE.
    pub fn open_zset(&self, name: RawString, write: bool) -> Result<Key<'_>, Error> {
        self.open_kind(name, KeyKind::Zset, write)
    }

    /// Checks that the calling user may read and write `key`, a key the command derives
    /// itself (the server checks only the keys declared in argv).
    pub fn check_write_permission(&self, key: RawString) -> Result<(), Error> {
        self.check_permissions(&[key], Access::Write)
    }

    /// Checks `keys` the command derives itself against the calling user, for `access`.
    /// A refusal is recorded in ACL LOG like the server's own key refusals.
    pub fn check_permissions(&self, keys: &[RawString], access: Access) -> Result<(), Error> {
        let name = api!(RedisModule_GetCurrentUserName(self.raw), ptr::null_mut());
        if name.is_null() {
            // No calling client (the server itself): nothing to check.
            return Ok(());
        }
        let user = api!(RedisModule_GetModuleUserFromUserName(name), ptr::null_mut());
        self.free_string(name);
        if user.is_null() {
            return Err(Error::NoPermission);
        }
        let flags = match access {
            Access::Read => raw::REDISMODULE_CMD_KEY_ACCESS,
            Access::Write => raw::REDISMODULE_CMD_KEY_ACCESS | raw::REDISMODULE_CMD_KEY_UPDATE,
        };
        let refused = keys.iter().copied().find(|&key| {
            !ok(api!(RedisModule_ACLCheckKeyPermissions(user, key, flags as c_int), raw::REDISMODULE_ERR as c_int))
        });
        if let Some(key) = refused {
            let reason = raw::RedisModuleACLLogEntryReason_REDISMODULE_ACL_LOG_KEY;
            api!(RedisModule_ACLAddLogEntry(self.raw, user, key, reason), ());
        }
        api!(RedisModule_FreeModuleUser(user), ());
        match refused {
            Some(_) => Err(Error::NoPermission),
            None => Ok(()),
        }
    }

    /// The server's clock in milliseconds (the primary's; replicas get concrete values).
    pub fn now_ms(&self) -> i64 {
        api!(RedisModule_Milliseconds(), 0)
    }

    /// A new server string holding the decimal form of `value`; freed on drop.
    pub fn integer_string(&self, value: i64) -> OwnedString<'_> {
        self.string(IntText::new(value).as_bytes())
    }

    /// A new server string holding `bytes`; freed on drop.
    pub fn string(&self, bytes: &[u8]) -> OwnedString<'_> {
        let raw =
            api!(RedisModule_CreateString(self.raw, bytes.as_ptr().cast::<c_char>(), bytes.len()), ptr::null_mut());
        OwnedString { ctx: self, raw }
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
        let reply =
            api!(RedisModule_Call(self.raw, c"ZREVRANK".as_ptr(), c"ss".as_ptr(), key, member), ptr::null_mut());
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

    /// `XGROUP CREATE key group start MKSTREAM`, replicated as the server rewrites it.
    pub fn xgroup_create(&self, key: RawString, group: RawString, start: &[u8]) -> Result<(), Error> {
        let reply = api!(
            RedisModule_Call(
                self.raw,
                c"XGROUP".as_ptr(),
                c"!cssbc".as_ptr(),
                c"CREATE".as_ptr(),
                key,
                group,
                start.as_ptr().cast::<c_char>(),
                start.len(),
                c"MKSTREAM".as_ptr(),
            ),
            ptr::null_mut()
        );
        self.checked(reply).map(drop)
    }

    /// `XINFO STREAM key` or `XINFO GROUPS key` (`what`), as a RESP3 reply.
    pub fn xinfo(&self, what: &CStr, key: RawString) -> Result<CallReply<'_>, Error> {
        let reply =
            api!(RedisModule_Call(self.raw, c"XINFO".as_ptr(), c"3cs".as_ptr(), what.as_ptr(), key), ptr::null_mut());
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

    /// Replicates `command key args...` (ZREM, ZADD score member pairs, HSET, HDEL).
    pub fn replicate_with_key(&self, command: &CStr, key: RawString, args: &[RawString]) {
        api!(RedisModule_Replicate(self.raw, command.as_ptr(), c"sv".as_ptr(), key, args.as_ptr(), args.len()), 0);
    }

    /// Replicates `SET key value`.
    pub fn replicate_set(&self, key: RawString, value: RawString) {
        api!(RedisModule_Replicate(self.raw, c"SET".as_ptr(), c"ss".as_ptr(), key, value), 0);
    }

    // Numbers go to RM_Replicate as text ("b"): its own integer formatting ("l") costs
    // more than the rest of the argument handling.

    /// Replicates `ZREMRANGEBYSCORE key -inf max`.
    pub fn replicate_zremrangebyscore(&self, key: RawString, max: i64) {
        let max = IntText::new(max);
        let max = max.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"ZREMRANGEBYSCORE".as_ptr(),
                c"scb".as_ptr(),
                key,
                c"-inf".as_ptr(),
                max.as_ptr().cast::<c_char>(),
                max.len(),
            ),
            0
        );
    }

    /// Replicates `PEXPIREAT key at_ms`.
    pub fn replicate_pexpireat(&self, key: RawString, at_ms: i64) {
        let at = IntText::new(at_ms);
        let at = at.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"PEXPIREAT".as_ptr(),
                c"sb".as_ptr(),
                key,
                at.as_ptr().cast::<c_char>(),
                at.len()
            ),
            0
        );
    }

    /// Replicates `SET key value PXAT at_ms`.
    pub fn replicate_set_pxat(&self, key: RawString, value: RawString, at_ms: i64) {
        let at = IntText::new(at_ms);
        let at = at.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"SET".as_ptr(),
                c"sscb".as_ptr(),
                key,
                value,
                c"PXAT".as_ptr(),
                at.as_ptr().cast::<c_char>(),
                at.len(),
            ),
            0
        );
    }

    /// Replicates `XADD key MAXLEN = cap id field value ...` with the ID the entry got.
    pub fn replicate_xadd(&self, key: RawString, cap: i64, id: RawString, fields: &[RawString]) {
        let cap = IntText::new(cap);
        let cap = cap.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"XADD".as_ptr(),
                c"sccbsv".as_ptr(),
                key,
                c"MAXLEN".as_ptr(),
                c"=".as_ptr(),
                cap.as_ptr().cast::<c_char>(),
                cap.len(),
                id,
                fields.as_ptr(),
                fields.len(),
            ),
            0
        );
    }

    /// Replicates `XTRIM key MINID = id`.
    pub fn replicate_xtrim_minid(&self, key: RawString, id: RawString) {
        api!(
            RedisModule_Replicate(
                self.raw,
                c"XTRIM".as_ptr(),
                c"sccs".as_ptr(),
                key,
                c"MINID".as_ptr(),
                c"=".as_ptr(),
                id
            ),
            0
        );
    }

    /// Replicates `HSET key field value`.
    pub fn replicate_hset(&self, key: RawString, field: RawString, value: RawString) {
        api!(RedisModule_Replicate(self.raw, c"HSET".as_ptr(), c"sss".as_ptr(), key, field, value), 0);
    }

    /// A new server string holding a stream ID; freed on drop.
    pub fn stream_id_string(&self, id: StreamId) -> OwnedString<'_> {
        let raw_id = raw::RedisModuleStreamID { ms: id.ms, seq: id.seq };
        OwnedString { ctx: self, raw: api!(RedisModule_CreateStringFromStreamID(self.raw, &raw_id), ptr::null_mut()) }
    }

    /// Replicates `DEL key [key ...]`.
    pub fn replicate_del(&self, keys: &[RawString]) {
        api!(RedisModule_Replicate(self.raw, c"DEL".as_ptr(), c"v".as_ptr(), keys.as_ptr(), keys.len()), 0);
    }

    /// Marks `key` as changed (WATCH, client-side caching). The module turns off the
    /// implicit signal on closing a key opened for writing, so that writes that change
    /// nothing leave other clients' transactions alone, as the native commands do.
    pub fn signal_modified(&self, key: RawString) {
        api!(RedisModule_SignalModifiedKey(self.raw, key), 0);
    }

    /// After a write to `key`: signals it as modified and fires the keyspace event of
    /// `class` (a `REDISMODULE_NOTIFY_*` flag) the native command would have fired.
    pub fn wrote(&self, key: RawString, class: c_int, event: &CStr) {
        self.signal_modified(key);
        self.notify(class, event, key);
    }

    /// Fires the generic `del` notification of a key that a write emptied.
    pub fn notify_deleted(&self, key: RawString) {
        self.notify(raw::REDISMODULE_NOTIFY_GENERIC, c"del", key);
    }

    /// Fires the generic `expire` notification.
    pub fn notify_expire(&self, key: RawString) {
        self.notify(raw::REDISMODULE_NOTIFY_GENERIC, c"expire", key);
    }

    fn notify(&self, class: c_int, event: &CStr, key: RawString) {
        api!(RedisModule_NotifyKeyspaceEvent(self.raw, class, event.as_ptr(), key), 0);
    }

    fn free_string(&self, value: RawString) {
        api!(RedisModule_FreeString(self.raw, value), ());
    }

    fn retain(&self, value: RawString) {
        api!(RedisModule_RetainString(self.raw, value), ());
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

/// The sink of an INFO callback: the module's section and its fields (the server
/// prefixes each with `tally_`).
pub struct InfoSink {
    raw: *mut raw::RedisModuleInfoCtx,
}

impl InfoSink {
    pub fn new(raw: *mut raw::RedisModuleInfoCtx) -> InfoSink {
        InfoSink { raw }
    }

    /// Starts the module's default section (`# tally`).
    pub fn section(&self) {
        api!(RedisModule_InfoAddSection(self.raw, ptr::null_mut()), 0);
    }

    pub fn field_u64(&self, name: &CStr, value: u64) {
        api!(RedisModule_InfoAddFieldULongLong(self.raw, name.as_ptr(), value), 0);
    }

    pub fn field_i64(&self, name: &CStr, value: i64) {
        api!(RedisModule_InfoAddFieldLongLong(self.raw, name.as_ptr(), value), 0);
    }

    pub fn field_str(&self, name: &CStr, value: &CStr) {
        api!(RedisModule_InfoAddFieldCString(self.raw, name.as_ptr(), value.as_ptr()), 0);
    }
}

/// Replaces the INFO callback the module framework registered with `callback`.
pub fn register_info(ctx: *mut raw::RedisModuleCtx, callback: raw::RedisModuleInfoFunc) -> bool {
    ok(api!(RedisModule_RegisterInfoFunc(ctx, callback), raw::REDISMODULE_ERR as c_int))
}

/// Module-wide options, set once at load: modified keys are signalled explicitly.
pub fn set_module_options(ctx: *mut raw::RedisModuleCtx) {
    api!(RedisModule_SetModuleOptions(ctx, raw::REDISMODULE_OPTION_NO_IMPLICIT_SIGNAL_MODIFIED as c_int), ());
}

/// Writes a line to the server log at warning level. Usable without a context (from the
/// panic hook); NUL bytes are dropped so the text always reaches the log.
pub fn log_warning(message: &str) {
    let text = CString::new(message.replace('\0', "")).unwrap_or_default();
    api!(RedisModule_Log(ptr::null_mut(), c"warning".as_ptr(), c"%s".as_ptr(), text.as_ptr()), ());
}

/// What a command does with a key it derives itself, for ACL checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The bytes of a server string, borrowed for as long as the string lives.
pub fn string_bytes<'a>(value: RawString) -> &'a [u8] {
    let mut len = 0;
    let data = api!(RedisModule_StringPtrLen(value, &mut len), ptr::null());
    if data.is_null() {
        return &[];
    }
    // SAFETY: the caller holds `value` alive for 'a; the server returned its length.
    unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }
}

/// What an open key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Empty,
    String,
    Hash,
    Zset,
    Stream,
    Other,
}

/// Walking order of a sorted set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lowest score first (ZRANGE order).
    Ascending,
    /// Highest score first (ZREVRANGE order).
    Descending,
}

/// An open key (possibly empty), closed on drop.
pub struct Key<'a> {
    ctx: &'a Ctx,
    key: *mut raw::RedisModuleKey,
}

fn ok(status: c_int) -> bool {
    status == raw::REDISMODULE_OK as c_int
}

impl Key<'_> {
    pub fn kind(&self) -> KeyKind {
        if self.key.is_null() {
            return KeyKind::Empty;
        }
        match api!(RedisModule_KeyType(self.key), 0) as isize {
            raw::REDISMODULE_KEYTYPE_EMPTY => KeyKind::Empty,
            raw::REDISMODULE_KEYTYPE_STRING => KeyKind::String,
            raw::REDISMODULE_KEYTYPE_HASH => KeyKind::Hash,
            raw::REDISMODULE_KEYTYPE_ZSET => KeyKind::Zset,
            raw::REDISMODULE_KEYTYPE_STREAM => KeyKind::Stream,
            _ => KeyKind::Other,
        }
    }

    pub fn len(&self) -> u64 {
        if self.key.is_null() {
            return 0;
        }
        api!(RedisModule_ValueLength(self.key), 0) as u64
    }

    /// Removes the key and its value; true when there was one.
    pub fn delete(&self) -> bool {
        self.kind() != KeyKind::Empty && ok(api!(RedisModule_DeleteKey(self.key), raw::REDISMODULE_ERR as c_int))
    }

    /// Sets the absolute expiry time (unix ms).
    pub fn set_expire_at(&self, at_ms: i64) -> Result<(), Error> {
        if ok(api!(RedisModule_SetAbsExpire(self.key, at_ms), raw::REDISMODULE_ERR as c_int)) {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    // ---- strings -------------------------------------------------------------------

    /// The bytes of a string value (copied out, as the server hands out a buffer that
    /// lives only while the key is open); `None` when longer than `buf`.
    pub fn string_value<const N: usize>(&self, buf: &mut [u8; N]) -> Option<usize> {
        let mut len = 0;
        let data = api!(RedisModule_StringDMA(self.key, &mut len, raw::REDISMODULE_READ as c_int), ptr::null_mut());
        if data.is_null() || len > buf.len() {
            return None;
        }
        // SAFETY: the server returned `len` readable bytes of the open key's value.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
        buf.get_mut(..len)?.copy_from_slice(bytes);
        Some(len)
    }

    /// Replaces the value with a string (keeping no expiry).
    pub fn set_string(&self, value: &OwnedString) -> Result<(), Error> {
        if ok(api!(RedisModule_StringSet(self.key, value.raw), raw::REDISMODULE_ERR as c_int)) {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    // ---- streams -------------------------------------------------------------------

    /// Appends an entry with a server-generated ID from field/value pairs.
    pub fn stream_add(&self, fields: &[RawString]) -> Result<StreamId, Error> {
        let mut id = raw::RedisModuleStreamID { ms: 0, seq: 0 };
        let pairs = i64::try_from(fields.len() / 2).map_err(|_| Error::Internal)?;
        let status = api!(
            RedisModule_StreamAdd(
                self.key,
                raw::REDISMODULE_STREAM_ADD_AUTOID as c_int,
                &mut id,
                fields.as_ptr().cast_mut(),
                pairs
            ),
            raw::REDISMODULE_ERR as c_int
        );
        if ok(status) {
            return Ok(StreamId { ms: id.ms, seq: id.seq });
        }
        // The server says why through errno.
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc_errno::EFBIG) => Err(Error::StreamExhausted),
            Some(libc_errno::ERANGE) => Err(Error::EntryTooLarge),
            _ => Err(Error::Internal),
        }
    }

    /// Trims the stream to exactly `len` entries; returns how many went.
    pub fn stream_trim_len(&self, len: i64) -> i64 {
        api!(RedisModule_StreamTrimByLength(self.key, 0, len), 0).max(0)
    }

    /// Removes the entries with IDs below `floor`; returns how many went.
    pub fn stream_trim_below(&self, floor: StreamId) -> i64 {
        let mut id = raw::RedisModuleStreamID { ms: floor.ms, seq: floor.seq };
        api!(RedisModule_StreamTrimByID(self.key, 0, &mut id), 0).max(0)
    }

    // ---- hashes --------------------------------------------------------------------

    /// The value of a hash field, copied into a new server string.
    pub fn hash_get(&self, field: RawString) -> Option<OwnedString<'_>> {
        if self.key.is_null() {
            return None;
        }
        let mut value: RawString = ptr::null_mut();
        let status = api!(
            RedisModule_HashGet(
                self.key,
                raw::REDISMODULE_HASH_NONE as c_int,
                field,
                &mut value as *mut RawString,
                ptr::null_mut::<c_void>()
            ),
            raw::REDISMODULE_ERR as c_int
        );
        (ok(status) && !value.is_null()).then_some(OwnedString { ctx: self.ctx, raw: value })
    }

    pub fn hash_set(&self, field: RawString, value: RawString) -> Result<(), Error> {
        let status = api!(
            RedisModule_HashSet(self.key, raw::REDISMODULE_HASH_NONE as c_int, field, value, ptr::null_mut::<c_void>()),
            raw::REDISMODULE_ERR as c_int
        );
        // HashSet returns the number of fields added or updated, not a status.
        if status >= 0 {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    /// Removes a hash field; true when it was there.
    pub fn hash_delete(&self, field: RawString) -> bool {
        let status = api!(
            RedisModule_HashSet(
                self.key,
                raw::REDISMODULE_HASH_NONE as c_int,
                field,
                // REDISMODULE_HASH_DELETE, a macro bindgen cannot carry.
                1 as RawString,
                ptr::null_mut::<c_void>()
            ),
            0
        );
        status > 0
    }

    // ---- sorted sets ---------------------------------------------------------------

    /// True when some member holds exactly `score`.
    pub fn has_score(&self, score: f64) -> bool {
        let mut found = false;
        self.visit(Order::Ascending, score, score, 1, |_, _| found = true);
        found
    }

    pub fn score(&self, member: RawString) -> Option<f64> {
        if self.key.is_null() {
            return None;
        }
        let mut score = 0.0;
        ok(api!(RedisModule_ZsetScore(self.key, member, &mut score), raw::REDISMODULE_ERR as c_int)).then_some(score)
    }

    /// Sets `member`'s score (adding it if absent).
    pub fn set(&self, score: f64, member: RawString) -> Result<(), Error> {
        let mut flags: c_int = 0;
        if ok(api!(RedisModule_ZsetAdd(self.key, score, member, &mut flags), raw::REDISMODULE_ERR as c_int)) {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    /// Adds `member` only if absent; true when it was added.
    pub fn add_new(&self, score: f64, member: RawString) -> Result<bool, Error> {
        let mut flags = raw::REDISMODULE_ZADD_NX as c_int;
        if ok(api!(RedisModule_ZsetAdd(self.key, score, member, &mut flags), raw::REDISMODULE_ERR as c_int)) {
            Ok(flags & raw::REDISMODULE_ZADD_ADDED as c_int != 0)
        } else {
            Err(Error::Internal)
        }
    }

    /// Removes `member`; true when it was there.
    pub fn remove(&self, member: RawString) -> bool {
        let mut deleted: c_int = 0;
        ok(api!(RedisModule_ZsetRem(self.key, member, &mut deleted), raw::REDISMODULE_ERR as c_int)) && deleted != 0
    }

    /// Removes every member scored at or below `max`; returns how many went.
    pub fn remove_at_or_below(&self, max: f64) -> u64 {
        let mut removed = 0;
        loop {
            let mut lowest = None;
            self.visit(Order::Ascending, f64::NEG_INFINITY, max, 1, |member, _| {
                self.ctx.retain(member);
                lowest = Some(member);
            });
            let Some(member) = lowest else { return removed };
            let gone = self.remove(member);
            self.ctx.free_string(member);
            if !gone {
                return removed;
            }
            removed += 1;
        }
    }

    /// The score `n` entries from the lowest (0 = the lowest).
    pub fn nth_lowest_score(&self, n: u64) -> Option<f64> {
        let mut found = None;
        let mut seen = 0;
        self.visit(Order::Ascending, f64::NEG_INFINITY, f64::INFINITY, n.saturating_add(1), |_, score| {
            if seen == n {
                found = Some(score);
            }
            seen += 1;
        });
        found
    }

    pub fn highest_score(&self) -> Option<f64> {
        let mut found = None;
        self.visit(Order::Descending, f64::NEG_INFINITY, f64::INFINITY, 1, |_, score| found = Some(score));
        found
    }

    /// Visits up to `limit` entries scored within `min..=max`, in `order`, walking the
    /// set itself with no command call. `visit` borrows each member for the call only.
    pub fn visit(&self, order: Order, min: f64, max: f64, limit: u64, mut visit: impl FnMut(RawString, f64)) {
        if self.key.is_null() || limit == 0 {
            return;
        }
        let found = match order {
            Order::Ascending => api!(RedisModule_ZsetFirstInScoreRange(self.key, min, max, 0, 0), 1),
            Order::Descending => api!(RedisModule_ZsetLastInScoreRange(self.key, min, max, 0, 0), 1),
        };
        if !ok(found) {
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
            let moved = match order {
                Order::Ascending => api!(RedisModule_ZsetRangeNext(self.key), 0),
                Order::Descending => api!(RedisModule_ZsetRangePrev(self.key), 0),
            };
            if moved == 0 {
                break;
            }
        }
        api!(RedisModule_ZsetRangeStop(self.key), ());
    }
}

impl Drop for Key<'_> {
    fn drop(&mut self) {
        if !self.key.is_null() {
            api!(RedisModule_CloseKey(self.key), ());
        }
    }
}

/// A server string this module created, freed on drop.
pub struct OwnedString<'a> {
    ctx: &'a Ctx,
    raw: RawString,
}

impl OwnedString<'_> {
    pub fn raw(&self) -> RawString {
        self.raw
    }

    pub fn bytes(&self) -> &[u8] {
        string_bytes(self.raw)
    }
}

impl Drop for OwnedString<'_> {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            self.ctx.free_string(self.raw);
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

    /// The value under `name` in a RESP3 map reply.
    pub fn map_get(&self, name: &[u8]) -> Option<ReplyRef<'a>> {
        (0..self.len()).find_map(|index| {
            let mut key = ptr::null_mut();
            let mut value = ptr::null_mut();
            let found = api!(RedisModule_CallReplyMapElement(self.reply, index, &mut key, &mut value), 1);
            let key = ReplyRef { reply: key, _owner: PhantomData };
            (ok(found) && !key.reply.is_null() && key.bytes() == name)
                .then_some(ReplyRef { reply: value, _owner: PhantomData })
        })
    }

    pub fn as_integer(&self) -> Option<i64> {
        (self.kind() == raw::REDISMODULE_REPLY_INTEGER as c_int).then(|| self.integer())
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        (self.kind() == raw::REDISMODULE_REPLY_STRING as c_int).then(|| self.bytes())
    }

    pub fn at(&self, index: usize) -> Option<ReplyRef<'a>> {
        self.element(index)
    }

    /// The `(member, score)` pair at `index` of a RESP3 WITHSCORES reply.
    pub fn scored_member(&self, index: usize) -> Option<(&'a [u8], f64)> {
        let pair = self.element(index)?;
        Some((pair.element(0)?.bytes(), pair.element(1)?.double()))
    }
}
