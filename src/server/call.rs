//! Commands run through RM_Call, for what the key API lacks (ranks, counts, ranges,
//! consumer groups), and their replies.

use super::{ok, Ctx, Order, RawString};
use redis_module::raw;
use std::ffi::{c_char, c_int, CStr};
use std::marker::PhantomData;
use std::ptr;
use tally_core::audit::StreamId;
use tally_core::number::ScoreText;
use tally_core::Error;

impl Ctx {
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

    /// 0-based position of `member` in `order`, as ZRANK (ascending) or ZREVRANK
    /// (descending); `None` when absent.
    pub fn zrank(&self, key: RawString, member: RawString, order: Order) -> Result<Option<u64>, Error> {
        let command = match order {
            Order::Ascending => c"ZRANK",
            Order::Descending => c"ZREVRANK",
        };
        let reply = api!(RedisModule_Call(self.raw, command.as_ptr(), c"ss".as_ptr(), key, member), ptr::null_mut());
        let reply = self.checked(reply)?;
        if reply.kind() == raw::REDISMODULE_REPLY_INTEGER as c_int {
            Ok(u64::try_from(reply.integer()).ok())
        } else {
            Ok(None)
        }
    }

    /// Members strictly before `score` in `order`: ZCOUNT key (score +inf descending,
    /// ZCOUNT key -inf (score ascending.
    pub fn count_before(&self, key: RawString, score: f64, order: Order) -> Result<u64, Error> {
        let mut buf = [0u8; 41];
        let text = ScoreText::new(score);
        let bound = exclusive_bound(&mut buf, text.as_bytes());
        match order {
            Order::Ascending => self.zcount(key, b"-inf", bound),
            Order::Descending => self.zcount(key, bound, b"+inf"),
        }
    }

    /// Members at `score` or after it in `order`: ZCOUNT key -inf score descending,
    /// ZCOUNT key score +inf ascending.
    pub fn count_from(&self, key: RawString, score: f64, order: Order) -> Result<u64, Error> {
        let text = ScoreText::new(score);
        match order {
            Order::Ascending => self.zcount(key, text.as_bytes(), b"+inf"),
            Order::Descending => self.zcount(key, b"-inf", text.as_bytes()),
        }
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

    /// Entries at 0-based positions `start..=stop` in `order`, as RESP3
    /// `[[member, score], ...]` (ZRANGE key start stop [REV] WITHSCORES).
    pub fn zrange(&self, key: RawString, start: u64, stop: u64, order: Order) -> Result<CallReply<'_>, Error> {
        let start = i64::try_from(start).unwrap_or(i64::MAX);
        let stop = i64::try_from(stop).unwrap_or(i64::MAX);
        let reply = match order {
            Order::Ascending => api!(
                RedisModule_Call(
                    self.raw,
                    c"ZRANGE".as_ptr(),
                    c"3sllc".as_ptr(),
                    key,
                    start,
                    stop,
                    c"WITHSCORES".as_ptr(),
                ),
                ptr::null_mut()
            ),
            Order::Descending => api!(
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
            ),
        };
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
}

impl Ctx {
    /// The oldest entry pending in a consumer group (`XPENDING key group`, summary form):
    /// `None` when nothing is pending.
    pub fn oldest_pending(&self, key: RawString, group: &[u8]) -> Result<Option<StreamId>, Error> {
        let reply = api!(
            RedisModule_Call(
                self.raw,
                c"XPENDING".as_ptr(),
                c"3sb".as_ptr(),
                key,
                group.as_ptr().cast::<c_char>(),
                group.len()
            ),
            ptr::null_mut()
        );
        let summary = self.checked(reply)?;
        Ok(summary.at(1).and_then(ReplyRef::as_bytes).and_then(StreamId::parse))
    }
}

impl Ctx {
    /// The last ID a stream gave out (`XINFO STREAM`'s `last-generated-id`), which entries
    /// deleted at its tail leave above its newest entry.
    pub fn stream_last_generated_id(&self, key: RawString) -> Result<StreamId, Error> {
        let info = self.xinfo(c"STREAM", key)?;
        info.map_get(b"last-generated-id").and_then(ReplyRef::as_bytes).and_then(StreamId::parse).ok_or(Error::Internal)
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
        let data = api!(RedisModule_CallReplyStringPtr(self.reply, &raw mut len), ptr::null());
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
            let found = api!(RedisModule_CallReplyMapElement(self.reply, index, &raw mut key, &raw mut value), 1);
            let key = ReplyRef { reply: key, _owner: PhantomData };
            (ok(found) && !key.reply.is_null() && key.bytes() == name)
                .then_some(ReplyRef { reply: value, _owner: PhantomData })
        })
    }

    pub fn as_integer(self) -> Option<i64> {
        (self.kind() == raw::REDISMODULE_REPLY_INTEGER as c_int).then(|| self.integer())
    }

    pub fn as_bytes(self) -> Option<&'a [u8]> {
        (self.kind() == raw::REDISMODULE_REPLY_STRING as c_int).then(|| self.bytes())
    }

    pub fn at(self, index: usize) -> Option<ReplyRef<'a>> {
        self.element(index)
    }

    /// The `(member, score)` pair at `index` of a RESP3 WITHSCORES reply.
    pub fn scored_member(self, index: usize) -> Option<(&'a [u8], f64)> {
        let pair = self.element(index)?;
        Some((pair.element(0)?.bytes(), pair.element(1)?.double()))
    }
}
