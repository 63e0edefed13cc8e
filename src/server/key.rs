//! Keys opened through the module API: strings, streams, hashes and sorted sets.

use super::{ok, Ctx, OwnedString, RawString, ERR};
use redis_module::raw;
use smallvec::SmallVec;
use std::ffi::{c_int, c_void};
use std::ptr;
use tally_core::audit::StreamId;
use tally_core::Error;

/// The longest value of a companion string the module reads (settings, anchors).
pub const COMPANION_MAX_BYTES: usize = 128;

/// The errno values RM_StreamAdd reports (Linux numbering).
mod libc_errno {
    pub const EDOM: i32 = 33;
    pub const EFBIG: i32 = 27;
    pub const ERANGE: i32 = 34;
}

impl Ctx {
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

    /// The value of a short string the module keeps beside a key (settings, anchors), read
    /// quietly (see `open_quietly`): `Ok(None)` when absent, `Err(())` when the key holds
    /// something else or more than `COMPANION_MAX_BYTES`.
    pub fn read_companion(&self, name: RawString) -> Result<Option<SmallVec<[u8; COMPANION_MAX_BYTES]>>, ()> {
        let key = self.open_quietly(name);
        match key.kind() {
            KeyKind::Empty => Ok(None),
            KeyKind::String => {
                let mut buf = [0u8; COMPANION_MAX_BYTES];
                let len = key.string_value(&mut buf).ok_or(())?;
                Ok(Some(SmallVec::from_slice(buf.get(..len).ok_or(())?)))
            }
            _ => Err(()),
        }
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
        self.kind() != KeyKind::Empty && ok(api!(RedisModule_DeleteKey(self.key), ERR))
    }

    /// The absolute expiry time (unix ms), `None` when the key has none.
    pub fn expire_at(&self) -> Option<i64> {
        if self.key.is_null() {
            return None;
        }
        // REDISMODULE_NO_EXPIRE (-1) when none.
        let at = api!(RedisModule_GetAbsExpire(self.key), -1);
        (at >= 0).then_some(at)
    }

