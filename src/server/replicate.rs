//! Effects of a write beyond the key itself: what reaches replicas and the AOF (every
//! number as concrete text, nothing that depends on the replica's clock or state), and the
//! keyspace events and WATCH signals the native commands would have given.

use super::{free_module_string, log_warning, module_string, Ctx, KeptString, RawString};
use redis_module::raw;
use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};
use std::ptr;
use tally_core::number::{IntText, ScoreText};

/// The fixed words of the replicated commands: RM_Replicate takes a reference to a kept
/// string ("s") where a word given as text ("c") is allocated and freed on every call.
static MAXLEN: KeptString = KeptString::new(b"MAXLEN");
static MINID: KeptString = KeptString::new(b"MINID");
static EQUAL: KeptString = KeptString::new(b"=");
static PXAT: KeptString = KeptString::new(b"PXAT");
static MINUS_INF: KeptString = KeptString::new(b"-inf");

/// The strings of `words`. `None` (logged) only if the server lacks RM_CreateString, which
/// no server that loaded the module does: out of memory, it aborts rather than return null.
fn words<const N: usize>(words: [&KeptString; N]) -> Option<[RawString; N]> {
    let mut raw = [ptr::null_mut(); N];
    for (slot, word) in raw.iter_mut().zip(words) {
        let Some(string) = word.raw() else {
            log_warning("tally: a write could not be replicated: no string for a word of its command");
            return None;
        };
        *slot = string;
    }
    Some(raw)
}

thread_local! {
    /// The cap of the last exact XADD replicated, and its text as a module string kept for
    /// the next: a stream's cap seldom changes, and a kept string costs RM_Replicate a
    /// reference where text costs an allocation and a free per call. (Freeing it when the
    /// cap changes drops only the module's reference: a pending propagation holds its own.)
    static LAST_CAP: Cell<(i64, RawString)> = const { Cell::new((0, ptr::null_mut())) };
}

/// `cap` as a module string (see LAST_CAP); null (logged) only where `words` gives `None`.
fn cap_string(cap: i64) -> RawString {
    LAST_CAP.with(|last| {
        let (last_cap, string) = last.get();
        if !string.is_null() && last_cap == cap {
            return string;
        }
        if !string.is_null() {
            free_module_string(string);
        }
        let string = module_string(IntText::new(cap).as_bytes());
        if string.is_null() {
            log_warning("tally: a write could not be replicated: no string for its cap");
        }
        last.set((cap, string));
        string
    })
}

/// The class of a keyspace event, as `notify-keyspace-events` selects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Generic,
    String,
    Hash,
    Zset,
    Stream,
}

impl Notify {
    fn flag(self) -> c_int {
        match self {
            Notify::Generic => raw::REDISMODULE_NOTIFY_GENERIC,
            Notify::String => raw::REDISMODULE_NOTIFY_STRING,
            Notify::Hash => raw::REDISMODULE_NOTIFY_HASH,
            Notify::Zset => raw::REDISMODULE_NOTIFY_ZSET,
            Notify::Stream => raw::REDISMODULE_NOTIFY_STREAM,
        }
    }
}

impl Ctx {
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
    pub fn replicate_set(&self, key: RawString, value: &[u8]) {
        api!(
            RedisModule_Replicate(
                self.raw,
                c"SET".as_ptr(),
                c"sb".as_ptr(),
                key,
                value.as_ptr().cast::<c_char>(),
                value.len()
            ),
            0
        );
    }

    // Numbers go to RM_Replicate as text ("b"): its own integer formatting ("l") costs
    // more than the rest of the argument handling.

    /// Replicates `ZREMRANGEBYSCORE key -inf max`.
    pub fn replicate_zremrangebyscore(&self, key: RawString, max: i64) {
        let Some([minus_inf]) = words([&MINUS_INF]) else { return };
        let max = IntText::new(max);
        let max = max.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"ZREMRANGEBYSCORE".as_ptr(),
                c"ssb".as_ptr(),
                key,
                minus_inf,
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
    pub fn replicate_set_pxat(&self, key: RawString, value: &[u8], at_ms: i64) {
        let Some([pxat]) = words([&PXAT]) else { return };
        let at = IntText::new(at_ms);
        let at = at.as_bytes();
        api!(
            RedisModule_Replicate(
                self.raw,
                c"SET".as_ptr(),
                c"sbsb".as_ptr(),
                key,
                value.as_ptr().cast::<c_char>(),
                value.len(),
                pxat,
                at.as_ptr().cast::<c_char>(),
                at.len(),
            ),
            0
        );
    }

    /// Replicates `XADD key [MAXLEN = cap] id field value ...` with the ID the entry got
    /// (without a cap when the trim is replicated on its own, as `XTRIM key MINID = id`).
    pub fn replicate_xadd(&self, key: RawString, cap: Option<i64>, id: &[u8], fields: &[RawString]) {
        let Some(cap) = cap else {
            api!(
                RedisModule_Replicate(
                    self.raw,
                    c"XADD".as_ptr(),
                    c"sbv".as_ptr(),
                    key,
                    id.as_ptr().cast::<c_char>(),
                    id.len(),
                    fields.as_ptr(),
                    fields.len()
                ),
                0
            );
            return;
        };
        let Some([maxlen, equal]) = words([&MAXLEN, &EQUAL]) else { return };
        let cap = cap_string(cap);
        if cap.is_null() {
            return;
        }
        api!(
            RedisModule_Replicate(
                self.raw,
                c"XADD".as_ptr(),
                c"ssssbv".as_ptr(),
                key,
                maxlen,
                equal,
                cap,
                id.as_ptr().cast::<c_char>(),
                id.len(),
                fields.as_ptr(),
                fields.len(),
            ),
            0
        );
    }

    /// Replicates `XTRIM key MINID = id`.
    pub fn replicate_xtrim_minid(&self, key: RawString, id: &[u8]) {
        let Some([minid, equal]) = words([&MINID, &EQUAL]) else { return };
        api!(
            RedisModule_Replicate(
                self.raw,
                c"XTRIM".as_ptr(),
                c"sssb".as_ptr(),
                key,
                minid,
                equal,
                id.as_ptr().cast::<c_char>(),
                id.len()
            ),
            0
        );
    }

    /// Replicates `HSET key field value`.
    pub fn replicate_hset(&self, key: RawString, field: RawString, value: RawString) {
        api!(RedisModule_Replicate(self.raw, c"HSET".as_ptr(), c"sss".as_ptr(), key, field, value), 0);
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
    /// `class` the native command would have fired.
    pub fn wrote(&self, key: RawString, class: Notify, event: &CStr) {
        self.signal_modified(key);
        self.notify(class, event, key);
    }

    /// Fires the generic `del` notification of a key that a write emptied.
    pub fn notify_deleted(&self, key: RawString) {
        self.notify(Notify::Generic, c"del", key);
    }

    /// Fires the generic `expire` notification.
    pub fn notify_expire(&self, key: RawString) {
        self.notify(Notify::Generic, c"expire", key);
    }

    /// Fires a keyspace event of `class` alone, for a second event of one write (`wrote`
    /// signalled the key already).
    pub fn notify(&self, class: Notify, event: &CStr, key: RawString) {
        api!(RedisModule_NotifyKeyspaceEvent(self.raw, class.flag(), event.as_ptr(), key), 0);
    }
}