    /// Sets the absolute expiry time (unix ms).
    pub fn set_expire_at(&self, at_ms: i64) -> Result<(), Error> {
        if ok(api!(RedisModule_SetAbsExpire(self.key, at_ms), ERR)) {
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
        let data = api!(RedisModule_StringDMA(self.key, &raw mut len, raw::REDISMODULE_READ as c_int), ptr::null_mut());
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
        if ok(api!(RedisModule_StringSet(self.key, value.raw), ERR)) {
            Ok(())
        } else {
            Err(Error::Internal)
        }
    }

    /// Replaces the value with the string `bytes`, as `SET` does: in place when the key holds
    /// a string without expiry (what is left after SET), else through `set_string`.
    pub fn replace_string(&self, bytes: &[u8]) -> Result<(), Error> {
        if self.kind() == KeyKind::String && self.expire_at().is_none() {
            self.overwrite_string(bytes)
        } else {
            self.set_string(&self.ctx.string(bytes))
        }
    }

    /// Rewrites a string value's bytes in place, keeping its expiry: cheaper than
    /// `set_string`, whose RM_StringSet deletes the key and adds it again, expiry lost.
    pub fn overwrite_string(&self, bytes: &[u8]) -> Result<(), Error> {
        if !ok(api!(RedisModule_StringTruncate(self.key, bytes.len()), ERR)) {
            return Err(Error::Internal);
        }
        let mut len = 0;
        let data = api!(
            RedisModule_StringDMA(self.key, &raw mut len, (raw::REDISMODULE_READ | raw::REDISMODULE_WRITE) as c_int),
            ptr::null_mut()
        );
        if data.is_null() || len != bytes.len() {
            return Err(Error::Internal);
        }
        // SAFETY: the server returned `len` writable bytes of the open key's unshared value.
        unsafe { std::slice::from_raw_parts_mut(data.cast::<u8>(), len) }.copy_from_slice(bytes);
        Ok(())
    }

    // ---- streams -------------------------------------------------------------------

    /// Appends an entry from field/value pairs, with the ID given or (`None`) one the server
    /// makes. `Ok(None)`: the given ID is not above the stream's last one.
    pub fn stream_add(&self, id: Option<StreamId>, fields: &[RawString]) -> Result<Option<StreamId>, Error> {
        let (flags, mut raw_id) = match id {
            Some(id) => (0, raw::RedisModuleStreamID { ms: id.ms, seq: id.seq }),
            None => (raw::REDISMODULE_STREAM_ADD_AUTOID as c_int, raw::RedisModuleStreamID { ms: 0, seq: 0 }),
        };
        let pairs = i64::try_from(fields.len() / 2).map_err(|_| Error::Internal)?;
        let status =
            api!(RedisModule_StreamAdd(self.key, flags, &raw mut raw_id, fields.as_ptr().cast_mut(), pairs), ERR);
        if ok(status) {
            return Ok(Some(StreamId { ms: raw_id.ms, seq: raw_id.seq }));
        }
        // The server says why through errno.
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc_errno::EDOM) => Ok(None),
            Some(libc_errno::EFBIG) => Err(Error::StreamExhausted),
            Some(libc_errno::ERANGE) => Err(Error::EntryTooLarge),
            _ => Err(Error::Internal),
        }
    }

    /// Trims the stream to `len` entries, exactly or (`approx`) by whole nodes as
    /// `XADD MAXLEN ~` does; returns how many went.
    pub fn stream_trim_len(&self, len: i64, approx: bool) -> i64 {
        let flags = if approx { raw::REDISMODULE_STREAM_TRIM_APPROX as c_int } else { 0 };
        api!(RedisModule_StreamTrimByLength(self.key, flags, len), 0).max(0)
    }

    /// Removes the entries with IDs below `floor`; returns how many went.
    pub fn stream_trim_below(&self, floor: StreamId) -> i64 {
        let mut id = raw::RedisModuleStreamID { ms: floor.ms, seq: floor.seq };
        api!(RedisModule_StreamTrimByID(self.key, 0, &raw mut id), 0).max(0)
    }

    /// Walks the stream's entries, oldest first from `from` (inclusive; `None`: the oldest)
    /// or newest first when `newest_first`, handing each entry's ID and (when `read_fields`)
    /// its fields to `visit` until it returns false or the stream ends.
    pub fn stream_walk(
        &self,
        from: Option<StreamId>,
        newest_first: bool,
        read_fields: bool,
        mut visit: impl FnMut(StreamId, &[(&[u8], &[u8])]) -> bool,
    ) {
        let mut fields: SmallVec<[(OwnedString, OwnedString); 8]> = SmallVec::new();
        self.stream_iterate(from, None, newest_first, |id, count| {
            fields.clear();
            for _ in 0..count {
                match self.stream_field(read_fields) {
                    Some(Some(pair)) => fields.push(pair),
                    Some(None) => {}
                    None => break,
                }
            }
            let pairs: SmallVec<[(&[u8], &[u8]); 8]> = fields.iter().map(|(f, v)| (f.bytes(), v.bytes())).collect();
            visit(id, &pairs)
        });
    }

    /// Walks like `stream_walk`, reading only each entry's last field/value pair (where a
    /// chained entry keeps its link): the others are stepped over without copies.
    pub fn stream_walk_last(
        &self,
        from: Option<StreamId>,
        newest_first: bool,
        mut visit: impl FnMut(StreamId, Option<(&[u8], &[u8])>) -> bool,
    ) {
        self.stream_iterate(from, None, newest_first, |id, count| {
            let mut last = None;
            for index in 1..=count {
                match self.stream_field(index == count) {
                    Some(pair) => last = pair,
                    None => break,
                }
            }
            visit(id, last.as_ref().map(|(f, v)| (f.bytes(), v.bytes())))
        });
    }

    /// The newest entry at or below `bound`, found walking back from `bound`: short when
    /// `bound` is near the newest entry, unlike a walk from the oldest, which steps over
    /// every entry trimmed from the oldest node.
    pub fn stream_newest_at_or_below(&self, bound: StreamId) -> Option<StreamId> {
        let mut found = None;
        self.stream_iterate(None, Some(bound), true, |id, _| {
            found = Some(id);
            false
        });
        found
    }

    /// Runs a stream iterator over the IDs `from..=to` (`None`: unbounded), handing `entry`
    /// each entry's ID and number of field/value pairs until it returns false. `entry` steps
    /// over every pair with `stream_field` before it returns true (the server's iterator
    /// asserts it).
    fn stream_iterate(
        &self,
        from: Option<StreamId>,
        to: Option<StreamId>,
        newest_first: bool,
        mut entry: impl FnMut(StreamId, i64) -> bool,
    ) {
        if self.kind() != KeyKind::Stream {
            return;
        }
        let flags = if newest_first { raw::REDISMODULE_STREAM_ITERATOR_REVERSE as c_int } else { 0 };
        let mut start = from.map(|id| raw::RedisModuleStreamID { ms: id.ms, seq: id.seq });
        let start_ptr = start.as_mut().map_or(ptr::null_mut(), |id| &raw mut *id);
        let mut end = to.map(|id| raw::RedisModuleStreamID { ms: id.ms, seq: id.seq });
        let end_ptr = end.as_mut().map_or(ptr::null_mut(), |id| &raw mut *id);
        if !ok(api!(RedisModule_StreamIteratorStart(self.key, flags, start_ptr, end_ptr), ERR)) {
            return;
        }
        loop {
            let mut id = raw::RedisModuleStreamID { ms: 0, seq: 0 };
            let mut count = 0;
            if !ok(api!(RedisModule_StreamIteratorNextID(self.key, &raw mut id, &raw mut count), ERR))
                || !entry(StreamId { ms: id.ms, seq: id.seq }, count)
            {
                break;
            }
        }
        api!(RedisModule_StreamIteratorStop(self.key), ERR);
    }

    /// The next field/value pair of the entry being walked: as new strings the module owns
    /// (no auto memory here) when `read`, else stepped over with none made; `None` past
    /// the entry's last pair.
    fn stream_field(&self, read: bool) -> Option<Option<(OwnedString<'_>, OwnedString<'_>)>> {
        let (mut field, mut value): (RawString, RawString) = (ptr::null_mut(), ptr::null_mut());
        let (field_ptr, value_ptr) =
            if read { (&raw mut field, &raw mut value) } else { (ptr::null_mut(), ptr::null_mut()) };
        if !ok(api!(RedisModule_StreamIteratorNextField(self.key, field_ptr, value_ptr), ERR)) {
            return None;
        }
        Some(read.then(|| (OwnedString { ctx: self.ctx, raw: field }, OwnedString { ctx: self.ctx, raw: value })))
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
                &raw mut value,
                ptr::null_mut::<c_void>()
            ),
            ERR
        );
        (ok(status) && !value.is_null()).then_some(OwnedString { ctx: self.ctx, raw: value })
    }

    pub fn hash_set(&self, field: RawString, value: RawString) -> Result<(), Error> {
        let status = api!(
            RedisModule_HashSet(self.key, raw::REDISMODULE_HASH_NONE as c_int, field, value, ptr::null_mut::<c_void>()),
            ERR
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
        self.any_scored(score, false, score)
    }

    /// True when some member is scored above `min`.
    pub fn any_scored_above(&self, min: f64) -> bool {
        self.any_scored(min, true, f64::INFINITY)
    }

    /// True when some member is scored within `min..=max` (above `min` when `min_exclusive`):
    /// the range is only opened, no member read (reading one makes a string of it).
    fn any_scored(&self, min: f64, min_exclusive: bool, max: f64) -> bool {
        if self.key.is_null() {
            return false;
        }
        if !ok(api!(RedisModule_ZsetFirstInScoreRange(self.key, min, max, c_int::from(min_exclusive), 0), ERR)) {
            return false;
        }
        let found = api!(RedisModule_ZsetRangeEndReached(self.key), 1) == 0;
        api!(RedisModule_ZsetRangeStop(self.key), ());
        found
    }

    pub fn score(&self, member: RawString) -> Option<f64> {
        if self.key.is_null() {
            return None;
        }
        let mut score = 0.0;
        ok(api!(RedisModule_ZsetScore(self.key, member, &raw mut score), ERR)).then_some(score)
    }

    /// Sets `member`'s score (adding it if absent); true when it was added.
    pub fn set(&self, score: f64, member: RawString) -> Result<bool, Error> {
        let mut flags: c_int = 0;
        if ok(api!(RedisModule_ZsetAdd(self.key, score, member, &raw mut flags), ERR)) {
            Ok(flags & raw::REDISMODULE_ZADD_ADDED as c_int != 0)
        } else {
            Err(Error::Internal)
        }
    }

    /// Sets the score of `member` only if present; true when it was.
    pub fn update_existing(&self, score: f64, member: RawString) -> Result<bool, Error> {
        // RM_ZsetAdd makes an empty key a sorted set before it looks at XX: it would stay, empty.
        if self.len() == 0 {
            return Ok(false);
        }
        let mut flags = raw::REDISMODULE_ZADD_XX as c_int;
        if ok(api!(RedisModule_ZsetAdd(self.key, score, member, &raw mut flags), ERR)) {
            // NOP: absent. A present member reports UPDATED, or nothing when its score was already `score`.
            Ok(flags & raw::REDISMODULE_ZADD_NOP as c_int == 0)
        } else {
            Err(Error::Internal)
        }
    }

    /// Adds `member` only if absent; true when it was added.
    pub fn add_new(&self, score: f64, member: RawString) -> Result<bool, Error> {
        let mut flags = raw::REDISMODULE_ZADD_NX as c_int;
        if ok(api!(RedisModule_ZsetAdd(self.key, score, member, &raw mut flags), ERR)) {
            Ok(flags & raw::REDISMODULE_ZADD_ADDED as c_int != 0)
        } else {
            Err(Error::Internal)
        }
    }

    /// Removes `member`; true when it was there.
    pub fn remove(&self, member: RawString) -> bool {
        let mut deleted: c_int = 0;
        ok(api!(RedisModule_ZsetRem(self.key, member, &raw mut deleted), ERR)) && deleted != 0
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
        while api!(RedisModule_ZsetRangeEndReached(self.key), 1) == 0 {
            let mut score = 0.0;
            let member = api!(RedisModule_ZsetRangeCurrentElement(self.key, &raw mut score), ptr::null_mut());
            if member.is_null() {
                break;
            }
            visit(member, score);
            self.ctx.free_string(member);
            seen += 1;
            // No step past the last entry wanted: a step decodes the next one.
            if seen == limit {
                break;
            }
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
